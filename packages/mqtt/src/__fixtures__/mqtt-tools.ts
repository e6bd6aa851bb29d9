// Test helpers: mosquitto_sub as the independent reader, a private mosquitto to restart, cleanup
// of the retained messages a test leaves on the shared broker, and a small filled site.
import { unlinkSync, writeFileSync } from 'node:fs';
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

/** mosquitto_sub on `topics`; resolves once the broker acknowledged the subscription. */
export async function subscribe(port: number, topics: readonly string[]): Promise<Subscriber> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-d', '-q', '1', '-F', 'MSG\t%t\t%r\t%x', ...topics.flatMap((t) => ['-t', t])];
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
      messages.push({ topic, retained: r === '1', payload: Buffer.from(hex ?? '', 'hex') });
    }
    return messages;
  };
  await waitFor(() => /received SUBACK/.test(p.output()), 5000, `mosquitto_sub SUBACK on port ${port}`);
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

/** A private mosquitto on a free port, for tests that stop and start the broker. */
export async function privateBroker(): Promise<{ port: number; start(): Promise<void>; stop(): Promise<void> }> {
  const port = await freeTcpPort();
  let proc: ReturnType<typeof startProcess> | null = null;
  const start = async () => {
    proc = startProcess('mosquitto', ['-p', String(port)]);
    await waitFor(async () => (await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'probe', '-n'], { timeoutMs: 2000 })).code === 0, 5000, `mosquitto on ${port}`);
  };
  return { port, start, stop: async () => { await proc?.stop(); proc = null; } };
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
    for (let s = 1; s <= strings; s++) tx.string(s, { dcCurrentA: 0.4 + s / 10, chargeMode: 'float' });
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
