// Hostile input over real sockets: truncated, oversized and lying MBAP frames, unknown function
// codes, random bytes and 1,000 held connections. Each bad connection gets an exception or is
// closed; a well-behaved client (modbus-serial, an independent implementation) keeps getting
// correct answers throughout; memory stays bounded.
import { randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import type { Site } from '@kirchhoff/core';
import { createModbusServer, ModbusServer } from './index';
import { HANDLERS } from './pdu/functions';
import { fixtureSite } from './__fixtures__/site';
import { openSocket } from './__fixtures__/clients';

jest.setTimeout(120_000);

interface Watched {
  socket: Socket;
  received: Buffer;
  closed: boolean;
  closedAt: number;
}

async function open(port: number, from?: string): Promise<Watched> {
  const socket = from ? await new Promise<Socket>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
    s.once('error', reject);
  }) : await openSocket(port);
  const w: Watched = { socket, received: Buffer.alloc(0), closed: false, closedAt: 0 };
  socket.on('data', (d) => (w.received = Buffer.concat([w.received, d])));
  socket.on('close', () => { w.closed = true; w.closedAt = Date.now(); });
  socket.on('error', () => {});
  return w;
}

function mbap(pdu: number[], length = pdu.length + 1, unit = 1, tid = 1): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(length, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

/** Splits a byte stream into MBAP frames; throws when it is not one. */
function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = bytes.readUInt16BE(at + 4);
    if (bytes.readUInt16BE(at + 2) !== 0 || length < 2 || at + 6 + length > bytes.length) throw new Error(`not an MBAP frame at ${at}`);
    out.push(bytes.subarray(at + 7, at + 6 + length));
    at += 6 + length;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `check`; the limit is a hang guard (at least 10 s, a busy machine is slow), never
 *  what a test asserts. */
const until = async (check: () => boolean, ms: number) => {
  const end = Date.now() + Math.max(ms, 10_000);
  while (!check() && Date.now() < end) await sleep(20);
  return check();
};

describe('hostile input on Modbus TCP', () => {
  let site: Site;
  let server: ModbusServer;
  let port: number;
  let client: ModbusRTU;
  let polling = true;
  let answers = 0;
  const wrong: string[] = [];
  let loop: Promise<void>;

  beforeAll(async () => {
    site = fixtureSite();
    server = createModbusServer(site, { tcp: { host: '127.0.0.1', port: 0, maxConnections: 1100, maxConnectionsPerAddress: 1100, idleTimeoutS: 3 } });
    await server.start();
    port = server.tcpAddress()!.port;
    client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port });
    client.setID(1);
    // A hang guard: on a busy machine an answer may take seconds, and that is not a wrong answer.
    client.setTimeout(20_000);
    const expected = site.snapshot().modules.slice(0, 6).map((m) => Math.round(m.voltageV.value! * 1000));
    // The well-behaved master: polls module voltages back to back, faster than its idle timeout.
    loop = (async () => {
      while (polling) {
        try {
          const r = await client.readHoldingRegisters(10000, 60);
          const got = expected.map((_, i) => r.data[10 * i]);
          if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`got ${got}`);
          else answers++;
        } catch (e) {
          wrong.push(String(e));
        }
        await sleep(5);
      }
    })();
  });

  afterAll(async () => {
    polling = false;
    await loop;
    await new Promise((r) => client.close(r));
    await server.close();
  });

  /** Runs a phase and checks the good client got answers during it, and only correct ones. */
  async function phase(fn: () => Promise<void>): Promise<void> {
    const before = answers;
    await fn();
    expect(await until(() => answers > before, 10_000)).toBe(true);
    expect(wrong).toEqual([]);
  }

  it('closes a connection with an oversized MBAP length at once, answering nothing', () => phase(async () => {
    const conns = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const framingBefore = server.stats().tcp!.framingErrors;
    for (const c of conns) c.socket.write(mbap([0x03, 0x00, 0x00, 0x00, 0x01], 300));
    expect(await until(() => conns.every((c) => c.closed), 900)).toBe(true);
    // Closed for the frame, not later by the 3 s idle timer (which counts no framing error).
    expect(server.stats().tcp!.framingErrors - framingBefore).toBe(20);
    expect(conns.every((c) => c.received.length === 0)).toBe(true);
    const zero = await open(port);
    zero.socket.write(mbap([], 1)); // length 1: a unit id and no function
    expect(await until(() => zero.closed, 900)).toBe(true);
    expect(server.stats().tcp!.framingErrors - framingBefore).toBe(21);
  }));

  it('closes a connection whose protocol id is not Modbus', () => phase(async () => {
    const c = await open(port);
    const frame = mbap([0x03, 0x03, 0xeb, 0x00, 0x01]);
    frame.writeUInt16BE(0x0001, 2);
    c.socket.write(frame);
    expect(await until(() => c.closed, 900)).toBe(true);
    expect(c.received.length).toBe(0);
  }));

  it('closes truncated frames after the idle timeout, with nothing answered', () => phase(async () => {
    const conns = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    conns.forEach((c, i) => c.socket.write(mbap([0x03, 0x03, 0xeb, 0x00, 0x01]).subarray(0, 1 + (i % 11))));
    expect(await until(() => conns.every((c) => c.closed), 4500)).toBe(true);
    expect(conns.every((c) => c.received.length === 0)).toBe(true);
  }));

  it('answers lying length fields with exception 03', () => phase(async () => {
    const short = await open(port);
    short.socket.write(mbap([0x03, 0x03, 0xeb, 0x00, 0x01], 3)); // PDU cut to 2 bytes by the length
    const long = await open(port);
    long.socket.write(Buffer.concat([mbap([0x03, 0x03, 0xeb, 0x00, 0x01], 10), Buffer.from([1, 2, 3, 4])])); // 4 extra bytes in the PDU
    expect(await until(() => short.received.length >= 9 && long.received.length >= 9, 1000)).toBe(true);
    expect(frames(short.received)[0]).toEqual(Buffer.from([0x83, 0x03]));
    expect(frames(long.received)).toEqual([Buffer.from([0x83, 0x03])]);
  }));

  it('answers every unknown function code with exception 01, pipelined on one connection', () => phase(async () => {
    const c = await open(port);
    const unknown = Array.from({ length: 256 }, (_, fc) => fc).filter((fc) => !(fc in HANDLERS));
    c.socket.write(Buffer.concat(unknown.map((fc, i) => mbap([fc, 0x00, 0x01], undefined, 1, i))));
    expect(await until(() => c.received.length >= unknown.length * 9, 2000)).toBe(true);
    expect(frames(c.received)).toEqual(unknown.map((fc) => Buffer.from([(fc | 0x80) & 0xff, 0x01])));
  }));

  it('answers or closes connections sending random bytes, never crashing', () => phase(async () => {
    const conns = await Promise.all(Array.from({ length: 100 }, () => open(port)));
    for (const c of conns) c.socket.write(randomBytes(64 + Math.floor(Math.random() * 1024)));
    expect(await until(() => conns.every((c) => c.closed), 4500)).toBe(true);
    for (const c of conns) frames(c.received).forEach((pdu) => expect(pdu.length).toBeGreaterThanOrEqual(2));
  }));

  it('holds 1,000 idle connections while serving, then closes them; memory stays bounded', () => phase(async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const conns: Watched[] = [];
    for (let i = 0; i < 10; i++) conns.push(...(await Promise.all(Array.from({ length: 100 }, () => open(port)))));
    const reached = await until(() => server.stats().tcp!.connections >= 1000, 1000);
    expect(reached).toBe(true);
    const during = answers;
    expect(await until(() => answers > during, 10_000)).toBe(true);
    // Held without a request, each is closed by the idle timeout.
    expect(await until(() => conns.every((c) => c.closed), 6000)).toBe(true);
    expect(server.stats().tcp!.connections).toBeLessThanOrEqual(2);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  }));
});

/** One FC3 read of holding registers 1003..1004 over `w`; resolves with the answer PDU, or null when closed first. */
async function served(w: Watched, tid = 7): Promise<Buffer | null> {
  const before = w.received.length;
  w.socket.write(mbap([0x03, 0x03, 0xeb, 0x00, 0x02], undefined, 1, tid));
  await until(() => w.closed || w.received.length >= before + 13, 5000);
  return w.received.length >= before + 13 ? frames(w.received.subarray(before))[0] : null;
}

// Issue 19, point 3: 32 idle connections locked every master out for 300 s. With the production
// defaults (32 in all, 8 per address, eviction when full).
describe('connection limits', () => {
  let server: ModbusServer;
  let port: number;
  const held: Watched[] = [];
  beforeEach(async () => {
    server = createModbusServer(fixtureSite(), { tcp: { host: '127.0.0.1', port: 0 } });
    await server.start();
    port = server.tcpAddress()!.port;
  });
  afterEach(async () => {
    held.splice(0).forEach((c) => c.socket.destroy());
    await server.close();
  });
  const ANSWER = Buffer.from([0x03, 0x04, 0x00, 0x02, 0x00, 0x07]);

  it('1,000 idle connections from one address leave a client from another address served', async () => {
    for (let i = 0; i < 10; i++) held.push(...(await Promise.all(Array.from({ length: 100 }, () => open(port).catch(() => null)))).filter((c): c is Watched => !!c));
    expect(await until(() => held.filter((c) => !c.closed).length === 8, 3000)).toBe(true);
    const other = await open(port, '127.0.0.2');
    held.push(other);
    expect(await served(other)).toEqual(ANSWER);
    expect(server.stats().tcp!.refused).toBeGreaterThanOrEqual(held.length - 1 - 8);
  });

  it('when all 32 are taken by four addresses, a new client evicts one of theirs, not an active master', async () => {
    const master = await open(port, '127.0.0.9');
    held.push(master);
    expect(await served(master)).toEqual(ANSWER);
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) held.push(...(await Promise.all(Array.from({ length: 8 }, () => open(port, from)))));
    expect(await until(() => server.stats().tcp!.connections === 32, 3000)).toBe(true);
    const late = await open(port, '127.0.0.6');
    held.push(late);
    expect(await served(late)).toEqual(ANSWER);
    expect(await served(master, 8)).toEqual(ANSWER);
    expect(server.stats().tcp!.evicted).toBeGreaterThanOrEqual(1);
    expect(server.stats().tcp!.connections).toBeLessThanOrEqual(32);
  });
});

// Issue 19, point 2: 4.8 MB of pipelined requests, never read, took RSS from 115 to 225 MB and rising.
describe('a client that pipelines requests and never reads', () => {
  it('is paused or closed with its unread answers bounded, while other clients are served', async () => {
    const server = createModbusServer(fixtureSite(), { tcp: { host: '127.0.0.1', port: 0 } });
    await server.start();
    const port = server.tcpAddress()!.port;
    const flood = await open(port, '127.0.0.2');
    flood.socket.pause(); // never reads
    const other = await open(port, '127.0.0.3');
    try {
      // 400,000 reads of 80 registers (4.8 MB): 67 MB of answers if all were served.
      const request = mbap([0x03, 0x03, 0xf2, 0x00, 0x50]);
      const block = Buffer.concat(Array.from({ length: 4000 }, () => request));
      for (let i = 0; i < 100; i++) flood.socket.write(block);
      let most = 0;
      const stalled = await until(() => {
        const t = server.stats().tcp!;
        most = Math.max(most, t.unreadOutputBytes);
        return flood.closed || t.pausedConnections === 1;
      }, 10_000);
      expect(stalled).toBe(true);
      expect(most).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(await served(other)).toEqual(Buffer.from([0x03, 0x04, 0x00, 0x02, 0x00, 0x07]));
      expect(server.stats().tcp!.unreadOutputBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    } finally {
      flood.socket.destroy();
      other.socket.destroy();
      await server.close();
    }
  });
});

describe('allow-list', () => {
  it('closes connections from addresses outside the allow-list', async () => {
    const server = createModbusServer(fixtureSite(), { tcp: { host: '127.0.0.1', port: 0, allow: ['10.0.0.0/8', '::1'] } });
    const open2 = createModbusServer(fixtureSite(), { tcp: { host: '127.0.0.1', port: 0, allow: ['127.0.0.0/8'] } });
    await server.start();
    await open2.start();
    try {
      const refused = await open(server.tcpAddress()!.port);
      refused.socket.write(mbap([0x03, 0x03, 0xeb, 0x00, 0x01]));
      expect(await until(() => refused.closed, 1000)).toBe(true);
      expect(refused.received.length).toBe(0);
      const allowed = await open(open2.tcpAddress()!.port);
      allowed.socket.write(mbap([0x03, 0x03, 0xeb, 0x00, 0x01]));
      expect(await until(() => allowed.received.length >= 11, 1000)).toBe(true);
      expect(frames(allowed.received)[0]).toEqual(Buffer.from([0x03, 0x02, 0x00, 0x02]));
      allowed.socket.destroy();
    } finally {
      await server.close();
      await open2.close();
    }
  });
});
