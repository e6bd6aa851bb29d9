// Publisher benchmark: a 16 x 32 site changing every module once a second, published to the
// Mosquitto at 127.0.0.1:1883 in each mode and read by mosquitto_sub (receive times from the
// reader itself). Prints messages/s, model-change-to-subscriber latency p50/p99 and this
// process's CPU share above a driver-only baseline, against a naive mqtt.js peer (one topic per
// voltage per change, no batching) measured in the same run. `npm run bench -w @kirchhoff/mqtt`
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'mqtt';
import { get as sparkplugPayload } from 'sparkplug-payload';
import { Site } from '@kirchhoff/core';
import { createMqttPublisher, MqttPublisherOptions } from '../src';

const BROKER = process.env.MQTT_BENCH_URL ?? 'mqtt://127.0.0.1:1883';
const HOST = new URL(BROKER).hostname;
const PORT = new URL(BROKER).port || '1883';
// Long enough for Home Assistant's discovery (about 2,300 configs at the default 1000 msg/s) to pass.
const WARMUP_MS = 5000;
const WINDOW_MS = Number(process.env.MQTT_BENCH_WINDOW_MS ?? 8000);
const sp = sparkplugPayload('spBv1.0')!;

function makeSite(): Site {
  return new Site({ info: { name: 'Bench site' }, strings: Array.from({ length: 16 }, () => ({ modules: 32, moduleType: 'C20' as const })), ups: true });
}

/** Every module moves a few mV each second (past the default 2 mV deadband most of the time), as a noisy bus reads it. */
function drive(site: Site): () => void {
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const tick = () => site.update((tx) => {
    for (let g = 1; g <= 512; g++) tx.moduleReadings(g, { voltageV: Math.round((13.6 + (rnd() - 0.5) * 0.02) * 1000) / 1000, temperatureC: 22 + Math.round(rnd() * 2) / 10, resistanceOhm: 0.004, socPercent: 98 });
    for (let s = 1; s <= 16; s++) tx.string(s, { dcCurrentA: Math.round((0.3 + rnd() * 0.1) * 100) / 100 });
  });
  tick();
  const t = setInterval(tick, 1000);
  return () => clearInterval(t);
}

interface Reader { lines(): string[]; stop(): void }
function reader(topics: string[]): Reader {
  const p = spawn('mosquitto_sub', ['-h', HOST, '-p', PORT, '-F', '%U\t%t\t%x', ...topics.flatMap((t) => ['-t', t])], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  return { lines: () => out.split('\n').filter(Boolean), stop: () => p.kill() };
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

interface Result { name: string; msgsPerS: number; p50: number; p99: number; cpuPercent: number; bytesPerS: number }

/** Runs `start` for warm-up + window; latency from each message's own reading times. */
async function measure(name: string, topics: string[], start: () => Promise<() => Promise<void>>, latencies: (topic: string, payload: Buffer, recvMs: number) => number[]): Promise<Result> {
  const r = reader(topics);
  await new Promise((res) => setTimeout(res, 500));
  const stop = await start();
  await new Promise((res) => setTimeout(res, WARMUP_MS));
  const from = Date.now();
  const cpu0 = process.cpuUsage();
  await new Promise((res) => setTimeout(res, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const to = Date.now();
  await stop();
  await new Promise((res) => setTimeout(res, 300));
  r.stop();
  let count = 0;
  let bytes = 0;
  const lat: number[] = [];
  for (const line of r.lines()) {
    const [u, topic, hex] = line.split('\t');
    const recvMs = Number(u) * 1000;
    if (recvMs < from || recvMs > to) continue;
    count++;
    const payload = Buffer.from(hex ?? '', 'hex');
    bytes += payload.length;
    lat.push(...latencies(topic, payload, recvMs));
  }
  const seconds = (to - from) / 1000;
  return { name, msgsPerS: count / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), cpuPercent: ((cpu.user + cpu.system) / 1000 / (to - from)) * 100, bytesPerS: bytes / seconds };
}

const jsonLatency = (topic: string, payload: Buffer, recvMs: number): number[] => {
  if (!/\/module\/\d+$/.test(topic) || !payload.length) return [];
  const j = JSON.parse(payload.toString()) as { voltageV: { atMs: number } };
  return [recvMs - j.voltageV.atMs];
};
const sparkplugLatency = (topic: string, payload: Buffer, recvMs: number): number[] => {
  if (!topic.includes('/DDATA/')) return [];
  return (sp.decodePayload(new Uint8Array(payload)).metrics ?? []).filter((m) => m.name?.endsWith('/voltageV')).map((m) => recvMs - Number(m.timestamp));
};

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v mosquitto_sub']).status !== 0) throw new Error('needs mosquitto_sub (Debian package mosquitto-clients)');
  const run = `bench-${process.pid}`;
  const results: Result[] = [];

  // Driver only: the CPU the site updates themselves cost, subtracted below.
  const base = await measure('driver only (baseline)', [`kirchhoff/${run}-none/#`], async () => {
    const stop = drive(makeSite());
    return async () => stop();
  }, () => []);

  const modes: [string, MqttPublisherOptions['modes'], string[], typeof jsonLatency][] = [
    ['JSON', { json: true }, [`kirchhoff/${run}-json/#`], jsonLatency],
    ['Home Assistant', { json: false, homeAssistant: true }, [`kirchhoff/${run}-ha/#`, `homeassistant/+/kirchhoff_${run}-ha/#`], jsonLatency],
    ['Sparkplug B', { json: false, sparkplug: true }, [`spBv1.0/kirchhoff/+/${run}-spb/#`, `spBv1.0/kirchhoff/+/${run}-spb`], sparkplugLatency],
  ];
  for (const [name, m, topics, lat] of modes) {
    const siteId = `${run}-${name === 'JSON' ? 'json' : name === 'Home Assistant' ? 'ha' : 'spb'}`;
    results.push(await measure(name, topics, async () => {
      const site = makeSite();
      const stopDrive = drive(site);
      const pub = createMqttPublisher(site, { url: BROKER, siteId, modes: m });
      await pub.connected();
      return async () => {
        stopDrive();
        const s = pub.stats();
        process.stderr.write(`${name}: ${JSON.stringify({ json: s.json && { published: s.json.published, dropped: s.json.dropped, coalesced: s.json.coalesced }, sparkplug: s.sparkplug && { published: s.sparkplug.published, dropped: s.sparkplug.dropped } })}\n`);
        await pub.close();
      };
    }, lat));
  }

  // Peer: plain mqtt.js, one retained QoS 1 topic per module voltage, published on every change.
  results.push(await measure('peer: naive mqtt.js (1 topic/voltage/change)', [`peer/${run}/#`], async () => {
    const site = makeSite();
    const client = connect(BROKER, { clientId: `${run}-peer` });
    await new Promise((r) => client.once('connect', r));
    const unsubscribe = site.subscribe((e) => {
      if (e.type !== 'values') return;
      for (const c of e.changes) {
        if (c.entity.kind === 'module' && c.field === 'voltageV') client.publish(`peer/${run}/${c.entity.global}`, JSON.stringify({ v: c.value, t: c.atMs }), { qos: 1, retain: true });
      }
    });
    const stopDrive = drive(site);
    return async () => {
      stopDrive();
      unsubscribe();
      await new Promise((r) => client.end(false, {}, () => r(undefined)));
    };
  }, (_t, payload, recvMs) => [recvMs - (JSON.parse(payload.toString()) as { t: number }).t]));

  const peer = results[results.length - 1];
  const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  process.stdout.write(`\n16 x 32 site, every module changing at 1 Hz, ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s warm-up, broker ${BROKER}\n\n`);
  process.stdout.write('| mode | messages/s | kB/s | latency p50 ms | latency p99 ms | process CPU % of a core | above driver-only | CPU vs peer |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.name} | ${fmt(r.msgsPerS)} | ${fmt(r.bytesPerS / 1000, 1)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuPercent, 1)} | ${fmt(r.cpuPercent - base.cpuPercent, 1)} | ${fmt(r.cpuPercent / peer.cpuPercent, 2)}x |\n`);
  }
  process.stdout.write(`\nDriver only (site updates, no publisher): ${fmt(base.cpuPercent, 1)} % of a core. Latency: receive time printed by mosquitto_sub minus the reading's time in the model; it includes the publish interval (default 200 ms) and the rate limit spreading each second's burst.\n`);
  spawnSync('mosquitto_sub', ['-h', HOST, '-p', PORT, '-t', `kirchhoff/${run}-json/#`, '-t', `kirchhoff/${run}-ha/#`, '-t', `homeassistant/+/kirchhoff_${run}-ha/#`, '-t', `peer/${run}/#`, '--remove-retained', '--retained-only', '-W', '15']);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
