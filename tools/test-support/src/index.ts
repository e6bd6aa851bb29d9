// Test helpers shared by every Kirchhoff package: tests use the real clients users run
// (snmpwalk, mbpoll, mosquitto_sub, socat, tshark). Where one is missing, a test fails in CI
// naming the Debian package, and skips with the same message on a developer's machine.
import { spawn, spawnSync, ChildProcess, SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `node -r TS_REGISTER file.ts` runs TypeScript sources in a child process, as Jest does. */
export const TS_REGISTER = join(__dirname, '..', 'ts-register.js');

/** Tools that are not a command of their own: how to tell they are there. */
const TOOL_PROBES: Readonly<Record<string, string>> = { jinja2: 'python3 -c "import jinja2"' };

export function hasTool(command: string): boolean {
  return spawnSync('sh', ['-c', TOOL_PROBES[command] ?? `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Debian package of each real client the tests use. */
export const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  snmpget: 'snmp', snmpwalk: 'snmp', snmpbulkwalk: 'snmp', snmpset: 'snmp', snmptrapd: 'snmptrapd', snmpd: 'snmpd',
  smilint: 'smitools', mbpoll: 'mbpoll', socat: 'socat', mosquitto: 'mosquitto', mosquitto_sub: 'mosquitto-clients',
  mosquitto_pub: 'mosquitto-clients', tshark: 'tshark', dumpcap: 'tshark',
  chromium: 'chromium', jinja2: 'python3-jinja2', prometheus: 'prometheus', promtool: 'prometheus', upsc: 'nut-client', upsrw: 'nut-client', upscmd: 'nut-client', upsmon: 'nut-client', upsd: 'nut-server',
};

export function missingTools(commands: readonly string[]): string | null {
  const missing = commands.filter((c) => !hasTool(c));
  if (!missing.length) return null;
  const pkgs = [...new Set(missing.map((c) => DEBIAN_PACKAGES[c] ?? c))];
  return `needs ${missing.join(', ')} (Debian package ${pkgs.join(', ')}): apt-get install ${pkgs.join(' ')}`;
}

/**
 * `describe` for tests that need real tools. Missing in CI (CI=true): one failing test naming
 * the package. Missing elsewhere: skipped, with the same message in the suite's name.
 */
export function describeWithTools(commands: readonly string[], name: string, fn: () => void): void {
  const missing = missingTools(commands);
  if (!missing) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => it(`has its tools`, () => { throw new Error(`${name}: ${missing}`); }));
  } else {
    describe.skip(`${name} (skipped: ${missing})`, fn);
  }
}

/** A TCP port free on 127.0.0.1 now (the OS's ephemeral choice). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

/** A wait's deadline is a guard against a hang, never a measurement: at least this long, so a
 *  busy machine that descheduled a test for seconds does not fail a condition about to hold. */
export const MIN_WAIT_MS = 30_000;

/** Polls `check` until it returns a truthy value or `timeoutMs` (at least MIN_WAIT_MS) passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const limitMs = Math.max(timeoutMs, MIN_WAIT_MS);
  const until = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= until) {
      // Once more after the events that arrived meanwhile (a timer can fire before the I/O that
      // was due in the same turn): only a condition that still does not hold fails.
      await new Promise((r) => setImmediate(r));
      try {
        const v = await check();
        if (v) return v as NonNullable<T>;
      } catch (e) {
        last = e;
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${limitMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a command to completion and returns what it printed. The limit (60 s unless given) is a
 *  hang guard: on a busy machine a client that takes 100 ms when quiet can take many seconds. */
export function run(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

let markers = 0;

/**
 * Waits until a running dumpcap has written everything sent so far to `pcap`: sends a marker
 * datagram to `markerPort` (which the capture filter must include) until tshark finds it in the
 * file. dumpcap reads packets in order and writes each as it goes, so every earlier packet is in
 * the file too; a fixed pause before stopping it lost the last packets on a busy machine.
 */
export async function captureCaughtUp(pcap: string, markerPort: number): Promise<void> {
  const sock = createSocket('udp4');
  // Each call has its own token: a capture may hold earlier markers on the same port.
  const token = `kirchhoff-capture-marker-${process.pid}-${++markers}-${Date.now()}`;
  try {
    await waitFor(async () => {
      await new Promise<void>((r) => sock.send(Buffer.from(token), markerPort, '127.0.0.1', () => r()));
      const seen = await run('tshark', ['-r', pcap, '-Y', `udp.dstport == ${markerPort} && frame contains "${token}"`], { timeoutMs: 60_000 });
      return seen.stdout.trim() !== '';
    }, 60_000, 'dumpcap to write the end marker');
  } finally {
    sock.close();
  }
}

/** A running dumpcap on lo, live (it has written a datagram sent after it started). */
export interface LiveCapture {
  /** The pcapng file it writes. */
  readonly pcap: string;
  /** Waits until everything sent so far is in the file (the capture keeps running). */
  caughtUp(): Promise<void>;
  /** Catches up, then stops dumpcap (the file stays until `remove()`). */
  stop(): Promise<void>;
  /** Stops (if running) and deletes the file and its folder. */
  remove(): Promise<void>;
}

/**
 * Starts dumpcap on lo for `filter` (a BPF expression) and returns once it is capturing: dumpcap
 * prints "Capturing on" before its filter sees packets, and on a busy machine the first packets a
 * test sent after that line were missing from the file (issue 16.13). A marker datagram to a port
 * of its own (added to the filter) is sent until it is in the file.
 */
export async function startLiveCapture(filter: string): Promise<LiveCapture> {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-capture-'));
  const pcap = join(dir, 'capture.pcapng');
  const markerPort = await freeUdpPort();
  const dumpcap = startProcess('dumpcap', ['-q', '-i', 'lo', '-f', `(${filter}) or udp port ${markerPort}`, '-w', pcap]);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await captureCaughtUp(pcap, markerPort);
    } finally {
      await dumpcap.stop();
    }
  };
  try {
    await waitFor(() => /Capturing on/.test(dumpcap.output()), 10_000, 'dumpcap to start');
    await captureCaughtUp(pcap, markerPort);
  } catch (error) {
    await dumpcap.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    pcap,
    caughtUp: () => captureCaughtUp(pcap, markerPort),
    stop,
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a long-running process; `stop()` ends it and waits for it to exit. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions = {}): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A real upsmon (Debian's nut-client) as a secondary of `monitor` (`ups@host:port`), with its own
 * configuration in a temporary folder and a SHUTDOWNCMD that writes `shutdownFile`: "its host"
 * shut down when that file exists. Polls every second.
 */
export function startUpsmon(monitor: string, user: string, password: string): { dir: string; shutdownFile: string; output: () => string; stop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-upsmon-'));
  const shutdownFile = join(dir, 'shutdown');
  writeFileSync(join(dir, 'nut.conf'), 'MODE=netclient\n');
  writeFileSync(join(dir, 'upsmon.conf'), [
    `MONITOR ${monitor} 1 ${user} ${password} secondary`, 'MINSUPPLIES 1', `SHUTDOWNCMD "/bin/sh -c 'echo down > ${shutdownFile}'"`,
    'POLLFREQ 1', 'POLLFREQALERT 1', 'HOSTSYNC 5', 'DEADTIME 15', 'FINALDELAY 0', `POWERDOWNFLAG ${join(dir, 'killpower')}`, 'RUN_AS_USER root', '',
  ].join('\n'), { mode: 0o600 });
  // /lib/nut/upsmon itself: Debian's /usr/sbin/upsmon wrapper reads /etc/nut/nut.conf.
  const p = startProcess('/lib/nut/upsmon', ['-F', '-p'], { env: { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir } });
  return {
    dir, shutdownFile, output: p.output,
    stop: async () => {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export * from './browser';
export * from './site';
export { importCycles } from './import-cycles';
