// The gateway as a site installs it, seen through every protocol at once with the clients users
// run: the same module voltage read over Modbus (mbpoll), SNMP (snmpget), BACnet (bacstack), MQTT
// (mosquitto_sub) and HTTP agrees within each protocol's scaling; a thermal runaway produces every
// configured reaction within 2 s of its alarm.
import { createSocket, Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListenerEvent, RccmdListener } from '@kirchhoff/rccmd';
import { describeWithTools, freeUdpPort, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from './config/load';
import { demoConfig } from './config/demo-config';
import { parseFault } from './demo/faults';
import { Gateway, startGateway } from './gateway';
import { memoryLogger } from './log';
import { startListenerFromFile } from './commands/rccmd-listen';

const EPHEMERAL = ['modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'snmp.port=0', 'snmp.host=127.0.0.1', 'http.port=0', 'http.host=127.0.0.1', 'mqtt.broker.port=0', 'nut.port=0', 'rccmd.enabled=false'];
const BACNET_DEVICE = '127.0.0.2';
const BACNET_CLIENT = '127.0.0.3';

interface ReadResult { values: { type: number; value: unknown }[] }
interface Bacstack {
  readProperty(address: string, objectId: { type: number; instance: number }, propertyId: number, options: object, next: (err: Error | null, value: ReadResult) => void): void;
  close(): void;
}
const BacstackClient = createRequire(__filename)('bacstack') as new (options: { port: number; interface: string; apduTimeout: number }) => Bacstack;

const endpointPort = (gw: Gateway, name: string): number => {
  const s = gw.services.find((x) => x.name === name);
  if (!s || s.state !== 'running') throw new Error(`${name} is not running: ${JSON.stringify(s)}`);
  return Number(s.endpoint.split(':').pop());
};

async function httpLogin(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'kirchhoff-viewer' }) });
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
}

describeWithTools(['mbpoll', 'snmpget', 'mosquitto_sub'], 'one module voltage through every protocol', () => {
  let gw: Gateway;
  let bacnet: Bacstack;

  beforeAll(async () => {
    const bacnetPort = await freeUdpPort();
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `bacnet.port=${bacnetPort}`, `bacnet.address=${BACNET_DEVICE}`]));
    // One source cycle: the model holds still while five clients read it.
    gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 });
    bacnet = new BacstackClient({ port: bacnetPort, interface: BACNET_CLIENT, apduTimeout: 3000 });
  }, 120_000);
  afterAll(async () => {
    bacnet?.close();
    await gw?.stop();
  });

  it('agrees in Modbus, SNMP, BACnet, MQTT and HTTP with the model, within each protocol\'s scaling', async () => {
    const m = gw.site.snapshot().modules[26]; // S02-M07, global 27
    const v = m.voltageV.value!;
    expect(m.label).toBe('S02-M07');

    const modbus = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', '4', '-0', '-r', String(10000 + 10 * (m.global - 1)), '-c', '1', '-1', '-q', '-p', String(endpointPort(gw, 'Modbus TCP')), '127.0.0.1']);
    const modbusMv = Number(/\[\d+\]:\s+(\d+)/.exec(modbus.stdout)![1]);

    const snmp = await run('snmpget', ['-v2c', '-c', 'public', '-Oqv', `127.0.0.1:${endpointPort(gw, 'SNMP agent')}`, `1.3.6.1.4.1.32473.1.1.3.1.4.${m.string}.${m.module}`]);
    const snmpMv = Number(snmp.stdout.trim());

    const bacnetV = await new Promise<number>((resolve, reject) => bacnet.readProperty(BACNET_DEVICE, { type: 0, instance: 10 * m.global + 1 }, 85, {}, (e, r) => (e ? reject(e) : resolve(r.values[0].value as number))));

    const siteId = 'kirchhoff-demo-site';
    const mqtt = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(endpointPort(gw, 'MQTT broker (embedded)')), '-u', 'viewer', '-P', 'kirchhoff-viewer', '-t', `kirchhoff/${siteId}/string/${m.string}/module/${m.module}`, '-C', '1', '-W', '10']);
    const mqttV = (JSON.parse(mqtt.stdout) as { voltageV: { value: number } }).voltageV.value;

    const httpPort = endpointPort(gw, 'HTTP API');
    const token = await httpLogin(httpPort);
    const http = (await (await fetch(`http://127.0.0.1:${httpPort}/api/modules/${m.global}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { voltageV: { value: number } };

    expect({ modbusMv, snmpMv, bacnetV: Math.fround(bacnetV), mqttV, httpV: http.voltageV.value }).toEqual({
      modbusMv: Math.round(v * 1000), // uint16, 1 mV
      snmpMv: Math.round(v * 1000), // Integer32, mV
      bacnetV: Math.fround(v), // REAL (single precision), volts
      mqttV: v, // JSON number, volts
      httpV: v,
    });
  }, 120_000);

  it('reads a block\'s state of health and remaining capacity alike in Modbus, SNMP, BACnet, MQTT and the HTTP API (issue 15)', async () => {
    // The weakest block by the HTTP API's health list.
    const httpPort = endpointPort(gw, 'HTTP API');
    const token = await httpLogin(httpPort);
    const all = (await (await fetch(`http://127.0.0.1:${httpPort}/api/battery/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { blocks: { global: number; sohPercent: number }[] };
    const weakest = all.blocks.reduce((a, b) => (b.sohPercent < a.sohPercent ? b : a));
    const m = gw.site.snapshot().modules[weakest.global - 1];
    const api = (await (await fetch(`http://127.0.0.1:${httpPort}/api/battery/health/modules/${m.global}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { sohPercent: number; sohMethod: string; remainingCapacityAh: number };
    // The demo's blocks have Ri readings and a commissioning baseline: an Ri-based state of health.
    expect(api.sohMethod).toBe('resistance');
    expect(api.sohPercent).toBeGreaterThan(80);
    expect(api.sohPercent).toBeLessThan(100);
    expect(api.remainingCapacityAh).toBeGreaterThan(80);

    // Module health block: 27000 + 8(g-1): soh (0.1 %), sohMethod (3 = resistance), remainingCapacity (0.1 Ah).
    const modbus = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', '4', '-0', '-r', String(27000 + 8 * (m.global - 1)), '-c', '3', '-1', '-q', '-p', String(endpointPort(gw, 'Modbus TCP')), '127.0.0.1']);
    const [modbusSoh, modbusMethod, modbusAh] = [...modbus.stdout.matchAll(/\[\d+\]:\s+(\d+)/g)].map((x) => Number(x[1]));

    // bmsModuleSoh (.15) and bmsModuleRemainingCapacity (.17), tenths.
    const snmp = await run('snmpget', ['-v2c', '-c', 'public', '-Oqv', `127.0.0.1:${endpointPort(gw, 'SNMP agent')}`,
      `1.3.6.1.4.1.32473.1.1.3.1.15.${m.string}.${m.module}`, `1.3.6.1.4.1.32473.1.1.3.1.17.${m.string}.${m.module}`]);
    const [snmpSoh, snmpAh] = snmp.stdout.trim().split('\n').map(Number);

    const mqtt = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(endpointPort(gw, 'MQTT broker (embedded)')), '-u', 'viewer', '-P', 'kirchhoff-viewer', '-t', `kirchhoff/kirchhoff-demo-site/string/${m.string}/module/${m.module}`, '-C', '1', '-W', '10']);
    const state = JSON.parse(mqtt.stdout) as { sohPercent: { value: number }; remainingCapacityAh: { value: number } };

    // Analog Inputs 10 g + 5 (SoH) and 10 g + 6 (remaining Ah), Present_Value.
    const bacnetRead = (instance: number) => new Promise<number>((resolve, reject) => bacnet.readProperty(BACNET_DEVICE, { type: 0, instance }, 85, {}, (e, r) => (e ? reject(e) : resolve(r.values[0].value as number))));
    const bacnetSoh = await bacnetRead(10 * m.global + 5);
    const bacnetAh = await bacnetRead(10 * m.global + 6);

    const tenths = (x: number) => Math.round(x * 10);
    expect({ modbusSoh, modbusMethod, modbusAh, snmpSoh, snmpAh, bacnetSoh, bacnetAh, mqttSoh: state.sohPercent.value, mqttAh: state.remainingCapacityAh.value }).toEqual({
      modbusSoh: tenths(api.sohPercent), modbusMethod: 3, modbusAh: tenths(api.remainingCapacityAh),
      snmpSoh: tenths(api.sohPercent), snmpAh: tenths(api.remainingCapacityAh),
      bacnetSoh: Math.fround(api.sohPercent), bacnetAh: Math.fround(tenths(api.remainingCapacityAh) / 10), // REAL
      mqttSoh: api.sohPercent, mqttAh: tenths(api.remainingCapacityAh) / 10,
    });
  }, 120_000);
});

describeWithTools(['snmptrapd', 'mosquitto_sub'], 'a thermal runaway on the demo site, with a lost module in the same string', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-product-'));
  const KEY = 'product-e2e-key-0123456789';
  const arrivals: Record<string, number> = {};
  const note = (what: string) => (arrivals[what] ??= Date.now());
  let gw: Gateway;
  let alarmAtMs = 0;
  let trapd: ReturnType<typeof startProcess>;
  let mqttSub: ReturnType<typeof startProcess>;
  let syslog: Socket;
  let syslogLines: string[];
  let listener: RccmdListener;
  let rccmdEvents: ListenerEvent[];
  let bacnetRecipient: Socket;

  beforeAll(async () => {
    const trapPort = await freeUdpPort();
    writeFileSync(join(dir, 'snmptrapd.conf'), 'authCommunity log public\n');
    trapd = startProcess('snmptrapd', ['-f', '-Lo', '-On', '-m', '', '-C', '-c', join(dir, 'snmptrapd.conf'), '-F', '%P|%v\n', `udp:127.0.0.1:${trapPort}`], { env: { ...process.env, SNMP_PERSISTENT_DIR: dir } });
    await waitFor(() => trapd.output().includes('NET-SNMP version'), 5000, 'snmptrapd to start');
    trapd.child.stdout!.on('data', (d) => { if (String(d).includes('.1.3.6.1.4.1.32473.1.0.5')) note('snmp-trap'); });

    syslogLines = [];
    syslog = createSocket('udp4');
    await new Promise<void>((r) => syslog.bind(0, '127.0.0.1', () => r()));
    syslog.on('message', (m) => {
      syslogLines.push(String(m));
      if (String(m).includes('thermal-runaway')) note('syslog');
    });

    writeFileSync(join(dir, 'listener.yaml'), [
      'id: server-1', 'udp: { host: 127.0.0.1, port: 0 }', 'tcp: { enabled: false }',
      'senders:', `  - { address: 127.0.0.1, id: site-gw, key: ${KEY} }`,
      'actions: { shutdown: systemctl poweroff }', 'dryRun: true',
    ].join('\n'));
    listener = await startListenerFromFile(join(dir, 'listener.yaml'), { logger: memoryLogger() });
    rccmdEvents = [];
    listener.onEvent((e) => {
      rccmdEvents.push(e);
      if (JSON.stringify(e).includes('shutdown')) note('rccmd');
    });

    // A BACnet recipient of the Notification Class: event notifications for BV 10011,
    // `S01 Thermal runaway` (event object identifier, context tag 2: 2c 01 40 27 1b).
    bacnetRecipient = createSocket('udp4');
    await new Promise<void>((r) => bacnetRecipient.bind(0, BACNET_CLIENT, () => r()));
    const runawayObject = Buffer.from([0x2c, 0x01, 0x40, 0x27, 0x1b]);
    bacnetRecipient.on('message', (m) => { if (m.includes(runawayObject)) note('bacnet-event'); });
    const bacnetPort = await freeUdpPort();

    const config = finishConfig(applySets(demoConfig(), [
      ...EPHEMERAL.filter((s) => s !== 'rccmd.enabled=false'),
      `bacnet.address=${BACNET_DEVICE}`, `bacnet.port=${bacnetPort}`,
      `bacnet.recipients=[{address: "${BACNET_CLIENT}:${bacnetRecipient.address().port}", processId: 1, confirmed: false}]`,
      `snmp.traps=[{host: 127.0.0.1, port: ${trapPort}, version: v2c, community: public}]`,
      `actions.syslog.local.port=${(syslog.address()).port}`,
      'rccmd.senderId=site-gw', `rccmd.hmacKey=${KEY}`,
      `rccmd.jobs=[{name: runaway-shutdown, trigger: thermal-runaway, timing: immediately, kind: shutdown, targets: ['127.0.0.1:${listener.ports().udp}']}]`,
    ]));
    // A lost module elsewhere in the runaway's string must not switch the protection off (issue 13). The
    // runaway is fed by the charger: its onset comes after the demo's 30 s of settled float, from which on a
    // full string's float current is watched (its blocks warm over hours, in real time).
    gw = await startGateway(config, { logger: memoryLogger('info'), faults: [parseFault('module-lost:1:12@0'), parseFault('thermal-runaway:1:5@40')] });
    gw.site.subscribe((e) => {
      if (e.type === 'alarm' && e.action === 'raised' && e.alarm.kind === 'thermal-runaway') alarmAtMs ||= Date.now();
      if (e.type === 'values' && e.changes.some((c) => c.entity.kind === 'relay' && c.entity.id === 1 && c.value === true)) note('breaker-relay');
    });
    const brokerPort = endpointPort(gw, 'MQTT broker (embedded)');
    mqttSub = startProcess('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(brokerPort), '-u', 'viewer', '-P', 'kirchhoff-viewer', '-t', 'kirchhoff/+/alarms/event']);
    mqttSub.child.stdout!.on('data', (d) => { if (String(d).includes('"thermal-runaway"') && String(d).includes('"raised"')) note('mqtt-event'); });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await mqttSub?.stop();
    await trapd?.stop();
    await listener?.close();
    syslog?.close();
    bacnetRecipient?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trips the breaker relay and reaches SNMP, MQTT, BACnet, RCCMD, syslog and the data logger within 2 s of the alarm', async () => {
    await waitFor(() => alarmAtMs, 300_000, 'the thermal-runaway alarm');
    const expected = ['breaker-relay', 'snmp-trap', 'mqtt-event', 'bacnet-event', 'rccmd', 'syslog'];
    await waitFor(() => expected.every((k) => arrivals[k]), 5000, `every reaction (so far: ${JSON.stringify(arrivals)})`).catch(() => undefined);
    const late = Object.fromEntries(expected.map((k) => [k, arrivals[k] ? arrivals[k] - alarmAtMs : 'never']));
    for (const k of expected) expect([k, typeof late[k] === 'number' && (late[k] as number) <= 2000]).toEqual([k, true]);
    expect(gw.site.snapshot().relays[0]).toMatchObject({ function: 'breaker', on: true });
    expect(syslogLines.find((l) => l.includes('thermal-runaway'))).toMatch(/^<\d+>1 \S+ \S+ kirchhoff /);
    // The data logger has the alarm in its event log.
    const history = gw.deps.history!;
    await history.flush();
    expect((await history.events({ alarmKind: 'thermal-runaway' })).length).toBeGreaterThan(0);
  }, 330_000);
});
