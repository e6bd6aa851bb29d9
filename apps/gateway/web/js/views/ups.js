import { h } from '../dom.js';
export const title = 'ups';
export function mount(el) {
  el.append(h('h1', null, 'ups'));
  return { title };
}
