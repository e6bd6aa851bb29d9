// What the logger samples from a snapshot, per measurement kind: the measurement's own read time
// (a value not read again since the last sample is not logged twice), SI fields as in the model.
import { entityId, type Measurement, type Quality, type SiteSnapshot } from '@kirchhoff/core';
import type { SampleRow } from './db';
import type { MeasurementKind } from './types';

const MODULE_FIELDS = ['voltageV', 'temperatureC', 'resistanceOhm', 'socPercent'] as const;
const STRING_FIELDS = ['sumVoltageV', 'targetVoltageV', 'spreadV', 'dcCurrentA', 'rippleCurrentA', 'groundFaultCurrentA', 'socPercent', 'autonomyMin', 'powerW'] as const;
const UPS_BATTERY = ['voltageV', 'currentA', 'temperatureC', 'estimatedChargeRemainingPercent', 'estimatedMinutesRemaining', 'secondsOnBattery'] as const;
const UPS_INPUT = ['voltageV', 'frequencyHz', 'currentA', 'truePowerW'] as const;
const UPS_OUTPUT = ['voltageV', 'currentA', 'powerW', 'percentLoad'] as const;

const QUALITY_CODE: Record<Quality, number> = { fresh: 0, stale: 1, failed: 2 };
export const qualityCode = (q: Quality): number => QUALITY_CODE[q];

/** Last logged time per series, so unchanged readings are skipped. */
export type LastLogged = Map<string, number>;

function measurement(rows: SampleRow[], last: LastLogged, entity: string, field: string, m: Measurement, nowMs: number): void {
  if (m.atMs === 0 && m.value === null) return;
  // A stale or failed reading keeps its old time: log that state once per sample, at the sample time.
  const at = m.quality === 'fresh' ? m.atMs : nowMs;
  const key = `${entity}\u0000${field}`;
  if ((last.get(key) ?? -1) >= at) return;
  last.set(key, at);
  rows.push([entity, field, at, m.quality === 'fresh' ? m.value : null, qualityCode(m.quality)]);
}

function plain(rows: SampleRow[], last: LastLogged, entity: string, field: string, value: number, atMs: number, quality: number): void {
  const key = `${entity}\u0000${field}`;
  if ((last.get(key) ?? -1) >= atMs) return;
  last.set(key, atMs);
  rows.push([entity, field, atMs, quality === 0 ? value : null, quality]);
}

export function sampleKind(snap: SiteSnapshot, kind: MeasurementKind, last: LastLogged, nowMs: number): SampleRow[] {
  const rows: SampleRow[] = [];
  switch (kind) {
    case 'modules':
      for (const m of snap.modules) {
        const id = entityId({ kind: 'module', string: m.string, module: m.module, global: m.global });
        for (const f of MODULE_FIELDS) measurement(rows, last, id, f, m[f], nowMs);
        if (m.voltageV.quality === 'fresh') plain(rows, last, id, 'balancingActivityPercent', m.balancingActivityPercent, nowMs, 0);
      }
      break;
    case 'strings':
      for (const s of snap.strings) {
        const id = entityId({ kind: 'string', string: s.string });
        for (const f of STRING_FIELDS) measurement(rows, last, id, f, s[f], nowMs);
      }
      break;
    case 'ups': {
      const u = snap.ups;
      if (!u || u.atMs === 0) break;
      const q = qualityCode(u.quality);
      const at = u.quality === 'fresh' ? u.atMs : nowMs;
      for (const f of UPS_BATTERY) plain(rows, last, 'ups', `battery.${f}`, u.battery[f], at, q);
      u.input.lines.forEach((l, i) => { for (const f of UPS_INPUT) plain(rows, last, 'ups', `input.lines.${i}.${f}`, l[f], at, q); });
      u.output.lines.forEach((l, i) => { for (const f of UPS_OUTPUT) plain(rows, last, 'ups', `output.lines.${i}.${f}`, l[f], at, q); });
      plain(rows, last, 'ups', 'output.frequencyHz', u.output.frequencyHz, at, q);
      break;
    }
    case 'sensors':
      for (const s of snap.sensors) measurement(rows, last, entityId({ kind: 'sensor', id: s.id }), 'reading', s.reading, nowMs);
      break;
  }
  return rows;
}
