// The site overview: every string (up to 16) with its summary and every module (up to 512) as a
// tile coloured and marked by its status, on one screen; tiles link to the string table.
import { h, setText } from '../dom.js';
import {
  alarmIndex, CHARGE_MODE_TEXT, fmt, fmtMeasurement, meanResistance, moduleStatus, STATUS_GLYPH, STATUS_TEXT, statusWords, stringModules, worse,
} from '../status.js';

export const title = 'Site overview';

export function mount(el, ctx) {
  const { store } = ctx;
  let tiles = [];
  let cards = [];
  let alarms = new Map();
  let siteLine = null;
  let first = true;

  const legend = h('ul', { class: 'legend', 'aria-label': 'Status legend' },
    ['ok', 'warn', 'alarm', 'unknown'].map((l) => h('li', null, h('span', { class: `tile mini st-${l}`, 'aria-hidden': 'true' }, h('span', { class: 'glyph' }, STATUS_GLYPH[l])), ' ', STATUS_TEXT[l])));
  const grid = h('div', { class: 'strings' });
  siteLine = h('p', { class: 'site-line', id: 'site-line' });
  el.append(h('div', { class: 'page-head' }, h('h1', null, 'Site overview'), legend), siteLine, grid);

  function build() {
    const snap = store.snap;
    grid.replaceChildren();
    tiles = new Array(snap.modules.length);
    cards = snap.strings.map((s) => {
      const summary = {
        status: h('span', { class: 'pill' }),
        sum: h('span'), current: h('span'), power: h('span'), soc: h('span'), mode: h('span', { class: 'mode' }), spread: h('span'),
      };
      const list = h('ol', { class: 'tiles', 'aria-label': `Modules of ${s.name}` });
      for (const m of stringModules(snap, s)) {
        const glyph = h('span', { class: 'glyph', 'aria-hidden': 'true' });
        const a = h('a', { class: 'tile', href: `#/string/${s.string}?m=${m.module}` }, h('span', { class: 'num' }, String(m.module)), glyph);
        tiles[m.global - 1] = { a, glyph, level: '', label: '' };
        list.append(h('li', null, a));
      }
      // Short symbols keep a string to two lines, so 16 strings fit one screen; abbr spells them out.
      const item = (sym, words, value) => h('div', null, h('dt', null, h('abbr', { title: words }, sym)), h('dd', null, value));
      const card = h('section', { class: 'string-card', 'aria-labelledby': `string-${s.string}-title`, 'data-string': s.string },
        h('div', { class: 'string-head' },
          h('h2', { id: `string-${s.string}-title` }, h('a', { href: `#/string/${s.string}` }, s.name)), summary.mode, summary.status),
        h('dl', { class: 'summary' },
          item('U', 'Sum voltage', summary.sum), item('I', 'DC current', summary.current), item('P', 'Power', summary.power),
          item('SoC', 'State of charge', summary.soc), item('ΔU', 'Spread: largest deviation from the target voltage', summary.spread)),
        list);
      grid.append(card);
      return { s, summary, card };
    });
  }

  function renderModule(m, thresholds, meanOhm) {
    const st = moduleStatus(m, thresholds, alarms, meanOhm);
    const t = tiles[m.global - 1];
    if (t.level !== st.level) {
      t.a.className = `tile st-${st.level}`;
      t.glyph.textContent = st.level === 'ok' ? '' : STATUS_GLYPH[st.level];
      t.level = st.level;
    }
    const label = `${m.label}: ${fmtMeasurement(m.voltageV, 3)} V, ${fmtMeasurement(m.temperatureC, 1)} °C, Ri ${fmtMeasurement(m.resistanceOhm, 2, 1000)} mΩ, SoC ${fmtMeasurement(m.socPercent, 0)} %. ${statusWords(st)}`;
    if (t.label !== label) {
      t.a.setAttribute('aria-label', label);
      t.a.title = label;
      t.label = label;
    }
    return st.level;
  }

  function renderString(card) {
    const snap = store.snap;
    const s = snap.strings[card.s.string - 1];
    const mods = stringModules(snap, s);
    const meanOhm = meanResistance(mods);
    const counts = { ok: 0, unknown: 0, warn: 0, alarm: 0 };
    for (const m of mods) counts[renderModule(m, snap.thresholds, meanOhm)]++;
    let level = alarms.get(`string/${s.string}`)?.level ?? 'ok';
    for (const l of ['unknown', 'warn', 'alarm']) if (counts[l]) level = worse(level, l);
    const parts = [];
    if (counts.alarm) parts.push(`${counts.alarm} alarm`);
    if (counts.warn) parts.push(`${counts.warn} warning`);
    if (counts.unknown) parts.push(`${counts.unknown} no data`);
    const stringAlarm = alarms.get(`string/${s.string}`);
    if (stringAlarm) parts.push(...stringAlarm.messages);
    const pill = card.summary.status;
    pill.className = `pill st-${level}`;
    setText(pill, `${STATUS_GLYPH[level]} ${parts.length ? parts.join(', ') : `all ${mods.length} OK`}`);
    const u = card.summary;
    setText(u.sum, `${fmtMeasurement(s.sumVoltageV, 2)} V`);
    setText(u.current, `${fmtMeasurement(s.dcCurrentA, 2)} A`);
    setText(u.power, `${s.powerW.value == null ? '—' : fmt(s.powerW.value / 1000, 2)} kW`);
    setText(u.soc, `${fmtMeasurement(s.socPercent, 0)} %`);
    setText(u.spread, `${s.spreadV.value == null ? '—' : fmt(s.spreadV.value * 1000, 0)} mV`);
    setText(u.mode, CHARGE_MODE_TEXT[s.chargeMode] ?? s.chargeMode);
    return counts;
  }

  function renderSite(totals) {
    const snap = store.snap;
    const ups = snap.ups;
    const upsText = ups ? `UPS ${ups.output.source === 'battery' ? 'ON BATTERY' : `output ${ups.output.source}`}, battery ${ups.battery.estimatedChargeRemainingPercent} %` : 'no UPS';
    setText(siteLine, `${snap.strings.length} strings, ${snap.modules.length} modules: ${totals.ok} OK, ${totals.warn} warning, ${totals.alarm} alarm, ${totals.unknown} no data · ${upsText} · balancing ${snap.balancing.enabled ? 'on' : `OFF (${snap.balancing.disabledReason ?? 'disabled'})`}`);
  }

  function update(d) {
    const snap = store.snap;
    if (!snap) return;
    if (d.full) build();
    const all = d.full || d.alarms || d.thresholds;
    if (all) alarms = alarmIndex(snap.alarms);
    if (all || d.strings.size) {
      for (const c of cards) if (all || d.strings.has(c.s.string)) c.counts = renderString(c);
    }
    if (all || d.strings.size || d.ups || d.site) {
      const totals = { ok: 0, unknown: 0, warn: 0, alarm: 0 };
      for (const c of cards) for (const k in totals) totals[k] += c.counts[k];
      renderSite(totals);
    }
    if (first) {
      first = false;
      performance.mark('kirchhoff:overview-rendered');
    }
  }

  update({ full: true, modules: new Set(), strings: new Set() });
  return { title, update };
}
