import { h } from '../dom.js';
export const title = 'io';
export function mount(el) {
  el.append(h('h1', null, 'io'));
  return { title };
}
