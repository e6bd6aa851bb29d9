// Series over time for the trends: from the gateway's data logger (/api/history), continued (or,
// when no logger runs, replaced) by the live values this page has seen since it opened a series.
import { api } from './api.js';
import { store } from './store.js';

const CAP = 3600;
const recorded = new Map();
let listening = false;

function key(entity, field) {
  return `${entity}\u0000${field}`;
}

/** Records this series from now on (and its current value) in memory, at most CAP points. */
function record(entity, field) {
  const k = key(entity, field);
  if (recorded.has(k)) return recorded.get(k);
  const points = [];
  const cur = currentValue(entity, field);
  if (cur) points.push(cur);
  recorded.set(k, points);
  if (!listening) {
    listening = true;
    store.onValues((batch) => {
      for (const c of batch.changes) {
        const list = recorded.get(key(c.id, c.field));
        if (!list) continue;
        list.push([c.atMs, c.quality === 'fresh' ? c.value : null]);
        if (list.length > CAP) list.splice(0, list.length - CAP);
      }
    });
  }
  return points;
}

function currentValue(entity, field) {
  const ent = store.entities.get(entity);
  if (!ent) return null;
  let v = ent.target;
  for (const p of field.split('.')) v = v?.[p];
  if (v && typeof v === 'object' && 'value' in v) return v.atMs ? [v.atMs, v.value] : null;
  return typeof v === 'number' ? [store.lastUpdateMs, v] : null;
}

/** 'logger' | 'memory': where the last answer came from. */
export const source = { kind: 'logger' };

/**
 * Points [[atMs, value], ...] of one series in [fromMs, toMs): what the data logger stored (means
 * of minute or hour aggregates at coarser resolutions), then the live values this page has seen
 * since the logger's last point, so a series the logger has not written yet still shows.
 */
export async function series(entity, field, fromMs, toMs) {
  const live = record(entity, field);
  let points = [];
  if (source.kind === 'logger') {
    try {
      const r = await api('/api/history', { query: { entity, field, from: Math.round(fromMs), to: Math.round(toMs), limit: 5000 } });
      points = r.points.map((p) => [p.atMs, p.value]);
    } catch (e) {
      if (e.code !== 'no-logger') throw e;
      source.kind = 'memory';
    }
  }
  const lastStored = points.length ? points[points.length - 1][0] : -Infinity;
  points = points.concat(live.filter(([t]) => t > lastStored && t >= fromMs && t < toMs));
  // The live stream sends changes only: a value holds until the next one, so draw it up to now.
  const last = points[points.length - 1];
  const now = Math.min(toMs - 1, Date.now());
  if (last && last[1] !== null && last[0] < now) points.push([now, last[1]]);
  return points;
}
