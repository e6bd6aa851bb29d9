// A command is acknowledged only after its audit row is committed (issue 19 point 8): relay
// switches over Modbus TCP to a real gateway process, each answered, then kill -9 right after the
// last answer. Every acknowledged switch must have its audit row in the database (before: the
// last ~1 s flush window was lost, 94 of 1,288 in the report).
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '@kirchhoff/history';
import { ChildCommand, servicePorts, startChild } from '../../fuzz/child';

/** Modbus TCP FC 5 on coil `coil` (relay coil + 1), waiting for each echo before the next. */
function switcher(socket: Socket): (tid: number, coil: number, on: boolean) => Promise<void> {
  let pending: { tid: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  let buffer = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    while (buffer.length >= 8 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
      const frame = buffer.subarray(0, 6 + buffer.readUInt16BE(4));
      buffer = buffer.subarray(frame.length);
      const p = pending;
      pending = null;
      if (!p) continue;
      if (frame.readUInt16BE(0) !== p.tid || frame[7] !== 5) p.reject(new Error(`unexpected answer ${frame.toString('hex')}`));
      else p.resolve();
    }
  });
  return (tid, coil, on) => new Promise<void>((resolve, reject) => {
    pending = { tid, resolve, reject };
    socket.write(Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, 1, 5, coil >> 8, coil & 0xff, on ? 0xff : 0, 0]));
  });
}

describe('audit durability under kill -9', () => {
  let dir: string;
  let gw: ChildCommand | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-audit-'));
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has an audit row for every relay switch the gateway acknowledged before it was killed', async () => {
    const db = join(dir, 'history.db');
    // Production defaults for the logger (1 s flush, synchronous full); only Modbus on, writes on.
    const sets = ['modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'modbus.writes=true', 'snmp.enabled=false', 'bacnet.enabled=false', 'http.enabled=false', 'nut.enabled=false',
      'mqtt.enabled=false', 'rccmd.enabled=false', 'actions.enabled=false', 'schedule.enabled=false', `history.path=${db}`, 'log.format=json'];
    gw = await startChild(['start', '--demo', '--status-every', '0', ...sets.flatMap((s) => ['--set', s])], /Ctrl-C stops the gateway\./);
    const socket = connect(servicePorts(gw.output())['Modbus TCP'], '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const send = switcher(socket);
    let acknowledged = 0;
    // Relays 2..4 (ventilation, air conditioning, beacon: coils 1..3), on and off in turn.
    for (let i = 0; i < 150; i++) {
      await send(i + 1, 1 + (i % 3), i % 2 === 0);
      acknowledged++;
    }
    await gw.kill9();
    socket.destroy();
    gw = null;
    const file = new HistoryDb(db, { readonly: true });
    const rows = file.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE kind = 'command' AND action = 'set-relay' AND outcome = 'ok' AND protocol = 'modbus'").get() as { n: number };
    file.close();
    expect({ acknowledged, audited: rows.n }).toEqual({ acknowledged: 150, audited: 150 });
  }, 120_000);
});
