// The site as the pages see it: the snapshot from the live stream (GET /api/live), kept current by
// its batched value changes, alarm and threshold events. Views are told once per animation frame
// what changed, so a second of updates for 512 modules costs one render.

const EMPTY_DIRTY = () => ({ full: false, modules: new Set(), strings: new Set(), ups: false, sensors: false, inputs: false, relays: false, alarms: false, thresholds: false, site: false });

export class Store {
  constructor() {
    this.snap = null;
    this.version = 0;
    this.lastUpdateMs = 0;
    this.state = 'offline';
    this.dirty = EMPTY_DIRTY();
    this.listeners = new Set();
    this.valueListeners = new Set();
    this.stateListeners = new Set();
    this.commandListeners = new Set();
    this.entities = new Map();
    this.frame = 0;
    this.source = null;
    this.firstSnapshot = new Promise((resolve) => { this.resolveFirst = resolve; });
  }

  /** Calls fn(dirty) after changes, at most once per frame; returns the unsubscribe. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onValues(fn) {
    this.valueListeners.add(fn);
    return () => this.valueListeners.delete(fn);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  onCommand(fn) {
    this.commandListeners.add(fn);
    return () => this.commandListeners.delete(fn);
  }

  setState(state) {
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  connect(onUnauthorized) {
    this.disconnect();
    const es = new EventSource('/api/live');
    this.source = es;
    this.setState('connecting');
    es.addEventListener('open', () => this.setState('live'));
    es.addEventListener('snapshot', (e) => this.setSnapshot(JSON.parse(e.data)));
    es.addEventListener('values', (e) => this.applyValues(JSON.parse(e.data)));
    es.addEventListener('alarm', (e) => this.applyAlarm(JSON.parse(e.data)));
    es.addEventListener('thresholds', (e) => this.applyThreshold(JSON.parse(e.data)));
    es.addEventListener('command', (e) => {
      const data = JSON.parse(e.data);
      for (const fn of this.commandListeners) fn(data);
    });
    es.addEventListener('error', () => {
      if (this.source !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // A refused stream (401, 503) is not retried by the browser: find out why, then retry.
        this.setState('offline');
        this.source = null;
        fetch('/api/me', { credentials: 'same-origin' }).then((r) => {
          if (r.status === 401) onUnauthorized();
          else this.retry = setTimeout(() => this.connect(onUnauthorized), 5000);
        }, () => { this.retry = setTimeout(() => this.connect(onUnauthorized), 5000); });
      } else {
        this.setState('reconnecting');
      }
    });
  }

  disconnect() {
    clearTimeout(this.retry);
    if (this.source) this.source.close();
    this.source = null;
    this.setState('offline');
  }

  setSnapshot(snap) {
    if (!this.snap) performance.mark('kirchhoff:snapshot');
    this.snap = snap;
    this.version = snap.version;
    this.lastUpdateMs = snap.atMs;
    this.entities.clear();
    const e = this.entities;
    e.set('site', { kind: 'site', target: snap });
    snap.strings.forEach((s, i) => e.set(`string/${s.string}`, { kind: 'string', n: i + 1, target: s }));
    for (const m of snap.modules) e.set(`string/${m.string}/module/${m.module}`, { kind: 'module', n: m.global, s: m.string, target: m });
    if (snap.ups) e.set('ups', { kind: 'ups', target: snap.ups });
    for (const x of snap.sensors) e.set(`sensor/${x.id}`, { kind: 'sensors', target: x });
    for (const x of snap.inputs) e.set(`input/${x.id}`, { kind: 'inputs', target: x });
    for (const x of snap.relays) e.set(`relay/${x.id}`, { kind: 'relays', target: x });
    this.dirty.full = true;
    this.schedule();
    this.resolveFirst(snap);
  }

  /** A `values` event: {version, atMs, changes: [{id, field, value, quality, atMs}]}. */
  applyValues(batch) {
    if (!this.snap) return;
    const d = this.dirty;
    for (const c of batch.changes) {
      const ent = this.entities.get(c.id);
      if (!ent) continue;
      setField(ent.target, c.field, c);
      switch (ent.kind) {
        case 'module': d.modules.add(ent.n); d.strings.add(ent.s); break;
        case 'string': d.strings.add(ent.n); break;
        case 'ups': d.ups = true; break;
        case 'site': d.site = true; break;
        default: d[ent.kind] = true;
      }
    }
    this.version = batch.version;
    this.lastUpdateMs = batch.atMs;
    for (const fn of this.valueListeners) fn(batch);
    this.schedule();
  }

  applyAlarm({ action, alarm }) {
    if (!this.snap) return;
    const list = this.snap.alarms.filter((a) => a.id !== alarm.id);
    if (action !== 'cleared') list.push(alarm);
    list.sort((a, b) => a.id - b.id);
    this.snap.alarms = list;
    this.dirty.alarms = true;
    this.schedule();
  }

  applyThreshold({ key, threshold }) {
    if (!this.snap) return;
    if (key.startsWith('sensors.')) this.snap.thresholds.sensors[key.slice(8)] = threshold;
    else this.snap.thresholds[key] = threshold;
    this.dirty.thresholds = true;
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Tells every view what changed since the last frame. */
  flush() {
    this.frame = 0;
    const d = this.dirty;
    this.dirty = EMPTY_DIRTY();
    for (const fn of this.listeners) fn(d);
  }
}

/** Writes one change: Measurements ({value, atMs, quality}) whole, plain fields by dotted path. */
function setField(target, path, c) {
  let o = target;
  const parts = path.split('.');
  for (let i = 0; i < parts.length - 1; i++) {
    o = o[parts[i]];
    if (!o || typeof o !== 'object') return;
  }
  const last = parts[parts.length - 1];
  const cur = o[last];
  if (cur && typeof cur === 'object' && 'quality' in cur) o[last] = { value: c.value, atMs: c.atMs, quality: c.quality };
  else o[last] = c.value;
}

export const store = new Store();
