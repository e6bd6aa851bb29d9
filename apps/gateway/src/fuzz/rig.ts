// Every listener the fuzz campaign reaches, with its valid frames (the corpus mutations start from)
// and its probe: the demo gateway (Modbus TCP, Modbus RTU on a socat pty, SNMP, BACnet, HTTP, the
// MQTT broker, the NUT server), a second gateway with HTTPS only (HTTP and HTTPS are one listener or the other),
// and `kirchhoff rccmd-listen` in dry-run mode. Loopback only; BACnet announces to loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { crc16 } from '@kirchhoff/modbus';
import { freeUdpPort, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { ChildCommand, servicePorts, startChild } from './child';
import { datagrams, Delivery, FuzzListener, Rng, streams, tcp, tls } from './campaign';
import { bacnetReadDeviceName, httpGet, mqttConnect, nutGetVar, probe, rccmdAlive, snmpGet } from './probes';

const hex = (h: string) => Buffer.from(h, 'hex');
const DEVICE_INSTANCE = 4711;

/** Modbus PDUs: FC 1, 2, 3, 4, 5, 6, 15, 16, 23 and 43/14 (device identification). */
const MODBUS_PDUS = ['0100000010', '0200000008', '0300000040', '0400000010', '0500000000ff00', '06000000000a', '0f0000000a0201ff', '10000000000204000a000b', '17000000020000000202000a000b', '2b0e0100', '0327100064', '0400007d'].map(hex);
const mbap = (pdu: Buffer, tid: number) => Buffer.concat([Buffer.from([tid >> 8, tid & 0xff, 0, 0, (pdu.length + 1) >> 8, (pdu.length + 1) & 0xff, 1]), pdu]);
const rtuFrame = (bytes: Buffer) => {
  const crc = crc16(bytes);
  return Buffer.concat([bytes, Buffer.from([crc & 0xff, crc >> 8])]);
};

const SNMP = [
  snmpGet(1),
  hex('302902010004067075626C6963A01C0204615F7036020100020100300E300C06082B060102010101000500'), // v1 get
  hex('304002010104067075626C6963A0330204519A20420201000201003025300E060A2B06010201210102050005003013060F2B0601040181FD59010103010301010500'),
  hex('302902010104067075626C6963A51C02047D13841F02010002010A300E300C06082B0601040181FD590500'), // getbulk
  hex('302E020101040770726976617465A3200204666530AA0201000201003012301006082B06010201010500040466757A7A'), // set
  hex('303E0201033011020448037135020300FFE30401040201030410300E0400020100020100040004000400301404000400A00E02043218977F0201000201003000'), // v3 discovery
];

/** BVLC Original-Unicast-NPDU around an NPDU and APDU. */
const unicast = (npduApdu: string) => Buffer.concat([Buffer.from([0x81, 0x0a, 0, 4 + npduApdu.length / 2]), hex(npduApdu)]);
const BACNET = [
  bacnetReadDeviceName(DEVICE_INSTANCE, 1),
  unicast('01001008'), // Who-Is
  unicast('0120ffff00ff1008'), // Who-Is routed to the global network
  hex('8104001b7f000001000001040075040509071c0000000b2900393c'), // the Forwarded-NPDU from the report
  unicast('0104' + '00050405' + '09071c0000000b2900393c'), // SubscribeCOV AI 11, lifetime 60 s
  unicast('0104' + '0005020e' + '0c020012671e09081f'), // ReadPropertyMultiple Device 4711, all
  unicast('0104' + '0005030f' + '0c008000011955' + '3e44000000003f'), // WriteProperty AV 1 Present_Value
];

const HTTP = [
  httpGet('/health'), httpGet('/metrics'), httpGet('/'), httpGet('/api/snapshot'), httpGet('/openapi.json'),
  Buffer.from('POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"user":"admin","password":"not-it-xx"}\n'),
  Buffer.from('GET /api/site HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46d3Jvbmc=\r\n\r\n'),
  Buffer.from('PUT /api/relays/4 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{"on":true}\r\n0\r\n\r\n'),
  Buffer.from('GET /api/strings/1/modules/3 HTTP/1.1\r\nHost: x\r\nCookie: kirchhoff_session=0123456789abcdef\r\nRange: bytes=0-\r\n\r\n'),
];

/** A TLS 1.3/1.2 ClientHello as Node sends it (captured once; its random bytes do not matter here). */
const CLIENT_HELLO = hex('160301016a01000166030374320a7a2ffa83d5908ca0715bcd550793dc320a6610a4b30b5a737f735a256320db5cefaa4d22'
  + 'c4e95557696b52d75c892ecb2641263b3321f21bfe772a2afc690076130213031301c02fc02bc030c02c009ec0270067c028'
  + '006b00a3009fcca9cca8ccaac0afc0adc0a3c09fc05dc061c057c05300a2c0aec0acc0a2c09ec05cc060c056c052c024006a'
  + 'c0230040c00ac01400390038c009c01300330032009dc0a1c09dc051009cc0a0c09cc050003d003c0035002f00ff010000a7'
  + '0000000e000c0000096c6f63616c686f7374000b000403000102000a00160014001d0017001e001900180100010101020103'
  + '0104002300000016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050106010303'
  + '03010302040205020602002b00050403040303002d00020101003300260024001d0020d10f14da5bf303c99367f834f2b182'
  + 'f05d9c54272f8aef994bc973ac5070c634');

const mqttString = (t: string) => Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), Buffer.from(t)]);
/** An MQTT 3.1.1 control packet: fixed header with the remaining length as a variable byte integer. */
function mqttPacket(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}
const MQTT = [
  mqttConnect('fuzz'), mqttConnect('kirchhoff-gateway'), mqttConnect('fuzz', 'admin', 'wrong'),
  mqttPacket(0x30, Buffer.concat([mqttString('kirchhoff/x'), Buffer.from('hz')])), // PUBLISH QoS 0
  mqttPacket(0x33, Buffer.concat([mqttString('kirchhoff/demo/relay/1/set'), Buffer.from([0, 1]), Buffer.from('true')])), // PUBLISH QoS 1, retained
  mqttPacket(0x82, Buffer.concat([Buffer.from([0, 1]), mqttString('#'), Buffer.from([0])])), // SUBSCRIBE #
  mqttPacket(0xa2, Buffer.concat([Buffer.from([0, 2]), mqttString('#')])), // UNSUBSCRIBE
  mqttPacket(0xc0, Buffer.alloc(0)), mqttPacket(0xe0, Buffer.alloc(0)), // PINGREQ, DISCONNECT
  hex('30ffffff7f'), // a PUBLISH announcing 268 MB
];

/** upsd commands as upsc, upsmon and Home Assistant send them, and broken ones. The demo's user is
 * secondary and nut.writes is off: a LOGIN is taken, FSD, SET VAR and INSTCMD are refused. */
const NUT = [
  Buffer.from('LIST UPS\n'), nutGetVar(), nutGetVar('kirchhoff-string1', 'battery.runtime'), Buffer.from('LIST VAR kirchhoff\n'),
  Buffer.from('GET VAR "kirchhoff" "ups.status"\n'), Buffer.from('GET UPSDESC kirchhoff\nGET NUMLOGINS kirchhoff\nLIST CLIENT kirchhoff\n'),
  Buffer.from('USERNAME monuser\nPASSWORD secret\nLOGIN kirchhoff\nLOGOUT\n'), Buffer.from('USERNAME admin\nPASSWORD wrong\nLOGIN kirchhoff\n'),
  Buffer.from('STARTTLS\n'), Buffer.from('FSD kirchhoff\n'), Buffer.from('SET VAR kirchhoff ups.delay.shutdown 30\n'), Buffer.from('INSTCMD kirchhoff test.battery.start\n'),
  Buffer.from('LIST CMD kirchhoff\nLIST RW kirchhoff\nLIST ENUM kirchhoff input.transfer.low\n'), Buffer.from('VER\nNETVER\nHELP\n'),
  Buffer.from(`GET VAR kirchhoff ${'x'.repeat(2000)}\n`), Buffer.from('GET VAR kirchhoff "battery.charge\\"\n'), Buffer.from([0x00, 0xff, 0x0a, 0x0d, 0x16, 0x03, 0x01, 0x00, 0x0a]),
];

const RCCMD = [
  rccmdAlive(1),
  Buffer.from('KRCCMD/1 SHUTDOWN from=fuzz ts=1765000000000 nonce=00112233445566778899 job=j1\n'),
  Buffer.from('KRCCMD/1 EXECUTE from=fuzz ts=1765000000000 nonce=0011223344556677aabb cmd=stop-db mac=' + 'ab'.repeat(32) + '\n'),
  Buffer.from('KRCCMD/1 MESSAGE from=fuzz ts=1765000000000 nonce=0011223344556677ccdd text=hello%20world\n'),
  Buffer.from('CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Powerfail on UPS-A: Autonomietime 12.00 min.'),
  Buffer.from('CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT fuzz\n'),
  Buffer.from('KRCCMD/1 ACK from=fuzz ts=1 nonce=0011223344556677 re=0011223344556677\n'),
];

/** Modbus RTU on the client end of a pty: writes inputs, answers the probe by unit 1 FC 3. */
async function rtuClient(path: string): Promise<{ delivery: Delivery; probe: () => Promise<void>; close: () => Promise<void> }> {
  const port = new SerialPort({ path, baudRate: 19200, parity: 'even', autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let received = Buffer.alloc(0);
  port.on('data', (d: Buffer) => { received = Buffer.concat([received, d]).subarray(-4096); });
  port.on('error', () => {});
  const write = (b: Buffer) => new Promise<void>((r) => port.write(b, () => port.drain(() => r())));
  const silence = () => new Promise((r) => setTimeout(r, 5)); // > 3.5 character times (2 ms) at 19200 baud
  let count = 0;
  return {
    delivery: {
      batch: 8,
      deliver: async (inputs) => {
        for (const b of inputs) {
          await write(b);
          await silence();
        }
      },
      close: async () => {},
    },
    probe: async () => {
      await silence();
      received = Buffer.alloc(0);
      const n = 1 + (count++ % 8);
      // The registers or an exception (register 0 may be unmapped): either is an answer.
      await write(rtuFrame(Buffer.from([1, 3, 0, 0, 0, n])));
      await waitFor(() => received.includes(Buffer.from([1, 3, 2 * n])) || received.includes(Buffer.from([1, 0x83])), 3000, `Modbus RTU to answer FC 3 for ${n} registers`);
    },
    close: () => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())),
  };
}

export interface FuzzRig {
  readonly listeners: readonly FuzzListener[];
  readonly processes: Readonly<Record<string, ChildCommand>>;
  stop(): Promise<void>;
}

export async function startFuzzRig(): Promise<FuzzRig> {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-fuzz-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${join(dir, 'rtu-server')}`, `pty,raw,echo=0,link=${join(dir, 'rtu-client')}`]);
    cleanups.push(() => socat.stop());
    await waitFor(() => (socat.output().match(/PTY is/g) ?? []).length >= 2, 5000, 'socat ptys');

    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
    if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
    writeFileSync(join(dir, 'listener.yaml'), [
      'id: fuzz-listener',
      'udp: { enabled: true, host: 127.0.0.1, port: 0 }',
      'tcp: { enabled: true, host: 127.0.0.1, port: 0 }',
      'senders:', '  - { address: 127.0.0.1 }',
      'acceptRccmdMessages: true', 'dryRun: true',
      'actions: { shutdown: "true", execute: { stop-db: "true" } }',
      'log: { level: info, format: json }',
    ].join('\n'));

    const bacnetPort = await freeUdpPort();
    const common = ['snmp.host=127.0.0.1', 'http.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1', 'mqtt.broker.host=127.0.0.1', 'rccmd.enabled=false',
      'actions.enabled=false', 'history.enabled=false', 'schedule.enabled=false', 'log.format=json', 'bacnet.address=127.0.0.1', 'bacnet.broadcastAddress=127.0.0.1'];
    const args = (sets: string[]) => ['start', '--demo', '--status-every', '0', ...[...common, ...sets].flatMap((s) => ['--set', s])];
    const ready = /Ctrl-C stops the gateway\./;
    // allSettled, not all: when one fails to start, the others are stopped too (a child left running
    // keeps Jest from exiting).
    const started = await Promise.allSettled([
      startChild(args(['modbus.tcp.port=0', 'snmp.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', `bacnet.port=${bacnetPort}`, `bacnet.deviceInstance=${DEVICE_INSTANCE}`, `modbus.rtu.port=${join(dir, 'rtu-server')}`]), ready),
      startChild(args(['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'nut.enabled=false', 'http.port=0', `http.tls.cert=${cert}`, `http.tls.key=${key}`]), ready),
      startChild(['rccmd-listen', '--config', join(dir, 'listener.yaml')], /Ctrl-C stops it/),
    ]);
    for (const r of started) if (r.status === 'fulfilled') cleanups.push(() => r.value.stop());
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [gateway, https, rccmd] = started.map((r) => (r as PromiseFulfilledResult<ChildCommand>).value);
    const ports = servicePorts(gateway.output());
    const httpsPort = servicePorts(https.output())['HTTP API'];
    const rccmdUdp = Number(/udp 127\.0\.0\.1:(\d+)/.exec(rccmd.output())![1]);
    const rccmdTcp = Number(/tcp 127\.0\.0\.1:(\d+)/.exec(rccmd.output())![1]);
    const rtu = await rtuClient(join(dir, 'rtu-client'));
    cleanups.push(rtu.close);

    const modbusTcp = MODBUS_PDUS.map((p, i) => mbap(p, i + 1));
    const mqttOpen = (rng: Rng) => (rng.chance(0.5) ? [mqttConnect(`fuzz-${rng.below(4)}`)] : []);
    const listeners: FuzzListener[] = [
      { name: 'modbus-tcp', corpus: modbusTcp, maxBytes: 65_536, process: gateway, delivery: async () => streams(tcp(ports['Modbus TCP'])), probe: () => probe({ kind: 'modbus-tcp', port: ports['Modbus TCP'] }) },
      { name: 'modbus-rtu', corpus: MODBUS_PDUS.map((p) => rtuFrame(Buffer.concat([Buffer.from([1]), p]))), maxBytes: 1024, process: gateway, delivery: async () => rtu.delivery, probe: rtu.probe },
      { name: 'snmp', corpus: SNMP, maxBytes: 65_507, process: gateway, delivery: () => datagrams(ports['SNMP agent']), probe: () => probe({ kind: 'snmp', port: ports['SNMP agent'] }) },
      { name: 'bacnet', corpus: BACNET, maxBytes: 65_507, process: gateway, delivery: () => datagrams(bacnetPort), probe: () => probe({ kind: 'bacnet', port: bacnetPort, deviceInstance: DEVICE_INSTANCE }) },
      { name: 'http', corpus: HTTP, maxBytes: 262_144, process: gateway, delivery: async () => streams(tcp(ports['HTTP API'])), probe: () => probe({ kind: 'http', port: ports['HTTP API'] }) },
      { name: 'https-handshake', corpus: [CLIENT_HELLO, hex('15030300020246'), hex('1603030005020000010000')], maxBytes: 65_536, process: https, delivery: async () => streams(tcp(httpsPort)), probe: () => probe({ kind: 'https', port: httpsPort }) },
      { name: 'https', corpus: HTTP, maxBytes: 262_144, process: https, delivery: async () => streams(tls(httpsPort)), probe: () => probe({ kind: 'https', port: httpsPort }) },
      { name: 'mqtt-broker', corpus: MQTT, maxBytes: 262_144, process: gateway, delivery: async (rng) => streams(tcp(ports['MQTT broker (embedded)']), mqttOpen, rng), probe: () => probe({ kind: 'mqtt', port: ports['MQTT broker (embedded)'] }) },
      { name: 'nut', corpus: NUT, maxBytes: 16_384, process: gateway, delivery: async () => streams(tcp(ports.NUT)), probe: () => probe({ kind: 'nut', port: ports.NUT }) },
      { name: 'rccmd-tcp', corpus: RCCMD, maxBytes: 16_384, process: rccmd, delivery: async () => streams(tcp(rccmdTcp)), probe: () => probe({ kind: 'rccmd-tcp', port: rccmdTcp }) },
      { name: 'rccmd-udp', corpus: RCCMD, maxBytes: 65_507, process: rccmd, delivery: () => datagrams(rccmdUdp), probe: () => probe({ kind: 'rccmd-udp', port: rccmdUdp }) },
    ];
    return { listeners, processes: { gateway, https, rccmd }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
