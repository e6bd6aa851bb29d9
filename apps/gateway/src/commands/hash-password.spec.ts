// `kirchhoff hash-password` and the README's node:crypto recipe both make hashes the API accepts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '@kirchhoff/test-support';
import { hashPasswordCommand } from './hash-password';
import { hashProblem, verifyPassword } from '@kirchhoff/http';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

describe('kirchhoff hash-password', () => {
  it('hashes the first line of standard input', async () => {
    const input = new PassThrough();
    input.end('battery room 1\nsecond line ignored\n');
    const o = io();
    expect(await hashPasswordCommand.run([], o.io, input)).toBe(0);
    const hash = o.out.join('').trim();
    expect(hashProblem(hash)).toBeNull();
    expect(await verifyPassword('battery room 1', hash)).toBe(true);
  });

  it('refuses a short password and a password on the command line', async () => {
    const input = new PassThrough();
    input.end('short\n');
    const o = io();
    expect(await hashPasswordCommand.run([], o.io, input)).toBe(1);
    expect(o.err.join('')).toContain('use at least 8');
    expect(o.out).toEqual([]);
    await expect(hashPasswordCommand.run(['secret'], io().io, new PassThrough())).rejects.toThrow('shell history');
  });

  it('agrees with the node one-liner in docs/http.md', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'http.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('printf \'%s\\n\' "$PASSWORD" | node -e '))!;
    expect(line).toBeDefined();
    const r = await run('sh', ['-c', line], { env: { ...process.env, PASSWORD: 'correct horse battery staple' } });
    expect(r.stderr).toBe('');
    const hash = r.stdout.trim();
    expect(hashProblem(hash)).toBeNull();
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
  });
});
