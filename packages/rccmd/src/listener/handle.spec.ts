// The whole listener driven through handle(stream) with an in-memory stream and through
// handleDatagram with a reply function: no socket. Request lines are written out here as
// docs/rccmd.md specifies them and signed with node:crypto (HMAC-SHA256 over the line before
// " mac="), not with this package's codec.
import { createHmac } from 'node:crypto';
import { Duplex } from 'node:stream';
import { VirtualClock } from '@kirchhoff/core';
import { RccmdListener } from './index';
import type { ListenerEvent, ListenerOptions } from './options';

const KEY = 'key-of-sender-a-0123456789';
const NOW = 1_700_000_000_000;
const NONCE = '0123456789abcdef01234567';

function signed(line: string, key = KEY): Buffer {
  return Buffer.from(`${line} mac=${createHmac('sha256', key).update(line).digest('hex')}\n`);
}

/** An in-memory duplex: what the test pushes is what the listener reads; what it writes is kept. */
function memoryStream(): { stream: Duplex; written: Buffer[]; closed: () => boolean } {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  return { stream, written, closed: () => stream.destroyed || stream.writableEnded };
}

function listener(o: Partial<ListenerOptions> = {}) {
  const events: ListenerEvent[] = [];
  const ran: { command: string; env: Readonly<Record<string, string>> }[] = [];
  const l = new RccmdListener({
    id: 'host-1',
    senders: [{ address: '192.0.2.10', id: 'gw-a', key: KEY }],
    actions: { shutdown: 'systemctl poweroff' },
    clock: new VirtualClock(NOW),
    onEvent: (e) => events.push(e),
    runCommand: async (command, env) => {
      ran.push({ command, env });
      return 0;
    },
    ...o,
  });
  return { l, events, ran };
}

/** Lets the stream deliver what was pushed. */
const flush = () => new Promise((r) => setImmediate(r));

describe('RccmdListener.handle(stream): no socket', () => {
  it('a signed shutdown: ACK on the stream, signed, naming its nonce; the shutdown command runs', async () => {
    const { l, events, ran } = listener();
    const { stream, written } = memoryStream();
    l.handle(stream, { remote: '192.0.2.10' });
    stream.push(signed(`KRCCMD/1 SHUTDOWN from=gw-a ts=${NOW} nonce=${NONCE} text=UPS%20on%20battery`));
    await flush();
    await l.idle();

    const ack = Buffer.concat(written).toString();
    const m = /^KRCCMD\/1 ACK from=host-1 ts=1700000000000 nonce=[0-9a-f]+ re=0123456789abcdef01234567 mac=([0-9a-f]{64})\n$/.exec(ack);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(createHmac('sha256', KEY).update(ack.slice(0, ack.indexOf(' mac='))).digest('hex'));
    expect(ran).toEqual([{ command: 'systemctl poweroff', env: { RCCMD_ACTION: 'shutdown', RCCMD_COMMAND: '', RCCMD_SENDER: 'gw-a', RCCMD_SENDERS: 'gw-a', RCCMD_TEXT: 'UPS on battery' } }]);
    expect(events.map((e) => e.type)).toEqual(['accepted', 'vote', 'action', 'action-done']);
  });

  it('a shutdown signed with another key: refused as a bad mac, no answer, nothing runs', async () => {
    const { l, events, ran } = listener();
    const { stream, written } = memoryStream();
    l.handle(stream, { remote: '192.0.2.10' });
    stream.push(signed(`KRCCMD/1 SHUTDOWN from=gw-a ts=${NOW} nonce=${NONCE}`, 'not-the-key-of-sender-a'));
    await flush();
    await l.idle();
    expect(written).toEqual([]);
    expect(ran).toEqual([]);
    expect(events).toEqual([{ type: 'rejected', remote: '192.0.2.10', transport: 'tcp', reason: 'bad mac from gw-a (wrong key or altered message)' }]);
  });

  it('a stream from an address no sender is allowed at is closed before it is read', async () => {
    const { l, events } = listener();
    const { stream, closed } = memoryStream();
    l.handle(stream, { remote: '198.51.100.7' });
    expect(closed()).toBe(true);
    expect(events).toEqual([{ type: 'rejected', remote: '198.51.100.7', transport: 'tcp', reason: 'unknown sender (not in the allowed-sender list)' }]);
  });

  it('an unkeyed sender: NAK "unauthenticated" over plain TCP, accepted with a verified TLS client certificate', async () => {
    const { l, events, ran } = listener({ senders: [{ address: '192.0.2.10', id: 'gw-a' }] });
    const plain = memoryStream();
    l.handle(plain.stream, { remote: '192.0.2.10' });
    plain.stream.push(Buffer.from(`KRCCMD/1 SHUTDOWN from=gw-a ts=${NOW} nonce=${NONCE}\n`));
    await flush();
    expect(Buffer.concat(plain.written).toString()).toMatch(new RegExp(`^KRCCMD/1 NAK from=host-1 ts=${NOW} nonce=[0-9a-f]+ re=${NONCE} reason=unauthenticated\n$`));
    expect(ran).toEqual([]);

    const tls = memoryStream();
    l.handle(tls.stream, { remote: '192.0.2.10', transport: 'tls', certOk: true });
    tls.stream.push(Buffer.from(`KRCCMD/1 SHUTDOWN from=gw-a ts=${NOW} nonce=${NONCE}\n`));
    await flush();
    await l.idle();
    expect(Buffer.concat(tls.written).toString()).toMatch(/^KRCCMD\/1 ACK from=host-1 /);
    expect(ran.map((r) => r.command)).toEqual(['systemctl poweroff']);
    expect(events.find((e) => e.type === 'accepted')).toMatchObject({ transport: 'tls', authenticated: true });
  });

  it('the public form ends at the end of the stream: its text reaches the message command', async () => {
    const { l, ran } = listener({ acceptRccmdMessages: true, actions: { message: 'wall "$RCCMD_TEXT"' } });
    const { stream } = memoryStream();
    l.handle(stream, { remote: '192.0.2.10' });
    // The public form as docs/rccmd.md gives it: no line end, the sender closes after it.
    stream.push(Buffer.from('CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Power failure'));
    stream.push(null);
    await flush();
    await l.idle();
    expect(ran).toEqual([expect.objectContaining({ command: 'wall "$RCCMD_TEXT"', env: expect.objectContaining({ RCCMD_TEXT: 'Power failure' }) })]);
  });
});

describe('RccmdListener.handleDatagram: no socket', () => {
  it('a signed shutdown datagram is acknowledged through the reply function; replayed, it is refused', async () => {
    const { l, events, ran } = listener();
    const replies: Buffer[] = [];
    const datagram = signed(`KRCCMD/1 SHUTDOWN from=gw-a ts=${NOW} nonce=${NONCE}`);
    l.handleDatagram(datagram, '192.0.2.10', (b) => replies.push(b));
    l.handleDatagram(datagram, '192.0.2.10', (b) => replies.push(b));
    await l.idle();
    expect(replies.map((b) => b.toString().split(' ')[1])).toEqual(['ACK']);
    expect(ran).toHaveLength(1);
    expect(events.filter((e) => e.type === 'rejected')).toEqual([{ type: 'rejected', remote: '192.0.2.10', transport: 'udp', reason: 'replayed message from gw-a (nonce seen before)' }]);
  });
});
