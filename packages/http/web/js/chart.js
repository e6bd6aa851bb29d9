// A small SVG line chart for the trends: time on x, many series, zoom by dragging a range, the
// mouse wheel or the keyboard (+ - arrows, 0 resets), a readout of the nearest point.
import { h, svg, clear } from './dom.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#ff7f0e',
  '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];

// Up to a year a tick: the health page projects a block's Ri years ahead.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 7776000, 31557600].map((s) => s * 1000);

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function timeLabel(ms, stepMs) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  if (stepMs >= 86400000) return `${d.getMonth() + 1}/${d.getDate()}`;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return stepMs < 60000 ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/**
 * createChart({label, unit, digits, height}) -> {el, setData(series), setHighlight(id), resetZoom()}
 * series: [{id, name, color, points: [[atMs, value], ...] sorted by time}]
 */
export function createChart({ label, unit = '', digits = 3, height = 300 }) {
  const root = svg('svg', { role: 'img', 'aria-label': label });
  const readout = h('p', { class: 'chart-readout', 'aria-live': 'polite' });
  const legend = h('ul', { class: 'chart-legend', 'aria-label': `${label}: series` });
  const zoomReset = h('button', { type: 'button', class: 'zoom-reset', disabled: true, onclick: () => resetZoom() }, 'Reset zoom');
  const box = h('div', { class: 'chart', tabindex: '0', 'aria-label': `${label}. Drag, scroll or press + and − to zoom, arrows to pan, 0 to reset.` }, root);
  const el = h('div', { class: 'chart-block' }, box, h('div', { class: 'toolbar' }, zoomReset, readout), legend);
  let series = [];
  let full = null;
  let view = null;
  let highlight = null;
  let geom = null;
  let drag = null;

  function extent() {
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const s of series) {
      if (!s.points.length) continue;
      x0 = Math.min(x0, s.points[0][0]);
      x1 = Math.max(x1, s.points[s.points.length - 1][0]);
    }
    if (!Number.isFinite(x0)) return null;
    if (x1 - x0 < 1000) x1 = x0 + 1000;
    return [x0, x1];
  }

  function render() {
    clear(root);
    const width = Math.max(280, box.clientWidth - 8 || 800);
    const m = { l: 56, r: 12, t: 10, b: 26 };
    root.setAttribute('viewBox', `0 0 ${width} ${height}`);
    root.setAttribute('width', width);
    root.setAttribute('height', height);
    if (!view) {
      geom = null;
      root.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'No data in this range yet.'));
      return;
    }
    const [x0, x1] = view;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const s of series) {
      for (const [t, v] of s.points) {
        if (t < x0 || t > x1 || v == null) continue;
        if (v < y0) y0 = v;
        if (v > y1) y1 = v;
      }
    }
    if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
    const pad = (y1 - y0) * 0.08 || Math.abs(y0) * 0.01 || 1;
    y0 -= pad;
    y1 += pad;
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const X = (t) => m.l + ((t - x0) / (x1 - x0)) * pw;
    const Y = (v) => m.t + (1 - (v - y0) / (y1 - y0)) * ph;
    geom = { X, Y, x0, x1, y0, y1, m, pw, ph, width };

    const yStep = niceStep(y1 - y0, 6);
    const yDigits = Math.max(0, -Math.floor(Math.log10(yStep)) + (yStep / 10 ** Math.floor(Math.log10(yStep)) === 2.5 ? 1 : 0));
    for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1; v += yStep) {
      root.append(svg('line', { class: 'grid', x1: m.l, x2: width - m.r, y1: Y(v), y2: Y(v) }),
        svg('text', { x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, v.toFixed(yDigits)));
    }
    const tStep = TIME_STEPS.find((s) => (x1 - x0) / s <= Math.max(2, pw / 90)) ?? TIME_STEPS[TIME_STEPS.length - 1];
    const tz = new Date().getTimezoneOffset() * 60000;
    for (let t = Math.ceil((x0 - tz) / tStep) * tStep + tz; t <= x1; t += tStep) {
      root.append(svg('line', { class: 'grid', x1: X(t), x2: X(t), y1: m.t, y2: m.t + ph }),
        svg('text', { x: X(t), y: height - 8, 'text-anchor': 'middle' }, timeLabel(t, tStep)));
    }
    root.append(svg('line', { class: 'axis', x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph }), svg('line', { class: 'axis', x1: m.l, x2: width - m.r, y1: m.t + ph, y2: m.t + ph }),
      svg('text', { x: 4, y: m.t + 10 }, unit));

    for (const s of series) {
      const d = pathOf(s.points, X, Y, x0, x1, pw);
      if (!d) continue;
      const cls = `line${highlight && highlight !== s.id ? ' dim' : ''}${highlight === s.id ? ' hot' : ''}`;
      root.append(svg('path', { class: cls, d, stroke: s.color, 'data-series': s.id }));
    }
    if (drag?.x1 != null) {
      const a = Math.min(drag.x0, drag.x1);
      root.append(svg('rect', { class: 'sel', x: a, y: m.t, width: Math.abs(drag.x1 - drag.x0), height: ph }));
    }
    zoomReset.disabled = !full || (view[0] === full[0] && view[1] === full[1]);
  }

  function renderLegend() {
    clear(legend);
    for (const s of series) {
      const b = h('button', { type: 'button', 'aria-pressed': String(highlight === s.id), onclick: () => setHighlight(highlight === s.id ? null : s.id) },
        h('span', { class: 'swatch', 'data-color': s.color }), s.name);
      b.firstChild.style.background = s.color;
      legend.append(h('li', null, b));
    }
  }

  function setData(next, { keepZoom = false } = {}) {
    series = next;
    const was = full;
    full = extent();
    const zoomed = keepZoom && view && was && (view[0] !== was[0] || view[1] !== was[1]);
    if (!zoomed) view = full;
    renderLegend();
    render();
  }

  function setHighlight(id) {
    highlight = id;
    for (const b of legend.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.textContent === series.find((s) => s.id === id)?.name));
    render();
  }

  function zoom(factor, centerT) {
    if (!view || !full) return;
    const [a, b] = view;
    const c = centerT ?? (a + b) / 2;
    let na = c - (c - a) * factor;
    let nb = c + (b - c) * factor;
    if (nb - na < 200) return;
    na = Math.max(full[0], na);
    nb = Math.min(full[1], nb);
    view = [na, nb];
    render();
  }

  function pan(frac) {
    if (!view || !full) return;
    const span = view[1] - view[0];
    let a = view[0] + span * frac;
    a = Math.min(Math.max(full[0], a), full[1] - span);
    view = [a, a + span];
    render();
  }

  function resetZoom() {
    view = full;
    render();
  }

  const tAt = (clientX) => {
    const r = root.getBoundingClientRect();
    const x = ((clientX - r.left) / r.width) * geom.width;
    return { x, t: geom.x0 + ((x - geom.m.l) / geom.pw) * (geom.x1 - geom.x0) };
  };

  box.addEventListener('pointerdown', (e) => {
    if (!geom || e.button !== 0) return;
    drag = { x0: tAt(e.clientX).x, x1: null, id: e.pointerId };
    box.setPointerCapture(e.pointerId);
  });
  box.addEventListener('pointermove', (e) => {
    if (!geom) return;
    const { x, t } = tAt(e.clientX);
    if (drag) {
      drag.x1 = x;
      render();
    }
    showReadout(t);
  });
  box.addEventListener('pointerup', (e) => {
    if (!drag || !geom) return;
    const d = drag;
    drag = null;
    if (d.x1 != null && Math.abs(d.x1 - d.x0) > 6) {
      const toT = (x) => geom.x0 + ((x - geom.m.l) / geom.pw) * (geom.x1 - geom.x0);
      view = [Math.max(full[0], toT(Math.min(d.x0, d.x1))), Math.min(full[1], toT(Math.max(d.x0, d.x1)))];
    }
    box.releasePointerCapture?.(e.pointerId);
    render();
  });
  box.addEventListener('dblclick', () => resetZoom());
  box.addEventListener('wheel', (e) => {
    if (!geom) return;
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, tAt(e.clientX).t);
  }, { passive: false });
  box.addEventListener('keydown', (e) => {
    const keys = { '+': () => zoom(0.7), '=': () => zoom(0.7), '-': () => zoom(1.4), ArrowLeft: () => pan(-0.2), ArrowRight: () => pan(0.2), 0: () => resetZoom(), Escape: () => resetZoom() };
    const k = keys[e.key];
    if (k) {
      e.preventDefault();
      k();
    }
  });
  new ResizeObserver(() => render()).observe(box);

  function showReadout(t) {
    let best = null;
    for (const s of series) {
      if (highlight && s.id !== highlight) continue;
      const p = nearest(s.points, t);
      if (p && (!best || Math.abs(p[0] - t) < Math.abs(best.p[0] - t))) best = { s, p };
    }
    readout.textContent = best ? `${new Date(best.p[0]).toLocaleString()} · ${best.s.name}: ${best.p[1] == null ? '—' : best.p[1].toFixed(digits)} ${unit}` : '';
  }

  return { el, setData, setHighlight, resetZoom, zoom, get view() { return view; } };
}

function nearest(points, t) {
  let lo = 0;
  let hi = points.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < t) lo = mid + 1;
    else hi = mid;
  }
  const a = points[Math.max(0, lo - 1)];
  const b = points[lo];
  return Math.abs(a[0] - t) < Math.abs(b[0] - t) ? a : b;
}

/** The path of one series in view, thinned to a min and a max per pixel column when dense. */
function pathOf(points, X, Y, x0, x1, pw) {
  const parts = [];
  let pen = false;
  const dense = points.length > pw * 2;
  let col = null;
  let lo = 0;
  let hi = 0;
  const flush = () => {
    if (col === null) return;
    parts.push(`${pen ? 'L' : 'M'}${col.toFixed(1)},${Y(lo).toFixed(1)}`);
    pen = true;
    if (hi !== lo) parts.push(`L${col.toFixed(1)},${Y(hi).toFixed(1)}`);
  };
  for (let i = 0; i < points.length; i++) {
    const [t, v] = points[i];
    const next = points[i + 1];
    const prev = points[i - 1];
    if ((t < x0 && (!next || next[0] < x0)) || (t > x1 && prev && prev[0] > x1)) continue;
    if (v == null) {
      flush();
      col = null;
      pen = false;
      continue;
    }
    if (!dense) {
      parts.push(`${pen ? 'L' : 'M'}${X(t).toFixed(1)},${Y(v).toFixed(1)}`);
      pen = true;
      continue;
    }
    const c = Math.round(X(t));
    if (c !== col) {
      flush();
      col = c;
      lo = v;
      hi = v;
    } else {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (dense) flush();
  return parts.join('');
}
