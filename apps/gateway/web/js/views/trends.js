import { h } from '../dom.js';
export const title = 'trends';
export function mount(el) {
  el.append(h('h1', null, 'trends'));
  return { title };
}
