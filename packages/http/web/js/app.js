// The application: login, the hash router (#/overview, #/string/2, #/health, #/alarms, ...), the header
// (site name, live state, alarm count, user) and the security notices on every page.
import { api, session } from './api.js';
import { store } from './store.js';
import { h, clear, setText, toast } from './dom.js';
import * as login from './views/login.js';
import * as overview from './views/overview.js';
import * as stringView from './views/string.js';
import * as alarms from './views/alarms.js';
import * as events from './views/events.js';
import * as trends from './views/trends.js';
import * as ups from './views/ups.js';
import * as io from './views/io.js';
import * as settings from './views/settings.js';
import * as health from './views/health.js';

const VIEWS = { overview, string: stringView, health, alarms, events, trends, ups, io, settings };
const RANK = { viewer: 1, operator: 2, admin: 3 };

const ctx = {
  user: null,
  notices: [],
  store,
  api,
  toast,
  /** True when the logged-in user has at least this role. */
  can(role) {
    return !!ctx.user && RANK[ctx.user.role] >= RANK[role];
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

let current = null;
let unsubscribe = null;
const main = document.getElementById('main');

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '') || 'overview';
  const [path, q = ''] = raw.split('?');
  const [name, ...params] = path.split('/');
  return { name, params, query: new URLSearchParams(q) };
}

async function route() {
  const r = parseHash();
  if (!ctx.user) return showLogin();
  const view = VIEWS[r.name] ?? overview;
  const focus = current !== null;
  unmount();
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href').slice(2).split('/')[0];
    if (target === (VIEWS[r.name] ? r.name : 'overview')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main).append(h('p', { class: 'muted' }, 'Loading the site…'));
  const snap = await store.firstSnapshot;
  const routeNow = parseHash();
  if (routeNow.name !== r.name || routeNow.params.join('/') !== r.params.join('/') || routeNow.query.toString() !== r.query.toString()) return;
  clear(main);
  const instance = view.mount(main, ctx, r);
  current = instance;
  document.title = `${instance.title ?? view.title} · ${snap.info.name} · Kirchhoff`;
  if (instance.update) unsubscribe = store.subscribe((d) => instance.update(d));
  if (focus) main.focus({ preventScroll: false });
}

function unmount() {
  unsubscribe?.();
  unsubscribe = null;
  current?.unmount?.();
  current = null;
}

function showLogin(message) {
  unmount();
  store.disconnect();
  ctx.user = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('alarm-badge').hidden = true;
  setText(document.getElementById('user'), '');
  renderNotices();
  clear(main);
  current = login.mount(main, ctx, { message, onLoggedIn: start });
  document.title = 'Log in · Kirchhoff';
}

function start(me) {
  ctx.user = { name: me.name, role: me.role };
  ctx.notices = me.notices ?? [];
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  setText(document.getElementById('user'), `${me.name} (${me.role})`);
  renderNotices();
  store.connect(() => showLogin('Your session has ended: log in again.'));
  route();
}

function renderNotices() {
  const box = clear(document.getElementById('notices'));
  const list = ctx.user ? ctx.notices.filter((n) => n.severity === 'critical') : [];
  box.hidden = !list.length;
  if (!list.length) return;
  // On a phone only the headline of the first notice shows; Settings lists them all in full.
  const [head, ...rest] = list[0].message.split(': ');
  box.append(h('p', null, h('strong', null, `⚠ Security: ${list.length} critical notice${list.length === 1 ? '' : 's'}. `),
    rest.length ? [h('strong', null, `${head}:`), h('span', { class: 'hide-narrow' }, ` ${rest.join(': ')}`)] : list[0].message, ' ',
    h('a', { href: '#/settings' }, 'All notices in Settings')));
}

function renderHeader(d) {
  const snap = store.snap;
  if (!snap) return;
  if (d.full) setText(document.getElementById('site-name'), snap.info.name);
  if (d.full || d.alarms) {
    const badge = document.getElementById('alarm-badge');
    const active = snap.alarms.length;
    const open = snap.alarms.filter((a) => !a.acknowledged).length;
    const worst = snap.alarms.some((a) => a.severity !== 'warning') ? 'alarm' : 'warn';
    badge.hidden = !active;
    badge.className = `badge st-${worst}`;
    setText(badge, `${worst === 'alarm' ? '✖' : '▲'} ${active} alarm${active === 1 ? '' : 's'}${open ? ` (${open} new)` : ''}`);
  }
}

const LIVE_TEXT = { live: '● live', connecting: 'connecting…', reconnecting: 'reconnecting…', offline: 'offline' };
store.onState((s) => {
  const el = document.getElementById('live-state');
  setText(el, LIVE_TEXT[s] ?? s);
  el.className = `live state-${s}`;
});
store.subscribe(renderHeader);
store.onCommand((c) => {
  if (c.outcome !== 'ok' && c.origin?.principal === ctx.user?.name && c.origin?.protocol === 'http') toast(`${c.type} ${c.outcome}: ${c.error?.message ?? ''}`, 'error');
});

session.onExpired = () => { if (ctx.user) showLogin('Your session has ended: log in again.'); };

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('/api/logout', { method: 'POST' });
  } catch {
    // Logged out either way.
  }
  showLogin('Logged out.');
});

window.addEventListener('hashchange', () => route());

// Tests and the benchmark read the store and time renders through this.
Object.assign(window, { kirchhoff: { store, ctx } });

(async () => {
  try {
    start(await api('/api/me'));
  } catch (e) {
    showLogin(e.status === 401 ? undefined : `The gateway did not answer: ${e.message}`);
  }
})();
