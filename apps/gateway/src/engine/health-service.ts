// The health engine inside the running gateway (registry.health): what the HTTP API and the
// scheduler call (health now, start and abort a capacity test), and the glue to the data logger that
// stores each test record with its per-second samples and keeps the health state across restarts.
import type { Site } from '@kirchhoff/core';
import type { Logger } from '../log';
import type { HistoryStore } from '@kirchhoff/history';
import type { BatteryEngines } from '.';
import type { BlockHealth, BlockInfo, CapacityTestOptions, CapacityTestTrigger, HealthPersistedState, HealthSnapshot, RunningTest, TestSample } from './health';

export const HEALTH_STATE_KEY = 'health';
/** The health state (Ri series, throughput, capacities) is written at most this often besides after each test. */
export const HEALTH_STATE_SAVE_INTERVAL_MS = 3_600_000;
/** Per-second samples of a running test go to the data logger in batches this far apart. */
const SAMPLE_FLUSH_MS = 30_000;

export interface CapacityTestRequest {
  readonly trigger: Extract<CapacityTestTrigger, 'api' | 'scheduler'>;
  readonly strings?: readonly number[];
  readonly by?: string | null;
  readonly options?: CapacityTestOptions;
}

/** `registry.health`. */
export interface HealthService {
  snapshot(): HealthSnapshot;
  block(global: number): BlockHealth | null;
  running(): RunningTest | null;
  /** Starts a capacity test (recording begins when the strings discharge); throws HealthError when one runs. */
  startTest(request: CapacityTestRequest): RunningTest;
  abortTest(): boolean;
  /** Rated capacity (and Ri baseline) of a block from its life record (global module number). */
  setBlockInfo(global: number, info: BlockInfo): void;
  /** A block was replaced: its health record and the model's Ri baseline start over. */
  blockReplaced(global: number): void;
}

export interface HealthHost extends HealthService {
  /** Call after each engine tick: moves finished records and samples to the data logger, saves the state now and then. */
  afterTick(): void;
  /** Connects the data logger once it runs: restores the state it kept, then stores from there on. */
  attach(history: HistoryStore): Promise<void>;
  /** Before the data logger stops: stores the samples not yet written and the state (a running test resumes after the restart). */
  close(): Promise<void>;
}

export function createHealthHost(engines: BatteryEngines, site: Site, logger: Logger): HealthHost {
  const health = engines.health;
  let history: HistoryStore | null = null;
  let pending: { startMs: number; samples: TestSample[] } | null = null;
  let lastFlushMs = -Infinity;
  let lastSaveMs = -Infinity;
  let saving = false;
  let lastTestKey = '';
  // Writes go one after the other: a record after its samples, its id back to the engine.
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = (what: string, job: () => Promise<unknown>) => {
    chain = chain.then(job).catch((error: unknown) => logger.warn(`the data logger did not store ${what}`, { error }));
  };

  const flushSamples = () => {
    const batch = pending;
    pending = null;
    if (!batch || !batch.samples.length || !history) return;
    const h = history;
    enqueue('test samples', () => h.appendTestSamples(batch.startMs, batch.samples));
  };

  const saveState = (atMs: number, force = false) => {
    const state = health.exportState();
    if (!state || !history || (saving && !force)) return;
    lastSaveMs = atMs;
    saving = true;
    const h = history;
    enqueue('the health state', () => h.saveEngineState(HEALTH_STATE_KEY, state.atMs, state).finally(() => { saving = false; }));
  };

  return {
    snapshot: () => health.snapshot(site.snapshot()),
    block: (global) => health.healthOf(site.snapshot(), global),
    running: () => health.runningTest(),
    startTest: (request) => {
      const test = health.startTest(site.now(), { trigger: request.trigger, strings: request.strings, by: request.by ?? null, options: request.options }, site.snapshot().strings.length);
      logger.info(`capacity test started (${request.trigger}${request.by ? ` by ${request.by}` : ''}) on string${test.strings.length > 1 ? 's' : ''} ${test.strings.join(', ')}: recording begins when the strings discharge`);
      return test;
    },
    abortTest: () => health.abortTest(site.now()),
    setBlockInfo: (global, info) => health.setBlockInfo(global, info),
    blockReplaced(global) {
      health.startBlockOver(global);
      // The model's baseline is the old block's: the new block's is captured from its own float readings.
      site.update((tx) => tx.module(global, { resistanceBaselineOhm: null }));
      // Kept at once: a restart must not bring back the old block's record from the last hourly save.
      saveState(site.now());
    },
    afterTick() {
      const now = site.now();
      const running = health.runningTest();
      // A test that starts (or starts recording) is kept in the state at once: a restart resumes it.
      const testKey = running ? `${running.state}@${running.startMs}` : '';
      if (testKey !== lastTestKey) {
        lastTestKey = testKey;
        if (running) saveState(now, true);
      }
      const samples = health.takeSamples();
      const finished = health.takeFinishedTests();
      if (samples.length) {
        const startMs = running?.startMs ?? finished[0]?.startMs ?? now;
        if (pending && pending.startMs !== startMs) flushSamples();
        pending ??= { startMs, samples: [] };
        for (const x of samples) pending.samples.push(x);
      }
      if (pending && (finished.length || now - lastFlushMs >= SAMPLE_FLUSH_MS)) {
        lastFlushMs = now;
        flushSamples();
      }
      for (const record of finished) {
        const s = record.strings.map((x) => `S${x.string} ${x.deliveredAh.toFixed(1)} Ah${x.endOfDischarge.collapsedEarly.length ? `, collapsed early: ${x.endOfDischarge.collapsedEarly.map((m) => `M${m}`).join(' ')}` : ''}`).join('; ');
        logger.info(`capacity record (${record.trigger}) ended ${record.end}: ${s || 'no discharge'}`);
        if (!history) continue;
        const h = history;
        enqueue('a capacity test record', async () => {
          const id = await h.saveCapacityTest(record);
          health.recordStored(record.id, id);
          h.recordEvent({ category: 'gateway', action: 'capacity-test', severity: 'info', message: `capacity record ${id} (${record.trigger}) ended ${record.end}: ${s || 'no discharge'}`, detail: { testId: id } });
        });
      }
      if (finished.length) saveState(now);
      else if (now - lastSaveMs >= HEALTH_STATE_SAVE_INTERVAL_MS) saveState(now);
    },
    async close() {
      if (!history) return;
      flushSamples();
      saveState(site.now(), true);
      await chain;
      history = null;
    },
    async attach(store) {
      const state = await store.loadEngineState(HEALTH_STATE_KEY).catch(() => null);
      if (state !== null) {
        logger.info(health.restoreState(state as HealthPersistedState, site.snapshot())
          ? 'health record restored from the data logger' : 'the health record in the data logger does not fit this site: it starts over');
      }
      // A test that was running when the gateway stopped carries on from the samples it had stored.
      const running = health.runningTest();
      if (running?.state === 'running') {
        const samples = (await Promise.all(running.strings.map((n) => store.testSamplesAt(running.startMs, n).catch(() => [])))).flat();
        const n = health.resumeTest(samples);
        logger.info(`capacity test (${running.trigger}, started ${new Date(running.startMs).toISOString()}) resumed from ${n} stored samples`);
      }
      history = store;
      lastTestKey = running ? `${running.state}@${running.startMs}` : '';
      lastSaveMs = site.now();
    },
  };
}
