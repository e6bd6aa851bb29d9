// A tiny DOM builder: elements from tag, properties and children, text always as text nodes
// (never innerHTML), so values from the site cannot inject markup.

/**
 * h('button', { class: 'x', onclick: fn, 'aria-label': 'y' }, 'text', child)
 * Keys starting with "on" become listeners; `class`, `for`, `aria-*`, `data-*` and unknown keys
 * become attributes; booleans set or remove an attribute.
 */
export function h(tag, props, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else if (k === 'checked' || k === 'selected') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function svg(tag, props, ...children) {
  return h(`svg:${tag}`, props, ...children);
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Sets text only when it changed: cheaper than always writing, and keeps selections. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

export function toast(message, kind = 'info') {
  const t = document.getElementById('toast');
  clear(t);
  t.append(h('div', { class: `toast-msg ${kind}` }, message));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => clear(t), kind === 'error' ? 8000 : 4000);
}
