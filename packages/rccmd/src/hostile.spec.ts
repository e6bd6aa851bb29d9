// Hostile input: random and mutated datagrams and streams never crash the listener or run a
// command, each bad sender costs one log line a minute, and the listener keeps serving.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@kirchhoff/test-support';
import { ProblemLog, VirtualClock } from '@kirchhoff/core';
import { encodeKirchhoff, encodeLegacyMessage } from './codec';
import { RccmdSender } from './sender';
import { parseTarget } from './transport';
import { startTestListener, TestListener } from './test-helpers/loopback';

const KEY = 'fuzz-test-key-0123456789abcdef';

/** A small deterministic generator, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Buffer, rand: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * Math.max(1, b.length));
    switch (Math.floor(rand() * 6)) {
      case 0: b[at] = Math.floor(rand() * 256); break;
      case 1: b[at] ^= 1 << Math.floor(rand() * 8); break;
      case 2: b = b.subarray(0, at); break;
      case 3: b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), b.subarray(at)]); break;
      case 4: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]); break;
      case 5: b = Buffer.concat([b, b.subarray(0, Math.floor(rand() * b.length))]); break;
    }
  }
  return b;
}

describe('hostile input', () => {
  const clock = new VirtualClock();
  const problems = new ProblemLog({ clock });
  let l: TestListener;
  let markers: string;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    markers = mkdtempSync(join(tmpdir(), 'rccmd-fuzz-'));
    l = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'gw', key: KEY }],
      acceptRccmdMessages: true,
      dryRun: false,
      clock,
      problems,
      actions: {
        shutdown: `touch ${markers}/shutdown`,
        execute: { 'stop-db': `touch ${markers}/stop-db`, 'still-alive': `touch ${markers}/still-alive` },
      },
    });
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await l.listener.close();
    rmSync(markers, { recursive: true, force: true });
  });

  // Signed with the right key, but an hour old: a mutation that keeps the mac valid is still stale.
  const corpus = () => [
    encodeKirchhoff({ kind: 'shutdown', from: 'gw', tsMs: clock.now() - 3_600_000, text: 'on battery' }, KEY),
    encodeKirchhoff({ kind: 'execute', from: 'gw', tsMs: clock.now() - 3_600_000, command: 'stop-db' }, KEY),
    encodeKirchhoff({ kind: 'shutdown', from: 'gw', tsMs: clock.now() }),
    encodeLegacyMessage('Powerfail on UPS-A: Autonomietime 125.00 min.'),
    Buffer.from('CONNECT TO RCCMD (SEND) SHUTDOWN'),
  ];

  it('random and mutated datagrams: refused, nothing run, one log line per problem', async () => {
    const rand = rng(8);
    const sock = createSocket('udp4');
    const seeds = corpus();
    const N = 3000;
    const received = () => l.events.filter((e) => e.type === 'rejected' || e.type === 'accepted').length;
    for (let i = 0; i < N; i++) {
      const bytes = i % 3 === 0
        ? Buffer.from(Array.from({ length: Math.floor(rand() * 2100) }, () => Math.floor(rand() * 256)))
        : mutate(seeds[i % seeds.length], rand);
      await new Promise<void>((r) => sock.send(bytes, l.udpPort, '127.0.0.1', () => r()));
      // Pace the flood so the kernel's receive buffer does not drop what the test counts.
      if (i % 20 === 19) await waitFor(() => received() >= i - 20, 5000, 'the listener to keep up');
    }
    sock.close();
    await waitFor(() => received() >= N * 0.98, 10_000, 'the datagrams to arrive');
    await l.listener.idle();
    expect(uncaught).toEqual([]);
    expect(l.actions().filter((a) => a.action !== 'message')).toEqual([]);
    expect(readdirSync(markers)).toEqual([]);
    // One line per kind of refusal (the reasons, with their values, are many more), each refusal counted.
    const warnLines = l.log.lines.filter((x) => x.level === 'warn' && x.message.startsWith('RCCMD listener: refused'));
    const counted = problems.counts().filter((c) => c.source === 'rccmd-listener' && c.kind !== 'public-message');
    expect(warnLines.length).toBe(counted.length);
    expect(counted.every((c) => c.logged === 1)).toBe(true);
    expect(counted.reduce((n, c) => n + c.count, 0)).toBe(l.rejections().length);
  }, 120_000);

  it('random and mutated streams, chunked at random: refused, nothing run', async () => {
    const rand = rng(9);
    const seeds = corpus();
    for (let i = 0; i < 150; i++) {
      const payload = i % 4 === 0
        ? Buffer.from(Array.from({ length: Math.floor(rand() * 6000) }, () => Math.floor(rand() * 256)))
        : Buffer.concat(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => mutate(seeds[Math.floor(rand() * seeds.length)], rand)));
      await new Promise<void>((resolve) => {
        const s = connect(l.tcpPort, '127.0.0.1', async () => {
          for (let at = 0; at < payload.length;) {
            const n = 1 + Math.floor(rand() * 300);
            s.write(payload.subarray(at, at + n));
            at += n;
          }
          if (rand() < 0.5) s.end();
          else s.destroy();
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    await l.listener.idle();
    expect(uncaught).toEqual([]);
    expect(l.actions().filter((a) => a.action !== 'message')).toEqual([]);
    expect(readdirSync(markers)).toEqual([]);
  }, 120_000);

  it('still serves a valid sender afterwards, and really runs its command', async () => {
    const [r] = await new RccmdSender({ id: 'gw', hmacKey: KEY, clock }).send({ kind: 'execute', format: 'kirchhoff', command: 'still-alive', targets: [parseTarget(`127.0.0.1:${l.tcpPort}`, 'tcp')] });
    expect(r.outcome).toBe('acknowledged');
    await l.listener.idle();
    expect(existsSync(join(markers, 'still-alive'))).toBe(true);
    expect(l.events.filter((e) => e.type === 'action-done')).toEqual([{ type: 'action-done', action: 'execute', exitCode: 0 }]);
  });

  it('passes message text to the command only through the environment', async () => {
    const quiet = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'gw', key: KEY }], dryRun: false, clock,
      actions: { message: `printf '%s' "$RCCMD_TEXT" > ${markers}/text` },
    });
    try {
      const text = '$(touch ' + markers + '/pwned); `touch ' + markers + '/pwned2`';
      await new RccmdSender({ id: 'gw', hmacKey: KEY, clock }).send({ kind: 'message', format: 'kirchhoff', text, targets: [parseTarget(`127.0.0.1:${quiet.udpPort}`)] });
      await waitFor(() => quiet.events.some((e) => e.type === 'action-done'));
      expect(readdirSync(markers).sort()).toEqual(['still-alive', 'text']);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(join(markers, 'text'), 'utf8')).toBe(text);
    } finally {
      await quiet.listener.close();
    }
  });

  // Issue 19, point 6: each bad ALIVE was one line, and each public-form text 3 lines and a shell (60 at once).
  it('a flood of bad ALIVEs and of public-form texts: one line per kind a minute, at most 4 message shells at once', async () => {
    const lines = new ProblemLog({ clock });
    const pending: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const flood = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'gw', key: KEY }], dryRun: false, clock, problems: lines, acceptRccmdMessages: true,
      actions: { message: 'wall "$RCCMD_TEXT"' },
      runCommand: () => new Promise((resolve) => {
        most = Math.max(most, ++running);
        pending.push(() => { running--; resolve(0); });
      }),
    });
    try {
      const sock = createSocket('udp4');
      const send = (b: Buffer) => new Promise<void>((r) => sock.send(b, flood.udpPort, '127.0.0.1', () => r()));
      for (let i = 0; i < 100; i++) await send(encodeKirchhoff({ kind: 'alive', from: 'gw', tsMs: clock.now() - 60_000 - i * 1000 }, KEY));
      for (let i = 0; i < 60; i++) await send(encodeLegacyMessage(`Powerfail on UPS-A: Autonomietime ${i}.00 min.`));
      sock.close();
      await waitFor(() => flood.events.filter((e) => e.type === 'rejected' || e.type === 'accepted').length >= 160, 10_000, 'the datagrams to arrive');
      expect(most).toBe(4);
      const warns = flood.log.lines.filter((x) => x.level !== 'debug');
      expect(warns.filter((x) => x.message.includes('stale or future timestamp'))).toHaveLength(1);
      expect(warns.filter((x) => x.message.includes('Powerfail'))).toHaveLength(1);
      expect(warns.filter((x) => x.message.includes('message commands still running'))).toHaveLength(1);
      expect(lines.counts().map((c) => [c.kind, c.count])).toEqual([['timestamp', 100], ['public-message', 60], ['message-command-busy', 56]]);
      while (pending.length) pending.shift()!();
      await flood.listener.idle();
    } finally {
      await flood.listener.close();
    }
  });
});
