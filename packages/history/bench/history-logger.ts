// Data logger benchmark: samples of a 16 x 32 site written (a) through the HistoryLogger (queue on
// this thread, SQLite in its writer thread) and (b) by the peer: the same batched inserts with
// better-sqlite3 on this thread, as a logger without a worker would. Prints committed rows/s and
// this thread's event-loop delay (what the bus loop would feel), median of the runs.
// Run (in packages/history): npm run bench -- [--seconds S] [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { HistoryDb, type SampleRow } from '../src/db';
import { HistoryLogger } from '../src/store';
import { memoryLog } from '../src/test-helpers/memory-log';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, runs: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const MODULES = 512;
const FIELDS = ['voltageV', 'temperatureC', 'resistanceOhm', 'socPercent', 'balancingActivityPercent'];
/** One tick = every module's five values, as the sampler produces them; ticks every TICK_MS. */
const TICK_MS = 10;
const RETENTION = { rawDays: 7, minuteDays: 0, hourDays: 0, eventDays: 0, auditDays: 0 };

function tickRows(t: number): SampleRow[] {
  const rows: SampleRow[] = [];
  for (let m = 1; m <= MODULES; m++) {
    const entity = `string/${Math.ceil(m / 32)}/module/${((m - 1) % 32) + 1}`;
    for (const f of FIELDS) rows.push([entity, f, t, 13.5 + m / 1000, 0]);
  }
  return rows;
}

interface Result { rowsPerS: number; loopP99Ms: number; loopMaxMs: number }

async function measure(write: (rows: SampleRow[]) => void, finish: () => Promise<number>): Promise<Result> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = Date.now();
  let t = start;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      write(tickRows(t++));
      if (Date.now() - start >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const rows = await finish();
  delay.disable();
  const seconds = (Date.now() - start) / 1000;
  return { rowsPerS: rows / seconds, loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6 };
}

async function viaLogger(dir: string): Promise<Result> {
  const logger = await HistoryLogger.open({ path: join(dir, 'logger.db'), retention: RETENTION, logger: memoryLog(), flushIntervalMs: 100, queueCapacity: 1_000_000, synchronous: 'normal' });
  const r = await measure((rows) => logger.enqueueSamples(rows), async () => {
    await logger.flush();
    const s = logger.stats();
    if (s.dropped.measurements) console.warn(`logger dropped ${s.dropped.measurements} samples`);
    return s.written;
  });
  await logger.close();
  return r;
}

async function onThisThread(dir: string): Promise<Result> {
  const db = new HistoryDb(join(dir, 'direct.db'), { synchronous: 'normal' });
  let pending: SampleRow[] = [];
  let written = 0;
  let last = Date.now();
  const r = await measure((rows) => {
    pending.push(...rows);
    // The same 100 ms batches the logger commits.
    if (Date.now() - last >= 100) {
      written += db.writeBatch({ samples: pending, events: [], audit: [] });
      pending = [];
      last = Date.now();
    }
  }, async () => {
    written += db.writeBatch({ samples: pending, events: [], audit: [] });
    return written;
  });
  db.close();
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

void (async () => {
  const logger: Result[] = [];
  const peer: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bench-history-'));
    try {
      logger.push(await viaLogger(dir));
      peer.push(await onThisThread(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const show = (name: string, rs: Result[]) => console.log(`${name.padEnd(34)} ${Math.round(median(rs.map((r) => r.rowsPerS))).toString().padStart(8)} rows/s   event loop p99 ${median(rs.map((r) => r.loopP99Ms)).toFixed(1).padStart(6)} ms   max ${median(rs.map((r) => r.loopMaxMs)).toFixed(1).padStart(6)} ms`);
  console.log(`${MODULES} modules x ${FIELDS.length} values every ${TICK_MS} ms offered (${Math.round((MODULES * FIELDS.length * 1000) / TICK_MS)} rows/s), ${SECONDS} s x ${RUNS} runs, medians:`);
  show('HistoryLogger (writer thread)', logger);
  show('peer: better-sqlite3 on this thread', peer);
  console.log(`ratio logger/peer: rows/s ${(median(logger.map((r) => r.rowsPerS)) / median(peer.map((r) => r.rowsPerS))).toFixed(2)}, event-loop p99 ${(median(logger.map((r) => r.loopP99Ms)) / median(peer.map((r) => r.loopP99Ms))).toFixed(2)}`);
})();
