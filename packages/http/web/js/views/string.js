// One string as battery people know it: No., Volt. [V], Temp. [°C], Ri [mΩ], Charge [%],
// Equalize, Status; sortable by any column; the footer with the string's sums and charge mode.
import { h, setText } from '../dom.js';
import {
  alarmIndex, CHARGE_MODE_TEXT, fmtMeasurement, meanResistance, moduleStatus, SOC_METHOD_TEXT, STATUS_GLYPH, statusWords, stringModules,
} from '../status.js';

export const title = 'String';

const COLUMNS = [
  { key: 'module', label: 'No.', num: true, value: (m) => m.module },
  { key: 'voltage', label: 'Volt. [V]', num: true, value: (m) => m.voltageV.value },
  { key: 'temperature', label: 'Temp. [°C]', num: true, value: (m) => m.temperatureC.value },
  { key: 'ri', label: 'Ri [mΩ]', num: true, value: (m) => m.resistanceOhm.value },
  { key: 'soc', label: 'Charge [%]', num: true, value: (m) => m.socPercent.value },
  { key: 'equalize', label: 'Equalize', num: true, value: (m) => (m.equalize.on ? m.equalize.dutyPercent : -1) },
  { key: 'status', label: 'Status', num: false, value: (m, st) => ({ ok: 0, unknown: 1, warn: 2, alarm: 3 })[st.level] },
];

export function mount(el, ctx, route) {
  const { store } = ctx;
  const snap = store.snap;
  const n = Math.min(Math.max(1, Number(route.params[0]) || 1), snap.strings.length);
  const s0 = snap.strings[n - 1];
  const highlight = Number(route.query.get('m')) || null;
  let sort = { key: route.query.get('sort') ?? 'module', dir: route.query.get('dir') === 'desc' ? 'desc' : 'asc' };
  let alarms = alarmIndex(snap.alarms);
  const rows = new Map();
  const statuses = new Map();

  const picker = h('select', { id: 'string-pick', onchange: (e) => ctx.navigate(`#/string/${e.target.value}`) },
    snap.strings.map((s) => h('option', { value: s.string, selected: s.string === n }, s.name)));
  const heads = COLUMNS.map((c) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => setSort(c.key) }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
    return { c, th: h('th', { scope: 'col', class: c.num ? 'num' : '' }, button), button };
  });
  const tbody = h('tbody');
  const foot = {
    sum: h('td', { class: 'num', id: 'foot-sum' }), target: h('td', { class: 'num', id: 'foot-target' }), current: h('td', { class: 'num', id: 'foot-current' }),
    power: h('td', { class: 'num', id: 'foot-power' }), mode: h('td', { id: 'foot-mode' }), soc: h('td', { class: 'num', id: 'foot-soc' }),
  };
  const footRow = (label, cell, rest) => h('tr', null, h('th', { scope: 'row', colspan: 2 }, label), cell, h('td', { colspan: 4, class: 'muted' }, rest ?? ''));
  const socNote = h('span');
  const table = h('table', { class: 'modules', id: 'module-table', 'aria-describedby': 'table-caption' },
    h('caption', { id: 'table-caption' }, `Modules of ${s0.name} (${s0.moduleType}), sortable by every column`),
    h('thead', null, h('tr', null, heads.map((x) => x.th))),
    tbody,
    h('tfoot', null,
      footRow('Sum voltage [V]', foot.sum),
      footRow('Target voltage [V]', foot.target, 'mean block voltage: balancing aims every block at it'),
      footRow('DC current [A]', foot.current, '+ charging, − discharging'),
      footRow('Power [kW]', foot.power),
      footRow('State of charge [%]', foot.soc, socNote),
      footRow('Charge mode', foot.mode)));

  for (const m of stringModules(snap, s0)) {
    const cells = COLUMNS.map((c) => h('td', { class: c.num ? 'num' : '' }));
    cells[0].replaceChildren(h('a', { href: `#/string/${n}?m=${m.module}`, 'aria-label': m.label }, String(m.module)));
    const tr = h('tr', { 'data-module': m.module, class: m.module === highlight ? 'highlight' : '' }, cells);
    rows.set(m.global, { tr, cells, last: [] });
  }

  el.append(h('div', { class: 'page-head' }, h('h1', null, s0.name), h('label', { for: 'string-pick', class: 'inline' }, 'String ', picker)),
    h('div', { class: 'table-wrap' }, table), moduleActions());

  /** Admins send a module command (identify blinks its LED; clear-fuse after a fuse change). */
  function moduleActions() {
    if (!ctx.can('admin')) return h('p', { class: 'muted' }, 'Module commands (identify, clear fuse, measure Ri) need the admin role.');
    const pick = h('select', { id: 'action-module' }, stringModules(snap, s0).map((m) => h('option', { value: m.module, selected: m.module === highlight }, m.label)));
    const send = async (action, button) => {
      button.disabled = true;
      try {
        const r = await ctx.api(`/api/strings/${n}/modules/${pick.value}/actions`, { method: 'POST', body: { action } });
        ctx.toast(r?.message ?? `${action} sent.`);
      } catch (e) {
        ctx.toast(`${action} refused: ${e.message}`, 'error');
      } finally {
        button.disabled = false;
      }
    };
    return h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Module commands' },
      h('label', { for: 'action-module' }, 'Module', pick),
      [['identify', 'Identify'], ['clear-fuse', 'Clear fuse'], ['measure-ri', 'Measure Ri']].map(([a, label]) => h('button', { type: 'button', onclick: (e) => send(a, e.currentTarget) }, label)));
  }

  function setSort(key) {
    sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
    history.replaceState(null, '', `#/string/${n}?sort=${key}&dir=${sort.dir}`);
    order();
  }

  function order() {
    const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    for (const x of heads) {
      const active = x.c.key === col.key;
      if (active) x.th.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
      else x.th.removeAttribute('aria-sort');
      x.button.lastChild.textContent = active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
    const mods = stringModules(store.snap, store.snap.strings[n - 1]);
    const sign = sort.dir === 'asc' ? 1 : -1;
    // Missing values sort last either way; ties by module number keep the order stable.
    const sorted = mods.slice().sort((a, b) => {
      const va = col.value(a, statuses.get(a.global));
      const vb = col.value(b, statuses.get(b.global));
      if (va == null || vb == null) return va == null && vb == null ? a.module - b.module : va == null ? 1 : -1;
      return (va - vb) * sign || a.module - b.module;
    });
    const want = sorted.map((m) => rows.get(m.global).tr);
    const have = [...tbody.children];
    if (want.length !== have.length || want.some((tr, i) => tr !== have[i])) tbody.replaceChildren(...want);
  }

  function renderRows() {
    const sn = store.snap;
    const s = sn.strings[n - 1];
    const mods = stringModules(sn, s);
    const meanOhm = meanResistance(mods);
    const methods = new Set();
    for (const m of mods) {
      const st = moduleStatus(m, sn.thresholds, alarms, meanOhm);
      statuses.set(m.global, st);
      methods.add(m.socMethod);
      const r = rows.get(m.global);
      const text = [
        null,
        fmtMeasurement(m.voltageV, 3),
        fmtMeasurement(m.temperatureC, 1),
        fmtMeasurement(m.resistanceOhm, 2, 1000),
        fmtMeasurement(m.socPercent, 0),
        m.equalize.on ? `on ${m.equalize.dutyPercent} %` : 'off',
        `${STATUS_GLYPH[st.level]} ${statusWords(st)}`,
      ];
      for (let i = 1; i < text.length; i++) {
        if (r.last[i] !== text[i]) {
          r.cells[i].textContent = text[i];
          r.last[i] = text[i];
        }
      }
      const cls = `st-row-${st.level}${m.module === highlight ? ' highlight' : ''}`;
      if (r.tr.className !== cls) r.tr.className = cls;
      r.cells[6].className = `status st-text-${st.level}`;
      const socTitle = `SoC method: ${m.socMethod} (${SOC_METHOD_TEXT[m.socMethod] ?? m.socMethod})`;
      if (r.cells[4].title !== socTitle) {
        r.cells[4].title = socTitle;
        r.cells[4].className = 'num hint';
      }
      const q = m.voltageV.quality;
      r.cells[1].classList.toggle('stale', q !== 'fresh');
    }
    setText(foot.sum, fmtMeasurement(s.sumVoltageV, 2));
    setText(foot.target, fmtMeasurement(s.targetVoltageV, 3));
    setText(foot.current, fmtMeasurement(s.dcCurrentA, 2));
    setText(foot.power, s.powerW.value == null ? '—' : (s.powerW.value / 1000).toFixed(2));
    setText(foot.soc, fmtMeasurement(s.socPercent, 0));
    foot.soc.title = `SoC method: ${[...methods].join(', ')}`;
    setText(socNote, `method: ${[...methods].map((x) => `${x} (${SOC_METHOD_TEXT[x] ?? x})`).join('; ')}`);
    setText(foot.mode, CHARGE_MODE_TEXT[s.chargeMode] ?? s.chargeMode);
  }

  function update(d) {
    if (d.full || d.alarms) alarms = alarmIndex(store.snap.alarms);
    if (d.full || d.alarms || d.thresholds || d.strings.has(n)) {
      renderRows();
      if (sort.key !== 'module' || d.full) order();
    }
  }

  renderRows();
  order();
  if (highlight) rows.get(s0.firstGlobal + highlight - 1)?.tr.scrollIntoView({ block: 'center' });
  return { title: s0.name, update };
}
