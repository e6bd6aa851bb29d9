// The fuzz campaign against every listener of a running gateway (hardening issue, "Done when"):
// seeded inputs (valid frames, random bytes, truncations, bit flips, splices, concatenations and
// oversized frames) sent on loopback, a valid request after every few hundred inputs to tell a
// hang from a crash, and per listener the inputs sent, crashes, hangs, RSS and log lines.
// The same seed gives the same inputs in the same order on the same connections: print it, replay it.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ChildCommand } from './child';

/** xorshift32: small, fast, and the same sequence on every machine for a seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.state = x;
    return x;
  }
  /** 0 <= n < bound. */
  below(bound: number): number {
    return bound <= 1 ? 0 : this.next() % bound;
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

/** One listener's own sequence: replaying one listener needs only the seed and its name. */
export function listenerSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h >>> 0;
}

export type Shape = 'valid' | 'random' | 'truncated' | 'bitflip' | 'interesting' | 'splice' | 'concat' | 'oversized';
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** One input: a mutation of a valid frame from `corpus`, or random bytes; at most `maxBytes`. */
export function mutate(rng: Rng, corpus: readonly Buffer[], maxBytes: number): { shape: Shape; bytes: Buffer } {
  const base = rng.pick(corpus);
  const roll = rng.below(100);
  if (roll < 5) return { shape: 'valid', bytes: base };
  if (roll < 17) return { shape: 'random', bytes: rng.bytes(rng.chance(0.9) ? rng.below(base.length * 2 + 2) : rng.below(Math.min(maxBytes, 4096))) };
  if (roll < 35) return { shape: 'truncated', bytes: base.subarray(0, rng.below(base.length)) };
  if (roll < 65) {
    const b = Buffer.from(base);
    for (let n = 1 + rng.below(8); n > 0 && b.length; n--) b[rng.below(b.length)] ^= 1 << rng.below(8);
    return { shape: 'bitflip', bytes: b };
  }
  if (roll < 80) {
    // Length fields and counts are where parsers trust the sender: put extremes there.
    const b = Buffer.from(base);
    for (let n = 1 + rng.below(3); n > 0 && b.length; n--) b[rng.below(b.length)] = rng.pick(INTERESTING);
    return { shape: 'interesting', bytes: b };
  }
  if (roll < 88) {
    const other = rng.pick(corpus);
    return { shape: 'splice', bytes: Buffer.concat([base.subarray(0, rng.below(base.length + 1)), other.subarray(rng.below(other.length + 1))]) };
  }
  if (roll < 96) return { shape: 'concat', bytes: Buffer.concat(Array.from({ length: 2 + rng.below(6) }, () => rng.pick(corpus))).subarray(0, maxBytes) };
  const size = Math.min(maxBytes, base.length + 1 + rng.below(maxBytes));
  const fill = rng.chance(0.5) ? Buffer.alloc(size - base.length, rng.next() & 0xff) : rng.bytes(Math.min(size - base.length, 2048));
  return { shape: 'oversized', bytes: Buffer.concat([base, fill]).subarray(0, size) };
}

/** How inputs reach a listener. */
export interface Delivery {
  /** Sends the inputs (one connection for a stream; one datagram each for UDP). */
  deliver(inputs: readonly Buffer[]): Promise<void>;
  /** Most inputs `deliver` takes at once (a stream: per connection). */
  readonly batch: number;
  close(): Promise<void>;
}

export async function datagrams(port: number, host = '127.0.0.1'): Promise<Delivery> {
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', () => {});
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return {
    batch: 64,
    deliver: async (inputs) => {
      await Promise.all(inputs.map((b) => new Promise<void>((r) => socket.send(b, port, host, () => r()))));
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** One connection per call: optional opening frames, the inputs, a half-close, then wait for the server's close (at most `lingerMs`). */
export function streams(open: () => Socket, opening: (rng: Rng) => readonly Buffer[] = () => [], rng?: Rng, lingerMs = 300): Delivery {
  return {
    batch: 32,
    deliver: (inputs) => new Promise<void>((resolve) => {
      const socket = open();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(finish, lingerMs + 5000);
      socket.on('error', finish);
      socket.on('close', finish);
      socket.on('data', () => {});
      const writeAll = async () => {
        for (const b of [...(rng ? opening(rng) : []), ...inputs]) {
          if (done || socket.destroyed) return;
          await new Promise<void>((r) => socket.write(b, () => r()));
        }
        if (done) return;
        socket.end();
        setTimeout(finish, lingerMs).unref();
      };
      socket.once(socket instanceof Socket && 'encrypted' in socket ? 'secureConnect' : 'connect', () => void writeAll());
    }),
    close: async () => {},
  };
}

export const tcp = (port: number, host = '127.0.0.1') => () => tcpConnect(port, host);
export const tls = (port: number, host = '127.0.0.1') => () => tlsConnect({ port, host, rejectUnauthorized: false });

export interface FuzzListener {
  readonly name: string;
  readonly corpus: readonly Buffer[];
  /** Largest input (oversized frames go up to this). */
  readonly maxBytes: number;
  readonly delivery: (rng: Rng) => Promise<Delivery>;
  /** A valid request that must be answered: resolves, or rejects with what went wrong. */
  readonly probe: () => Promise<void>;
  /** The process behind the listener. */
  readonly process: ChildCommand;
}

export interface ListenerResult {
  readonly name: string;
  readonly inputs: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly rssStartMb: number;
  readonly rssEndMb: number;
  readonly logLines: number;
  readonly seconds: number;
  readonly shapes: Readonly<Record<string, number>>;
  /** The first failure: which input (index in this listener's sequence) and what. */
  readonly failure?: string;
}

export interface CampaignOptions {
  readonly seed: number;
  /** Inputs per listener. */
  readonly inputs: (name: string) => number;
  /** Probe after this many inputs. */
  readonly probeEvery: number;
  readonly probeTimeoutMs?: number;
  readonly onProgress?: (name: string, sent: number) => void;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/**
 * A hang is three unanswered probes, 0.5 s apart, as a client would retry: one lost answer is not
 * (a datagram probe can be dropped by a socket buffer full of 64 kB fuzz datagrams).
 */
async function probeWithRetries(listener: FuzzListener): Promise<Error | null> {
  let error: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 500));
    error = await listener.probe().then(() => null, (e: Error) => e);
    if (!error || listener.process.exit()) return error;
  }
  return error;
}

export async function fuzzListener(listener: FuzzListener, options: CampaignOptions): Promise<ListenerResult> {
  const rng = new Rng(listenerSeed(options.seed, listener.name));
  const total = options.inputs(listener.name);
  const delivery = await listener.delivery(rng);
  const proc = listener.process;
  const rssStart = proc.rssKb();
  const linesStart = proc.lines();
  const t0 = Date.now();
  const shapes: Record<string, number> = {};
  let sent = 0;
  let nextProbe = options.probeEvery;
  let crashes = 0;
  let hangs = 0;
  let failure: string | undefined;
  try {
    while (sent < total) {
      const n = Math.min(total - sent, 1 + rng.below(delivery.batch));
      const inputs: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const { shape, bytes } = mutate(rng, listener.corpus, listener.maxBytes);
        shapes[shape] = (shapes[shape] ?? 0) + 1;
        inputs.push(bytes);
      }
      const first = sent;
      await delivery.deliver(inputs);
      sent += n;
      if (sent >= nextProbe || sent >= total) {
        nextProbe = sent + options.probeEvery;
        options.onProgress?.(listener.name, sent);
        const error = await probeWithRetries(listener);
        if (error) {
          const exit = proc.exit();
          if (exit) crashes++; else hangs++;
          failure = `after input ${first}..${sent - 1} (seed ${options.seed}): ${exit ? `process exited ${JSON.stringify(exit)}` : error.message}`;
          break;
        }
      }
    }
  } finally {
    await delivery.close();
  }
  return {
    name: listener.name, inputs: sent, crashes, hangs, rssStartMb: mb(rssStart), rssEndMb: mb(proc.exit() ? NaN : proc.rssKb()),
    logLines: proc.lines() - linesStart, seconds: Math.round((Date.now() - t0) / 100) / 10, shapes, ...(failure ? { failure } : {}),
  };
}

export function formatResults(results: readonly ListenerResult[]): string {
  const head = `${'listener'.padEnd(16)} ${'inputs'.padStart(9)} ${'crashes'.padStart(7)} ${'hangs'.padStart(5)} ${'RSS start'.padStart(9)} ${'RSS end'.padStart(8)} ${'log lines'.padStart(9)} ${'s'.padStart(6)} ${'inputs/s'.padStart(8)}`;
  const rows = results.map((r) => `${r.name.padEnd(16)} ${String(r.inputs).padStart(9)} ${String(r.crashes).padStart(7)} ${String(r.hangs).padStart(5)} ${r.rssStartMb.toFixed(1).padStart(9)} ${r.rssEndMb.toFixed(1).padStart(8)} ${String(r.logLines).padStart(9)} ${r.seconds.toFixed(1).padStart(6)} ${String(Math.round(r.inputs / Math.max(r.seconds, 0.1))).padStart(8)}${r.failure ? `\n  ${r.failure}` : ''}`);
  return [head, ...rows].join('\n');
}
