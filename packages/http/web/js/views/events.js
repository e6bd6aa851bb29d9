// The event log (alarms, scheduler runs, actions, gateway events), the audit log (who did what,
// when, from where) and the record of alarm actions, newest first, with paging.
import { h, clear } from '../dom.js';
import { fmtTime } from '../status.js';
import { entityLabel } from './alarms.js';

export const title = 'Events';

const TABS = {
  events: {
    label: 'Events', path: '/api/events', cols: ['Time', 'Category', 'Change', 'Severity', 'Where', 'Message'],
    filter: { name: 'category', label: 'Category', options: ['', 'alarm', 'schedule', 'action', 'gateway'] },
    row: (e, snap) => [fmtTime(e.atMs), e.category, e.action, e.severity, e.entity ? entityLabel(snap, e.entity) : '—', e.message],
  },
  audit: {
    label: 'Audit log', path: '/api/audit', cols: ['Time', 'Kind', 'What', 'Outcome', 'Who', 'From', 'Detail'],
    filter: { name: 'kind', label: 'Kind', options: ['', 'command', 'config', 'auth', 'schedule'] },
    row: (e) => [fmtTime(e.atMs), e.kind, e.action, e.outcome, e.principal ?? '—', [e.protocol, e.remote].filter(Boolean).join(' ') || '—',
      [e.detail ? JSON.stringify(e.detail) : '', e.error ?? ''].filter(Boolean).join(' · ')],
  },
  actions: {
    label: 'Alarm actions', path: '/api/actions', cols: ['Started', 'Rule', 'Action', 'Target', 'Trigger', 'Alarm', 'Outcome', 'Detail'],
    row: (e) => [fmtTime(e.startedAtMs), e.rule, `${e.type} ${e.destination}`, e.target, e.repeat ? `${e.trigger} #${e.repeat}` : e.trigger,
      e.alarm?.message ?? '—', e.outcome === 'ok' ? '✓ ok' : '✖ failed', `${e.detail}${e.attempts > 1 ? ` (${e.attempts} attempts)` : ''}`],
  },
};

export function mount(el, ctx, route) {
  const { store } = ctx;
  let tab = TABS[route.query.get('tab')] ? route.query.get('tab') : 'events';
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Logs', class: 'tabs' });
  const panel = h('div', { role: 'tabpanel', id: 'log-panel', tabindex: '0' });
  el.append(h('h1', null, 'Events and audit log'), tablist, panel);

  const buttons = Object.entries(TABS).map(([key, t]) => {
    const b = h('button', { type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': 'log-panel', onclick: () => select(key) }, t.label);
    b.addEventListener('keydown', (e) => {
      const keys = Object.keys(TABS);
      const i = keys.indexOf(key);
      const next = e.key === 'ArrowRight' ? keys[(i + 1) % keys.length] : e.key === 'ArrowLeft' ? keys[(i + keys.length - 1) % keys.length] : null;
      if (next) {
        e.preventDefault();
        select(next);
        document.getElementById(`tab-${next}`).focus();
      }
    });
    tablist.append(b);
    return [key, b];
  });

  function select(key) {
    tab = key;
    history.replaceState(null, '', `#/events?tab=${key}`);
    for (const [k, b] of buttons) {
      b.setAttribute('aria-selected', String(k === key));
      b.tabIndex = k === key ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${key}`);
    renderTab();
  }

  function renderTab() {
    const t = TABS[tab];
    clear(panel);
    const body = h('tbody');
    const note = h('p', { class: 'muted' });
    const more = h('button', { type: 'button', hidden: true }, 'Older entries');
    let filterSel = null;
    let oldest = null;
    const controls = h('div', { class: 'toolbar' });
    if (t.filter) {
      filterSel = h('select', { id: 'log-filter', onchange: () => load(true) }, t.filter.options.map((o) => h('option', { value: o }, o || 'all')));
      controls.append(h('label', { for: 'log-filter' }, t.filter.label, filterSel));
    }
    controls.append(h('button', { type: 'button', onclick: () => load(true) }, 'Refresh'));
    panel.append(controls, note, h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: `log-${tab}` },
      h('thead', null, h('tr', null, t.cols.map((c) => h('th', { scope: 'col' }, c)))), body)), more);

    async function load(reset) {
      const query = { limit: 100 };
      if (filterSel?.value) query[t.filter.name] = filterSel.value;
      if (tab !== 'actions') {
        query.order = 'desc';
        if (!reset && oldest) query.beforeId = oldest;
      }
      try {
        const list = await ctx.api(t.path, { query });
        if (reset) clear(body);
        // The action record lists oldest first: show it newest first like the others.
        const rows = tab === 'actions' ? list.slice().reverse() : list;
        for (const e of rows) body.append(h('tr', null, t.row(e, store.snap).map((v) => h('td', null, String(v ?? '')))));
        if (reset && !list.length) body.append(h('tr', null, h('td', { colspan: t.cols.length, class: 'muted' }, 'Nothing recorded yet.')));
        if (list.length) oldest = list[list.length - 1].id;
        // The action record keeps the newest entries only: it has no older pages.
        more.hidden = tab === 'actions' || list.length < query.limit;
        note.textContent = '';
      } catch (e) {
        note.textContent = e.code === 'no-logger' || e.code === 'no-actions' ? `${e.message}.` : `Not available: ${e.message}`;
      }
    }
    more.addEventListener('click', () => load(false));
    load(true);
  }

  select(tab);
  return { title };
}
