// Shared test fixtures: a small site with readings, a started device, and bacstack as the
// independent client (promisified), both on loopback with distinct addresses and one port.
import Bacstack from 'bacstack';
import { CommandExecutor, CommandInterface, defaultThresholds, Site } from '@kirchhoff/core';
import { freeUdpPort } from '@kirchhoff/test-support';
import { BacnetDevice, BacnetDeviceOptions, createBacnetDevice } from '../index';

export const DEVICE_HOST = '127.0.0.2';
export const CLIENT_HOST = '127.0.0.3';

/** Quiet unless BACNET_TEST_LOG is set (then every device warning is printed). */
export const silentLogger = process.env.BACNET_TEST_LOG
  ? { info: (m: string) => console.log(m), warn: (m: string) => console.log(m), error: (m: string) => console.log(m) }
  : { info: () => {}, warn: () => {}, error: () => {} };

/** 2 strings x 4 modules, a UPS, two sensors, two inputs, two relays; limits without delay. */
export function fixtureSite(strings = 2, modules = 4, clock?: () => number): Site {
  const thresholds = { ...defaultThresholds(), moduleVoltage: { warnHigh: 14.1, alarmHigh: 14.4, warnLow: 12.0, alarmLow: 11.4, hysteresis: 0.05, delayMs: 0 } };
  const site = new Site({
    clock,
    info: { name: 'Test site', location: 'Battery room 1' },
    strings: Array.from({ length: strings }, () => ({ modules, moduleType: 'C20' as const })),
    ups: true,
    sensors: [{ name: 'Room temperature', kind: 'temperature' }, { name: 'Room hydrogen', kind: 'hydrogen' }],
    inputs: [{ name: 'Door contact', alarmSeverity: 'warning' }, { name: 'Fire alarm' }],
    relays: [{ name: 'Battery breaker', function: 'breaker' }, { name: 'Ventilation', function: 'ventilation' }],
    thresholds: { ...thresholds, sensors: { '1': { alarmHigh: 40, alarmLow: 5, hysteresis: 1, delayMs: 0 } } },
  });
  site.update((tx) => {
    for (let g = 1; g <= strings * modules; g++) {
      tx.moduleReadings(g, { voltageV: 13.5 + g / 100, temperatureC: 21 + g / 10, resistanceOhm: 0.004 + g / 10000, socPercent: 80 + g / 2 });
      tx.module(g, { equalize: { on: g % 3 === 0, dutyPercent: g % 3 === 0 ? 40 : 0 }, communication: 'ok', fuse: 'ok' });
      // Health figures as the gateway's health engine writes them.
      tx.module(g, { sohPercent: 98 - g / 2, sohMethod: 'resistance', remainingCapacityAh: 98 - g / 2, capacityFadePercent: 2 + g / 2, resistanceIncreasePercent: 5 * g });
    }
    for (let s = 1; s <= strings; s++) tx.string(s, { dcCurrentA: 0.5 * s, socPercent: 85 + s, autonomyMin: 120 + s, chargeMode: 'float', meanSohPercent: 97 - s, minSohPercent: 96 - s, remainingCapacityAh: 96 - s });
    tx.ups({ battery: { voltageV: 216.3, currentA: -1.5, temperatureC: 23.5, estimatedChargeRemainingPercent: 97, estimatedMinutesRemaining: 42 }, output: { source: 'normal', frequencyHz: 50, lines: [{ voltageV: 230.5, currentA: 12.1, powerW: 2700, percentLoad: 34 }] }, input: { lines: [{ frequencyHz: 49.9, voltageV: 229, currentA: 13, truePowerW: 2900 }] } });
    tx.sensor(1, 22.75);
    tx.sensor(2, 0.4);
    tx.input(1, true);
    tx.input(2, false);
  });
  return site;
}

/** A command interface whose executor applies relay commands to the site, BACnet writes allowed. */
export function fixtureCommands(site: Site, allow = true): CommandInterface {
  const executor: CommandExecutor = {
    execute: async (c) => {
      if (c.type === 'set-relay') site.update((tx) => tx.relay(c.relay, c.on));
      return { ok: true, message: 'done' };
    },
  };
  return new CommandInterface(site, executor, allow ? { bacnet: ['set-relay'] } : {});
}

export async function startFixture(site: Site, options: BacnetDeviceOptions = {}, port?: number, host = DEVICE_HOST): Promise<{ device: BacnetDevice; port: number }> {
  const p = port ?? await freeUdpPort();
  const device = await createBacnetDevice(site, { address: host, port: p, announce: false, deviceInstance: 1234, logger: silentLogger, ...options });
  return { device, port: p };
}

/** bacstack with promises; it always talks to its own port, so it binds CLIENT_HOST on the device's port. */
export class Client {
  readonly raw: Bacstack;
  constructor(port: number, host = CLIENT_HOST, private readonly device = DEVICE_HOST) {
    this.raw = new Bacstack({ port, interface: host, broadcastAddress: DEVICE_HOST, apduTimeout: 10_000 }); // only a lost answer waits this long
  }

  readProperty(objectId: { type: number; instance: number }, propertyId: number, options: { arrayIndex?: number; maxSegments?: number; maxApdu?: number } = {}) {
    return new Promise<Bacstack.ReadResult>((resolve, reject) => this.raw.readProperty(this.device, objectId, propertyId, options, (e, v) => (e ? reject(e) : resolve(v))));
  }

  readPropertyMultiple(props: { objectId: { type: number; instance: number }; properties: { id: number; index?: number }[] }[], options: { maxSegments?: number; maxApdu?: number } = {}) {
    return new Promise<Bacstack.RpmResult>((resolve, reject) => this.raw.readPropertyMultiple(this.device, props, options, (e, v) => (e ? reject(e) : resolve(v))));
  }

  writeProperty(objectId: { type: number; instance: number }, propertyId: number, values: { type: number; value: unknown }[], priority?: number) {
    return new Promise<void>((resolve, reject) => this.raw.writeProperty(this.device, objectId, propertyId, values, priority ? { priority } : {}, (e) => (e ? reject(e) : resolve())));
  }

  subscribeCov(objectId: { type: number; instance: number }, processId: number, cancel: boolean, confirmed: boolean, lifetimeS: number) {
    return new Promise<void>((resolve, reject) => this.raw.subscribeCOV(this.device, objectId, processId, cancel, confirmed, lifetimeS, {}, (e) => (e ? reject(e) : resolve())));
  }

  deviceCommunicationControl(minutes: number, mode: number, password?: string) {
    return new Promise<void>((resolve, reject) => this.raw.deviceCommunicationControl(this.device, minutes, mode, password ? { password } : {}, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    this.raw.close();
  }
}

/** The value a client prints for a property: the first decoded value. */
export function first(r: Bacstack.ReadResult): unknown {
  return r.values[0]?.value;
}

/** Sends raw datagrams from a socket of its own and collects what comes back within `waitMs`. */
/**
 * Sends raw datagrams and collects the replies. With `replies: n` (or `until`) it returns as soon
 * as n have arrived (at most 20 s: a busy machine may take seconds), then `waitMs` (50 ms) more for
 * any extra; without, it waits `waitMs` (300 ms) for replies that should not come.
 */
export async function rawExchange(
  port: number, datagrams: readonly Buffer[],
  opts: { host?: string; from?: string; waitMs?: number; replies?: number; until?: (replies: readonly Buffer[]) => boolean } = {},
): Promise<Buffer[]> {
  const { createSocket } = await import('node:dgram');
  const sock = createSocket('udp4');
  const replies: Buffer[] = [];
  const done = opts.until ?? (opts.replies !== undefined ? (r: readonly Buffer[]) => r.length >= opts.replies! : undefined);
  let enough: (() => void) | null = null;
  sock.on('message', (m) => {
    replies.push(m);
    if (done?.(replies)) enough?.();
  });
  await new Promise<void>((r) => sock.bind(0, opts.from ?? '127.0.0.8', () => r()));
  for (const d of datagrams) await new Promise<void>((r, j) => sock.send(d, port, opts.host ?? DEVICE_HOST, (e) => (e ? j(e) : r())));
  if (done && !done(replies)) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, 20_000);
      enough = () => { clearTimeout(t); r(); };
    });
  }
  await new Promise((r) => setTimeout(r, done ? (opts.waitMs ?? 50) : (opts.waitMs ?? 300)));
  await new Promise<void>((r) => sock.close(() => r()));
  return replies;
}

/** BVLC Original-Unicast + NPDU (expecting reply) + a confirmed request APDU. */
export function confirmedRequest(service: number, invokeId: number, body: readonly number[], opts: { segmentedResponseAccepted?: boolean; maxSegments?: number; maxApdu?: number } = {}): Buffer {
  const apdu = [opts.segmentedResponseAccepted ? 0x02 : 0x00, ((opts.maxSegments ?? 0) << 4) | (opts.maxApdu ?? 5), invokeId, service, ...body];
  const len = 4 + 2 + apdu.length;
  return Buffer.from([0x81, 0x0a, len >> 8, len & 0xff, 0x01, 0x04, ...apdu]);
}

/** Context-tagged object identifier (tag 0 unless given). */
export function objectIdTag(type: number, instance: number, tag = 0): number[] {
  const v = ((type << 22) | instance) >>> 0;
  return [(tag << 4) | 0x08 | 4, v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

/** The APDU of a reply datagram (BVLC 4 + NPDU 2 octets for a local reply). */
export function apduOf(d: Buffer): Buffer {
  return d.subarray(6);
}

/** dumpcap on lo for the given UDP ports, live before it returns; `malformed()` lists what tshark flags (as BACnet). */
export async function startCapture(ports: readonly number[]): Promise<{ stop: () => Promise<void>; malformed: (only?: string) => Promise<string>; count: (filter: string) => Promise<number>; dissect: (filter: string) => Promise<string> }> {
  const { run, startLiveCapture } = await import('@kirchhoff/test-support');
  const capture = await startLiveCapture(ports.map((p) => `udp port ${p}`).join(' or '));
  const decode = ports.flatMap((p) => ['-d', `udp.port==${p},bvlc`]);
  const tshark = async (filter: string, extra: readonly string[] = []) => {
    await capture.stop();
    const r = await run('tshark', ['-r', capture.pcap, ...decode, '-Y', filter, ...extra], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`tshark failed (${r.code}): ${r.stderr}`); // an invalid filter must not pass as "nothing found"
    return r.stdout.trim();
  };
  return {
    stop: () => capture.remove(),
    malformed: (only) => tshark(`${only ? `(${only}) && ` : ''}(_ws.malformed || _ws.expert.severity >= error)`),
    count: async (filter) => (await tshark(filter)).split('\n').filter(Boolean).length,
    /** tshark's full dissection (-V) of the matching packets, as a user would read it. */
    dissect: (filter) => tshark(filter, ['-V']),
  };
}
