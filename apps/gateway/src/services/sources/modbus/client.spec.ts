// The TCP client against hostile servers: garbage, impossible lengths, wrong transaction ids,
// stalls and hang-ups each end one request with a reason, and the next request works again.
import { createServer, Server, Socket } from 'node:net';
import { TcpReader } from './client';

type Behaviour = (request: Buffer, socket: Socket) => void;

function reply(request: Buffer, registers: number[], patch: Partial<{ tid: number; protocol: number; unit: number }> = {}): Buffer {
  const b = Buffer.alloc(9 + 2 * registers.length);
  b.writeUInt16BE(patch.tid ?? request.readUInt16BE(0), 0);
  b.writeUInt16BE(patch.protocol ?? 0, 2);
  b.writeUInt16BE(3 + 2 * registers.length, 4);
  b[6] = patch.unit ?? request[6];
  b[7] = request[7];
  b[8] = 2 * registers.length;
  registers.forEach((r, i) => b.writeUInt16BE(r, 9 + 2 * i));
  return b;
}

describe('Modbus TCP client against hostile servers', () => {
  let server: Server;
  let port: number;
  let behaviour: Behaviour;
  const connections: Socket[] = [];

  beforeAll(async () => {
    server = createServer((s) => {
      connections.push(s);
      s.on('data', (d) => behaviour(d, s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const c of connections) c.destroy();
    await new Promise((r) => server.close(r));
  });

  const good: Behaviour = (req, s) => s.write(reply(req, [0x1234]));
  const cases: [string, Behaviour, RegExp][] = [
    ['garbage with an impossible MBAP length', (_req, s) => s.write(Buffer.from([0, 1, 0, 0, 0xff, 0xff, 1, 2, 3])), /MBAP length 65535 is outside 2\.\.254/],
    ['a reply to another transaction', (req, s) => s.write(reply(req, [1], { tid: 999 })), /transaction id 999 does not match/],
    ['a foreign protocol id', (req, s) => s.write(reply(req, [1], { protocol: 7 })), /protocol id 7 is not 0/],
    ['a wrong register count', (req, s) => s.write(reply(req, [1, 2])), /does not match 1 registers/],
    ['an exception', (req, s) => s.write(Buffer.from([req[0], req[1], 0, 0, 0, 3, req[6], req[7] | 0x80, 4])), /exception 4 \(server device failure\)/],
    ['half a reply, then nothing', (req, s) => s.write(reply(req, [1]).subarray(0, 8)), /no reply from tcp 127\.0\.0\.1:\d+ unit 1 within 200 ms/],
    ['a hang-up', (_req, s) => s.destroy(), /closed the connection/],
  ];

  it.each(cases)('ends the request on %s and recovers', async (_name, bad, reason) => {
    const reader = new TcpReader('127.0.0.1', port, 200);
    behaviour = good;
    expect(await reader.read({ unitId: 1, fn: 4, address: 0, count: 1 })).toEqual([0x1234]);
    behaviour = bad;
    await expect(reader.read({ unitId: 1, fn: 4, address: 0, count: 1 })).rejects.toThrow(reason);
    behaviour = good;
    expect(await reader.read({ unitId: 1, fn: 4, address: 0, count: 1 })).toEqual([0x1234]);
    await reader.close();
  });

  it('fails a connection refused with the address in the reason', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const reader = new TcpReader('127.0.0.1', p, 200);
    await expect(reader.read({ unitId: 1, fn: 3, address: 0, count: 1 })).rejects.toThrow(`cannot connect to 127.0.0.1:${p}: connect ECONNREFUSED`);
    await reader.close();
  });
});
