// The health record of every block, updated after each measurement cycle (no I/O): capacity tests and
// discharges to the end voltage (capacity-test.ts), state of health and remaining capacity, the Ri
// baseline and trend (ri-trend.ts), throughput and cycles, round-trip efficiency, temperature history
// and the life it implies, deep discharges, self-discharge at rest, balancing activity and the string
// current share. The method and sources are in docs/health.md.
import type { ChargeMode, ModuleState, ModuleType, SiteSnapshot, SiteTransaction, SohMethod, StringState } from '@kirchhoff/core';
import { cellsOf, defaultCapacityAh } from '../lead-acid';
import {
  CAPACITY_TEST_DEFAULTS, CapacityTestEnd, CapacityTestOptions, CapacityTestRecord, CapacityTestTrigger, StringDischarge, StringTestResult, TestSample,
} from './capacity-test';
import { addRiReading, RiPoint, riTrend, RiTrend } from './ri-trend';

export interface HealthOptions {
  /** Capacity test defaults (end voltage per cell, time limit, what counts as collapsing early). */
  readonly test?: CapacityTestOptions;
  /** Ri over the baseline at which a block has reached the end of its life, percent. Default 50. */
  readonly riEndOfLifePercent?: number;
  /** Float readings that make the Ri baseline when none is configured. Default 3. */
  readonly baselineReadings?: number;
  /** Block temperature above which time is counted, deg C. Default 35. */
  readonly highTemperatureC?: number;
  /** Block temperature below which time is counted, deg C. Default 0. */
  readonly lowTemperatureC?: number;
  /** Design life at the reference temperature, years (Eurobat class). Default 10. */
  readonly designLifeYears?: number;
  /** Temperature the design life is stated at, deg C. Default 20 (Eurobat). */
  readonly lifeReferenceC?: number;
  /** Life halves per this many kelvin above the reference (Arrhenius rule). Default 10. */
  readonly lifeHalvingK?: number;
  /** Discharges deeper than this (the block below this voltage per cell under load) are deep-discharge events. Default 1.75 V. */
  readonly deepDischargeVoltsPerCell?: number;
  /** |I| below this is no current (sensor offset), amperes. Default 0.1. */
  readonly currentOffsetA?: number;
  /** Waiting for a discharge after a test was started, at most this long, seconds. Default 3600. */
  readonly armTimeoutS?: number;
  /** Keep the per-second samples of a running test for takeSamples() (the data logger stores them). Default false. */
  readonly keepSamples?: boolean;
}

const DEFAULTS = {
  riEndOfLifePercent: 50,
  baselineReadings: 3,
  highTemperatureC: 35,
  lowTemperatureC: 0,
  designLifeYears: 10,
  lifeReferenceC: 20,
  lifeHalvingK: 10,
  deepDischargeVoltsPerCell: 1.75,
  currentOffsetA: 0.1,
  armTimeoutS: 3600,
  keepSamples: false,
};

export type { SohMethod } from '@kirchhoff/core';
/** The health figures are written into the site model (for every protocol) at most this often, and after a test. */
const PUBLISH_MS = 60_000;

/** What the gateway knows about a block's health now: the HTTP API, the passport and the reports read this. */
export interface BlockHealth {
  readonly string: number;
  readonly module: number;
  readonly global: number;
  /** State of health, percent: the capacity over the rated one, or from the Ri increase where no capacity was measured. */
  readonly sohPercent: number | null;
  readonly sohMethod: SohMethod;
  readonly ratedCapacityAh: number;
  /** Capacity the block still has (C10 at 25 deg C, as the rated one is stated), Ah. */
  readonly remainingCapacityAh: number | null;
  /** (rated - remaining) / rated, percent (Regulation 2023/1542 Annex IV). */
  readonly capacityFadePercent: number | null;
  /** Capacity measured at the first test or discharge to the end voltage, Ah (C10, 25 deg C), or null. */
  readonly firstMeasuredCapacityAh: number | null;
  /** When and by which test record the capacity was last measured. */
  readonly capacityMeasuredAtMs: number | null;
  readonly capacityTestId: number | null;
  readonly resistance: {
    readonly baselineOhm: number | null;
    /** config: given in the configuration; measured: the first stable float readings; model: already in the site model. */
    readonly baselineSource: 'config' | 'measured' | 'model' | null;
    readonly baselineAtMs: number | null;
    /** Latest float reading used for the trend, ohms. */
    readonly latestOhm: number | null;
    readonly increasePercent: number | null;
    readonly endOfLifeLimitPercent: number;
    readonly trend: RiTrend | null;
  };
  readonly throughput: {
    readonly dischargedAh: number; readonly chargedAh: number; readonly dischargedWh: number; readonly chargedWh: number;
    /** Discharged Ah over the rated capacity. */
    readonly equivalentFullCycles: number;
  };
  /** Energy out over energy in of the last full discharge/recharge cycle, percent, or null. */
  readonly roundTripEfficiencyPercent: number | null;
  /** ... of the first such cycle recorded (the passport's round-trip efficiency fade compares the two). */
  readonly firstRoundTripEfficiencyPercent: number | null;
  /**
   * Loss of the power the block can deliver, percent: the deliverable power goes as 1 / Ri, so
   * 1 - baseline / latest Ri (null without both).
   */
  readonly powerFadePercent: number | null;
  /** Self-discharge measured in a rest phase (charger off), percent of capacity per day, or null. */
  readonly selfDischargePercentPerDay: number | null;
  readonly temperature: {
    readonly meanC: number | null;
    readonly hoursAboveLimit: number;
    readonly limitC: number;
    readonly hoursBelowLowLimit: number;
    readonly lowLimitC: number;
    /** The same while the string was charged (float, boost, recharge), as the battery passport asks. */
    readonly hoursAboveLimitCharging: number;
    readonly hoursBelowLowLimitCharging: number;
    /** Design life scaled by the mean temperature (halving per lifeHalvingK above lifeReferenceC), years. */
    readonly expectedLifeYears: number | null;
    readonly designLifeYears: number;
  };
  readonly deepDischarges: number;
  readonly lastDeepDischargeAtMs: number | null;
  /** Time-weighted mean of the balancing activity (share of time bypassed), percent. */
  readonly meanBalancingActivityPercent: number | null;
}

export interface StringHealth {
  readonly string: number;
  /** This string's share of the total discharge current of all strings in the last discharge, percent (equal strings: 100 / strings). */
  readonly currentSharePercent: number | null;
  readonly roundTripEfficiencyPercent: number | null;
  /**
   * The "0 % balancing while the charger runs" diagnosis: the string floats with its blocks out of
   * balance and no block has bypassed for `sinceHours`: an open battery breaker, or self-discharge
   * beating the charger (high temperature); null when balancing works or is not needed.
   */
  readonly balancingDiagnosis: { readonly message: string; readonly sinceHours: number } | null;
}

export interface RunningTest {
  readonly trigger: CapacityTestTrigger;
  readonly startMs: number;
  readonly strings: readonly number[];
  /** waiting: started, no discharge yet; running: recording. */
  readonly state: 'waiting' | 'running';
  readonly by: string | null;
  readonly deliveredAh: readonly { readonly string: number; readonly ah: number }[];
}

export interface HealthSnapshot {
  readonly atMs: number;
  readonly blocks: readonly BlockHealth[];
  readonly strings: readonly StringHealth[];
  readonly test: RunningTest | null;
}

/** Per-block facts the configuration (block identity, issue 15 point 1) may give. */
export interface BlockInfo {
  readonly ratedCapacityAh?: number;
  readonly resistanceBaselineOhm?: number;
}

interface BlockRecord {
  capacityAh: number | null;
  firstCapacityAh: number | null;
  capacityAtMs: number | null;
  capacityTestId: number | null;
  capacitySource: 'capacity-test' | 'discharge' | null;
  baselineOhm: number | null;
  baselineSource: 'config' | 'measured' | 'model' | null;
  baselineAtMs: number | null;
  baselineReadings: number[];
  lastRiAtMs: number;
  ri: { bucketMs: number; points: RiPoint[] };
  dischargedAh: number; chargedAh: number; dischargedWh: number; chargedWh: number;
  cycleOutWh: number; cycleInWh: number;
  rtePercent: number | null;
  firstRtePercent: number | null;
  tempSum: number; tempS: number; hotS: number; coldS: number; hotChargingS: number; coldChargingS: number;
  deepDischarges: number; lastDeepMs: number | null; deepNow: boolean;
  activitySum: number; activityS: number;
}

interface StringRecord {
  /** discharge -> recharge -> (float for a while) closes the cycle. */
  cycle: 'none' | 'discharge' | 'recharge';
  floatSinceMs: number | null;
  cycleOutWh: number; cycleInWh: number;
  rtePercent: number | null;
  sharePercent: number | null;
  noBalancingSinceMs: number | null;
  /** This discharge has been recorded already (a test ended before the discharge did). */
  recorded: boolean;
}

/** What the health engine keeps across a restart (the data logger holds it as engine state `health`). */
export interface HealthPersistedState {
  readonly version: 1;
  readonly atMs: number;
  readonly blocks: readonly BlockRecord[];
  readonly strings: readonly StringRecord[];
  /** The test running when the state was kept (a restart resumes it from its stored samples), or none. */
  readonly test?: PersistedTest | null;
}

/** A running test as the state keeps it: what it was asked for; its figures come back from its samples. */
export interface PersistedTest {
  readonly trigger: CapacityTestTrigger;
  readonly strings: readonly number[];
  readonly by: string | null;
  readonly options: Required<CapacityTestOptions>;
  readonly armedAtMs: number;
  readonly startMs: number | null;
  readonly fromFull: boolean;
}

interface Armed {
  trigger: CapacityTestTrigger;
  strings: number[];
  by: string | null;
  options: Required<CapacityTestOptions>;
  armedAtMs: number;
  startMs: number | null;
  discharges: Map<number, StringDischarge>;
  /** The strings were full when the discharge began: only then does the test say what the blocks hold. */
  fromFull: boolean;
}

const newBlock = (): BlockRecord => ({
  capacityAh: null, firstCapacityAh: null, capacityAtMs: null, capacityTestId: null, capacitySource: null,
  baselineOhm: null, baselineSource: null, baselineAtMs: null, baselineReadings: [], lastRiAtMs: 0, ri: { bucketMs: 86_400_000, points: [] },
  dischargedAh: 0, chargedAh: 0, dischargedWh: 0, chargedWh: 0, cycleOutWh: 0, cycleInWh: 0, rtePercent: null, firstRtePercent: null,
  tempSum: 0, tempS: 0, hotS: 0, coldS: 0, hotChargingS: 0, coldChargingS: 0, deepDischarges: 0, lastDeepMs: null, deepNow: false, activitySum: 0, activityS: 0,
});
const newString = (): StringRecord => ({ cycle: 'none', floatSinceMs: null, cycleOutWh: 0, cycleInWh: 0, rtePercent: null, sharePercent: null, noBalancingSinceMs: null, recorded: false });
const fresh = (m: { value: number | null; quality: string }): number | null => (m.quality === 'fresh' ? m.value : null);
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
/** A recharge is over once the string has floated this long (the float current has settled). */
const CYCLE_FLOAT_MS = 1_800_000;
/** Balancing stands still this long with the blocks out of balance before it is diagnosed. */
const NO_BALANCING_MS = 6 * 3_600_000;
const IMBALANCE_V_PER_CELL = 0.004;
/** Samples not taken (no data logger draining them) stop being kept beyond this many. */
const MAX_KEPT_SAMPLES = 100_000;

export class HealthEngine {
  private readonly opts: typeof DEFAULTS & { test: Required<CapacityTestOptions> };
  private blocks: BlockRecord[] = [];
  private strings: StringRecord[] = [];
  private lastMs: number | null = null;
  private armed: Armed | null = null;
  private readonly finished: CapacityTestRecord[] = [];
  private samples: TestSample[] = [];
  private readonly info = new Map<number, BlockInfo>();
  private selfDischarge: (global: number) => number | null = () => null;
  private nextTestId = 0;
  /** The Ri trend per block, computed again only when its series or baseline changed (Theil-Sen is quadratic). */
  private readonly trends = new Map<number, { key: string; trend: RiTrend | null }>();
  /** When the figures were last written into the site model (null: at the next step). */
  private publishedMs: number | null = null;

  constructor(options: HealthOptions = {}) {
    this.opts = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      test: { ...CAPACITY_TEST_DEFAULTS, ...Object.fromEntries(Object.entries(options.test ?? {}).filter(([, v]) => v !== undefined)) },
    } as typeof DEFAULTS & { test: Required<CapacityTestOptions> };
  }

  /** Rated capacity and Ri baseline per block from the configuration (global module number). */
  setBlockInfo(global: number, info: BlockInfo): void {
    this.info.set(global, info);
    this.publishedMs = null;
  }

  /**
   * A new block at this position (a replacement, issue 15 point 1): its record starts over, so the
   * capacity, Ri baseline and trend, throughput and temperature history of the block taken out are
   * not carried over to the new one.
   */
  startBlockOver(global: number): void {
    if (this.blocks[global - 1]) this.blocks[global - 1] = newBlock();
    this.trends.delete(global);
    this.publishedMs = null;
  }

  /** Where the measured self-discharge in rest phases comes from (the SoC estimator), percent per day. */
  setSelfDischargeSource(source: (global: number) => number | null): void {
    this.selfDischarge = source;
  }

  /**
   * Starts a capacity test on `strings` (all when empty): recording begins when they discharge (the
   * UPS battery test, a load bank, the simulator's test load) and ends at the end voltage or the time limit.
   * Throws when a test is already running.
   */
  startTest(atMs: number, request: { trigger: CapacityTestTrigger; strings?: readonly number[]; by?: string | null; options?: CapacityTestOptions }, stringCount: number): RunningTest {
    if (this.armed) throw new HealthError('health.test-running', `a capacity test (${this.armed.trigger}, started ${new Date(this.armed.armedAtMs).toISOString()}) is already running: abort it first`);
    const strings = request.strings?.length ? [...new Set(request.strings)].sort((a, b) => a - b) : Array.from({ length: stringCount }, (_, i) => i + 1);
    for (const s of strings) if (!(Number.isInteger(s) && s >= 1 && s <= stringCount)) throw new HealthError('health.invalid', `strings: ${s} is not a string of this site (1..${stringCount})`);
    const options = { ...this.opts.test, ...Object.fromEntries(Object.entries(request.options ?? {}).filter(([, v]) => v !== undefined)) } as Required<CapacityTestOptions>;
    if (!(options.endVoltsPerCell >= 1.5 && options.endVoltsPerCell <= 2.0)) throw new HealthError('health.invalid', `endVoltsPerCell ${options.endVoltsPerCell} is outside 1.50..2.00 V per cell`);
    if (!(options.maxDurationS >= 60 && options.maxDurationS <= 48 * 3600)) throw new HealthError('health.invalid', `maxDurationS ${options.maxDurationS} is outside 60..172800 s`);
    this.armed = { trigger: request.trigger, strings, by: request.by ?? null, options, armedAtMs: atMs, startMs: null, discharges: new Map(), fromFull: true };
    return this.runningTest()!;
  }

  /** Stops the running test (its record is kept, ended `aborted`); false when none runs. */
  abortTest(atMs: number): boolean {
    if (!this.armed) return false;
    for (const d of this.armed.discharges.values()) d.abort();
    this.finishTest(atMs, 'aborted');
    return true;
  }

  runningTest(): RunningTest | null {
    const a = this.armed;
    if (!a) return null;
    return {
      trigger: a.trigger, startMs: a.startMs ?? a.armedAtMs, strings: a.strings, state: a.startMs === null ? 'waiting' : 'running', by: a.by,
      deliveredAh: [...a.discharges.values()].map((d) => ({ string: d.layout.string, ah: round(d.result(a.startMs ?? 0).deliveredAh, 3) })),
    };
  }

  /** Test records finished since the last call (the gateway stores them; ids are 0 until stored). */
  takeFinishedTests(): CapacityTestRecord[] {
    return this.finished.splice(0);
  }

  /** Per-second samples of the running test since the last call (the gateway stores them). */
  takeSamples(): TestSample[] {
    const s = this.samples;
    this.samples = [];
    return s;
  }

  /** Links a stored record's id to the blocks whose capacity it measured. */
  recordStored(localId: number, storedId: number): void {
    for (const b of this.blocks) if (b.capacityTestId === localId) b.capacityTestId = storedId;
  }

  exportState(): HealthPersistedState | null {
    if (this.lastMs === null) return null;
    const a = this.armed;
    const test: PersistedTest | null = a ? { trigger: a.trigger, strings: a.strings, by: a.by, options: a.options, armedAtMs: a.armedAtMs, startMs: a.startMs, fromFull: a.fromFull } : null;
    return { version: 1, atMs: this.lastMs, blocks: this.blocks.map((b) => ({ ...b, deepNow: false })), strings: this.strings, test };
  }

  /** Starts over from `state` (a restart); false (and a fresh start) when it does not fit the site. */
  restoreState(state: HealthPersistedState | null, snap: SiteSnapshot): boolean {
    this.blocks = [];
    this.strings = [];
    this.lastMs = null;
    this.armed = null;
    if (!state || state.version !== 1 || state.blocks.length !== snap.modules.length || state.strings.length !== snap.strings.length) return false;
    this.blocks = state.blocks.map((b) => ({ ...newBlock(), ...b, ri: { bucketMs: b.ri.bucketMs, points: [...b.ri.points] }, baselineReadings: [...b.baselineReadings] }));
    this.strings = state.strings.map((s) => ({ ...newString(), ...s }));
    this.lastMs = state.atMs;
    this.publishedMs = null;
    const t = state.test;
    if (t && t.strings.every((n) => snap.strings[n - 1])) {
      this.armed = { ...t, strings: [...t.strings], options: { ...t.options }, discharges: new Map() };
      if (t.startMs !== null) for (const n of t.strings) this.armed.discharges.set(n, this.newDischarge(snap, n, t.startMs, t.options));
    }
    return true;
  }

  /**
   * After a restart: feeds the running test the samples it had recorded before (from the data logger),
   * so it carries on where it was; returns the samples taken. A test with no samples starts its figures over.
   */
  resumeTest(samples: readonly TestSample[]): number {
    const a = this.armed;
    if (!a || a.startMs === null) return 0;
    let n = 0;
    for (const x of [...samples].sort((p, q) => p.atMs - q.atMs)) {
      const d = a.discharges.get(x.string);
      if (!d || d.ended || x.atMs < a.startMs) continue;
      d.step(x);
      n++;
    }
    return n;
  }

  private newDischarge(snap: SiteSnapshot, n: number, startMs: number, options: Required<CapacityTestOptions>): StringDischarge {
    const s = snap.strings[n - 1];
    return new StringDischarge({
      string: n, firstGlobal: s.firstGlobal, moduleCount: s.moduleCount, cells: cellsOf(s.moduleType), ratedCapacityAh: this.ratedOf(s, s.firstGlobal),
    }, startMs, options);
  }

  /** One step after the SoC estimator, on the snapshot the engines read; writes a captured Ri baseline to `tx`. */
  step(snap: SiteSnapshot, tx: SiteTransaction, modes: readonly ChargeMode[]): void {
    if (this.blocks.length !== snap.modules.length || this.strings.length !== snap.strings.length) {
      this.blocks = snap.modules.map(() => newBlock());
      this.strings = snap.strings.map(() => newString());
    }
    const now = tx.atMs;
    const dtS = this.lastMs === null ? 0 : Math.max(0, Math.min(900, (now - this.lastMs) / 1000));
    this.lastMs = now;
    this.stepTest(snap, modes, now);
    const totalOutA = snap.strings.reduce((a, s) => a + Math.max(0, -(fresh(s.dcCurrentA) ?? 0)), 0);
    // The UPS on mains: its rectifier (the charger) runs.
    const ups = snap.ups;
    const chargerOn = ups !== null && ups.quality === 'fresh' && (ups.output.source === 'normal' || ups.output.source === 'bypass');
    for (const s of snap.strings) {
      const mode = modes[s.string - 1] ?? 'unknown';
      const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
      this.stepString(s, mods, mode, now, dtS, totalOutA, chargerOn, tx);
    }
    if (this.publishedMs === null || now - this.publishedMs >= PUBLISH_MS || now < this.publishedMs) this.publish(snap, tx);
  }

  /**
   * Writes each block's and string's headline figures into the site model, where every protocol
   * (Modbus, SNMP, BACnet, MQTT, Prometheus) reads them; the model records only what changed.
   */
  private publish(snap: SiteSnapshot, tx: SiteTransaction): void {
    this.publishedMs = tx.atMs;
    const health = this.snapshot(snap);
    for (const h of health.blocks) {
      tx.module(h.global, {
        sohPercent: h.sohPercent, sohMethod: h.sohMethod, remainingCapacityAh: h.remainingCapacityAh === null ? null : round(h.remainingCapacityAh, 1),
        capacityFadePercent: h.capacityFadePercent, resistanceIncreasePercent: h.resistance.increasePercent, endOfLifeAtMs: h.resistance.trend?.endOfLifeAtMs ?? null,
      });
    }
    for (const s of health.strings) {
      const st = snap.strings[s.string - 1];
      const blocks = health.blocks.slice(st.firstGlobal - 1, st.firstGlobal - 1 + st.moduleCount);
      const sohs = blocks.map((b) => b.sohPercent).filter((v): v is number => v !== null);
      const remaining = blocks.map((b) => b.remainingCapacityAh).filter((v): v is number => v !== null);
      tx.string(s.string, {
        meanSohPercent: sohs.length ? round(sohs.reduce((a, v) => a + v, 0) / sohs.length, 1) : null,
        minSohPercent: sohs.length ? Math.min(...sohs) : null,
        remainingCapacityAh: remaining.length === blocks.length && remaining.length ? round(Math.min(...remaining), 1) : null,
        balancingStalled: s.balancingDiagnosis !== null,
      }, tx.atMs);
    }
  }

  private stepTest(snap: SiteSnapshot, modes: readonly ChargeMode[], now: number): void {
    let a = this.armed;
    // A real mains failure: every discharging string is recorded as a discharge.
    const unrecorded = snap.strings.filter((s) => modes[s.string - 1] === 'discharge' && !this.strings[s.string - 1].recorded).map((s) => s.string);
    if (!a && unrecorded.length) {
      const strings = unrecorded;
      a = this.armed = { trigger: 'mains-failure', strings, by: null, options: this.opts.test, armedAtMs: now, startMs: null, discharges: new Map(), fromFull: true };
    }
    if (!a) return;
    if (a.startMs === null) {
      const started = a.strings.every((n) => modes[n - 1] === 'discharge');
      if (!started) {
        if (now - a.armedAtMs > this.opts.armTimeoutS * 1000) {
          this.armed = null;
          this.finished.push({ id: 0, trigger: a.trigger, startMs: a.armedAtMs, endMs: now, end: 'discharge-stopped', endVoltsPerCell: a.options.endVoltsPerCell, strings: [], by: a.by });
        }
        return;
      }
      a.startMs = now;
      for (const n of a.strings) {
        this.strings[n - 1].recorded = true;
        const s = snap.strings[n - 1];
        // Full at the start: the SoC estimator's last word before the discharge (float, or 100 %).
        const soc = fresh(s.socPercent);
        if (soc !== null && soc < 98) a.fromFull = false;
        a.discharges.set(n, this.newDischarge(snap, n, now, a.options));
      }
    }
    let all = true;
    let end: CapacityTestEnd | null = null;
    for (const [n, d] of a.discharges) {
      const s = snap.strings[n - 1];
      const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
      const sample: TestSample = {
        atMs: now, string: n, currentA: fresh(s.dcCurrentA),
        voltagesV: mods.map((m) => (m.communication === 'lost' || m.fuse === 'blown' ? null : fresh(m.voltageV))),
        temperaturesC: mods.map((m) => fresh(m.temperatureC)),
      };
      if (!d.ended && this.opts.keepSamples && this.samples.length < MAX_KEPT_SAMPLES) this.samples.push(sample);
      const e = d.step(sample);
      if (e === null) all = false;
      else end ??= e;
    }
    if (all) this.finishTest(now, end ?? 'end-voltage');
  }

  private finishTest(now: number, end: CapacityTestEnd): void {
    const a = this.armed;
    if (!a) return;
    this.armed = null;
    const strings: StringTestResult[] = [...a.discharges.values()].map((d) => d.result(now));
    // A mains blip is no discharge worth a record.
    if (a.trigger === 'mains-failure' && strings.every((s) => s.deliveredAh < 0.01 * s.ratedCapacityAh)) return;
    const localId = --this.nextTestId;
    const record: CapacityTestRecord = { id: localId, trigger: a.trigger, startMs: a.startMs ?? a.armedAtMs, endMs: now, end, endVoltsPerCell: a.options.endVoltsPerCell, strings, by: a.by };
    // The capacity a block showed counts for its health when the string started full and the block got
    // to the end voltage (or close enough to extrapolate): a test, or a real discharge that went as deep.
    if (a.fromFull && a.startMs !== null) {
      for (const st of strings) {
        for (const b of st.blocks) {
          if (b.capacityC10At25Ah === null) continue;
          const r = this.blocks[b.global - 1];
          r.capacityAh = b.capacityC10At25Ah;
          r.firstCapacityAh ??= b.capacityC10At25Ah;
          r.capacityAtMs = now;
          r.capacityTestId = localId;
          r.capacitySource = a.trigger === 'mains-failure' ? 'discharge' : 'capacity-test';
        }
      }
    }
    this.finished.push(record);
    this.publishedMs = null;
  }

  private ratedOf(s: RatedString, global: number): number {
    return this.info.get(global)?.ratedCapacityAh ?? s.capacityAh ?? defaultCapacityAh(s.moduleType);
  }

  private stepString(s: StringState, mods: readonly ModuleState[], mode: ChargeMode, now: number, dtS: number, totalOutA: number, chargerOn: boolean, tx: SiteTransaction): void {
    const st = this.strings[s.string - 1];
    const current = fresh(s.dcCurrentA);
    const i = current !== null && Math.abs(current) > this.opts.currentOffsetA ? current : 0;
    const cells = cellsOf(s.moduleType);
    if (mode !== 'discharge') st.recorded = false;
    // The string's share of the discharge current (parallel strings share the load by their Ri and capacity).
    if (i < 0 && totalOutA > 0) st.sharePercent = round((-i / totalOutA) * 100, 1);
    // Cycle: discharge, recharge, then float for a while closes it.
    if (mode === 'discharge') {
      if (st.cycle !== 'discharge') {
        if (st.cycle === 'none' || st.cycle === 'recharge') {
          st.cycleOutWh = 0; st.cycleInWh = 0;
          for (const m of mods) { const b = this.blocks[m.global - 1]; b.cycleOutWh = 0; b.cycleInWh = 0; }
        }
        st.cycle = 'discharge';
      }
      st.floatSinceMs = null;
    } else if (st.cycle === 'discharge' && (mode === 'recharge' || mode === 'boost' || mode === 'float')) {
      st.cycle = 'recharge';
    }
    if (st.cycle === 'recharge') {
      if (mode === 'float') {
        st.floatSinceMs ??= now;
        if (now - st.floatSinceMs >= CYCLE_FLOAT_MS) {
          st.rtePercent = st.cycleInWh > 0 ? round((st.cycleOutWh / st.cycleInWh) * 100, 1) : null;
          for (const m of mods) {
            const b = this.blocks[m.global - 1];
            if (b.cycleInWh > 0) {
              b.rtePercent = round((b.cycleOutWh / b.cycleInWh) * 100, 1);
              b.firstRtePercent ??= b.rtePercent;
            }
          }
          st.cycle = 'none';
        }
      } else {
        st.floatSinceMs = null;
      }
    }
    let spreadOk = true;
    let anyBypass = false;
    const vs: number[] = [];
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      const v = m.communication === 'lost' || m.fuse === 'blown' ? null : fresh(m.voltageV);
      const t = m.communication === 'lost' ? null : fresh(m.temperatureC);
      if (v !== null) vs.push(v);
      if (v !== null && dtS > 0 && i !== 0) {
        const ah = (Math.abs(i) * dtS) / 3600;
        const wh = ah * v;
        if (i < 0) {
          b.dischargedAh += ah; b.dischargedWh += wh;
          if (st.cycle === 'discharge') { b.cycleOutWh += wh; st.cycleOutWh += wh; }
        } else {
          b.chargedAh += ah; b.chargedWh += wh;
          if (st.cycle === 'recharge') { b.cycleInWh += wh; st.cycleInWh += wh; }
        }
      }
      if (t !== null && dtS > 0) {
        b.tempSum += t * dtS;
        b.tempS += dtS;
        const charging = mode === 'float' || mode === 'boost' || mode === 'recharge';
        if (t > this.opts.highTemperatureC) {
          b.hotS += dtS;
          if (charging) b.hotChargingS += dtS;
        }
        if (t < this.opts.lowTemperatureC) {
          b.coldS += dtS;
          if (charging) b.coldChargingS += dtS;
        }
      }
      // Deep discharge: the block under load below the deep-discharge voltage (one event per discharge).
      if (mode === 'discharge' && v !== null) {
        if (!b.deepNow && v <= this.opts.deepDischargeVoltsPerCell * cells) {
          b.deepNow = true;
          b.deepDischarges++;
          b.lastDeepMs = now;
        }
      } else if (mode !== 'discharge') {
        b.deepNow = false;
      }
      if (dtS > 0 && m.communication !== 'lost') {
        b.activitySum += m.balancingActivityPercent * dtS;
        b.activityS += dtS;
        // The bypass now (the activity figure is a slow average that outlives the last bypass by hours).
        if (m.equalize.on && m.equalize.dutyPercent > 0) anyBypass = true;
      }
      this.stepResistance(m, b, mode, now, tx);
    }
    // 0 % balancing while the charger runs: the charger runs (the string floats, or the UPS is on mains
    // while the string rests: its breaker is open), the blocks are out of balance, and not one bypasses.
    if (vs.length >= 2) spreadOk = Math.max(...vs) - Math.min(...vs) <= 2 * IMBALANCE_V_PER_CELL * cells;
    if ((mode === 'float' || (mode === 'rest' && chargerOn)) && !spreadOk && !anyBypass) st.noBalancingSinceMs ??= now;
    else st.noBalancingSinceMs = null;
  }

  /** Ri: the baseline from the first stable float readings (unless configured), then one trend point per reading in float. */
  private stepResistance(m: ModuleState, b: BlockRecord, mode: ChargeMode, now: number, tx: SiteTransaction): void {
    const configured = this.info.get(m.global)?.resistanceBaselineOhm;
    if (configured !== undefined && b.baselineSource !== 'config') {
      b.baselineOhm = configured; b.baselineSource = 'config'; b.baselineAtMs = now;
    } else if (b.baselineOhm === null && m.resistanceBaselineOhm !== null) {
      b.baselineOhm = m.resistanceBaselineOhm; b.baselineSource = 'model'; b.baselineAtMs = now;
    }
    if (b.baselineOhm !== null && m.resistanceBaselineOhm !== b.baselineOhm) tx.module(m.global, { resistanceBaselineOhm: b.baselineOhm });
    const r = m.resistanceOhm;
    // Ri depends on the state of charge: only readings of a full, floating block are compared.
    if (mode !== 'float' || r.quality !== 'fresh' || r.value === null || !(r.value > 0) || r.atMs <= b.lastRiAtMs || m.communication === 'lost') return;
    b.lastRiAtMs = r.atMs;
    if (b.baselineOhm === null) {
      b.baselineReadings.push(r.value);
      const n = this.opts.baselineReadings;
      if (b.baselineReadings.length > n) b.baselineReadings.shift();
      if (b.baselineReadings.length === n) {
        const sorted = [...b.baselineReadings].sort((x, y) => x - y);
        const mid = sorted[Math.floor(n / 2)];
        // Stable: the readings agree within 10 % of their median.
        if (sorted[n - 1] - sorted[0] <= 0.1 * mid) {
          b.baselineOhm = mid; b.baselineSource = 'measured'; b.baselineAtMs = now;
          tx.module(m.global, { resistanceBaselineOhm: mid });
        }
      }
    }
    addRiReading(b.ri, r.atMs, r.value);
  }

  /** The health of every block and string now. */
  snapshot(snap: SiteSnapshot): HealthSnapshot {
    if (this.blocks.length !== snap.modules.length) {
      this.blocks = snap.modules.map(() => newBlock());
      this.strings = snap.strings.map(() => newString());
    }
    const blocks = snap.modules.map((m) => this.blockHealth(snap.strings[m.string - 1], m));
    const strings = snap.strings.map((s): StringHealth => {
      const st = this.strings[s.string - 1];
      const since = st.noBalancingSinceMs;
      const hours = since === null ? 0 : (snap.atMs - since) / 3_600_000;
      return {
        string: s.string,
        currentSharePercent: st.sharePercent,
        roundTripEfficiencyPercent: st.rtePercent,
        balancingDiagnosis: since !== null && hours * 3_600_000 >= NO_BALANCING_MS
          ? { message: `${s.label} is out of balance while the charger runs and no block has balanced for ${hours.toFixed(1)} h: check the battery breaker (open: the charger's current does not reach the string) and the block temperatures (self-discharge beating the charge current)`, sinceHours: round(hours, 1) }
          : null,
      };
    });
    return { atMs: snap.atMs, blocks, strings, test: this.runningTest() };
  }

  /** The health of one block (global module number) now; null when there is no such block. */
  healthOf(snap: SiteSnapshot, global: number): BlockHealth | null {
    const m = snap.modules[global - 1];
    return m ? this.blockHealth(snap.strings[m.string - 1], m) : null;
  }

  private trendOf(global: number, b: BlockRecord, limit: number): RiTrend | null {
    if (b.baselineOhm === null) return null;
    const last = b.ri.points[b.ri.points.length - 1];
    const key = `${b.baselineOhm}:${limit}:${b.ri.points.length}:${last?.atMs}:${last?.n}`;
    const hit = this.trends.get(global);
    if (hit?.key === key) return hit.trend;
    const trend = riTrend(b.ri.points, b.baselineOhm, limit);
    this.trends.set(global, { key, trend });
    return trend;
  }

  /**
   * Each block's health from a state the data logger kept (engine state `health`) and the site's
   * strings, without a running gateway (`kirchhoff passport`, reports): null when the state does not
   * fit the strings. The self-discharge (the SoC estimator's) is not in it and reads null.
   */
  static blocksFromState(state: HealthPersistedState, strings: readonly RatedString[], options: HealthOptions = {}, info: ReadonlyMap<number, BlockInfo> = new Map()): BlockHealth[] | null {
    const total = strings.reduce((a, s) => a + s.moduleCount, 0);
    if (!state || state.version !== 1 || state.blocks.length !== total || state.strings.length !== strings.length) return null;
    const engine = new HealthEngine(options);
    for (const [g, i] of info) engine.setBlockInfo(g, i);
    engine.blocks = state.blocks.map((b) => ({ ...newBlock(), ...b }));
    engine.strings = state.strings.map((x) => ({ ...newString(), ...x }));
    const out: BlockHealth[] = [];
    let global = 1;
    strings.forEach((s, si) => {
      for (let module = 1; module <= s.moduleCount; module++, global++) out.push(engine.blockHealth(s, { string: si + 1, module, global }));
    });
    return out;
  }

  private blockHealth(s: RatedString, m: Pick<ModuleState, 'string' | 'module' | 'global'>): BlockHealth {
    const b = this.blocks[m.global - 1] ?? newBlock();
    const rated = this.ratedOf(s, m.global);
    const latest = b.ri.points.length ? b.ri.points[b.ri.points.length - 1].ohm : null;
    const increase = b.baselineOhm !== null && latest !== null ? ((latest - b.baselineOhm) / b.baselineOhm) * 100 : null;
    const limit = this.opts.riEndOfLifePercent;
    let soh: number | null = null;
    let method: SohMethod = 'unknown';
    if (b.capacityAh !== null) {
      soh = (b.capacityAh / rated) * 100;
      method = b.capacitySource ?? 'capacity-test';
    } else if (increase !== null) {
      // No capacity measured: the conventional end of life (80 % capacity) is put at the Ri limit,
      // linearly from 100 % at the baseline (an indication, not a measurement; docs/health.md).
      soh = Math.min(100, Math.max(0, 100 - (20 * Math.max(0, increase)) / limit));
      method = 'resistance';
    }
    const remaining = soh === null ? null : (rated * soh) / 100;
    const meanC = b.tempS > 0 ? b.tempSum / b.tempS : null;
    const o = this.opts;
    return {
      string: m.string,
      module: m.module,
      global: m.global,
      sohPercent: soh === null ? null : round(soh, 1),
      sohMethod: method,
      ratedCapacityAh: rated,
      remainingCapacityAh: remaining === null ? null : round(remaining, 2),
      capacityFadePercent: remaining === null ? null : round(((rated - remaining) / rated) * 100, 1),
      firstMeasuredCapacityAh: b.firstCapacityAh,
      capacityMeasuredAtMs: b.capacityAtMs,
      capacityTestId: b.capacityTestId,
      resistance: {
        baselineOhm: b.baselineOhm,
        baselineSource: b.baselineSource,
        baselineAtMs: b.baselineAtMs,
        latestOhm: latest === null ? null : round(latest, 7),
        increasePercent: increase === null ? null : round(increase, 1),
        endOfLifeLimitPercent: limit,
        trend: this.trendOf(m.global, b, limit),
      },
      throughput: {
        dischargedAh: round(b.dischargedAh, 2), chargedAh: round(b.chargedAh, 2), dischargedWh: round(b.dischargedWh, 1), chargedWh: round(b.chargedWh, 1),
        equivalentFullCycles: round(b.dischargedAh / rated, 3),
      },
      roundTripEfficiencyPercent: b.rtePercent,
      firstRoundTripEfficiencyPercent: b.firstRtePercent,
      powerFadePercent: b.baselineOhm !== null && latest !== null && latest > 0 ? round((1 - b.baselineOhm / latest) * 100, 1) : null,
      selfDischargePercentPerDay: (() => { const v = this.selfDischarge(m.global); return v === null ? null : round(v, 3); })(),
      temperature: {
        meanC: meanC === null ? null : round(meanC, 2),
        hoursAboveLimit: round(b.hotS / 3600, 2),
        limitC: o.highTemperatureC,
        hoursBelowLowLimit: round(b.coldS / 3600, 2),
        lowLimitC: o.lowTemperatureC,
        hoursAboveLimitCharging: round(b.hotChargingS / 3600, 2),
        hoursBelowLowLimitCharging: round(b.coldChargingS / 3600, 2),
        expectedLifeYears: meanC === null ? null : round(o.designLifeYears * Math.pow(2, -Math.max(0, meanC - o.lifeReferenceC) / o.lifeHalvingK), 2),
        designLifeYears: o.designLifeYears,
      },
      deepDischarges: b.deepDischarges,
      lastDeepDischargeAtMs: b.lastDeepMs,
      meanBalancingActivityPercent: b.activityS > 0 ? round(b.activitySum / b.activityS, 2) : null,
    };
  }
}

/** What the health figures need of a string: its size and rating. */
export interface RatedString {
  readonly moduleCount: number;
  readonly capacityAh: number | null;
  readonly moduleType: ModuleType;
}

export class HealthError extends Error {
  constructor(readonly code: 'health.test-running' | 'health.invalid' | 'health.no-test', message: string) {
    super(message);
  }
}
