// The service report's content (issue 15 point 6): what a data logger file holds about a period,
// gathered into one plain object (site summary, alarms and events, capacity tests, health rankings,
// the series the plots draw). No I/O beyond the reader; html.ts renders it.
import type { BlockHealth, CapacityTestRecord, HealthPersistedState, HealthSnapshot } from '../engine/health';
import { HEALTH_STATE_KEY } from '../engine/health-service';
import { healthFromDatabase, passportStrings, type PassportSiteInfo, type PassportStringInfo } from '../passport/passport';
import type { EventRecord, HistoryReader, LifeRecord } from '@kirchhoff/history';
import { PASSPORT_SITE_KEY, passportStringKey } from '../services/life/records';

/** Points of one line: x (ms or h), y. */
export type XY = readonly (readonly [number, number])[];

export interface ReportString {
  readonly string: number;
  readonly name: string | null;
  readonly modules: number | null;
  readonly moduleType: string | null;
  readonly capacityAh: number | null;
  /** The string's life record in service (position 0), or null. */
  readonly identity: LifeRecord['identity'] | null;
  /** Blocks replaced within the period: position, when, why. */
  readonly replacements: readonly { readonly position: number; readonly atMs: number; readonly reason: string | null }[];
  /** The string's sum voltage over the period from the logger (the finest resolution kept). */
  readonly voltage: XY;
}

export interface ReportTest {
  readonly record: CapacityTestRecord;
  /** Per string: each block's voltage against hours since the start (thinned to at most `maxCurvePoints`). */
  readonly curves: readonly { readonly string: number; readonly blocks: readonly XY[] }[];
}

export interface ReportRiBlock {
  readonly global: number;
  readonly string: number;
  readonly module: number;
  readonly baselineOhm: number;
  /** Daily Ri points (ms, ohm) the health engine keeps for the trend. */
  readonly points: XY;
}

/** One block's capacity in every record that measured it (its fade history), whatever the period. */
export interface ReportCapacityHistory {
  readonly global: number;
  readonly string: number;
  readonly module: number;
  /** (record start ms, capacity percent of rated at C10 and 25 deg C). */
  readonly points: XY;
}

export interface ServiceReportData {
  readonly generatedAtMs: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly site: { readonly name: string | null; readonly location: string | null; readonly contact: string | null };
  readonly strings: readonly ReportString[];
  /** Alarm log entries (raised, cleared, acknowledged) within the period, oldest first. */
  readonly alarms: readonly EventRecord[];
  /** More alarm entries than the report lists (it shows the first `maxLogEntries`). */
  readonly alarmsTruncated: boolean;
  /** Alarms raised in the period by kind. */
  readonly raisedByKind: Readonly<Record<string, number>>;
  /** Battery, gateway and scheduler events within the period, oldest first. */
  readonly events: readonly EventRecord[];
  readonly eventsTruncated: boolean;
  /** Capacity tests and discharges that started within the period, oldest first. */
  readonly tests: readonly ReportTest[];
  /** Health figures (from the gateway's kept copy or its engine state), or null when the file has none. */
  readonly health: HealthSnapshot | null;
  readonly ri: readonly ReportRiBlock[];
  /** Per block with a measured capacity, across the newest records (up to `maxHistoryRecords`). */
  readonly capacityHistory: readonly ReportCapacityHistory[];
}

export interface GatherOptions {
  readonly fromMs: number;
  readonly toMs: number;
  readonly nowMs: number;
  readonly maxLogEntries?: number;
  readonly maxTests?: number;
  readonly maxCurvePoints?: number;
  readonly maxHistoryRecords?: number;
}

/** Keeps at most `max` points, evenly spaced, always the first and the last. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]);
  return out;
}

async function testCurves(reader: HistoryReader, record: CapacityTestRecord, maxPoints: number): Promise<ReportTest['curves']> {
  const curves: { string: number; blocks: XY[] }[] = [];
  for (const s of record.strings) {
    const samples = [];
    // Read in pages: a 10-hour test is 36 000 samples per string.
    let from = -Infinity;
    for (;;) {
      const page = await reader.capacityTestSamples(record.id, s.string, from, 20_000);
      samples.push(...page);
      if (page.length < 20_000) break;
      from = page[page.length - 1].atMs + 1;
    }
    const kept = thin(samples, maxPoints);
    const blocks: [number, number][][] = s.blocks.map(() => []);
    for (const sample of kept) {
      const h = (sample.atMs - record.startMs) / 3_600_000;
      sample.voltagesV.forEach((v, i) => {
        if (v !== null && blocks[i]) blocks[i].push([h, v]);
      });
    }
    curves.push({ string: s.string, blocks });
  }
  return curves;
}

/** Everything the service report shows, from a data logger file (or the running gateway's logger). */
export async function gatherReport(reader: HistoryReader, options: GatherOptions): Promise<ServiceReportData> {
  const { fromMs, toMs } = options;
  const maxLog = options.maxLogEntries ?? 500;
  const info = await reader.passportInfo();
  const siteInfo = (info[PASSPORT_SITE_KEY] ?? {}) as PassportSiteInfo;
  const numbers = await passportStrings(reader);

  const strings: ReportString[] = [];
  for (const n of numbers) {
    const s = (info[passportStringKey(n)] ?? {}) as PassportStringInfo;
    const records = await reader.lifeRecords({ string: n });
    const own = records.find((r) => r.position === 0 && r.endedAtMs === null);
    const voltage = await reader.measurements({ entity: `string/${n}`, field: 'sumVoltageV', fromMs, toMs, resolution: 'auto', limit: 2000 });
    strings.push({
      string: n, name: s.name ?? null, modules: s.modules ?? null, moduleType: s.moduleType ?? null, capacityAh: s.capacityAh ?? null,
      identity: own?.identity ?? null,
      replacements: records.filter((r) => r.position > 0 && r.endedAtMs !== null && r.endedAtMs >= fromMs && r.endedAtMs < toMs).map((r) => ({ position: r.position, atMs: r.endedAtMs!, reason: r.endReason })),
      voltage: thin(voltage.points.filter((p) => p.value !== null).map((p) => [p.atMs, p.value!] as const), 1000),
    });
  }

  const alarmsAll = await reader.events({ category: 'alarm', fromMs, toMs, order: 'asc', limit: maxLog + 1 });
  const raisedByKind: Record<string, number> = {};
  for (const e of await reader.events({ category: 'alarm', fromMs, toMs, limit: 100_000 })) {
    if (e.action === 'raised') raisedByKind[e.alarmKind ?? 'unknown'] = (raisedByKind[e.alarmKind ?? 'unknown'] ?? 0) + 1;
  }
  const others = (await Promise.all((['battery', 'gateway', 'schedule'] as const).map((category) => reader.events({ category, fromMs, toMs, order: 'asc', limit: maxLog + 1 }))))
    .flat().sort((a, b) => a.atMs - b.atMs || a.id - b.id);

  const summaries = (await reader.capacityTests({ fromMs, toMs, order: 'asc', limit: options.maxTests ?? 20 }));
  const tests: ReportTest[] = [];
  for (const t of summaries) {
    const record = await reader.capacityTest(t.id);
    if (record) tests.push({ record, curves: await testCurves(reader, record, options.maxCurvePoints ?? 400) });
  }

  const health = await healthFromDatabase(reader, info);
  const state = (await reader.engineState(HEALTH_STATE_KEY).catch(() => null)) as HealthPersistedState | null;
  const ri: ReportRiBlock[] = [];
  if (health && state?.version === 1) {
    for (const b of health.blocks) {
      const kept = state.blocks[b.global - 1];
      const baseline = b.resistance.baselineOhm;
      if (!kept || baseline === null || !kept.ri.points.length) continue;
      ri.push({ global: b.global, string: b.string, module: b.module, baselineOhm: baseline, points: kept.ri.points.map((p) => [p.atMs, p.ohm] as const) });
    }
  }

  // Every record, not only the period's: a block's fade shows over years of tests.
  const byBlock = new Map<number, { global: number; string: number; module: number; points: [number, number][] }>();
  const all = (await reader.capacityTests({ order: 'desc', limit: options.maxHistoryRecords ?? 100 })).reverse();
  for (const t of all) {
    const record = tests.find((x) => x.record.id === t.id)?.record ?? await reader.capacityTest(t.id);
    for (const st of record?.strings ?? []) {
      for (const b of st.blocks) {
        if (b.capacityPercent === null) continue;
        const entry = byBlock.get(b.global) ?? { global: b.global, string: b.string, module: b.module, points: [] };
        entry.points.push([record!.startMs, b.capacityPercent]);
        byBlock.set(b.global, entry);
      }
    }
  }

  return {
    generatedAtMs: options.nowMs, fromMs, toMs,
    site: { name: siteInfo.site?.name ?? null, location: siteInfo.site?.location ?? null, contact: siteInfo.site?.contact ?? null },
    strings,
    alarms: alarmsAll.slice(0, maxLog), alarmsTruncated: alarmsAll.length > maxLog, raisedByKind,
    events: others.slice(0, maxLog), eventsTruncated: others.length > maxLog,
    tests, health, ri,
    capacityHistory: [...byBlock.values()].sort((a, b) => a.global - b.global),
  };
}

/** Blocks ranked by state of health, lowest first (those without one last). */
export function sohRanking(blocks: readonly BlockHealth[]): BlockHealth[] {
  return [...blocks].sort((a, b) => (a.sohPercent ?? Infinity) - (b.sohPercent ?? Infinity) || a.global - b.global);
}
