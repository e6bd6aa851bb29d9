// The port's deadline over a real socket: an answer that arrived while this process was paused
// (a busy machine, a long GC) is read, not counted as a timeout and thrown away as late.
import { createServer, Socket } from 'node:net';
import { memoryLogger } from '../log';
import { BusPort } from './port';
import type { BusTransport } from './transport';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// READ_INFO to module 5 and its answer, as in the emulator's spec (docs/module-bus.md).
const ANSWER = hex('A5 0005 81 0A 01 00 01 00 00 01 4B000005 E0AC');

/** A loopback TCP pair; the far end answers (or not) the moment a request is written. */
async function socketLine(answer: Buffer | null): Promise<{ transport: BusTransport; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const far = new Promise<Socket>((r) => server.once('connection', r));
  const near = new Socket();
  await new Promise<void>((r) => near.connect((server.address() as { port: number }).port, '127.0.0.1', r));
  const module = await far;
  module.on('data', () => {});
  const transport: BusTransport = {
    description: 'tcp:loopback',
    get isOpen() {
      return !near.destroyed;
    },
    write(bytes) {
      near.write(bytes);
      // Written to the kernel at once (nothing queued): in this process's buffer before any pause ends.
      if (answer) module.write(answer);
      return true;
    },
    onData(listener) {
      const h = (d: Buffer) => listener(new Uint8Array(d));
      near.on('data', h);
      return () => near.off('data', h);
    },
    async close() {
      near.destroy();
    },
  };
  return {
    transport,
    close: async () => {
      near.destroy();
      module.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Blocks the event loop, as a descheduled process or a GC pause does. */
function pause(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* busy */ }
}

describe('bus port deadline', () => {
  it('reads an answer that arrived during a pause longer than the timeout', async () => {
    const line = await socketLine(ANSWER);
    const port = new BusPort({ transport: line.transport, baudRate: 115200, timeoutMs: 20, logger: memoryLogger() });
    try {
      const result = port.exchange({ kind: 'read-info', address: 5 });
      pause(300);
      expect(await result).toMatchObject({ sent: true, timedOut: false, responses: [{ kind: 'info', address: 5, info: { serial: 0x4b000005 } }] });
      expect(port.counters).toMatchObject({ requests: 1, timeouts: 0, dropped: 0, unexpected: 0 });
    } finally {
      port.stop();
      await line.close();
    }
  });

  it('still times out when nothing answers', async () => {
    const line = await socketLine(null);
    const port = new BusPort({ transport: line.transport, baudRate: 115200, timeoutMs: 20, logger: memoryLogger() });
    try {
      const result = port.exchange({ kind: 'read-info', address: 5 });
      pause(300);
      expect(await result).toMatchObject({ sent: true, timedOut: true, responses: [] });
      expect(port.counters).toMatchObject({ requests: 1, timeouts: 1 });
    } finally {
      port.stop();
      await line.close();
    }
  });
});
