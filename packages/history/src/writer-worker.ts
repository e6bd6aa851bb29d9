// The history writer thread: owns the database connection, commits batches, runs maintenance
// and answers queries, one message at a time. A reply to a batch means it is committed.
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryDb } from './db';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (m: FromWorker) => port.postMessage(m);

let db: HistoryDb | null = null;
try {
  db = new HistoryDb(init.path, { synchronous: init.synchronous });
  send({ type: 'ready', fileBytes: db.fileBytes() });
} catch (error) {
  send({ type: 'open-failed', message: (error as Error).message });
}

port.on('message', (m: ToWorker) => {
  if (!db) return send({ type: 'failed', seq: m.seq, message: 'the history database is not open' });
  try {
    let result: unknown;
    switch (m.type) {
      case 'batch':
        result = db.writeBatch(m.batch);
        break;
      case 'maintain':
        result = db.maintain(m.nowMs, m.retention);
        db.checkpoint();
        break;
      case 'query': {
        const fn = db[m.method] as (...args: unknown[]) => unknown;
        result = fn.apply(db, m.args as unknown[]);
        break;
      }
      case 'close':
        db.close();
        db = null;
        send({ type: 'done', seq: m.seq, result: null, fileBytes: 0 });
        port.close();
        return;
    }
    send({ type: 'done', seq: m.seq, result, fileBytes: db.fileBytes() });
  } catch (error) {
    send({ type: 'failed', seq: m.seq, message: (error as Error).message });
  }
});
