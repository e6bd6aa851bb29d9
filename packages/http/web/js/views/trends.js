// Trends from the logger: the voltage spread of every string, and each module's voltage,
// temperature, Ri or SoC over time (zoomable), plus the discharge view: which blocks fell first.
import { h, svg, clear } from '../dom.js';
import { createChart, PALETTE } from '../chart.js';
import { series, source } from '../history.js';
import { fmtTime, stringModules } from '../status.js';

export const title = 'Trends';

const MEASURES = {
  spread: { label: 'Voltage spread (all strings)', unit: 'mV', digits: 0, field: 'spreadV', scale: 1000 },
  voltage: { label: 'Module voltage', unit: 'V', digits: 3, field: 'voltageV', scale: 1 },
  temperature: { label: 'Module temperature', unit: '°C', digits: 1, field: 'temperatureC', scale: 1 },
  ri: { label: 'Module Ri', unit: 'mΩ', digits: 2, field: 'resistanceOhm', scale: 1000 },
  soc: { label: 'Module SoC', unit: '%', digits: 0, field: 'socPercent', scale: 1 },
};
/** @type {[string, string, number][]} */
const RANGES = [['15m', 'Last 15 minutes', 900e3], ['1h', 'Last hour', 3600e3], ['6h', 'Last 6 hours', 21600e3], ['24h', 'Last 24 hours', 86400e3], ['7d', 'Last 7 days', 604800e3]];

export function mount(el, ctx, route) {
  const { store } = ctx;
  const snap = store.snap;
  const q = route.query;
  const state = {
    measure: MEASURES[q.get('measure')] ? q.get('measure') : 'voltage',
    string: Math.min(Number(q.get('string')) || 1, snap.strings.length),
    module: Number(q.get('module')) || 0,
    range: RANGES.find((r) => r[0] === q.get('range')) ? q.get('range') : '1h',
  };
  const select = (id, label, options, value, onchange) => h('label', { for: id }, label,
    h('select', { id, onchange }, options.map(([v, t]) => h('option', { value: v, selected: String(v) === String(value) }, t))));
  const measureSel = select('trend-measure', 'Measure', Object.entries(MEASURES).map(([k, m]) => [k, m.label]), state.measure, (e) => { state.measure = e.target.value; sync(); });
  const stringSel = select('trend-string', 'String', snap.strings.map((s) => [s.string, s.name]), state.string, (e) => { state.string = Number(e.target.value); state.module = 0; sync(); });
  const moduleSel = h('label', { for: 'trend-module' }, 'Module', h('select', { id: 'trend-module', onchange: (e) => { state.module = Number(e.target.value); sync(); } }));
  const rangeSel = select('trend-range', 'Range', RANGES.map(([k, t]) => [k, t]), state.range, (e) => { state.range = e.target.value; sync(); });
  const autoBox = h('input', { type: 'checkbox', id: 'trend-auto', checked: true });
  const note = h('p', { class: 'muted', id: 'trend-source' });
  const chartHolder = h('div');
  let chart = null;

  const cutInput = h('input', { type: 'number', id: 'cutoff', step: '0.01', value: (snap.thresholds.moduleVoltage.warnLow ?? 12).toFixed(2) });
  const dischargeBody = h('tbody');
  const bars = h('div', { class: 'chart bars-wrap' });
  const dischargeNote = h('p', { class: 'muted', id: 'discharge-note' });

  el.append(h('div', { class: 'page-head' }, h('h1', null, 'Trends')),
    h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Trend selection' }, measureSel, stringSel, moduleSel, rangeSel,
      h('label', { for: 'trend-auto', class: 'inline' }, autoBox, 'Follow live'), h('button', { type: 'button', onclick: () => load() }, 'Refresh')),
    note, chartHolder,
    h('h2', { id: 'discharge-title' }, 'Discharge: which blocks fell first'),
    h('p', { class: 'muted' }, 'Over the selected range and string: when each block first fell below the cut-off voltage, and its lowest voltage. The blocks that fall first are the weakest.'),
    h('div', { class: 'toolbar' }, h('label', { for: 'cutoff' }, 'Cut-off [V]', cutInput), h('button', { type: 'button', id: 'discharge-run', onclick: () => discharge() }, 'Analyse')),
    dischargeNote, bars,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'discharge-table', 'aria-labelledby': 'discharge-title' },
      h('thead', null, h('tr', null, ['Rank', 'Module', 'Fell below cut-off', 'Lowest [V]', 'Drop [V]'].map((t) => h('th', { scope: 'col' }, t)))),
      dischargeBody)));

  function sync() {
    const s = store.snap.strings[state.string - 1];
    const sel = moduleSel.querySelector('select');
    clear(sel).append(h('option', { value: 0, selected: state.module === 0 }, 'All modules'),
      ...stringModules(store.snap, s).map((m) => h('option', { value: m.module, selected: m.module === state.module }, `${m.label}`)));
    stringSel.querySelector('select').disabled = state.measure === 'spread';
    sel.disabled = state.measure === 'spread';
    history.replaceState(null, '', `#/trends?measure=${state.measure}&string=${state.string}&module=${state.module}&range=${state.range}`);
    const m = MEASURES[state.measure];
    chart = createChart({ label: `${m.label} [${m.unit}]`, unit: m.unit, digits: m.digits, height: 320 });
    chartHolder.replaceChildren(chart.el);
    load();
  }

  function spanMs() {
    return RANGES.find((r) => r[0] === state.range)[2];
  }

  let loading = 0;
  async function load({ keepZoom = false } = {}) {
    const ticket = ++loading;
    const m = MEASURES[state.measure];
    const toMs = Date.now() + 1000;
    const fromMs = toMs - spanMs();
    const sn = store.snap;
    let wanted;
    if (state.measure === 'spread') {
      wanted = sn.strings.map((s, i) => ({ id: `string/${s.string}`, name: s.name, entity: `string/${s.string}`, color: PALETTE[i % PALETTE.length] }));
    } else {
      const mods = stringModules(sn, sn.strings[state.string - 1]).filter((x) => !state.module || x.module === state.module);
      wanted = mods.map((x, i) => ({ id: x.label, name: x.label, entity: `string/${x.string}/module/${x.module}`, color: PALETTE[i % PALETTE.length] }));
    }
    try {
      const lists = await Promise.all(wanted.map((w) => series(w.entity, m.field, fromMs, toMs)));
      if (ticket !== loading) return;
      chart.setData(wanted.map((w, i) => ({ id: w.id, name: w.name, color: w.color, points: lists[i].map(([t, v]) => [t, v == null ? null : v * m.scale]) })), { keepZoom });
      note.textContent = source.kind === 'memory'
        ? 'The data logger is not running: showing the live values this page has seen since it opened the series.'
        : `From the data logger, ${fmtTime(fromMs)} to now.`;
    } catch (e) {
      note.textContent = `Trends not available: ${e.message}`;
    }
  }

  async function discharge() {
    const sn = store.snap;
    const s = sn.strings[state.string - 1];
    const mods = stringModules(sn, s);
    const cut = Number(cutInput.value);
    const toMs = Date.now() + 1000;
    const fromMs = toMs - spanMs();
    dischargeNote.textContent = 'Analysing…';
    let lists;
    try {
      lists = await Promise.all(mods.map((x) => series(`string/${x.string}/module/${x.module}`, 'voltageV', fromMs, toMs)));
    } catch (e) {
      dischargeNote.textContent = `Not available: ${e.message}`;
      return;
    }
    const rows = mods.map((x, i) => {
      const pts = lists[i].filter((p) => p[1] != null);
      const first = pts[0]?.[1] ?? null;
      let low = null;
      let fell = null;
      for (const [t, v] of pts) {
        if (low === null || v < low) low = v;
        if (fell === null && v < cut) fell = t;
      }
      return { m: x, first, low, fell };
    }).filter((r) => r.low !== null);
    rows.sort((a, b) => (a.fell ?? Infinity) - (b.fell ?? Infinity) || a.low - b.low);
    const crossed = rows.filter((r) => r.fell !== null).length;
    dischargeNote.textContent = rows.length
      ? `${s.name}: ${crossed} of ${rows.length} blocks fell below ${cut.toFixed(3)} V in this range${crossed ? '' : ' (ranked by lowest voltage)'}.`
      : 'No voltages recorded in this range yet.';
    clear(dischargeBody);
    rows.forEach((r, i) => {
      dischargeBody.append(h('tr', { class: i < 3 && (r.fell !== null || !crossed) ? 'st-row-warn' : '' },
        h('td', { class: 'num' }, String(i + 1)), h('td', null, h('a', { href: `#/string/${r.m.string}?m=${r.m.module}` }, r.m.label)),
        h('td', null, r.fell === null ? 'no' : fmtTime(r.fell)), h('td', { class: 'num' }, r.low.toFixed(3)),
        h('td', { class: 'num' }, r.first === null ? '—' : (r.first - r.low).toFixed(3))));
    });
    drawBars(rows, cut);
  }

  function drawBars(rows, cut) {
    clear(bars);
    if (!rows.length) return;
    const byModule = rows.slice().sort((a, b) => a.m.module - b.m.module);
    const firstThree = new Set(rows.slice(0, 3).map((r) => r.m.module));
    const width = Math.max(300, bars.clientWidth - 8 || 800);
    const height = 180;
    const m = { l: 48, r: 8, t: 10, b: 22 };
    let lo = Math.min(cut, ...byModule.map((r) => r.low));
    let hi = Math.max(...byModule.map((r) => r.first ?? r.low));
    const pad = (hi - lo) * 0.1 || 0.1;
    lo -= pad;
    hi += pad;
    const Y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (height - m.t - m.b);
    const bw = (width - m.l - m.r) / byModule.length;
    const root = svg('svg', { class: 'bars', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Lowest voltage per block; the first three to fall are outlined` });
    byModule.forEach((r, i) => {
      const x = m.l + i * bw;
      const first = firstThree.has(r.m.module);
      root.append(svg('rect', { x: x + 1, y: Y(r.low), width: Math.max(1, bw - 2), height: Math.max(1, Y(lo) - Y(r.low)), fill: first ? '#c62828' : '#1f4e79', class: first ? 'first' : '' },
        svg('title', null, `${r.m.label}: lowest ${r.low.toFixed(3)} V`)));
      if (bw > 14 || i % Math.ceil(14 / bw) === 0) root.append(svg('text', { x: x + bw / 2, y: height - 6, 'text-anchor': 'middle' }, String(r.m.module)));
    });
    root.append(svg('line', { class: 'cursor', x1: m.l, x2: width - m.r, y1: Y(cut), y2: Y(cut) }),
      svg('text', { x: 4, y: Y(cut) + 4 }, `${cut.toFixed(3)} V`));
    bars.append(root);
  }

  // Follows the live values: the in-memory series grow with every batch; the logger is asked again.
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (!autoBox.checked || document.visibilityState !== 'visible') return;
    if (source.kind === 'memory' || ticks % 8 === 0) load({ keepZoom: true });
  }, 2000);

  sync();
  return { title, unmount: () => clearInterval(timer) };
}
