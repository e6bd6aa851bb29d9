// Test helpers: mosquitto_sub as the independent reader, a private mosquitto to restart, cleanup
// of the retained messages a test leaves on the shared broker, and a small filled site.
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandInterface, Site, SiteOptions } from '@kirchhoff/core';
import { freeTcpPort, run, startProcess, waitFor } from '@kirchhoff/test-support';

export const SHARED_BROKER_PORT = 1883;

export interface Received {
  readonly topic: string;
  readonly retained: boolean;
  readonly payload: Buffer;
}

export interface Subscriber {
  readonly messages: Received[];
  /** Messages on `topic` so far. */
  on(topic: string): Received[];
  json(topic: string): Record<string, unknown>;
  waitFor(topic: string, what?: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  stop(): Promise<void>;
}

/**
 * mosquitto_sub on `topics`; resolves once the subscription is in place, proven by a probe
 * message coming back (its debug output is block-buffered on a pipe, so SUBACK cannot be seen).
 */
export async function subscribe(port: number, topics: readonly string[], persistentId?: string): Promise<Subscriber> {
  const session = persistentId ? ['-c', '-i', persistentId] : [];
  const probe = `kirchhoff-test-probe/${process.pid}-${Math.random().toString(36).slice(2)}`;
  const args = ['-h', '127.0.0.1', '-p', String(port), ...session, '-q', '1', '-F', 'MSG\t%t\t%r\t%x', '-t', probe, ...topics.flatMap((t) => ['-t', t])];
  const p = startProcess('mosquitto_sub', args);
  const messages: Received[] = [];
  let parsed = 0;
  const refresh = () => {
    const lines = p.output().split('\n');
    // The last line may be incomplete.
    for (; parsed < lines.length - 1; parsed++) {
      const l = lines[parsed];
      if (!l.startsWith('MSG\t')) continue;
      const [, topic, r, hex] = l.split('\t');
      if (topic !== probe) messages.push({ topic, retained: r === '1', payload: Buffer.from(hex ?? '', 'hex') });
    }
    return messages;
  };
  await waitFor(async () => {
    if (p.output().includes(`MSG\t${probe}\t`)) return true;
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', probe, '-m', 'probe'], { timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 50));
    return p.output().includes(`MSG\t${probe}\t`);
  }, 5000, `mosquitto_sub on port ${port}`);
  const on = (topic: string) => refresh().filter((m) => m.topic === topic);
  return {
    get messages() { return refresh(); },
    on,
    json: (topic) => {
      const all = on(topic);
      if (!all.length) throw new Error(`nothing received on ${topic}`);
      return JSON.parse(all[all.length - 1].payload.toString()) as Record<string, unknown>;
    },
    waitFor: (topic, what = () => true, timeoutMs = 5000) => waitFor(() => on(topic).find(what), timeoutMs, `a message on ${topic}`),
    stop: () => p.stop(),
  };
}

/** Clears every retained message under `topics` (a test's own prefixes on the shared broker). */
export async function removeRetained(port: number, topics: readonly string[]): Promise<void> {
  await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...topics.flatMap((t) => ['-t', t]), '--remove-retained', '--retained-only', '-W', '1'], { timeoutMs: 5000 });
}

export async function publish(port: number, topic: string, payload: string | Buffer): Promise<void> {
  const file = join(tmpdir(), `kirchhoff-mqtt-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, payload);
  try {
    const r = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-f', file]);
    if (r.code !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
  } finally {
    unlinkSync(file);
  }
}

/**
 * A private mosquitto on a free port, for tests that stop and start the broker. It keeps
 * sessions across restarts and queues QoS 0 for offline persistent subscribers, so a
 * subscriber with a fixed client id misses nothing published while it reconnects.
 */
/**
 * A Mosquitto of the test's own, to stop and start. With `anonymous: false` it refuses every
 * CONNECT (CONNACK "not authorised"); `allowAnonymous` changes that for the next start.
 */
export async function privateBroker(options: { anonymous?: boolean } = {}): Promise<{ port: number; start(): Promise<void>; stop(): Promise<void>; dispose(): Promise<void>; allowAnonymous(on: boolean): void; output(): string }> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-mosquitto-'));
  // mosquitto started as root drops to its own user, which must be able to save the sessions.
  chmodSync(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  const configure = (anonymous: boolean) => writeFileSync(conf, [`listener ${port} 127.0.0.1`, `allow_anonymous ${anonymous}`, 'persistence true', `persistence_location ${dir}/`, 'queue_qos0_messages true', 'max_queued_messages 100000', ''].join('\n'));
  configure(options.anonymous ?? true);
  let anonymous = options.anonymous ?? true;
  let proc: ReturnType<typeof startProcess> | null = null;
  let earlier = '';
  const start = async () => {
    proc = startProcess('mosquitto', ['-c', conf]);
    if (anonymous) await waitFor(async () => (await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'probe', '-n'], { timeoutMs: 2000 })).code === 0, 5000, `mosquitto on ${port}`);
    else await waitFor(() => /running/.test(proc!.output()), 5000, `mosquitto on ${port}`);
  };
  const stop = async () => {
    earlier += proc?.output() ?? '';
    await proc?.stop();
    proc = null;
  };
  return {
    port, start, stop,
    dispose: async () => { await stop(); rmSync(dir, { recursive: true, force: true }); },
    allowAnonymous: (on) => { anonymous = on; configure(on); },
    output: () => earlier + (proc?.output() ?? ''),
  };
}

export function uniqueSiteId(what: string): string {
  return `t-${what}-${process.pid}-${Date.now().toString(36)}`;
}

/** A site with readings in every module (voltages differ per module), a UPS, sensors, I/O. */
export function filledSite(strings = 2, modules = 4, extra: Partial<SiteOptions> = {}): Site {
  const site = new Site({
    info: { name: 'Test site' },
    strings: Array.from({ length: strings }, () => ({ modules, moduleType: 'C20' as const })),
    ups: true,
    sensors: [{ name: 'Room temperature', kind: 'temperature' }, { name: 'Hydrogen', kind: 'hydrogen' }],
    inputs: [{ name: 'Door', alarmSeverity: 'warning' }],
    relays: [{ name: 'Ventilation', function: 'ventilation' }, { name: 'Beacon', function: 'beacon' }],
    ...extra,
  });
  site.update((tx) => {
    for (let g = 1; g <= strings * modules; g++) tx.moduleReadings(g, { voltageV: 13.5 + g / 1000, temperatureC: 21 + g / 10, resistanceOhm: 0.004 + g / 1e5, socPercent: 95 });
    for (let s = 1; s <= strings; s++) tx.string(s, { dcCurrentA: 0.4 + s / 10, chargeMode: 'float', meanSohPercent: 95.5, minSohPercent: 94, remainingCapacityAh: 94, balancingStalled: s === 2 });
    // Health figures as the gateway's health engine writes them.
    for (let g = 1; g <= strings * modules; g++) {
      tx.module(g, { sohPercent: 96 - g / 10, sohMethod: 'resistance', remainingCapacityAh: 96 - g / 10, capacityFadePercent: 4 + g / 10, resistanceIncreasePercent: 2 * g, endOfLifeAtMs: Date.UTC(2032, 0, g, 12) });
    }
    tx.ups({ battery: { status: 'normal', voltageV: 432.1, estimatedMinutesRemaining: 42 } });
    tx.sensor(1, 23.4);
    tx.sensor(2, 0.2);
    tx.input(1, false);
  });
  return site;
}

/** A command interface whose executor drives relays in the model, as the gateway does. */
export function commandsFor(site: Site): CommandInterface {
  return new CommandInterface(site, {
    execute: async (c) => {
      if (c.type === 'set-relay') site.update((tx) => tx.relay(c.relay, c.on));
      return { ok: true, message: 'done' };
    },
  }, { mqtt: 'all' });
}
