import { h } from '../dom.js';
export const title = 'settings';
export function mount(el) {
  el.append(h('h1', null, 'settings'));
  return { title };
}
