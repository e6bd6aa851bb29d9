// Sender to listener over loopback UDP, TCP and TLS: every kind, the public form byte for byte,
// the allow list, HMAC replay and tamper checks, redundancy, alive checks and retries.
import { createSocket } from 'node:dgram';
import { createServer, Socket } from 'node:net';
import { describeWithTools, freeTcpPort, waitFor } from '@kirchhoff/test-support';
import { VirtualClock } from '@kirchhoff/core';
import { encodeKirchhoff, KirchhoffMessage, parseMessage } from './codec';
import { RccmdSender, SenderEvent, SendResult } from './sender';
import { parseTarget, RccmdTransport } from './transport';
import { recordingLogger, startTestListener, TestListener } from './test-helpers/loopback';
import { makeTestPki, TestPki } from './test-helpers/certs';

const KEY_A = 'key-of-sender-a-0123456789';
const KEY_B = 'key-of-sender-b-0123456789';
const KEY_C = 'key-of-sender-c-0123456789';

function udpSend(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.send(bytes, port, '127.0.0.1', (e) => {
      s.close();
      if (e) reject(e);
      else resolve();
    });
  });
}

describe.each(['udp', 'tcp'] as RccmdTransport[])('over %s', (transport) => {
  const clock = new VirtualClock();
  let l: TestListener;
  let sender: RccmdSender;
  const target = () => parseTarget(`127.0.0.1:${transport === 'udp' ? l.udpPort : l.tcpPort}`, transport);

  beforeEach(async () => {
    l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw-a', key: KEY_A }], acceptRccmdMessages: true, clock });
    sender = new RccmdSender({ id: 'gw-a', hmacKey: KEY_A, clock, retryForMs: 0 });
  });
  afterEach(async () => {
    sender.close();
    await l.listener.close();
  });

  it('shutdown: acknowledged, and the listener runs (dry run) its shutdown command', async () => {
    const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [target()], text: 'UPS on battery', job: 'on-battery' });
    expect(r).toMatchObject({ outcome: 'acknowledged', attempts: 1, kind: 'shutdown', job: 'on-battery' });
    expect(l.actions()).toEqual([{ type: 'action', action: 'shutdown', command: 'systemctl poweroff', dryRun: true, senders: ['gw-a'], text: 'UPS on battery' }]);
    expect(l.log.text()).toContain('RCCMD DRY RUN: would run shutdown: systemctl poweroff');
  });

  it('execute: runs the named command prepared on the listener; an unknown name is refused', async () => {
    const [ok] = await sender.send({ kind: 'execute', format: 'kirchhoff', targets: [target()], command: 'stop-db' });
    expect(ok.outcome).toBe('acknowledged');
    expect(l.actions()).toEqual([expect.objectContaining({ action: 'execute', command: 'systemctl stop postgresql', dryRun: true })]);
    const [bad] = await sender.send({ kind: 'execute', format: 'kirchhoff', targets: [target()], command: 'format-disk' });
    expect(bad).toMatchObject({ outcome: 'rejected', detail: 'unknown command format-disk' });
    expect(l.actions()).toHaveLength(1);
  });

  it('message and trap: the text reaches the message command', async () => {
    await sender.send({ kind: 'message', format: 'kirchhoff', targets: [target()], text: 'Battery test at 14:00' });
    await sender.send({ kind: 'trap', format: 'kirchhoff', targets: [target()], text: 'Input 0 V, battery 81 %' });
    expect(l.actions().map((a) => [a.action, a.text])).toEqual([['message', 'Battery test at 14:00'], ['message', 'Input 0 V, battery 81 %']]);
  });

  it('public RCCMD form: the exact capture bytes on the wire, parsed by the listener to its event', async () => {
    const [r] = await sender.send({ kind: 'message', format: 'rccmd', targets: [target()], text: 'Powerfail on <ups-name>: Autonomietime 125.00 min.' });
    expect(r.outcome).toBe('sent');
    const accepted = await waitFor(() => l.events.find((e) => e.type === 'accepted'));
    expect(accepted).toMatchObject({ authenticated: false, message: { format: 'rccmd', text: 'Powerfail on <ups-name>: Autonomietime 125.00 min.', event: { type: 'powerfail', autonomyMin: 125 } } });
    expect(l.actions()).toEqual([expect.objectContaining({ action: 'message', text: 'Powerfail on <ups-name>: Autonomietime 125.00 min.' })]);
  });
});

describe('the public form on the wire', () => {
  const capture = 'CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Powerfail on <ups-name>: restored.';

  it('UDP: one datagram with exactly the captured bytes', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
    const sender = new RccmdSender({ id: 'gw' });
    await sender.send({ kind: 'message', format: 'rccmd', targets: [parseTarget(`127.0.0.1:${sock.address().port}`)], text: 'Powerfail on <ups-name>: restored.' });
    expect((await got).equals(Buffer.from(capture, 'ascii'))).toBe(true);
    sock.close();
  });

  it('TCP: the captured bytes, then the sender closes (no terminator)', async () => {
    let received = Buffer.alloc(0);
    const closed = new Promise<void>((resolve) => {
      const server = createServer((s: Socket) => {
        s.on('data', (d) => (received = Buffer.concat([received, d])));
        s.on('end', () => {
          s.end();
          server.close();
          resolve();
        });
      });
      server.listen(0, '127.0.0.1', async () => {
        const port = (server.address() as { port: number }).port;
        await new RccmdSender({ id: 'gw' }).send({ kind: 'message', format: 'rccmd', targets: [parseTarget(`127.0.0.1:${port}`, 'tcp')], text: 'Powerfail on <ups-name>: restored.' });
      });
    });
    await closed;
    expect(received.toString('latin1')).toBe(capture);
  });

  it('refuses shutdown and execute in the public form (their strings are not public)', async () => {
    const sender = new RccmdSender({ id: 'gw' });
    await expect(sender.send({ kind: 'shutdown', format: 'rccmd', targets: [parseTarget('127.0.0.1')] })).rejects.toThrow(/shutdown cannot be sent in the public RCCMD form/);
  });
});

describe('allow list and authentication', () => {
  const clock = new VirtualClock();
  let l: TestListener;
  afterEach(() => l.listener.close());

  it('refuses senders not on the list with one log line, and does nothing', async () => {
    l = await startTestListener({ senders: [{ address: '10.0.0.0/24', id: 'gw-a', key: KEY_A }], clock });
    const sender = new RccmdSender({ id: 'gw-a', hmacKey: KEY_A, clock, retryForMs: 0, ioTimeoutMs: 300 });
    const results = await Promise.all([
      sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.udpPort}`)] }),
      sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.udpPort}`)] }),
    ]);
    expect(results.flat().map((r) => r.outcome)).toEqual(['failed', 'failed']);
    const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.tcpPort}`, 'tcp')] });
    expect(r.outcome).toBe('failed');
    expect(l.rejections().map((e) => [e.transport, e.reason])).toEqual([
      ['udp', 'unknown sender (not in the allowed-sender list)'],
      ['udp', 'unknown sender (not in the allowed-sender list)'],
      ['tcp', 'unknown sender (not in the allowed-sender list)'],
    ]);
    const warnLines = l.log.lines.filter((x) => x.level === 'warn' && x.message.includes('refused'));
    expect(warnLines.map((x) => x.message)).toEqual(['RCCMD listener: refused udp message from 127.0.0.1: unknown sender (not in the allowed-sender list)']);
    expect(l.actions()).toEqual([]);
  });

  it('refuses a wrong sender id, unsigned messages from a keyed sender, and unkeyed senders without TLS', async () => {
    l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw-a', key: KEY_A }, { address: '127.0.0.1', id: 'gw-open' }], clock });
    const opts = { clock, retryForMs: 0, ioTimeoutMs: 300 };
    const t = parseTarget(`127.0.0.1:${l.udpPort}`);
    const [wrongId] = await new RccmdSender({ id: 'gw-x', hmacKey: KEY_A, ...opts }).send({ kind: 'shutdown', format: 'kirchhoff', targets: [t] });
    const [unsigned] = await new RccmdSender({ id: 'gw-a', ...opts }).send({ kind: 'shutdown', format: 'kirchhoff', targets: [t] });
    const [wrongKey] = await new RccmdSender({ id: 'gw-a', hmacKey: 'not-the-right-key-at-all', ...opts }).send({ kind: 'shutdown', format: 'kirchhoff', targets: [t] });
    // The listener answers this one (a rejection): a limit no busy machine's pause reaches.
    const [open] = await new RccmdSender({ id: 'gw-open', ...opts, ioTimeoutMs: 10_000 }).send({ kind: 'shutdown', format: 'kirchhoff', targets: [t] });
    expect([wrongId.outcome, unsigned.outcome, wrongKey.outcome]).toEqual(['failed', 'failed', 'failed']);
    expect(open).toMatchObject({ outcome: 'rejected', detail: 'unauthenticated' });
    expect(l.rejections().map((e) => e.reason)).toEqual([
      'sender id "gw-x" is not allowed from 127.0.0.1',
      'unauthenticated: sender gw-a must sign its messages',
      'bad mac from gw-a (wrong key or altered message)',
      'unauthenticated shutdown from gw-open (no key for it, not TLS, allowUnauthenticated is off)',
    ]);
    expect(l.actions()).toEqual([]);
  });

  it('accepts an unkeyed sender only with allowUnauthenticated, and warns about it at start', async () => {
    l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw-open' }], allowUnauthenticated: true, clock });
    const [r] = await new RccmdSender({ id: 'gw-open', clock }).send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.udpPort}`)] });
    expect(r.outcome).toBe('acknowledged');
    expect(l.actions()).toHaveLength(1);
    expect(l.log.text()).toMatch(/UNAUTHENTICATED shutdown and execute messages are accepted/);
  });

  it('rejects a replayed message and one outside the time window, and a tampered one', async () => {
    l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw-a', key: KEY_A }], clock, replayWindowS: 30 });
    const original = encodeKirchhoff({ kind: 'execute', from: 'gw-a', tsMs: clock.now(), command: 'stop-db' }, KEY_A);
    await udpSend(l.udpPort, original);
    await waitFor(() => l.actions().length === 1);
    await udpSend(l.udpPort, original);
    await waitFor(() => l.rejections().length === 1);
    expect(l.rejections()[0].reason).toBe('replayed message from gw-a (nonce seen before)');

    const tampered = Buffer.from(encodeKirchhoff({ kind: 'execute', from: 'gw-a', tsMs: clock.now(), command: 'stop-db' }, KEY_A).toString().replace('cmd=stop-db', 'cmd=stop-dc'));
    await udpSend(l.udpPort, tampered);
    await waitFor(() => l.rejections().length === 2);
    expect(l.rejections()[1].reason).toBe('bad mac from gw-a (wrong key or altered message)');

    const old = encodeKirchhoff({ kind: 'execute', from: 'gw-a', tsMs: clock.now(), command: 'stop-db' }, KEY_A);
    clock.advance(31_000);
    await udpSend(l.udpPort, old);
    await waitFor(() => l.rejections().length === 3);
    expect(l.rejections()[2].reason).toMatch(/^stale or future timestamp from gw-a \(-31 s off; window 30 s\)/);
    expect(l.actions()).toHaveLength(1);
  });
});

describe('redundancy 2 of 3', () => {
  it('acts only when the second of three senders says shutdown, and once', async () => {
    const clock = new VirtualClock();
    const l = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'ups-a', key: KEY_A }, { address: '127.0.0.1', id: 'ups-b', key: KEY_B }, { address: '127.0.0.1', id: 'ups-c', key: KEY_C }],
      redundancy: 2, clock,
    });
    try {
      const t = [parseTarget(`127.0.0.1:${l.tcpPort}`, 'tcp')];
      const send = (id: string, key: string) => new RccmdSender({ id, hmacKey: key, clock }).send({ kind: 'shutdown', format: 'kirchhoff', targets: t });
      await send('ups-a', KEY_A);
      expect(l.actions()).toEqual([]);
      expect(l.events.filter((e) => e.type === 'vote')).toEqual([{ type: 'vote', action: 'shutdown', sender: 'ups-a', votes: ['ups-a'], required: 2 }]);
      await send('ups-a', KEY_A);
      expect(l.actions()).toEqual([]);
      await send('ups-b', KEY_B);
      expect(l.actions()).toEqual([expect.objectContaining({ action: 'shutdown', senders: ['ups-a', 'ups-b'] })]);
      await send('ups-c', KEY_C);
      expect(l.actions()).toHaveLength(1);
      expect(l.log.text()).toContain('RCCMD shutdown from ups-c: the shutdown already started');
    } finally {
      await l.listener.close();
    }
  });

  it('forgets votes older than the vote window', async () => {
    const clock = new VirtualClock();
    const l = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'ups-a', key: KEY_A }, { address: '127.0.0.1', id: 'ups-b', key: KEY_B }, { address: '127.0.0.1', id: 'ups-c', key: KEY_C }],
      redundancy: 2, voteWindowS: 60, clock,
    });
    try {
      const t = [parseTarget(`127.0.0.1:${l.udpPort}`)];
      await new RccmdSender({ id: 'ups-a', hmacKey: KEY_A, clock }).send({ kind: 'shutdown', format: 'kirchhoff', targets: t });
      clock.advance(61_000);
      await new RccmdSender({ id: 'ups-b', hmacKey: KEY_B, clock }).send({ kind: 'shutdown', format: 'kirchhoff', targets: t });
      expect(l.actions()).toEqual([]);
      await new RccmdSender({ id: 'ups-c', hmacKey: KEY_C, clock }).send({ kind: 'shutdown', format: 'kirchhoff', targets: t });
      expect(l.actions()).toEqual([expect.objectContaining({ senders: ['ups-b', 'ups-c'] })]);
    } finally {
      await l.listener.close();
    }
  });
});

describe('alive checks', () => {
  it('reports a sender silent after the timeout, and back when it is heard again', async () => {
    const clock = new VirtualClock();
    const l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'ups-a', key: KEY_A }, { address: '127.0.0.1', id: 'ups-b', key: KEY_B }], redundancy: 2, aliveTimeoutS: 10, clock });
    const a = new RccmdSender({ id: 'ups-a', hmacKey: KEY_A, clock });
    try {
      a.startAlive([parseTarget(`127.0.0.1:${l.udpPort}`)], 3000);
      for (let s = 0; s < 12; s++) {
        const seen = l.events.filter((e) => e.type === 'accepted').length;
        clock.advance(1000);
        // An alive is sent at 3, 6, 9 and 12 s: wait until it has arrived before moving on.
        if ((s + 1) % 3 === 0) await waitFor(() => l.events.filter((e) => e.type === 'accepted').length > seen);
      }
      expect(l.events.filter((e) => e.type === 'sender-silent')).toEqual([{ type: 'sender-silent', sender: 'ups-b' }]);
      expect(l.listener.senderStatus()).toEqual([
        { sender: 'ups-a', lastSeenMs: expect.any(Number), alive: true },
        { sender: 'ups-b', lastSeenMs: null, alive: false },
      ]);
      expect(l.log.text()).toMatch(/RCCMD sender ups-b silent for 10 s/);
      expect(l.log.text()).toMatch(/RCCMD redundancy 2 of 2 cannot be reached: only 1 sender\(s\) alive/);
      await udpSend(l.udpPort, encodeKirchhoff({ kind: 'alive', from: 'ups-b', tsMs: clock.now() }, KEY_B));
      await waitFor(() => l.events.some((e) => e.type === 'sender-alive'));
      expect(l.listener.senderStatus()[1].alive).toBe(true);
    } finally {
      a.close();
      await l.listener.close();
    }
  });
});

describe('retries', () => {
  it('retries a refused TCP connection and delivers once the listener is up', async () => {
    const clock = new VirtualClock();
    const port = await freeTcpPort();
    const events: SenderEvent[] = [];
    const sender = new RccmdSender({ id: 'gw-a', hmacKey: KEY_A, clock, onEvent: (e) => events.push(e) });
    const done = sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${port}`, 'tcp')] });
    await waitFor(() => events.some((e) => e.type === 'attempt-failed'));
    expect(events[0]).toMatchObject({ type: 'attempt-failed', attempt: 1, retryInMs: 1000, error: expect.stringMatching(/ECONNREFUSED/) });
    const l = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw-a', key: KEY_A }], tcp: { host: '127.0.0.1', port }, udp: null, clock });
    try {
      clock.advance(1000);
      const [r] = await done;
      expect(r).toMatchObject({ outcome: 'acknowledged', attempts: 2 });
      expect(l.actions()).toHaveLength(1);
    } finally {
      await l.listener.close();
    }
  });

  it('gives up after 30 s of failed attempts, and says so', async () => {
    const clock = new VirtualClock();
    const port = await freeTcpPort();
    const events: SenderEvent[] = [];
    const log = recordingLogger();
    const sender = new RccmdSender({ id: 'gw-a', hmacKey: KEY_A, clock, logger: log, onEvent: (e) => events.push(e) });
    let result: SendResult[] | null = null;
    void sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${port}`, 'tcp')], job: 'j1' }).then((r) => (result = r));
    const failures = () => events.filter((e): e is Extract<SenderEvent, { type: 'attempt-failed' }> => e.type === 'attempt-failed');
    for (let attempt = 1; !result; attempt++) {
      await waitFor(() => result || failures().length >= attempt);
      if (!result) clock.advance(failures()[attempt - 1].retryInMs!);
    }
    // 1, 2, 4, 8, 8, 7 s between attempts: seven attempts in 30 s.
    expect(failures().map((f) => f.retryInMs)).toEqual([1000, 2000, 4000, 8000, 8000, 7000, null]);
    expect(result![0]).toMatchObject({ outcome: 'failed', attempts: 7, job: 'j1' });
    expect(log.lines.filter((x) => x.level === 'error').map((x) => x.message)).toEqual([expect.stringMatching(/^RCCMD shutdown \(job j1\) to tcp:\/\/127\.0\.0\.1:\d+: failed \(.*ECONNREFUSED.*\) after 7 attempts$/)]);
  });
});

describeWithTools(['openssl'], 'TLS 1.3 with certificates', () => {
  let pki: TestPki;
  let l: TestListener;
  beforeAll(async () => {
    pki = makeTestPki();
    l = await startTestListener({
      senders: [{ address: '127.0.0.1', id: 'gw-tls' }],
      udp: null, tcp: null,
      tls: { host: '127.0.0.1', port: 0, cert: pki.listener.cert, key: pki.listener.key, ca: pki.ca },
    });
  });
  afterAll(async () => {
    await l?.listener.close();
    pki?.cleanup();
  });

  it('accepts a sender whose certificate the site CA signed', async () => {
    const sender = new RccmdSender({ id: 'gw-tls', tls: { cert: pki.sender.cert, key: pki.sender.key, ca: pki.ca } });
    const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.tlsPort}`, 'tls')] });
    expect(r.outcome).toBe('acknowledged');
    expect(l.events.find((e) => e.type === 'accepted')).toMatchObject({ transport: 'tls', authenticated: true });
    expect(l.actions()).toHaveLength(1);
  });

  it('refuses a certificate from another CA, with one log line, and does nothing', async () => {
    const before = l.actions().length;
    const sender = new RccmdSender({ id: 'gw-tls', tls: pki.rogueSender, retryForMs: 0 });
    const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.tlsPort}`, 'tls')] });
    expect(r.outcome).toBe('failed');
    await waitFor(() => l.rejections().length > 0);
    expect(l.rejections()[0]).toMatchObject({ transport: 'tls', reason: expect.stringMatching(/^TLS handshake refused/) });
    expect(l.log.lines.filter((x) => x.message.includes('TLS handshake refused'))).toHaveLength(1);
    expect(l.actions()).toHaveLength(before);
  });

  it('the sender refuses a listener whose certificate its CA did not sign', async () => {
    const sender = new RccmdSender({ id: 'gw-tls', tls: { ...pki.sender, ca: pki.rogueSender.cert }, retryForMs: 0 });
    const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.0.0.1:${l.tlsPort}`, 'tls')] });
    expect(r).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/certificate/) });
  });
});

it('parses what it sends (sanity of the ACK path)', () => {
  const ack = parseMessage(encodeKirchhoff({ kind: 'ack', from: 'h', tsMs: 1, re: '0123456789abcdef' }, KEY_A));
  expect(ack.ok && (ack.message as KirchhoffMessage).re).toBe('0123456789abcdef');
});

describe('broadcast', () => {
  it('reaches a listener on the segment; nothing to acknowledge, so the outcome is sent', async () => {
    const clock = new VirtualClock();
    const l = await startTestListener({ senders: [{ address: '127.0.0.0/8', id: 'gw-a', key: KEY_A }], udp: { host: '0.0.0.0', port: 0 }, tcp: null, clock });
    try {
      const sender = new RccmdSender({ id: 'gw-a', hmacKey: KEY_A, clock });
      const [r] = await sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget(`127.255.255.255:${l.udpPort}`, 'udp', true)] });
      expect(r).toMatchObject({ outcome: 'sent', target: `udp://127.255.255.255:${l.udpPort} (broadcast)` });
      await waitFor(() => l.actions().length === 1);
      expect(l.actions()[0]).toMatchObject({ action: 'shutdown', senders: ['gw-a'] });
    } finally {
      await l.listener.close();
    }
  });
});

it('a text that cannot be encoded fails that send with the reason, without throwing', async () => {
  const [r] = await new RccmdSender({ id: 'gw' }).send({ kind: 'message', format: 'kirchhoff', text: 'x'.repeat(1025), targets: [parseTarget('127.0.0.1:9')] });
  expect(r).toMatchObject({ outcome: 'failed', attempts: 1, detail: 'RCCMD text is 1025 characters: at most 1024' });
});
