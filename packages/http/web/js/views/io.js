// Sensors, digital inputs and relay outputs; operators switch relays (the battery breaker
// relay asks first).
import { h, clear } from '../dom.js';
import { alarmIndex, fmtMeasurement, fmtTime, STATUS_GLYPH, STATUS_TEXT, thresholdLevel } from '../status.js';

export const title = 'Sensors & I/O';

const SEV_LEVEL = { warning: 'warn', alarm: 'alarm', critical: 'alarm' };
const UNIT_TEXT = { degC: '°C' };

export function mount(el, ctx) {
  const { store } = ctx;
  const canSwitch = ctx.can('operator');
  const sensorBody = h('tbody');
  const inputBody = h('tbody');
  const relayBody = h('tbody');
  const table = (id, caption, cols, body) => h('div', { class: 'table-wrap' }, h('table', { class: 'list', id },
    h('caption', null, caption), h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))), body));
  el.append(h('h1', null, 'Sensors & I/O'),
    h('h2', null, 'Sensors'), table('sensors', 'Environment sensors', ['Sensor', 'Kind', 'Value', 'Status', 'Read at'], sensorBody),
    h('h2', null, 'Digital inputs'), table('inputs', 'Digital inputs', ['Input', 'State', 'Alarm when active'], inputBody),
    h('h2', null, 'Relay outputs'), h('p', { class: 'muted', hidden: canSwitch }, canSwitch ? 'The battery breaker relay asks before it trips.' : 'Switching relays needs the operator role.'),
    table('relays', 'Relay outputs', ['Relay', 'Function', 'State', 'Switch'], relayBody));

  async function switchRelay(r, on, button) {
    if (r.function === 'breaker' && on && !confirm(`Energize "${r.name}"? This trips the battery breaker and disconnects the battery.`)) return;
    button.disabled = true;
    try {
      await ctx.api(`/api/relays/${r.id}`, { method: 'PUT', body: { on } });
      ctx.toast(`${r.name} switched ${on ? 'on' : 'off'}.`);
    } catch (e) {
      ctx.toast(`Switching ${r.name} refused: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  function renderSensors() {
    const snap = store.snap;
    const alarms = alarmIndex(snap.alarms);
    clear(sensorBody);
    for (const s of snap.sensors) {
      const a = alarms.get(`sensor/${s.id}`);
      let level = a?.level ?? 'ok';
      const t = thresholdLevel(s.reading.value, snap.thresholds.sensors[String(s.id)]);
      if (t && level === 'ok') level = t.level;
      if (s.reading.quality !== 'fresh') level = level === 'ok' ? 'unknown' : level;
      sensorBody.append(h('tr', { class: `st-row-${level}` }, h('td', null, s.name), h('td', null, s.kind),
        h('td', { class: 'num' }, `${fmtMeasurement(s.reading, 1)} ${UNIT_TEXT[s.unit] ?? s.unit}`),
        h('td', { class: `st-text-${level}` }, `${STATUS_GLYPH[level]} ${STATUS_TEXT[level]}${a ? `: ${a.messages.join(', ')}` : ''}`),
        h('td', null, fmtTime(s.reading.atMs))));
    }
  }

  function renderInputs() {
    const snap = store.snap;
    clear(inputBody);
    for (const i of snap.inputs) {
      const level = i.active && i.alarmSeverity ? SEV_LEVEL[i.alarmSeverity] : i.quality !== 'fresh' ? 'unknown' : 'ok';
      inputBody.append(h('tr', { class: `st-row-${level}` }, h('td', null, i.name),
        h('td', { class: `st-text-${level}` }, `${i.active ? '● active' : '○ inactive'}${i.quality !== 'fresh' ? ` (${i.quality})` : ''}`),
        h('td', null, i.alarmSeverity ?? 'information only')));
    }
  }

  // Rebuilt only when a relay changes, so a focused switch keeps its focus between updates.
  function renderRelays() {
    const snap = store.snap;
    const focused = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.relay;
    clear(relayBody);
    for (const r of snap.relays) {
      const button = h('button', { type: 'button', 'data-relay': r.id, disabled: !canSwitch, 'aria-label': `Switch ${r.name} ${r.on ? 'off' : 'on'}` }, r.on ? 'Switch off' : 'Switch on');
      button.addEventListener('click', () => switchRelay(r, !r.on, button));
      relayBody.append(h('tr', { 'data-relay': r.id }, h('td', null, r.name), h('td', null, r.function),
        h('td', { class: 'on-off' }, r.on ? '● ON (energized)' : '○ off'), h('td', null, button)));
      if (focused === String(r.id)) button.focus();
    }
  }

  function update(d) {
    if (d.full || d.sensors || d.alarms || d.thresholds) renderSensors();
    if (d.full || d.inputs) renderInputs();
    if (d.full || d.relays) renderRelays();
  }
  update({ full: true });
  return { title, update };
}
