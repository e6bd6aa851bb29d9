// Alarms: the active ones (live, with acknowledge for operators) and the history of raises,
// clears and acknowledgements.
import { h, clear } from '../dom.js';
import { entityIdOf, fmtTime, STATUS_GLYPH } from '../status.js';

export const title = 'Alarms';
const SEV_LEVEL = { warning: 'warn', alarm: 'alarm', critical: 'alarm', info: 'ok' };

export function entityLabel(snap, id) {
  if (!id) return 'site';
  const m = /^string\/(\d+)\/module\/(\d+)$/.exec(id);
  if (m) return `String ${m[1]}, module ${m[2]}`;
  const s = /^string\/(\d+)$/.exec(id);
  if (s) return snap.strings[Number(s[1]) - 1]?.name ?? `String ${s[1]}`;
  const x = /^(sensor|input|relay)\/(\d+)$/.exec(id);
  if (x) {
    const list = snap[`${x[1]}s`];
    return list?.[Number(x[2]) - 1]?.name ?? id;
  }
  return id === 'ups' ? 'UPS' : id;
}

function entityLink(snap, id) {
  const m = /^string\/(\d+)(?:\/module\/(\d+))?$/.exec(id ?? '');
  if (m) return h('a', { href: `#/string/${m[1]}${m[2] ? `?m=${m[2]}` : ''}` }, entityLabel(snap, id));
  if (id === 'ups') return h('a', { href: '#/ups' }, 'UPS');
  if (/^(sensor|input|relay)\//.test(id ?? '')) return h('a', { href: '#/io' }, entityLabel(snap, id));
  return entityLabel(snap, id);
}

function severityCell(sev) {
  const level = SEV_LEVEL[sev] ?? 'warn';
  return h('td', { class: `sev st-text-${level}` }, h('span', { class: `chip st-${level}`, 'aria-hidden': 'true' }, level === 'ok' ? 'i' : STATUS_GLYPH[level]), ' ', sev);
}

export function mount(el, ctx) {
  const { store } = ctx;
  const canAck = ctx.can('operator');
  const activeBody = h('tbody');
  const empty = h('p', { class: 'muted', id: 'no-alarms' }, 'No active alarms.');
  const historyBody = h('tbody');
  const historyNote = h('p', { class: 'muted' });

  const activeTable = h('table', { class: 'list', id: 'active-alarms' },
    h('caption', null, 'Active alarms, newest first'),
    h('thead', null, h('tr', null, ['Severity', 'Raised', 'Where', 'Alarm', 'Value / limit', 'Acknowledged'].map((t) => h('th', { scope: 'col' }, t)))),
    activeBody);

  const refresh = h('button', { type: 'button', onclick: () => loadHistory() }, 'Refresh history');
  el.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Alarms'),
      canAck ? h('button', { type: 'button', id: 'ack-all', onclick: () => ackAll() }, 'Acknowledge all') : h('p', { class: 'muted' }, 'Acknowledging needs the operator role.')),
    h('div', { class: 'table-wrap' }, activeTable), empty,
    h('h2', null, 'History'), h('div', { class: 'toolbar' }, refresh), historyNote,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'alarm-history' },
      h('caption', null, 'Alarm changes, newest first'),
      h('thead', null, h('tr', null, ['Time', 'Change', 'Severity', 'Where', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
      historyBody)));

  async function ack(id, button) {
    button.disabled = true;
    try {
      await ctx.api(`/api/alarms/${id}/acknowledge`, { method: 'POST' });
      ctx.toast(`Alarm ${id} acknowledged.`);
    } catch (e) {
      ctx.toast(`Acknowledge failed: ${e.message}`, 'error');
      button.disabled = false;
    }
  }

  async function ackAll() {
    for (const a of store.snap.alarms.filter((x) => !x.acknowledged)) {
      try {
        await ctx.api(`/api/alarms/${a.id}/acknowledge`, { method: 'POST' });
      } catch (e) {
        ctx.toast(`Acknowledge ${a.id} failed: ${e.message}`, 'error');
        return;
      }
    }
  }

  function renderActive() {
    const snap = store.snap;
    const list = snap.alarms.slice().sort((a, b) => b.raisedAtMs - a.raisedAtMs || b.id - a.id);
    empty.hidden = list.length > 0;
    activeTable.hidden = list.length === 0;
    clear(activeBody);
    for (const a of list) {
      const id = entityIdOf(a.entity);
      const ackCell = a.acknowledged
        ? h('td', { class: 'acked' }, `✓ by ${a.acknowledged.by} at ${fmtTime(a.acknowledged.atMs)}`)
        : h('td', null, canAck ? h('button', { type: 'button', class: 'ack', 'aria-label': `Acknowledge: ${a.message}`, onclick: (e) => ack(a.id, e.currentTarget) }, 'Acknowledge') : 'not yet');
      activeBody.append(h('tr', { 'data-alarm': a.id, 'data-entity': id, 'data-kind': a.kind, class: `st-row-${SEV_LEVEL[a.severity]}` },
        severityCell(a.severity), h('td', null, fmtTime(a.raisedAtMs)), h('td', null, entityLink(snap, id)), h('td', null, a.message),
        h('td', { class: 'num' }, a.value == null ? '—' : `${+a.value.toFixed(4)}${a.limit == null ? '' : ` / ${+a.limit.toFixed(4)}`}`), ackCell));
    }
  }

  async function loadHistory() {
    try {
      const r = await ctx.api('/api/alarms/history', { query: { limit: 200 } });
      historyNote.textContent = r.source === 'memory' ? 'From the gateway\'s memory since it started (the data logger is not running).' : 'From the data logger.';
      clear(historyBody);
      for (const e of r.entries) {
        historyBody.append(h('tr', null, h('td', null, fmtTime(e.atMs)), h('td', null, e.action), severityCell(e.severity),
          h('td', null, entityLink(store.snap, e.entity)), h('td', null, e.message)));
      }
      if (!r.entries.length) historyBody.append(h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No alarm changes yet.')));
    } catch (e) {
      historyNote.textContent = `History not available: ${e.message}`;
    }
  }

  let timer = 0;
  function update(d) {
    if (d.full || d.alarms) {
      renderActive();
      // The history follows the active list, a moment later so the logger has written it.
      clearTimeout(timer);
      timer = setTimeout(loadHistory, 500);
    }
  }

  renderActive();
  loadHistory();
  return { title, update, unmount: () => clearTimeout(timer) };
}
