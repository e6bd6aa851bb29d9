// A `kirchhoff` command in a child process, run from the TypeScript sources: what the hostile-input
// tests, the fuzz campaign and the crash tests need to see that a real process survives (its exit,
// its RSS from /proc, how many log lines it wrote) or to kill it with SIGKILL.
import { spawn, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TS_REGISTER, waitFor } from '@kirchhoff/test-support';

const CLI = join(__dirname, '..', 'cli.ts');
/** A line the child writes on SIGUSR2: its memory after a full garbage collection. */
const HEAP_LINE = 'kirchhoff-fuzz-heap ';
/**
 * As bin/kirchhoff.js runs the built CLI: the same V8 flag, so RSS figures compare. Started with
 * --expose-gc (which changes no collection by itself), it answers SIGUSR2 with its memory after a
 * full collection: what a leak keeps, without the garbage and allocator slack RSS also counts.
 */
const BOOT = `require('node:v8').setFlagsFromString('--optimize-for-size');
process.on('SIGUSR2', () => { global.gc(); const m = process.memoryUsage(); process.stderr.write(${JSON.stringify(HEAP_LINE)} + JSON.stringify({ rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + '\\n'); });
require(${JSON.stringify(CLI)}).main(process.argv.slice(1));`;

/** Bytes, after a full garbage collection. */
export interface HeapAfterGc {
  readonly rss: number;
  /** V8 heap reserved, used or not. */
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface ChildCommand {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last 64 kB of stdout and stderr. */
  output(): string;
  /** Lines written to stdout and stderr so far. */
  lines(): number;
  /** Resident set size now, kB (from /proc). */
  rssKb(): number;
  /** Memory after a full garbage collection, as the child reports it on SIGUSR2. */
  heapAfterGc(timeoutMs?: number): Promise<HeapAfterGc>;
  /** null while running; how it ended otherwise. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGTERM, SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL now; resolves when the process has exited. */
  kill9(): Promise<void>;
}

/** Starts `kirchhoff ARGS...` and resolves once its output matches `ready`. */
export async function startChild(args: readonly string[], ready: RegExp, timeoutMs = 60_000): Promise<ChildCommand> {
  const child = spawn(process.execPath, ['--expose-gc', '-r', TS_REGISTER, '-e', BOOT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let lines = 0;
  /** The heap lines are ours, not the process's log: neither counted nor kept in the tail. */
  let heapWaiter: ((h: HeapAfterGc) => void) | null = null;
  let partial = '';
  let ended: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => { ended = { code, signal }; resolve(); }));
  const take = (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
    tail = (tail + d.toString()).slice(-65_536);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', (d: Buffer) => {
    if (!d.includes(HEAP_LINE) && !partial) return take(d);
    const text = partial + d.toString();
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    const rest: string[] = [];
    for (const line of text.slice(0, end + 1).split('\n').slice(0, -1)) {
      if (line.startsWith(HEAP_LINE)) heapWaiter?.(JSON.parse(line.slice(HEAP_LINE.length)) as HeapAfterGc);
      else rest.push(`${line}\n`);
    }
    if (rest.length) take(Buffer.from(rest.join('')));
  });
  const handle: ChildCommand = {
    child,
    pid: child.pid!,
    output: () => tail,
    lines: () => lines,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN),
    heapAfterGc: (timeoutMs = 30_000) => new Promise<HeapAfterGc>((resolve, reject) => {
      const timer = setTimeout(() => ((heapWaiter = null), reject(new Error(`kirchhoff ${args[0]}: no heap figures within ${timeoutMs} ms`))), timeoutMs);
      heapWaiter = (h) => {
        clearTimeout(timer);
        heapWaiter = null;
        resolve(h);
      };
      child.kill('SIGUSR2');
    }),
    exit: () => ended,
    stop: async () => {
      if (ended) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    kill9: async () => {
      if (ended) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitFor(() => {
      if (ended) throw new Error(`kirchhoff ${args.join(' ')} exited (${JSON.stringify(ended)}) before it was ready:\n${tail}`);
      return ready.test(tail);
    }, timeoutMs, `kirchhoff ${args[0]} to be ready`);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** The endpoints in `kirchhoff start`'s service table: service name -> port. */
export function servicePorts(output: string): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const m of output.matchAll(/^ {2}(\S.*?) {2,}(?:tcp|udp|http|https) [^\s:]+:(\d+) +running$/gm)) ports[m[1]] = Number(m[2]);
  return ports;
}
