// The data logger's typed interface: what the HTTP API, the scheduler's reports and the CSV
// export read (HistoryReader), and what services write besides the change feed (HistoryStore).
import type { Quality, Severity } from '@kirchhoff/core';
import type { BlockCapacityPoint, CapacityTestRecord, TestSample } from './capacity-test-record';
import type { ConfiguredIdentity, IdentityPatch, LifeChange, LifeQuery, LifeRecord } from './life';

/** raw = every logged sample; minute/hour = min/mean/max aggregates of the fresh samples. */
export type Resolution = 'raw' | 'minute' | 'hour';
export const RESOLUTIONS: readonly Resolution[] = ['raw', 'minute', 'hour'];

/** Which measurements are logged, each at its own rate. */
export type MeasurementKind = 'modules' | 'strings' | 'ups' | 'sensors';
export const MEASUREMENT_KINDS: readonly MeasurementKind[] = ['modules', 'strings', 'ups', 'sensors'];

export interface SeriesRef {
  /** The change feed's entity id: `string/1/module/3`, `string/1`, `ups`, `sensor/2`. */
  readonly entity: string;
  /** Field path in the entity's state: `voltageV`, `battery.voltageV`, `reading`. */
  readonly field: string;
}

export interface MeasurementQuery extends SeriesRef {
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
  /** auto (default) = the finest resolution that is still kept for the whole range and fits `limit`. */
  readonly resolution?: Resolution | 'auto';
  /** Most points returned (default 10 000, at most 100 000); `truncated` says when more exist. */
  readonly limit?: number;
}

export interface MeasurementPoint {
  /** Raw: when the value was read; aggregates: the start of the minute or hour. */
  readonly atMs: number;
  /** Raw: the value (null when none was read); aggregates: the mean. */
  readonly value: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Fresh samples behind the point (raw: 1, or 0 for a stale/failed sample). */
  readonly count: number;
  /** Raw samples carry their quality; aggregates are over fresh samples only. */
  readonly quality: Quality;
}

export interface MeasurementSeries extends SeriesRef {
  readonly resolution: Resolution;
  readonly fromMs: number;
  readonly toMs: number;
  readonly points: readonly MeasurementPoint[];
  /** More points exist in the range: ask again from the last point's atMs + 1. */
  readonly truncated: boolean;
}

export interface SeriesSummary extends SeriesRef {
  readonly min: number | null;
  readonly mean: number | null;
  readonly max: number | null;
  readonly count: number;
}

/** battery: life-record changes (a block replaced, identity entered). */
export type EventCategory = 'alarm' | 'schedule' | 'gateway' | 'action' | 'battery';
export const EVENT_CATEGORIES: readonly EventCategory[] = ['alarm', 'schedule', 'gateway', 'action', 'battery'];

/** The alarm and event log: alarm raised/cleared/acknowledged, scheduler runs, gateway events. */
export interface EventRecord {
  readonly id: number;
  readonly atMs: number;
  readonly category: EventCategory;
  /** alarm: raised | cleared | acknowledged; schedule: ok | failed | skipped; others: free. */
  readonly action: string;
  readonly severity: Severity | 'info';
  readonly entity: string | null;
  readonly message: string;
  readonly alarmId: number | null;
  readonly alarmKind: string | null;
  /** Alarm value/limit/acknowledged-by, a job's name and result, ...; JSON. */
  readonly detail: Readonly<Record<string, unknown>> | null;
}
export type NewEvent = Omit<EventRecord, 'id' | 'atMs' | 'alarmId' | 'alarmKind' | 'entity' | 'detail'> & Partial<Pick<EventRecord, 'atMs' | 'alarmId' | 'alarmKind' | 'entity' | 'detail'>>;

export type AuditKind = 'command' | 'config' | 'schedule' | 'auth';

/** Who did what, when, from where: every command (any outcome) and configuration change. */
export interface AuditRecord {
  readonly id: number;
  readonly atMs: number;
  readonly kind: AuditKind;
  /** command: its type (`set-relay`); config: `threshold moduleVoltage`, `reload`; schedule: the job. */
  readonly action: string;
  readonly outcome: 'ok' | 'rejected' | 'failed';
  /** modbus, snmp, bacnet, mqtt, http, cli, internal; null when not known. */
  readonly protocol: string | null;
  readonly principal: string | null;
  readonly remote: string | null;
  /** The command or the new configuration value; JSON. */
  readonly detail: unknown;
  readonly error: string | null;
}
export type NewAudit = Omit<AuditRecord, 'id' | 'atMs' | 'protocol' | 'principal' | 'remote' | 'detail' | 'error'> & Partial<Pick<AuditRecord, 'atMs' | 'protocol' | 'principal' | 'remote' | 'detail' | 'error'>>;

export interface LogQuery {
  readonly fromMs?: number;
  /** Exclusive. */
  readonly toMs?: number;
  /** Only records with an id above this (paging). */
  readonly afterId?: number;
  /** desc = newest first (then page with `beforeId`). Default asc. */
  readonly order?: 'asc' | 'desc';
  readonly beforeId?: number;
  /** Default 1000, at most 100 000. */
  readonly limit?: number;
}
export interface EventQuery extends LogQuery {
  readonly category?: EventCategory;
  /** Exact entity id, or a prefix ending in `*` (`string/1/*`). */
  readonly entity?: string;
  readonly alarmKind?: string;
}
export interface AuditQuery extends LogQuery {
  readonly kind?: AuditKind;
  readonly principal?: string;
}

/** The logger's health: a full queue drops (counted), a slow disk shows as lag. */
export interface HistoryStats {
  readonly path: string;
  /** Records waiting to be written (not yet committed). */
  readonly queued: number;
  readonly queueCapacity: number;
  readonly dropped: { readonly measurements: number; readonly events: number; readonly audit: number };
  /** Records committed since start. */
  readonly written: number;
  readonly commits: number;
  /** Age of the oldest record not yet committed; 0 when all are. */
  readonly lagMs: number;
  /** Enqueue-to-commit time of the oldest record of the last commit. */
  readonly lastCommitLagMs: number;
  readonly maxCommitLagMs: number;
  readonly lastCommitAtMs: number | null;
  readonly writeErrors: number;
  readonly lastError: string | null;
  /** Database file size with its WAL. */
  readonly fileBytes: number;
}

export type CapacityTestQuery = LogQuery;

/** A capacity test or discharge record in a list (the whole record: capacityTest(id)). */
export interface CapacityTestSummary extends Omit<CapacityTestRecord, 'strings'> {
  readonly strings: readonly {
    readonly string: number; readonly deliveredAh: number; readonly durationS: number; readonly meanCurrentA: number | null;
    readonly collapsedEarly: readonly number[];
    /** Mean of the blocks' capacity (C10, 25 deg C) over the rating, percent; null when none was measured. */
    readonly meanCapacityPercent: number | null;
  }[];
}

/** Read side: also what `kirchhoff export` opens on a database file. */
export interface HistoryReader {
  series(entityPattern?: string): Promise<SeriesRef[]>;
  measurements(query: MeasurementQuery): Promise<MeasurementSeries>;
  /** min/mean/max/count of every matching series' fresh samples in [fromMs, toMs). */
  summary(fromMs: number, toMs: number, entityPattern?: string): Promise<SeriesSummary[]>;
  events(query?: EventQuery): Promise<EventRecord[]>;
  audit(query?: AuditQuery): Promise<AuditRecord[]>;
  /** Capacity tests and discharges, newest first (a database of schema 1 has none). */
  capacityTests(query?: CapacityTestQuery): Promise<CapacityTestSummary[]>;
  capacityTest(id: number): Promise<CapacityTestRecord | null>;
  /** What an engine kept across restarts under `key` (`health`: HealthPersistedState, for HealthEngine.blocksFromState), or null. */
  engineState(key: string): Promise<unknown>;
  /** One block's (global module number) capacity in every record that measured it, oldest first. */
  capacityHistory(global: number): Promise<BlockCapacityPoint[]>;
  /** The per-second samples of one string in test `id`. */
  capacityTestSamples(id: number, string: number, fromMs?: number, limit?: number): Promise<TestSample[]>;
  /** Block and string life records (identity, dates, replacements), past ones too. */
  lifeRecords(query?: LifeQuery): Promise<LifeRecord[]>;
  /** Passport data from the configuration, as the gateway kept it at start (key -> JSON). */
  passportInfo(): Promise<Record<string, unknown>>;
}

/** `registry.history`: the running logger. */
export interface HistoryStore extends HistoryReader {
  /** Adds to the event log (actions, gateway events); never blocks, may drop when the queue is full. */
  recordEvent(event: NewEvent): void;
  /** Adds to the audit log (logins, configuration reloads, ...). */
  recordAudit(entry: NewAudit): void;
  stats(): HistoryStats;
  /** Resolves once everything queued before the call is committed. */
  flush(): Promise<void>;
  /** Engine state kept across restarts (the SoC estimator's), one JSON value per key. */
  loadEngineState(key: string): Promise<unknown>;
  saveEngineState(key: string, atMs: number, value: unknown): Promise<void>;
  /** Stores a finished test record; resolves with its id once committed. */
  saveCapacityTest(record: CapacityTestRecord): Promise<number>;
  /** The samples stored so far of the test that started at testStartMs (a restart resumes a running test from them). */
  testSamplesAt(testStartMs: number, string: number): Promise<TestSample[]>;
  /** Stores per-second samples of the running test that started at testStartMs. */
  appendTestSamples(testStartMs: number, samples: readonly TestSample[]): Promise<void>;
  /** Committed when these resolve (life.ts says what each does). */
  applyConfiguredIdentity(configured: readonly ConfiguredIdentity[], atMs: number): Promise<LifeChange[]>;
  setIdentity(string: number, position: number, patch: IdentityPatch, atMs: number): Promise<LifeRecord>;
  replaceBlock(string: number, position: number, patch: IdentityPatch, atMs: number, reason?: string): Promise<{ ended: LifeRecord | null; started: LifeRecord }>;
  setPassportInfo(key: string, atMs: number, value: unknown): Promise<void>;
}
