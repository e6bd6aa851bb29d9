import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, errorText } from './log';

const collect = (journal: boolean, format: 'json' | 'pretty' = 'json', level: 'debug' | 'info' = 'info') => {
  const lines: string[] = [];
  const log = createLogger({ journal, format, level, write: (l) => lines.push(l), clock: () => 0 }, 'test');
  return { log, lines };
};

describe('logs under systemd', () => {
  it('each line starts with its syslog priority for journald, so journalctl -p err finds the errors', () => {
    const { log, lines } = collect(true);
    log.error('e'); log.warn('w'); log.info('i'); log.child('bus').error('child');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<3>']);
    // What follows the prefix is still one JSON object.
    expect(JSON.parse(lines[3].slice(3))).toMatchObject({ level: 'error', component: 'bus', msg: 'child' });
  });

  it('no prefix when stderr is not the journal', () => {
    const { log, lines } = collect(false);
    log.error('e');
    expect(lines[0].startsWith('{')).toBe(true);
  });

  it('finds the journal from JOURNAL_STREAM naming stderr (device:inode), as systemd sets it, and only then', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-journal-'));
    const file = join(dir, 'stderr');
    const script = `require(${JSON.stringify(require.resolve('../../../tools/test-support/ts-register.js'))}); const { createLogger } = require(${JSON.stringify(join(__dirname, 'log.ts'))}); createLogger({ format: 'json' }).error('breaker did not open');`;
    const runWith = (stream: (st: { dev: number; ino: number }) => string) => {
      const fd = openSync(file, 'w');
      const st = statSync(file);
      spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: stream(st) } });
      closeSync(fd);
      return readFileSync(file, 'utf8');
    };
    expect(runWith((st) => `${st.dev}:${st.ino}`)).toMatch(/^<3>\{.*"breaker did not open"/);
    // A JOURNAL_STREAM inherited by a child whose stderr was redirected elsewhere does not count.
    expect(runWith((st) => `${st.dev}:${st.ino + 1}`)).toMatch(/^\{.*"breaker did not open"/);
  });
});

describe('errors in logs', () => {
  it('keep their causes, code and stack', () => {
    const { log, lines } = collect(false);
    const inner = Object.assign(new Error('EACCES: permission denied, open /var/lib/kirchhoff/history.db'), { code: 'EACCES' });
    log.error('data logger failed', { error: new Error('cannot open the data logger', { cause: inner }) });
    const line = JSON.parse(lines[0]);
    expect(line.error).toBe('cannot open the data logger (cause: EACCES: permission denied, open /var/lib/kirchhoff/history.db)');
    expect(line.errorStack).toMatch(/^Error: cannot open the data logger\n\s+at .*log\.spec\.ts/);
    expect(line.errorCode).toBeUndefined();
    log.error('x', { error: inner });
    expect(JSON.parse(lines[1]).errorCode).toBe('EACCES');
  });

  it('on a terminal show the causes, and the stack only at debug level', () => {
    const info = collect(false, 'pretty', 'info');
    info.log.error('failed', { error: new Error('outer', { cause: 'a string cause' }) });
    expect(info.lines[0]).toMatch(/ERROR \[test\] failed error=outer \(cause: a string cause\)$/);
    const debug = collect(false, 'pretty', 'debug');
    debug.log.error('failed', { error: new Error('outer') });
    expect(debug.lines[0]).toMatch(/errorStack=Error: outer\n\s+at /);
  });

  it('a cause chain is cut after five levels (a cycle does not hang the logger)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorText(b)).toBe('b (cause: a) (cause: b) (cause: a) (cause: b) (cause: a)');
  });
});
