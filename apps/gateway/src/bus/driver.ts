// The battery bus driver: polls every module through the ports' queues, writes readings and
// communication state into the site, sends the bypass duties it is given, and keeps counters.
// A fast measurement cycle (range reads) and a slower Ri cycle (one string per cycle).
import { performance } from 'node:perf_hooks';
import { BusCounters, Clock, moduleLabel, Site } from '@kirchhoff/core';
import type { Logger } from '../log';
import type { BusRequest, FuseStatus, Measurements, ModuleInfo } from './messages';
import { BusPort, ExchangeResult, monotonicClock, PortCounters } from './port';
import { BROADCAST_ADDRESS, MAX_BYPASS_RANGE_COUNT, MAX_RANGE_COUNT } from './protocol';
import type { BusTransport } from './transport';

export interface BusPortConfig {
  readonly transport: BusTransport;
  readonly baudRate: number;
  /** Strings (1-based) wired to this port. */
  readonly strings: readonly number[];
}

export interface BusDriverOptions {
  readonly site: Site;
  readonly ports: readonly BusPortConfig[];
  readonly logger: Logger;
  /** A measurement cycle starts at most this often; 0 = back to back. */
  readonly pollIntervalMs?: number;
  /** Every module's Ri is measured once per this interval. */
  readonly riIntervalMs?: number;
  /** How long a module may take to start answering, beyond the wire time. */
  readonly timeoutMs?: number;
  /** Extra attempts for modules missing from a cycle's reads. */
  readonly retries?: number;
  /** Wait before retry n is retryBackoffMs x 2^(n-1). */
  readonly retryBackoffMs?: number;
  /** Consecutive missed cycles after which a module is lost (alarm). */
  readonly lostAfterMisses?: number;
  /** A lost module is probed after this, doubling per failed probe up to lostProbeMaxMs. */
  readonly lostProbeMinMs?: number;
  readonly lostProbeMaxMs?: number;
  /** Modules per range read (1..64). */
  readonly batchSize?: number;
  /** Counters are logged this often (0 = never). */
  readonly statsLogIntervalMs?: number;
  /** Wall clock for back-off and Ri scheduling, ms (the timers' time when timers are given). */
  readonly clock?: () => number;
  /** Time for answer deadlines, retry pauses and the poll interval: monotonic system time by
   *  default; a virtual clock in tests, so no deadline depends on how busy the machine is. */
  readonly timers?: Clock;
}

export interface BusStats extends PortCounters {
  retries: number;
  /** Bypass writes sent again because a module reported another duty. */
  bypassResends: number;
  cycles: number;
  lastCycleMs: number;
  modulesLost: number;
}

export interface CycleReport {
  readonly durationMs: number;
  /** Modules that answered in this cycle. */
  readonly read: number;
  /** Modules asked but silent after retries. */
  readonly missed: number;
  /** Bytes both ways during the cycle. */
  readonly bytes: number;
}

interface ModuleLink {
  readonly global: number;
  misses: number;
  lost: boolean;
  nextProbeAt: number;
  probeBackoffMs: number;
  desiredDutyPercent: number;
  dutyDirty: boolean;
  /** The duty was sent; the module's next answer shows whether it took it. */
  dutySent: boolean;
  reportedDutyPercent: number | null;
}

interface PortState {
  readonly port: BusPort;
  readonly strings: readonly number[];
}

export class BusDriver {
  private readonly site: Site;
  private readonly logger: Logger;
  private readonly ports: PortState[];
  private readonly portOfString = new Map<number, PortState>();
  private readonly links: ModuleLink[];
  private readonly clock: () => number;
  private readonly timers: Clock;
  private readonly opt: Required<Omit<BusDriverOptions, 'site' | 'ports' | 'logger' | 'clock' | 'timers'>>;
  private readonly driverCounters = { retries: 0, bypassResends: 0, cycles: 0, lastCycleMs: 0 };
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private riDueAt: number;
  /** Strings each port still has to measure in the current Ri pass. */
  private readonly riRemaining = new Map<PortState, number>();
  private lastStatsLog: number;
  private readonly cycleListeners = new Set<(r: CycleReport) => void>();

  constructor(options: BusDriverOptions) {
    this.site = options.site;
    this.logger = options.logger;
    const timers = options.timers;
    this.timers = timers ?? monotonicClock();
    this.clock = options.clock ?? (timers ? () => timers.now() : Date.now);
    this.opt = {
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      riIntervalMs: options.riIntervalMs ?? 3_600_000,
      timeoutMs: options.timeoutMs ?? 50,
      retries: options.retries ?? 1,
      retryBackoffMs: options.retryBackoffMs ?? 20,
      lostAfterMisses: options.lostAfterMisses ?? 3,
      lostProbeMinMs: options.lostProbeMinMs ?? 1000,
      lostProbeMaxMs: options.lostProbeMaxMs ?? 10_000,
      batchSize: Math.max(1, Math.min(MAX_RANGE_COUNT, options.batchSize ?? 32)),
      statsLogIntervalMs: options.statsLogIntervalMs ?? 60_000,
    };
    const topology = this.site.topology;
    this.links = [...topology.addresses()].map((a) => ({
      global: a.global, misses: 0, lost: false, nextProbeAt: 0, probeBackoffMs: this.opt.lostProbeMinMs,
      desiredDutyPercent: 0, dutyDirty: false, dutySent: false, reportedDutyPercent: null,
    }));
    this.ports = options.ports.map((p) => ({
      port: new BusPort({ transport: p.transport, baudRate: p.baudRate, timeoutMs: this.opt.timeoutMs, logger: this.logger, timers: this.timers }),
      strings: [...p.strings],
    }));
    for (const p of this.ports) {
      for (const s of p.strings) {
        if (s < 1 || s > topology.stringCount) throw new RangeError(`bus port ${p.port.description}: string ${s} is not in the site (1..${topology.stringCount})`);
        if (this.portOfString.has(s)) throw new RangeError(`string ${s} is wired to two bus ports`);
        this.portOfString.set(s, p);
      }
    }
    this.riDueAt = this.clock() + this.opt.riIntervalMs;
    this.lastStatsLog = this.clock();
  }

  /** Runs cycles until stop(); a failing cycle is logged and the next one runs anyway. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = (async () => {
      while (this.running) {
        const started = this.timers.now();
        try {
          await this.runCycle();
        } catch (e) {
          this.logger.error('bus cycle failed; continuing', { error: e as Error });
        }
        const wait = this.opt.pollIntervalMs - (this.timers.now() - started);
        if (wait > 0 && this.running) await new Promise<void>((r) => {
          const t = this.timers.setTimeout(r, wait);
          this.wake = () => { this.timers.clearTimeout(t); r(); };
        });
        this.wake = null;
      }
    })();
  }

  /** Ends the cycles: the request in flight is abandoned, queued ones dropped, nothing marked missed. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    this.wake?.();
    for (const p of this.ports) p.port.stop();
    await this.loopDone;
  }

  /** The queue of a port, for other protocols sharing its serial line (BusPort.lease). */
  portQueue(index = 0): BusPort | undefined {
    return this.ports[index]?.port;
  }

  onCycle(listener: (r: CycleReport) => void): () => void {
    this.cycleListeners.add(listener);
    return () => this.cycleListeners.delete(listener);
  }

  /** The duty the balancing engine wants for a module; sent before that string's next read. */
  setBypass(global: number, dutyPercent: number): void {
    const link = this.link(global);
    if (!Number.isFinite(dutyPercent)) throw new RangeError(`bypass duty ${dutyPercent} is not a number`);
    const duty = Math.max(0, Math.min(100, Math.round(dutyPercent)));
    if (link.desiredDutyPercent === duty && !link.dutyDirty && link.reportedDutyPercent === duty) return;
    link.desiredDutyPercent = duty;
    link.dutyDirty = true;
  }

  /** The balancing engine's BypassActuator interface: same as setBypass. */
  setBypassDuty(global: number, dutyPercent: number): void {
    this.setBypass(global, dutyPercent);
  }

  /** Every bypass off at once, ahead of anything queued (a blown fuse, a runaway). */
  async allBypassOff(): Promise<void> {
    for (const l of this.links) {
      l.desiredDutyPercent = 0;
      l.dutyDirty = false;
      l.dutySent = true;
    }
    await Promise.all(this.ports.map((p) => p.port.exchange({ kind: 'set-bypass', address: BROADCAST_ADDRESS, dutyPercent: 0 }, true)));
  }

  /** What the module last said it applies (null before its first answer). */
  reportedDutyPercent(global: number): number | null {
    return this.link(global).reportedDutyPercent;
  }

  async clearFuse(global: number): Promise<FuseStatus | null> {
    const r = await this.portOf(global).port.exchange({ kind: 'clear-fuse', address: global });
    const fuse = r.responses.find((x) => x.kind === 'fuse');
    return fuse && fuse.kind === 'fuse' ? fuse.fuse : null;
  }

  async identify(global: number, seconds: number): Promise<boolean> {
    const r = await this.portOf(global).port.exchange({ kind: 'identify', address: global, seconds });
    return r.responses.some((x) => x.kind === 'ack');
  }

  async readInfo(global: number): Promise<ModuleInfo | null> {
    const r = await this.portOf(global).port.exchange({ kind: 'read-info', address: global });
    const info = r.responses.find((x) => x.kind === 'info');
    return info && info.kind === 'info' ? info.info : null;
  }

  /**
   * Commissioning: gives `global` as address to the module whose button was pressed on the
   * port of that module's string. Null when no module answered (nobody pressed a button).
   */
  async assignAddress(global: number): Promise<ModuleInfo | null> {
    const r = await this.portOf(global).port.exchange({ kind: 'assign-address', newAddress: global });
    const answers = r.responses.filter((x) => x.kind === 'info');
    if (answers.length > 1) this.logger.warn('several modules took the same address: press one button at a time', { address: global, answers: answers.length });
    const first = answers[0];
    return first && first.kind === 'info' ? first.info : null;
  }

  /** Any request on the port of `string`, through the queue (for tools and tests). */
  request(string: number, request: BusRequest): Promise<ExchangeResult> {
    const p = this.portOfString.get(string);
    if (!p) throw new RangeError(`string ${string} is on no bus port`);
    return p.port.exchange(request);
  }

  stats(): BusStats {
    const sum: PortCounters = { requests: 0, timeouts: 0, crcErrors: 0, dropped: 0, garbageBytes: 0, unexpected: 0, refused: 0, bytesSent: 0, bytesReceived: 0 };
    for (const p of this.ports) for (const k of Object.keys(sum) as (keyof PortCounters)[]) sum[k] += p.port.counters[k];
    return { ...sum, ...this.driverCounters, modulesLost: this.links.filter((l) => l.lost).length };
  }

  /** The counters as the site model shows them. */
  busCounters(): BusCounters {
    const s = this.stats();
    return { requests: s.requests, timeouts: s.timeouts, crcErrors: s.crcErrors, retries: s.retries, dropped: s.dropped, lastCycleMs: s.lastCycleMs };
  }

  /** One measurement cycle over every port (ports in parallel: they are separate buses). */
  async runCycle(): Promise<CycleReport> {
    const started = performance.now();
    const bytesBefore = this.stats();
    const tallies = await Promise.all(this.ports.map((p) => this.cyclePort(p)));
    const durationMs = performance.now() - started;
    this.driverCounters.cycles++;
    this.driverCounters.lastCycleMs = Math.round(durationMs * 10) / 10;
    const after = this.stats();
    const report: CycleReport = {
      durationMs,
      read: tallies.reduce((n, t) => n + t.read, 0),
      missed: tallies.reduce((n, t) => n + t.missed, 0),
      bytes: after.bytesSent + after.bytesReceived - bytesBefore.bytesSent - bytesBefore.bytesReceived,
    };
    this.site.update((tx) => tx.bus(this.busCounters()));
    this.logger.debug('bus cycle', { ms: this.driverCounters.lastCycleMs, read: report.read, missed: report.missed });
    const now = this.clock();
    if (this.opt.statsLogIntervalMs > 0 && now - this.lastStatsLog >= this.opt.statsLogIntervalMs) {
      this.lastStatsLog = now;
      this.logger.info('bus counters', { ...after });
    }
    for (const l of this.cycleListeners) l(report);
    return report;
  }

  private async cyclePort(p: PortState): Promise<{ read: number; missed: number }> {
    const tally = { read: 0, missed: 0, heard: false, retriesFailedSilent: false };
    for (const s of p.strings) await this.cycleString(p, s, tally);
    await this.riStep(p);
    return tally;
  }

  private async cycleString(p: PortState, string: number, tally: { read: number; missed: number; heard: boolean; retriesFailedSilent: boolean }): Promise<void> {
    const topology = this.site.topology;
    const first = topology.firstGlobalOf(string);
    const count = topology.strings[string - 1].modules;
    const globals = Array.from({ length: count }, (_, i) => first + i);
    await this.flushBypass(p, globals);

    const now = this.clock();
    const due = globals.filter((g) => !this.links[g - 1].lost || this.links[g - 1].nextProbeAt <= now);
    const results = new Map<number, { m: Measurements; atMs: number }>();
    const collect = (r: ExchangeResult) => {
      const atMs = this.site.now();
      for (const resp of r.responses) {
        if (resp.kind === 'measurements') results.set(resp.address, { m: resp.measurements, atMs });
      }
      if (r.responses.length) tally.heard = true;
    };
    for (const run of runs(due, this.opt.batchSize)) collect(await this.read(p, run));

    // Retries only for modules that are not already lost (those wait for their probe). When the
    // whole bus has been silent this cycle and a retry already failed, more retries only delay.
    let missing = due.filter((g) => !results.has(g) && !this.links[g - 1].lost);
    for (let attempt = 1; attempt <= this.opt.retries && missing.length && !(tally.retriesFailedSilent && !tally.heard); attempt++) {
      await this.sleep(this.opt.retryBackoffMs * 2 ** (attempt - 1));
      for (const run of runs(missing, this.opt.batchSize)) {
        this.driverCounters.retries++;
        collect(await this.read(p, run));
      }
      missing = missing.filter((g) => !results.has(g));
      if (missing.length && !tally.heard) tally.retriesFailedSilent = true;
    }

    // Silence caused by our own stop() says nothing about the modules.
    if (this.stopping) return;
    const lostNow: number[] = [];
    const foundNow: number[] = [];
    this.site.update((tx) => {
      for (const g of due) {
        const link = this.links[g - 1];
        const r = results.get(g);
        if (r) {
          const { m, atMs } = r;
          tx.moduleReadings(g, { voltageV: m.voltageV, temperatureC: m.temperatureC, ...(m.resistanceOhm !== null ? { resistanceOhm: m.resistanceOhm } : {}) }, atMs);
          tx.module(g, { communication: 'ok', fuse: m.status.fuseBlown || m.status.fuseTripped ? 'blown' : 'ok' });
          if (link.lost) foundNow.push(g);
          link.misses = 0;
          link.lost = false;
          link.probeBackoffMs = this.opt.lostProbeMinMs;
          this.checkDuty(link, m);
          tally.read++;
        } else {
          link.misses++;
          tally.missed++;
          tx.moduleQuality(g, 'stale');
          if (!link.lost && link.misses >= this.opt.lostAfterMisses) {
            link.lost = true;
            tx.module(g, { communication: 'lost' });
            lostNow.push(g);
          }
          if (link.lost) {
            link.nextProbeAt = now + link.probeBackoffMs;
            link.probeBackoffMs = Math.min(this.opt.lostProbeMaxMs, link.probeBackoffMs * 2);
          }
        }
      }
      tx.bus(this.busCounters());
    });
    if (lostNow.length) this.logger.warn('modules lost: no answer', { port: p.port.description, string, modules: labels(topology, lostNow), misses: this.opt.lostAfterMisses });
    if (foundNow.length) this.logger.info('modules answer again', { port: p.port.description, string, modules: labels(topology, foundNow) });
  }

  private read(p: PortState, run: readonly number[]): Promise<ExchangeResult> {
    return run.length === 1
      ? p.port.exchange({ kind: 'read-measurements', address: run[0] })
      : p.port.exchange({ kind: 'read-measurements-range', first: run[0], count: run.length });
  }

  private checkDuty(link: ModuleLink, m: Measurements): void {
    link.reportedDutyPercent = m.bypassDutyPercent;
    if (!link.dutySent || link.dutyDirty) return;
    // A hot module or one with a blown fuse refuses its bypass on purpose: do not insist.
    if (m.bypassDutyPercent !== link.desiredDutyPercent && !m.status.overTemperature && !m.status.fuseBlown) {
      link.dutyDirty = true;
      this.driverCounters.bypassResends++;
    } else {
      link.dutySent = false;
    }
  }

  /** Sends changed duties of these modules as range broadcasts (no answers: the reads verify). */
  private async flushBypass(p: PortState, globals: readonly number[]): Promise<void> {
    const dirty = globals.filter((g) => this.links[g - 1].dutyDirty && !this.links[g - 1].lost);
    if (!dirty.length) return;
    for (let i = 0; i < dirty.length;) {
      const first = dirty[i];
      let last = first;
      while (i < dirty.length && dirty[i] - first < MAX_BYPASS_RANGE_COUNT) last = dirty[i++];
      const span = Array.from({ length: last - first + 1 }, (_, k) => this.links[first + k - 1]);
      const r = await p.port.exchange({ kind: 'set-bypass-range', first, dutiesPercent: span.map((l) => l.desiredDutyPercent) });
      if (r.sent) {
        for (const l of span) {
          if (l.dutyDirty) {
            l.dutyDirty = false;
            l.dutySent = true;
          }
        }
      }
    }
  }

  /** Starts an Ri pass over every string at the next cycles, as if the Ri interval were due. */
  requestRiPass(): void {
    this.riDueAt = Math.min(this.riDueAt, this.clock());
  }

  /** When the Ri interval is due: one string per port per cycle, module by module. */
  private async riStep(p: PortState): Promise<void> {
    if (this.stopping) return;
    const now = this.clock();
    const passRunning = [...this.riRemaining.values()].some((n) => n > 0);
    if (now >= this.riDueAt && !passRunning) {
      this.riDueAt = now + this.opt.riIntervalMs;
      for (const q of this.ports) this.riRemaining.set(q, q.strings.length);
    }
    const left = this.riRemaining.get(p) ?? 0;
    if (left <= 0) return;
    this.riRemaining.set(p, left - 1);
    const string = p.strings[p.strings.length - left];

    const topology = this.site.topology;
    const first = topology.firstGlobalOf(string);
    const globals = Array.from({ length: topology.strings[string - 1].modules }, (_, i) => first + i).filter((g) => !this.links[g - 1].lost);
    const started: number[] = [];
    for (const g of globals) {
      const r = await p.port.exchange({ kind: 'start-ri', address: g });
      if (r.responses.some((x) => x.kind === 'ack')) started.push(g);
    }
    const values = new Map<number, number>();
    let pending = started;
    for (let pass = 0; pass < 3 && pending.length; pass++) {
      const still: number[] = [];
      for (const g of pending) {
        const r = await p.port.exchange({ kind: 'read-ri', address: g });
        const ri = r.responses.find((x) => x.kind === 'ri');
        if (ri && ri.kind === 'ri' && !ri.measuring && ri.resistanceOhm !== null) values.set(g, ri.resistanceOhm);
        else if (ri && ri.kind === 'ri' && ri.measuring) still.push(g);
      }
      pending = still;
      if (pending.length) await this.sleep(50);
    }
    if (values.size) this.site.update((tx) => { for (const [g, v] of values) tx.moduleReadings(g, { resistanceOhm: v }); });
    this.logger.debug('Ri measured', { string, modules: values.size, of: globals.length });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.timers.setTimeout(r, ms));
  }

  private link(global: number): ModuleLink {
    const l = this.links[global - 1];
    if (!l || !Number.isInteger(global)) throw new RangeError(`no module with global number ${global} (1..${this.links.length})`);
    return l;
  }

  private portOf(global: number): PortState {
    const a = this.site.topology.addressOf(global);
    const p = a && this.portOfString.get(a.string);
    if (!p) throw new RangeError(`module ${global} is on no bus port`);
    return p;
  }
}

/** Contiguous runs of ascending global numbers, each at most `max` long. */
function runs(globals: readonly number[], max: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const g of globals) {
    if (cur.length && (g !== cur[cur.length - 1] + 1 || cur.length >= max)) {
      out.push(cur);
      cur = [];
    }
    cur.push(g);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** `S01-M03..S01-M07, S01-M09` for logs. */
function labels(topology: Site['topology'], globals: readonly number[]): string {
  return runs(globals, Number.MAX_SAFE_INTEGER).map((run) => {
    const a = topology.addressOf(run[0])!;
    const b = topology.addressOf(run[run.length - 1])!;
    return run.length === 1 ? moduleLabel(a.string, a.module) : `${moduleLabel(a.string, a.module)}..${moduleLabel(b.string, b.module)}`;
  }).join(', ');
}
