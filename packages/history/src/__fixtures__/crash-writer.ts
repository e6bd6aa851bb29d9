// A logger writing as fast as it can, for the kill -9 test: `node -r tools/test-support/ts-register.js
// crash-writer.ts DB ENTITY full|normal`. Sample n has value n at T0 + n ms; every 100th sample
// also gets an audit entry. After each commit it prints `ack N`: samples 0..N-1 are committed.
// It produces as fast as the writer thread commits, never faster: a producer that outruns the
// commits (a busy machine slows the worker, not the 1 ms timer) would fill the queue and have
// samples dropped, which is the logger working as designed, not what this test is about.
import { memoryLog } from '../test-helpers/memory-log';
import { HistoryLogger } from '../store';

const [path, entity, synchronous] = process.argv.slice(2);
const T0 = Date.UTC(2026, 0, 1);
const CAPACITY = 1_000_000;
/** Samples held in memory at most: several full batches (20,000 rows) ahead of the worker. */
const AHEAD = 100_000;
const CHUNK = 500;

void (async () => {
  const logger = await HistoryLogger.open({
    path, synchronous: synchronous as 'full' | 'normal', flushIntervalMs: 5, queueCapacity: CAPACITY,
    retention: { rawDays: 3650, minuteDays: 0, hourDays: 0, eventDays: 0, auditDays: 0 }, logger: memoryLog(),
  });
  let next = 0;
  setInterval(() => {
    if (logger.stats().queued + CHUNK > AHEAD) return;
    const rows: [string, string, number, number, number][] = [];
    for (let i = 0; i < CHUNK; i++, next++) {
      rows.push([entity, 'value', T0 + next, next, 0]);
      if (next % 100 === 0) logger.recordAudit({ kind: 'command', action: 'crash-test', outcome: 'ok', detail: { entity, n: next } });
    }
    logger.enqueueSamples(rows);
  }, 1);
  process.stdout.write('ready\n');
  for (;;) {
    await new Promise((r) => setImmediate(r));
    const upTo = next;
    if (!upTo) continue;
    await logger.flush();
    // flush() also settles on a failed batch: only a clean commit is acknowledged.
    if (logger.stats().writeErrors) throw new Error(`write failed: ${logger.stats().lastError}`);
    if (logger.stats().dropped.measurements) throw new Error('dropped samples');
    // Written synchronously to the pipe: the test sees it only after the commit it reports.
    process.stdout.write(`ack ${upTo}\n`);
  }
})();
