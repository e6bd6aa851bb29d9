// Hostile datagrams against the whole gateway as a separate process (hardening issue, point 1):
// a crash there takes every protocol down, so the test watches the process, not one adapter.
import { createSocket } from 'node:dgram';
import { freeUdpPort } from '@kirchhoff/test-support';
import { ChildCommand, servicePorts, startChild } from './child';
import { probe, ProbeKind } from './probes';

/** Every listener of the demo on loopback; BACnet's I-Am goes to loopback, not to a broadcast address. */
export function loopbackDemoArgs(bacnetPort: number, deviceInstance: number): string[] {
  const sets = ['modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'snmp.port=0', 'snmp.host=127.0.0.1', 'http.port=0', 'http.host=127.0.0.1',
    'mqtt.broker.port=0', 'nut.port=0', 'mqtt.broker.host=127.0.0.1', 'rccmd.enabled=false', 'actions.enabled=false', 'history.enabled=false', 'schedule.enabled=false',
    `bacnet.port=${bacnetPort}`, 'bacnet.address=127.0.0.1', 'bacnet.broadcastAddress=127.0.0.1', `bacnet.deviceInstance=${deviceInstance}`, 'log.format=json'];
  return ['start', '--demo', '--status-every', '0', ...sets.flatMap((s) => ['--set', s])];
}

describe('kirchhoff start --demo: the 27-byte BACnet datagram from the report', () => {
  // Forwarded-NPDU naming originator 127.0.0.1 port 0 with a SubscribeCOV inside: the COV
  // notification to port 0 threw inside a setImmediate and ended the process.
  const KILLER = Buffer.from('8104001b7f000001000001040075040509071c0000000b2900393c', 'hex');
  let gw: ChildCommand;
  let bacnetPort: number;

  beforeAll(async () => {
    bacnetPort = await freeUdpPort();
    gw = await startChild(loopbackDemoArgs(bacnetPort, 4711), /Ctrl-C stops the gateway\./);
  }, 120_000);
  afterAll(() => gw?.stop());

  it('leaves the process running and BACnet, Modbus, SNMP, HTTP and the MQTT broker answering', async () => {
    const ports = servicePorts(gw.output());
    const sender = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
    try {
      for (let i = 0; i < 3; i++) await new Promise((r) => sender.send(KILLER, bacnetPort, '127.0.0.1', r));
    } finally {
      await new Promise<void>((r) => sender.close(() => r()));
    }
    // The device reads its socket in order: once it answers a ReadProperty sent after the datagrams
    // it has handled them, and the deferred work they scheduled runs before the next probes.
    await probe({ kind: 'bacnet', port: bacnetPort, deviceInstance: 4711 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const targets: [ProbeKind, number][] = [['bacnet', bacnetPort], ['modbus-tcp', ports['Modbus TCP']], ['snmp', ports['SNMP agent']], ['http', ports['HTTP API']], ['mqtt', ports['MQTT broker (embedded)']]];
    const answered = await Promise.all(targets.map(([kind, port]) => probe({ kind, port, deviceInstance: 4711 }).then(() => `${kind} answers`, (e: Error) => e.message)));
    expect({ exit: gw.exit(), answered }).toEqual({ exit: null, answered: targets.map(([kind]) => `${kind} answers`) });
  }, 120_000);
});
