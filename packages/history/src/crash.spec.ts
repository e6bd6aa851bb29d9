// kill -9 of a process logging at a high rate: every commit it acknowledged is in the database,
// no transaction is torn, and the file passes PRAGMA integrity_check.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TS_REGISTER } from '@kirchhoff/test-support';

const REGISTER = TS_REGISTER;
const WRITER = join(__dirname, '__fixtures__', 'crash-writer.ts');

/** Runs the writer until it has acknowledged `minAcks` commits, then kills it; returns the last ack. */
function runAndKill(path: string, entity: string, synchronous: string, minAcks: number, extraDelayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, WRITER, path, entity, synchronous], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acks = 0;
    let lastAck = 0;
    let killing = false;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        const m = /^ack (\d+)$/.exec(l);
        if (!m) continue;
        acks++;
        lastAck = Number(m[1]);
        if (acks >= minAcks && !killing) {
          killing = true;
          // A short extra delay so the kill lands at a different point of a commit each round.
          setTimeout(() => child.kill('SIGKILL'), extraDelayMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code}): ${err}`));
      else resolve(lastAck);
    });
  });
}

describe('history logger under kill -9', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-crash-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['full', 0],
    ['normal', 3],
    ['full', 7],
    ['full', 1],
  ])('keeps every acknowledged commit (synchronous=%s, kill %i ms after the 20th ack)', async (synchronous, delayMs) => {
    const path = join(dir, 'history.db');
    const entity = `crash/${synchronous}/${delayMs}`;
    const acked = await runAndKill(path, entity, synchronous, 20, delayMs);
    expect(acked).toBeGreaterThan(0);

    // A fresh connection recovers the WAL the killed process left behind.
    const db = new Database(path);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const s = db.prepare('SELECT count(*) AS n, min(value) AS lo, max(value) AS hi FROM samples WHERE series = (SELECT id FROM series WHERE entity = ?)').get(entity) as { n: number; lo: number; hi: number };
      // Everything acknowledged is there ...
      expect(s.hi + 1).toBeGreaterThanOrEqual(acked);
      // ... and what is there is a whole prefix: no commit is half written.
      expect(s).toEqual({ n: s.hi + 1, lo: 0, hi: s.hi });
      const audit = db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'crash-test' AND json_extract(detail, '$.entity') = ? AND json_extract(detail, '$.n') < ?").get(entity, acked) as { n: number };
      expect(audit.n).toBe(Math.ceil(acked / 100));
    } finally {
      db.close();
    }
  }, 120_000);
});
