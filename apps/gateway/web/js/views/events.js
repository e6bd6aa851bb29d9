import { h } from '../dom.js';
export const title = 'events';
export function mount(el) {
  el.append(h('h1', null, 'events'));
  return { title };
}
