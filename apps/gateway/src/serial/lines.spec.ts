// One queue per port: a lease waits for the bus exchange in flight, and bytes during a lease go
// to the lease only (the bus parser neither sees nor counts them).
import { BusPort } from '../bus/port';
import { createMemoryPair } from '../bus/transport';
import { ModuleEmulator } from '../bus/emulator';
import { createFixedBank } from '../bus/fixed-bank';
import { memoryLogger } from '../log';
import { readReply, SerialLines } from './lines';

describe('SerialLines over the bus port queue', () => {
  it('takes turns with bus requests and keeps the two protocols apart', async () => {
    const logger = memoryLogger('info');
    const [master, far] = createMemoryPair({ chunkBytes: 3 });
    const emulator = new ModuleEmulator({ bank: createFixedBank([{ modules: 4, moduleType: 'C20' }]), transport: far, logger });
    emulator.start();
    const port = new BusPort({ transport: master, baudRate: 115200, timeoutMs: 100, logger });
    const lines = new SerialLines(logger);
    lines.adopt('/dev/bus', port, { baudRate: 115200 });
    const line = await lines.open('/dev/bus', { baudRate: 115200 });

    const wire: string[] = [];
    far.onData((b) => wire.push(Buffer.from(b).toString('latin1')));
    const order: string[] = [];
    const bus = port.exchange({ kind: 'read-measurements', address: 2 }).then((r) => order.push(`bus:${r.responses[0]?.kind}`));
    const leased = line.lease(async (l) => {
      // The bus exchange is over (its answer in) before the line is lent.
      order.push(`lease starts after ${port.counters.bytesReceived > 0 ? 'the bus answer' : 'nothing'}`);
      const reply = readReply(l, (b) => b.includes(0x0d), 1000, 64);
      l.write(Buffer.from('Q1\r'));
      // A foreign device answering on the same line; the bus parser would count it as garbage.
      setImmediate(() => far.write(Buffer.from('(230.0 230.0 230.0 010 50.0 27.4 25.0 00000000\r')));
      return (await reply)?.toString('latin1');
    });
    expect(await leased).toBe('(230.0 230.0 230.0 010 50.0 27.4 25.0 00000000\r');
    await bus;
    expect(order).toEqual(['lease starts after the bus answer', 'bus:measurements']);
    expect(wire.join('').endsWith('Q1\r')).toBe(true);
    expect(port.counters.garbageBytes).toBe(0);
    expect(port.counters.requests).toBe(1);

    // The bus works as before after the lease.
    const again = await port.exchange({ kind: 'read-measurements', address: 3 });
    expect(again.responses[0]?.kind).toBe('measurements');
    emulator.stop();
    port.stop();
    await expect(line.lease(async () => 1)).rejects.toThrow('serial port memory:a is closed');
  });

  it('refuses a second user of a port with other line settings', async () => {
    const logger = memoryLogger('info');
    const [master] = createMemoryPair();
    const lines = new SerialLines(logger);
    lines.adopt('/dev/bus', new BusPort({ transport: master, baudRate: 115200, timeoutMs: 100, logger }), { baudRate: 115200 });
    await expect(lines.open('/dev/bus', { baudRate: 9600, parity: 'even' })).rejects.toThrow('/dev/bus is open at 115200 baud, parity none, 1 stop bit(s); cannot also use it at 9600 baud, parity even, 1 stop bit(s)');
  });
});
