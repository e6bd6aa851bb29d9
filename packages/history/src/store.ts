// The data logger on the gateway's thread: a bounded in-memory queue that the change feed and the
// samplers append to (never blocking them), drained in batches to the writer worker, which
// commits each batch as one transaction. Queries go to the same worker.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { ChangeEvent, Site } from '@kirchhoff/core';
import { entityId } from '@kirchhoff/core';
import type { AuditRow, Batch, EventRow, Retention, SampleRow } from './db';
import type { FromWorker, QueryMethod, ToWorker, WorkerInit } from './protocol';
import type { ConfiguredIdentity, IdentityPatch, LifeChange, LifeQuery, LifeRecord } from './life';
import { sampleKind, type LastLogged } from './sampler';
import type { BlockCapacityPoint, CapacityTestRecord, TestSample } from './capacity-test-record';
import type {
  AuditQuery, AuditRecord, CapacityTestQuery, CapacityTestSummary, EventQuery, EventRecord, HistoryStats, HistoryStore, MeasurementKind, MeasurementQuery, MeasurementSeries,
  NewAudit, NewEvent, SeriesRef, SeriesSummary,
} from './types';

/** Where the logger reports its own trouble (the gateway's structured logger fits it). */
export interface HistoryLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Events and audit entries may use this much room beyond the capacity: they are never dropped for samples. */
const LOG_RESERVE = 10_000;
const MAX_BATCH = 20_000;

export interface HistoryLoggerOptions {
  readonly path: string;
  readonly synchronous?: 'full' | 'normal';
  /** Records held in memory at most before samples are dropped. */
  readonly queueCapacity?: number;
  readonly flushIntervalMs?: number;
  readonly maintenanceIntervalMs?: number;
  readonly retention: Retention;
  readonly logger: HistoryLog;
  readonly clock?: () => number;
}

/**
 * Starts the writer thread: dist/writer-worker.js beside this file when built; from the TypeScript
 * sources (Jest, benchmarks: this file is src/store.ts) through the workspace's swc hook.
 */
function spawnWriter(init: WorkerInit): Worker {
  const options = { workerData: init, resourceLimits: { maxOldGenerationSizeMb: 128 } };
  if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, 'writer-worker.js'), options);
  const register = join(__dirname, '..', '..', '..', 'tools', 'test-support', 'ts-register.js');
  const entry = join(__dirname, 'writer-worker.ts');
  return new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(entry)});`, { ...options, eval: true });
}

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Tally {
  samples: number;
  events: number;
  audit: number;
}

function reached(settled: Tally, upTo: Tally): boolean {
  return settled.samples >= upTo.samples && settled.events >= upTo.events && settled.audit >= upTo.audit;
}

interface InFlight {
  readonly seq: number;
  readonly batch: Batch;
  readonly oldestAtMs: number;
}

export class HistoryLogger implements HistoryStore {
  private worker: Worker;
  private seq = 0;
  private readonly calls = new Map<number, Pending>();
  private samples: SampleRow[] = [];
  private eventRows: EventRow[] = [];
  private auditRows: AuditRow[] = [];
  private pendingSinceMs = 0;
  private inFlight: InFlight | null = null;
  /** Records accepted and settled (committed or failed) per kind. A batch takes audit and events
   *  ahead of older samples, so one total would call samples settled that are still queued; each
   *  kind alone is first in, first out. */
  private readonly accepted: Tally = { samples: 0, events: 0, audit: 0 };
  private readonly settled: Tally = { samples: 0, events: 0, audit: 0 };
  private readonly waiters: { upTo: Tally; resolve(): void }[] = [];
  private readonly dropped = { measurements: 0, events: 0, audit: 0 };
  private written = 0;
  private commits = 0;
  private lastCommitLagMs = 0;
  private maxCommitLagMs = 0;
  private lastCommitAtMs: number | null = null;
  private writeErrors = 0;
  private lastError: string | null = null;
  private lastErrorLogMs = -Infinity;
  private fileBytes = 0;
  private closed = false;
  /** False between the writer's exit and its restart: calls fail at once instead of hanging. */
  private alive = true;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly clock: () => number;
  private readonly capacity: number;

  private constructor(private readonly options: HistoryLoggerOptions, worker: Worker) {
    this.clock = options.clock ?? Date.now;
    this.capacity = options.queueCapacity ?? 100_000;
    this.worker = worker;
    this.wire(worker);
    this.timers.push(setInterval(() => this.drain(), options.flushIntervalMs ?? 1000));
    this.timers.push(setInterval(() => void this.maintain().catch((e: Error) => this.fail('maintenance failed', e)), options.maintenanceIntervalMs ?? 60_000));
    for (const t of this.timers) t.unref();
  }

  /** Opens (creating) the database in its worker; rejects with the reason when it cannot. */
  static async open(options: HistoryLoggerOptions): Promise<HistoryLogger> {
    const worker = spawnWriter({ path: options.path, synchronous: options.synchronous ?? 'full' });
    // Only our own listeners come off again: removeAllListeners() would also drop the Worker's
    // internal ones and no message would ever arrive.
    let off = () => {};
    const first = await new Promise<FromWorker>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the history writer exited with code ${code} before opening ${options.path}`));
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', onExit);
      const timer = setTimeout(() => reject(new Error(`the history writer did not open ${options.path} within 30 s`)), 30_000);
      off = () => {
        clearTimeout(timer);
        worker.off('message', resolve);
        worker.off('error', reject);
        worker.off('exit', onExit);
      };
    }).finally(() => off()).catch(async (error: Error) => {
      void worker.terminate();
      throw error;
    });
    if (first.type !== 'ready') {
      await worker.terminate();
      throw new Error(first.type === 'open-failed' ? first.message : `unexpected first message from the history writer: ${first.type}`);
    }
    const logger = new HistoryLogger(options, worker);
    logger.fileBytes = first.fileBytes;
    return logger;
  }

  private wire(worker: Worker): void {
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'done' && m.type !== 'failed') return;
      const call = this.calls.get(m.seq);
      this.calls.delete(m.seq);
      if (m.type === 'done') {
        this.fileBytes = m.fileBytes || this.fileBytes;
        call?.resolve(m.result);
      } else {
        call?.reject(new Error(m.message));
      }
    });
    worker.on('error', (error) => this.fail('the history writer failed', error));
    worker.on('exit', (code) => {
      const lost = new Error(`the history writer stopped (exit code ${code})`);
      for (const c of this.calls.values()) c.reject(lost);
      this.calls.clear();
      this.alive = false;
      if (!this.closed) {
        this.fail('the history writer stopped; restarting it', lost);
        const t = setTimeout(() => this.restart(), 1000);
        t.unref();
      }
    });
  }

  private restart(): void {
    if (this.closed) return;
    const worker = spawnWriter({ path: this.options.path, synchronous: this.options.synchronous ?? 'full' });
    worker.once('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        this.worker = worker;
        this.wire(worker);
        this.alive = true;
        this.options.logger.info('history writer restarted');
      } else {
        this.fail('the history writer could not reopen the database', new Error(m.type === 'open-failed' ? m.message : m.type));
        void worker.terminate();
      }
    });
  }

  private call(message: WithoutSeq<ToWorker>): Promise<unknown> {
    if (this.closed && message.type !== 'close') return Promise.reject(new Error('the history logger is closed'));
    if (!this.alive) return Promise.reject(new Error(this.lastError ?? 'the history writer is not running'));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.calls.set(seq, { resolve, reject });
      this.worker.postMessage({ ...message, seq } as ToWorker);
    });
  }

  private fail(what: string, error: Error): void {
    this.writeErrors++;
    this.lastError = `${what}: ${error.message}`;
    // One line a minute at most: a full disk must not flood the log.
    const now = Date.now();
    if (now - this.lastErrorLogMs >= 60_000) {
      this.lastErrorLogMs = now;
      this.options.logger.error(what, { error, path: this.options.path, writeErrors: this.writeErrors });
    }
  }

  // ------------------------------------------------------------ enqueue (hot path: no I/O)

  private queuedCount(): number {
    return this.samples.length + this.eventRows.length + this.auditRows.length + (this.inFlight ? this.batchSize(this.inFlight.batch) : 0);
  }
  private batchSize(b: Batch): number {
    return b.samples.length + b.events.length + b.audit.length;
  }
  private noteEnqueue(kind: keyof Tally, n: number): void {
    if (this.samples.length + this.eventRows.length + this.auditRows.length === n) this.pendingSinceMs = this.clock();
    this.accepted[kind] += n;
    if (this.samples.length + this.eventRows.length + this.auditRows.length >= MAX_BATCH) this.drain();
  }

  /** Appends samples; those beyond the capacity are dropped and counted. */
  enqueueSamples(rows: readonly SampleRow[]): void {
    if (this.closed || !rows.length) return;
    const room = Math.max(0, this.capacity - this.queuedCount());
    const take = rows.length <= room ? rows : rows.slice(0, room);
    this.dropped.measurements += rows.length - take.length;
    if (!take.length) return;
    for (const r of take) this.samples.push(r);
    this.noteEnqueue('samples', take.length);
  }

  recordEvent(event: NewEvent): void {
    if (this.closed) return;
    if (this.queuedCount() >= this.capacity + LOG_RESERVE) {
      this.dropped.events++;
      return;
    }
    this.eventRows.push({ ...event, atMs: event.atMs ?? this.clock() });
    this.noteEnqueue('events', 1);
  }

  recordAudit(entry: NewAudit): void {
    if (this.closed) return;
    if (this.queuedCount() >= this.capacity + LOG_RESERVE) {
      this.dropped.audit++;
      return;
    }
    this.auditRows.push({ ...entry, atMs: entry.atMs ?? this.clock() });
    this.noteEnqueue('audit', 1);
  }

  /** The change feed's alarm, command and threshold events, as log and audit records. */
  onChange(e: ChangeEvent): void {
    switch (e.type) {
      case 'alarm': {
        const a = e.alarm;
        const atMs = e.action === 'raised' ? a.raisedAtMs : e.action === 'cleared' ? (a.clearedAtMs ?? this.clock()) : (a.acknowledged?.atMs ?? this.clock());
        this.recordEvent({
          atMs, category: 'alarm', action: e.action, severity: a.severity, entity: entityId(a.entity), message: a.message, alarmId: a.id, alarmKind: a.kind,
          detail: { key: a.key, origin: a.origin, value: a.value, limit: a.limit, ...(e.action === 'acknowledged' && a.acknowledged ? { by: a.acknowledged.by } : {}) },
        });
        break;
      }
      case 'command':
        this.recordAudit({
          kind: 'command', action: e.command.type, outcome: e.outcome, protocol: e.origin.protocol, principal: e.origin.principal ?? null,
          remote: e.origin.remote ?? null, detail: e.command, error: e.error ? `${e.error.code}: ${e.error.message}` : null,
        });
        break;
      case 'thresholds':
        this.recordAudit({ kind: 'config', action: `threshold ${e.key}`, outcome: 'ok', detail: e.threshold });
        break;
      default:
        break;
    }
  }

  /** Subscribes to the site's change feed and samples each kind at its rate (seconds; 0 = off). */
  attach(site: Site, ratesS: Readonly<Record<MeasurementKind, number>>): () => void {
    const off = site.subscribe((e) => this.onChange(e));
    // Alarms raised before the logger started (the gateway's first cycle runs before its
    // services) would otherwise never appear in the log.
    for (const alarm of site.snapshot().alarms) {
      this.onChange({ type: 'alarm', version: 0, action: 'raised', alarm });
      if (alarm.acknowledged) this.onChange({ type: 'alarm', version: 0, action: 'acknowledged', alarm });
    }
    const last: LastLogged = new Map();
    const timers: NodeJS.Timeout[] = [];
    for (const [kind, rate] of Object.entries(ratesS) as [MeasurementKind, number][]) {
      if (!(rate > 0)) continue;
      const sample = () => this.enqueueSamples(sampleKind(site.snapshot(), kind, last, this.clock()));
      sample();
      const t = setInterval(sample, rate * 1000);
      t.unref();
      timers.push(t);
    }
    return () => {
      off();
      for (const t of timers) clearInterval(t);
    };
  }

  // ------------------------------------------------------------ drain (to the worker)

  private drain(): void {
    if (this.inFlight || this.closed && !this.samples.length && !this.eventRows.length && !this.auditRows.length) return;
    if (!this.samples.length && !this.eventRows.length && !this.auditRows.length) return;
    const take = <T>(list: T[], n: number): [T[], T[]] => (list.length <= n ? [list, []] : [list.slice(0, n), list.slice(n)]);
    let room = MAX_BATCH;
    // Audit and events first: they are the records an operator cannot reconstruct.
    const [audit, restAudit] = take(this.auditRows, room);
    room -= audit.length;
    const [events, restEvents] = take(this.eventRows, room);
    room -= events.length;
    const [samples, restSamples] = take(this.samples, room);
    [this.auditRows, this.eventRows, this.samples] = [restAudit, restEvents, restSamples];
    const batch: Batch = { samples, events, audit };
    const flight: InFlight = { seq: 0, batch, oldestAtMs: this.pendingSinceMs };
    this.inFlight = flight;
    this.pendingSinceMs = this.clock();
    const n = this.batchSize(batch);
    this.call({ type: 'batch', batch })
      .then(() => {
        const now = this.clock();
        this.written += n;
        this.commits++;
        this.lastCommitAtMs = now;
        this.lastCommitLagMs = now - flight.oldestAtMs;
        this.maxCommitLagMs = Math.max(this.maxCommitLagMs, this.lastCommitLagMs);
      })
      .catch((error: Error) => {
        this.dropped.measurements += samples.length;
        this.dropped.events += events.length;
        this.dropped.audit += audit.length;
        this.fail('a history batch was not written', error);
      })
      .finally(() => {
        this.inFlight = null;
        this.settled.samples += samples.length;
        this.settled.events += events.length;
        this.settled.audit += audit.length;
        this.wake();
        if (this.samples.length + this.eventRows.length + this.auditRows.length >= MAX_BATCH || this.waiters.length) this.drain();
      });
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (reached(this.settled, this.waiters[i].upTo)) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }

  /** Resolves when every record accepted before the call has settled: committed, or failed and
   *  counted in writeErrors and dropped. */
  flush(): Promise<void> {
    const upTo = { ...this.accepted };
    if (reached(this.settled, upTo)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ upTo, resolve });
      this.drain();
    });
  }

  /** Aggregates and applies retention now (the timer does it every maintenanceIntervalMs). */
  async maintain(nowMs = this.clock()): Promise<{ minutes: number; hours: number; deleted: number }> {
    return (await this.call({ type: 'maintain', nowMs, retention: this.options.retention })) as { minutes: number; hours: number; deleted: number };
  }

  stats(): HistoryStats {
    const pendingOldest = this.samples.length + this.eventRows.length + this.auditRows.length ? this.pendingSinceMs : Infinity;
    const oldest = Math.min(this.inFlight ? this.inFlight.oldestAtMs : Infinity, pendingOldest);
    return {
      path: this.options.path,
      queued: this.queuedCount(),
      queueCapacity: this.capacity,
      dropped: { ...this.dropped },
      written: this.written,
      commits: this.commits,
      lagMs: oldest === Infinity ? 0 : Math.max(0, this.clock() - oldest),
      lastCommitLagMs: this.lastCommitLagMs,
      maxCommitLagMs: this.maxCommitLagMs,
      lastCommitAtMs: this.lastCommitAtMs,
      writeErrors: this.writeErrors,
      lastError: this.lastError,
      fileBytes: this.fileBytes,
    };
  }

  // ------------------------------------------------------------ queries (answered by the worker)

  /** Read-your-writes: what was accepted before the query (an alarm raised a moment ago) is
   *  committed first, so a query never misses it because the flush timer has not run yet. */
  private async query<T>(method: QueryMethod, ...args: unknown[]): Promise<T> {
    await this.flush();
    return (await this.call({ type: 'query', method, args })) as T;
  }
  series(entityPattern?: string): Promise<SeriesRef[]> {
    return this.query('series', entityPattern);
  }
  measurements(query: MeasurementQuery): Promise<MeasurementSeries> {
    return this.query('measurements', query);
  }
  summary(fromMs: number, toMs: number, entityPattern?: string): Promise<SeriesSummary[]> {
    return this.query('summary', fromMs, toMs, entityPattern);
  }
  events(query: EventQuery = {}): Promise<EventRecord[]> {
    return this.query('events', query);
  }
  audit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.query('audit', query);
  }

  /** What an engine kept across restarts under `key` (see BatteryEngines.persistedState), or null. */
  loadEngineState(key: string): Promise<unknown> {
    return this.query('engineState', key);
  }
  /** Keeps `value` (JSON) under `key`, replacing the last one: committed when this resolves. */
  saveEngineState(key: string, atMs: number, value: unknown): Promise<void> {
    return this.query('setEngineState', key, atMs, value);
  }

  capacityTests(query: CapacityTestQuery = {}): Promise<CapacityTestSummary[]> {
    return this.query('capacityTests', query);
  }
  capacityTest(id: number): Promise<CapacityTestRecord | null> {
    return this.query('capacityTest', id);
  }
  engineState(key: string): Promise<unknown> {
    return this.query('engineState', key);
  }
  capacityHistory(global: number): Promise<BlockCapacityPoint[]> {
    return this.query('capacityHistory', global);
  }
  capacityTestSamples(id: number, string: number, fromMs?: number, limit?: number): Promise<TestSample[]> {
    return this.query('capacityTestSamples', id, string, fromMs, limit);
  }
  /** Stores a finished test record; its id once committed. */
  saveCapacityTest(record: CapacityTestRecord): Promise<number> {
    return this.query('saveCapacityTest', record);
  }
  testSamplesAt(testStartMs: number, string: number): Promise<TestSample[]> {
    return this.query('testSamplesAt', testStartMs, string);
  }
  appendTestSamples(testStartMs: number, samples: readonly TestSample[]): Promise<void> {
    return this.query('appendTestSamples', testStartMs, samples);
  }
  lifeRecords(query: LifeQuery = {}): Promise<LifeRecord[]> {
    return this.query('lifeRecords', query);
  }
  applyConfiguredIdentity(configured: readonly ConfiguredIdentity[], atMs: number): Promise<LifeChange[]> {
    return this.query('applyConfiguredIdentity', configured, atMs);
  }
  setIdentity(string: number, position: number, patch: IdentityPatch, atMs: number): Promise<LifeRecord> {
    return this.query('setIdentity', string, position, patch, atMs);
  }
  replaceBlock(string: number, position: number, patch: IdentityPatch, atMs: number, reason?: string): Promise<{ ended: LifeRecord | null; started: LifeRecord }> {
    return this.query('replaceBlock', string, position, patch, atMs, reason);
  }
  passportInfo(): Promise<Record<string, unknown>> {
    return this.query('passportInfo');
  }
  setPassportInfo(key: string, atMs: number, value: unknown): Promise<void> {
    return this.query('setPassportInfo', key, atMs, value);
  }

  /** Writes what is queued, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearInterval(t);
    try {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    } finally {
      this.closed = true;
      try {
        await Promise.race([this.call({ type: 'close' }), new Promise((r) => setTimeout(r, 5000).unref())]);
      } catch {
        // already gone
      }
      await this.worker.terminate();
    }
  }
}
