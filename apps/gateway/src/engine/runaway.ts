// Thermal-runaway protection, block by block: each block is judged on its own readings against its
// string (median temperature, string float current), so a lost, failed or fuse-blown module is
// unknown for itself only. A condition held for the delay trips the string's breaker relay(s);
// the trip is latched until an operator switches the breaker relay off again (an audited write
// through the command interface, from any protocol). The gateway never recloses on its own.
import type { AlarmCondition, ChargeMode, ModuleState, SiteSnapshot, SiteTransaction, StringState } from '@kirchhoff/core';
import { arrhenius, cellsOf, defaultCapacityAh, SELF_DISCHARGE_PER_S_25C } from './lead-acid';

/** The charge modes the runaway check tells apart: those of the charge-mode detector (charge-mode.ts). */
export type RunawayChargeMode = ChargeMode;

/** One battery breaker: the relay that trips it, which strings it disconnects, and its status contact. */
export interface BreakerSpec {
  /** Relay (1-based) wired to the breaker's trip coil. */
  readonly relay: number;
  /** Strings it disconnects; `all` for a site breaker. */
  readonly strings: readonly number[] | 'all';
  /** Digital input (1-based) wired to the breaker's auxiliary contact; null = not verified. */
  readonly statusInput?: number | null;
  /** What an active status input means. Default `closed` (a normally-open auxiliary contact). */
  readonly inputActiveMeans?: 'closed' | 'open';
}

export interface RunawayOptions {
  /** Default true. */
  readonly enabled?: boolean;
  /** Window over which temperature rise rates are measured, seconds. Default 900. */
  readonly rateWindowS?: number;
  /** A block rising this much faster than its string's median block counts, K/h. Default 3. */
  readonly riseRateCPerHour?: number;
  /** A block this far above its string's median temperature counts, K. Default 5. */
  readonly differenceC?: number;
  /** A block this far above the room (first temperature sensor) counts, K. Default 10. */
  readonly aboveAmbientC?: number;
  /** Float current counts as rising at baseline x (1 + this/100), the baseline temperature-compensated. Default 50. */
  readonly currentRisePercent?: number;
  /** ... and at least this many amperes above it. Default 0.05. */
  readonly minCurrentRiseA?: number;
  /** Float counts as settled (baseline may be learned) after this long in float below settledCurrentAPerAh, s. Default 1800. */
  readonly settleS?: number;
  /** Float current per Ah at 25 deg C below which float is settled (a recharge has tapered off), A/Ah. Default 0.002. */
  readonly settledCurrentAPerAh?: number;
  /**
   * Absolute float-current limit of a full string on charge, A per Ah at 25 deg C (the current is
   * divided by the temperature factor of the string's median block). Default 0.01: ten times the float
   * current of a VRLA block at the end of its life, and below the boost current (boost is exempt).
   */
  readonly floatCurrentLimitAPerAh?: number;
  /** Absolute block temperature trip, any charge mode, deg C. Default 50. */
  readonly tripTemperatureC?: number;
  /** How long a condition must hold before the alarm and the trip, seconds. Default 60. */
  readonly delayS?: number;
  /** Breakers; empty = alarm only. */
  readonly breakers?: readonly BreakerSpec[];
  /** A tripped breaker whose status input still reads closed after this long raises a critical alarm, s. Default 10. */
  readonly breakerConfirmS?: number;
  /** Older form: one site breaker on this relay (every string); null = alarm only. */
  readonly breakerRelayId?: number | null;
}

/** What the gateway does beyond the model when the breaker must open (drive the relay board). */
export interface BreakerOutput {
  trip(relayId: number, string: number): void;
}

/** A breaker's state as the engine sees it. */
export interface BreakerState {
  readonly relay: number;
  readonly strings: readonly number[];
  readonly tripped: boolean;
  readonly trippedAtMs: number | null;
  /** `open` once the status input confirmed it, `closed` while it still reads closed, `unknown` without an input. */
  readonly status: 'open' | 'closed' | 'unknown';
  readonly confirmedAtMs: number | null;
}

/** Something the engine did, for logs and `kirchhoff simulate --json`. */
export interface RunawayEvent {
  readonly atMs: number;
  readonly type: 'trip' | 'breaker-confirmed' | 'breaker-not-confirmed' | 'reset';
  readonly string?: number;
  readonly relay?: number;
  readonly message: string;
}

type Reason = 'runaway' | 'rest-runaway' | 'over-temperature' | 'float-current';

interface BlockWatch {
  /** Last three fresh readings: their median is the plausible temperature (one wild reading moves nothing). */
  recent: number[];
  sinceMs: number | null;
}

interface StringWatch {
  blocks: BlockWatch[];
  /** Plausible temperatures sampled for the rise rate. */
  samples: { atMs: number; values: (number | null)[] }[];
  currents: number[];
  floatSinceMs: number | null;
  settled: boolean;
  /** Settled float current at 25 deg C (divided by the Arrhenius factor of the string median). */
  baselineA25: number | null;
  settleSamples: number[];
  /**
   * The string is full: float settled, or a discharge's charge has been returned since. A full string on
   * charge takes only float current, whatever the charge-mode detector calls it: above the float
   * current limit it is a runaway, not a recharge.
   */
  full: boolean;
  /** Since the string was last full: charge taken out (discharge, self-discharge at rest) and put back in, Ah. */
  outAh: number;
  inAh: number;
  /** Full once since the engine started: the charge balance is known (not at start-up, mid-recharge perhaps). */
  tracked: boolean;
  stringSinceMs: number | null;
  /** Since when the string-wide float-current condition holds. */
  currentSinceMs: number | null;
  lastMs: number | null;
  tripped: AlarmCondition | null;
}

interface BreakerWatch {
  spec: BreakerSpec;
  strings: number[];
  trippedAtMs: number | null;
  sawOn: boolean;
  status: 'open' | 'closed' | 'unknown';
  confirmedAtMs: number | null;
  failed: AlarmCondition | null;
}

const BASELINE_TAU_S = 3600;
/**
 * A recharge is over when it has put back this much of the charge taken out plus RETURN_MARGIN_PER_AH
 * of the capacity (lead-acid needs 105-115 % back; a VRLA recharge reaches float current at about that).
 */
const RETURN_FACTOR = 1.2;
const RETURN_MARGIN_PER_AH = 0.005;
/**
 * A block this far below its string's median voltage, per cell of the block, is losing a cell (a short):
 * the block a string-wide alarm names. Three times the float spread of an unbalanced 20-block string
 * (0.2 V per 12 V block); a cell short takes 2 V, half of it within the first minutes of its onset.
 */
const CELL_LOSS_V_PER_CELL = 0.1;
// A typed array sorts numbers without a comparator call per comparison (every string, every step).
const median = (xs: readonly number[]): number => {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** median() of three finite numbers without sorting a copy (done for every block on every step). */
const median3 = (a: number, b: number, c: number): number => (a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b));
const fresh = (m: { value: number | null; quality: string }): number | null => (m.quality === 'fresh' && m.value !== null && Number.isFinite(m.value) ? m.value : null);

export class RunawayEngine {
  private readonly opts: Required<Omit<RunawayOptions, 'breakerRelayId' | 'breakers'>>;
  private readonly specs: readonly BreakerSpec[];
  private watch: StringWatch[] = [];
  private breakers: BreakerWatch[] = [];
  private events: RunawayEvent[] = [];

  constructor(options: RunawayOptions = {}, private readonly breaker?: BreakerOutput) {
    this.opts = {
      enabled: options.enabled ?? true,
      rateWindowS: options.rateWindowS ?? 900,
      riseRateCPerHour: options.riseRateCPerHour ?? 3,
      differenceC: options.differenceC ?? 5,
      aboveAmbientC: options.aboveAmbientC ?? 10,
      currentRisePercent: options.currentRisePercent ?? 50,
      minCurrentRiseA: options.minCurrentRiseA ?? 0.05,
      settleS: options.settleS ?? 1800,
      settledCurrentAPerAh: options.settledCurrentAPerAh ?? 0.002,
      floatCurrentLimitAPerAh: options.floatCurrentLimitAPerAh ?? 0.01,
      tripTemperatureC: options.tripTemperatureC ?? 50,
      delayS: options.delayS ?? 60,
      breakerConfirmS: options.breakerConfirmS ?? 10,
    };
    const legacy = options.breakerRelayId ?? null;
    this.specs = options.breakers ?? (legacy !== null ? [{ relay: legacy, strings: 'all' }] : []);
  }

  get delayS(): number {
    return this.opts.delayS;
  }

  /** When a runaway condition began on a string (its earliest block still holding one), null when none holds. */
  conditionSinceMs(string: number): number | null {
    return this.watch[string - 1]?.stringSinceMs ?? null;
  }

  /** The settled-float baseline of a string at 25 deg C, amperes; null until float has settled. */
  baselineA25(string: number): number | null {
    return this.watch[string - 1]?.baselineA25 ?? null;
  }

  breakerStates(): BreakerState[] {
    return this.breakers.map((b) => ({
      relay: b.spec.relay, strings: b.strings, tripped: b.trippedAtMs !== null, trippedAtMs: b.trippedAtMs, status: b.status, confirmedAtMs: b.confirmedAtMs,
    }));
  }

  /** Events since the last call (trips, confirmations, resets). */
  takeEvents(): RunawayEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** `chargeModes` (per string) overrides the snapshot's, as for BalancingEngine.step. */
  step(snap: SiteSnapshot, tx: SiteTransaction, chargeModes?: readonly RunawayChargeMode[]): void {
    if (this.watch.length !== snap.strings.length) this.init(snap);
    if (!this.opts.enabled) return;
    const now = tx.atMs;
    this.watchBreakers(snap, now);
    const ambient = snap.sensors.find((s) => s.kind === 'temperature' && fresh(s.reading) !== null);
    const ambientC = ambient ? fresh(ambient.reading) : null;
    for (const s of snap.strings) this.stepString(snap, s, tx, chargeModes?.[s.string - 1] ?? s.chargeMode, ambientC);
  }

  private init(snap: SiteSnapshot): void {
    this.watch = snap.strings.map((s) => ({
      blocks: Array.from({ length: s.moduleCount }, () => ({ recent: [], sinceMs: null })),
      samples: [], currents: [], floatSinceMs: null, settled: false, baselineA25: null, settleSamples: [], full: false, outAh: 0, inAh: 0, tracked: false, stringSinceMs: null, currentSinceMs: null, lastMs: null, tripped: null,
    }));
    const all = snap.strings.map((s) => s.string);
    this.breakers = this.specs.map((spec) => ({
      spec, strings: spec.strings === 'all' ? all : [...spec.strings], trippedAtMs: null, sawOn: false, status: 'unknown', confirmedAtMs: null, failed: null,
    }));
  }

  private stepString(snap: SiteSnapshot, s: StringState, tx: SiteTransaction, mode: RunawayChargeMode, ambientC: number | null): void {
    const o = this.opts;
    const now = tx.atMs;
    const w = this.watch[s.string - 1];
    const dtS = w.lastMs === null ? 0 : (now - w.lastMs) / 1000;
    w.lastMs = now;
    const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
    const cap = s.capacityAh ?? defaultCapacityAh(s.moduleType);

    // Plausible temperatures: the median of each block's last three fresh readings. A block that
    // is lost, failed or has a blown fuse is unknown for itself only.
    const temps = mods.map((m, i) => {
      const b = w.blocks[i];
      const t = m.communication === 'lost' ? null : fresh(m.temperatureC);
      if (t === null) {
        b.recent = [];
        return null;
      }
      b.recent.push(t);
      if (b.recent.length > 3) b.recent.shift();
      return b.recent.length === 3 ? median3(b.recent[0], b.recent[1], b.recent[2]) : null;
    });
    const known = temps.filter((t): t is number => t !== null);
    const medianC = known.length ? median(known) : null;

    const windowMs = o.rateWindowS * 1000;
    const last = w.samples[w.samples.length - 1];
    if (!last || now - last.atMs >= Math.min(60_000, windowMs / 4)) w.samples.push({ atMs: now, values: temps });
    while (w.samples.length > 2 && now - w.samples[1].atMs >= windowMs) w.samples.shift();
    const old = w.samples[0];
    const spanH = (now - old.atMs) / 3_600_000;
    const rates = temps.map((t, i) => (now - old.atMs >= windowMs && t !== null && old.values[i] != null ? (t - (old.values[i] as number)) / spanH : null));
    const knownRates = rates.filter((r): r is number => r !== null);
    const medianRate = knownRates.length ? median(knownRates) : 0;

    // String current, plausible (median of three), and the settled-float baseline at 25 deg C.
    const iNow = fresh(s.dcCurrentA);
    if (iNow === null) w.currents = [];
    else {
      w.currents.push(iNow);
      if (w.currents.length > 3) w.currents.shift();
    }
    const current = w.currents.length === 3 ? median(w.currents) : null;
    const tf = medianC === null ? null : arrhenius(medianC);
    this.chargeBalance(w, mode, current, cap, medianC, dtS);
    // A detector that cannot tell the mode (`unknown`) must not blind the watch: settled float is
    // also defined by the current itself (held low for settleS), so a charging current counts as float.
    // A full string on charge is on float whatever its current (a runaway's current reads as a recharge).
    const charging = current !== null && current > o.settledCurrentAPerAh * cap * 0.1;
    const floatMode = mode === 'float' || ((mode === 'unknown' || (mode === 'recharge' && w.full)) && charging);
    if (!floatMode || current === null) {
      w.floatSinceMs = null;
      w.settled = false;
      w.settleSamples = [];
    } else if (!w.settled) {
      // Compensated: a string in a warm room floats at more than the 25 degC figure and is still settled.
      if (tf === null || current / tf > o.settledCurrentAPerAh * cap) {
        w.floatSinceMs = null;
        w.settleSamples = [];
      } else {
        w.floatSinceMs ??= now;
        if (tf !== null) w.settleSamples.push(current / tf);
        if (now - w.floatSinceMs >= o.settleS * 1000 && w.settleSamples.length >= 3) {
          w.settled = true;
          w.full = true;
          w.tracked = true;
          w.outAh = 0;
          w.inAh = 0;
          // Learned over the settled period, never from one sample; kept from an earlier float period when there was one.
          w.baselineA25 ??= median(w.settleSamples.slice(Math.floor(w.settleSamples.length / 2)));
          w.settleSamples = [];
        }
      }
    }
    const expectedA = w.settled && w.baselineA25 !== null && tf !== null ? w.baselineA25 * tf : null;
    const rising = expectedA !== null && current !== null
      && current >= expectedA * (1 + o.currentRisePercent / 100) && current - expectedA >= o.minCurrentRiseA;
    // String-wide: a full string on charge taking more than the float-current limit (at 25 deg C).
    const overCurrent = w.full && floatMode && current !== null && tf !== null && current / tf >= o.floatCurrentLimitAPerAh * cap;
    const atRest = (mode === 'rest' || mode === 'unknown') && !charging;

    let anyThermal = false;
    let first: { i: number; reason: Reason; detail: string } | null = null;
    let earliest: number | null = null;
    for (let i = 0; i < mods.length; i++) {
      const b = w.blocks[i];
      const t = temps[i];
      let reason: Reason | null = null;
      let detail = '';
      if (t !== null && medianC !== null) {
        const r = rates[i];
        const fast = r !== null && r - medianRate >= o.riseRateCPerHour;
        const aboveMedian = t - medianC >= o.differenceC;
        const aboveAmbient = ambientC !== null && t - ambientC >= o.aboveAmbientC;
        const thermal = fast || aboveMedian || aboveAmbient;
        anyThermal ||= thermal;
        // Formatted only for a block that holds a condition: for every block on every step it was a tenth of a simulation's time.
        const what = () => [
          r !== null ? `rising ${r.toFixed(1)} K/h` : null,
          `${t.toFixed(1)} degC (string median ${medianC.toFixed(1)}${ambientC !== null ? `, room ${ambientC.toFixed(1)}` : ''})`,
        ].filter(Boolean).join(', ');
        if (t >= o.tripTemperatureC) [reason, detail] = ['over-temperature', `${what()}, above the ${o.tripTemperatureC} degC trip`];
        else if (floatMode && thermal && rising) [reason, detail] = ['runaway', `${what()}, float current ${current?.toFixed(2)} A (expected ${expectedA?.toFixed(2)} A)`];
        // Charger off: no current to confirm with, so the block must both rise and stand out.
        else if (atRest && fast && (aboveMedian || aboveAmbient)) [reason, detail] = ['rest-runaway', `${what()} with the charger off`];
      }
      if (reason === null) {
        b.sinceMs = null;
        continue;
      }
      b.sinceMs ??= now;
      if (earliest === null || b.sinceMs < earliest) earliest = b.sinceMs;
      if (now - b.sinceMs >= o.delayS * 1000 && (!first || b.sinceMs < (w.blocks[first.i].sinceMs as number))) first = { i, reason, detail };
    }
    // The string-wide condition is the string's, held whichever block it names (that may change as a cell shorts).
    if (!overCurrent) w.currentSinceMs = null;
    else {
      w.currentSinceMs ??= now;
      if (earliest === null || w.currentSinceMs < earliest) earliest = w.currentSinceMs;
      const i = this.suspectBlock(mods, temps, s.moduleType);
      if (i >= 0 && now - w.currentSinceMs >= o.delayS * 1000 && (!first || w.currentSinceMs < (w.blocks[first.i].sinceMs as number))) {
        const t = temps[i];
        const limitA = o.floatCurrentLimitAPerAh * cap * (tf as number);
        const v = fresh(mods[i].voltageV);
        first = {
          i, reason: 'float-current',
          detail: `${t === null ? 'temperature unknown' : `${t.toFixed(1)} degC`}${v === null ? '' : `, ${v.toFixed(2)} V`} (string median ${medianC?.toFixed(1)} degC); `
            + `string float current ${current?.toFixed(2)} A above the ${limitA.toFixed(2)} A limit (${(o.floatCurrentLimitAPerAh * 1000).toFixed(0)} mA/Ah at 25 degC)`,
        };
      }
    }
    w.stringSinceMs = earliest;

    // The baseline follows slow changes (ageing, balancing) in settled float, never a runaway in progress.
    if (w.settled && current !== null && tf !== null && !rising && !overCurrent && !anyThermal && w.baselineA25 !== null) {
      w.baselineA25 += (current / tf - w.baselineA25) * (1 - Math.exp(-dtS / BASELINE_TAU_S));
    }

    if (w.tripped || !first) return;
    const m = mods[first.i];
    const opened = this.breakers.filter((b) => b.strings.includes(s.string));
    w.tripped = {
      kind: 'thermal-runaway',
      severity: 'critical',
      // The block to inspect is named in every protocol (SNMP bmsAlarmModuleIndex, the alarm's entity), not only in the text.
      entity: { kind: 'module', string: m.string, module: m.module, global: m.global },
      message: `${s.label} thermal runaway: ${m.label} ${first.detail}`
        + (opened.length ? `; battery breaker opened (relay ${opened.map((b) => b.spec.relay).join(', ')})` : '; no breaker configured'),
      value: temps[first.i],
      limit: first.reason === 'over-temperature' ? o.tripTemperatureC : null,
    };
    this.events.push({ atMs: now, type: 'trip', string: s.string, message: w.tripped.message });
    for (const b of opened) {
      tx.relay(b.spec.relay, true);
      this.breaker?.trip(b.spec.relay, s.string);
      if (b.trippedAtMs === null) {
        b.trippedAtMs = now;
        b.sawOn = false;
        b.confirmedAtMs = null;
        b.status = b.spec.statusInput ? 'closed' : 'unknown';
      }
    }
  }

  /**
   * Charge taken out since the string was last full (a discharge; self-discharge at rest) and put back
   * in: once a recharge has returned it, the string is full again and its current is float current.
   */
  private chargeBalance(w: StringWatch, mode: RunawayChargeMode, current: number | null, cap: number, medianC: number | null, dtS: number): void {
    if (dtS <= 0 || dtS > 3600) return;
    const discharging = mode === 'discharge' || (current !== null && current < 0 && mode !== 'float' && mode !== 'boost');
    if (discharging || mode === 'rest') {
      w.full = false;
      // At rest the string loses its self-discharge (3 %/month at 25 deg C, doubling per 10 K).
      w.outAh += discharging ? (Math.abs(current ?? 0) * dtS) / 3600 : cap * SELF_DISCHARGE_PER_S_25C * arrhenius(medianC ?? 25) * dtS;
    } else if (!w.full && w.tracked && current !== null && current > 0) {
      w.inAh += (current * dtS) / 3600;
      if (w.inAh >= RETURN_FACTOR * w.outAh + RETURN_MARGIN_PER_AH * cap) {
        w.full = true;
        w.outAh = 0;
        w.inAh = 0;
      }
    }
  }

  /** The block a string-wide alarm names: one that lost a cell (far below the string's voltage), else the hottest. */
  private suspectBlock(mods: readonly ModuleState[], temps: readonly (number | null)[], type: StringState['moduleType']): number {
    const volts = mods.map((m) => (m.communication === 'lost' || m.fuse === 'blown' ? null : fresh(m.voltageV)));
    const known = volts.filter((v): v is number => v !== null);
    if (known.length >= 3) {
      const med = median(known);
      let low = -1;
      volts.forEach((v, i) => { if (v !== null && (low < 0 || v < (volts[low] as number))) low = i; });
      if (low >= 0 && med - (volts[low] as number) >= CELL_LOSS_V_PER_CELL * cellsOf(type)) return low;
    }
    let hot = -1;
    temps.forEach((t, i) => { if (t !== null && (hot < 0 || t > (temps[hot] as number))) hot = i; });
    return hot;
  }

  /** Verifies tripped breakers on their status inputs; an operator switching a tripped breaker's relay off resets its latch. */
  private watchBreakers(snap: SiteSnapshot, now: number): void {
    for (const b of this.breakers) {
      if (b.trippedAtMs === null) continue;
      const relayOn = snap.relays[b.spec.relay - 1]?.on ?? false;
      if (relayOn) b.sawOn = true;
      else if (b.sawOn) {
        this.resetBreaker(b, now);
        continue;
      }
      const input = b.spec.statusInput ? snap.inputs[b.spec.statusInput - 1] : undefined;
      if (!input) continue;
      const isOpen = input.active === (b.spec.inputActiveMeans === 'open');
      if (isOpen && b.status !== 'open') {
        b.status = 'open';
        b.confirmedAtMs = now;
        b.failed = null;
        this.events.push({ atMs: now, type: 'breaker-confirmed', relay: b.spec.relay, message: `breaker on relay ${b.spec.relay} confirmed open (input ${b.spec.statusInput})` });
      } else if (!isOpen) {
        b.status = 'closed';
        if (!b.failed && now - b.trippedAtMs >= this.opts.breakerConfirmS * 1000) {
          b.failed = {
            kind: 'breaker-failed', severity: 'critical',
            entity: b.strings.length === 1 ? { kind: 'string', string: b.strings[0] } : { kind: 'site' },
            message: `battery breaker on relay ${b.spec.relay} (strings ${b.strings.join(', ')}) tripped but input ${b.spec.statusInput} still reads closed after ${this.opts.breakerConfirmS} s: open it by hand`,
            value: null, limit: this.opts.breakerConfirmS,
          };
          this.events.push({ atMs: now, type: 'breaker-not-confirmed', relay: b.spec.relay, message: b.failed.message });
        }
      }
    }
  }

  private resetBreaker(b: BreakerWatch, now: number): void {
    b.trippedAtMs = null;
    b.sawOn = false;
    b.failed = null;
    b.status = 'unknown';
    b.confirmedAtMs = null;
    for (const s of b.strings) this.clear(s);
    this.events.push({ atMs: now, type: 'reset', relay: b.spec.relay, message: `breaker relay ${b.spec.relay} switched off by an operator: runaway latch of strings ${b.strings.join(', ')} reset` });
  }

  private clear(string: number): void {
    const w = this.watch[string - 1];
    if (!w) return;
    w.tripped = null;
    w.stringSinceMs = null;
    w.currentSinceMs = null;
    for (const b of w.blocks) b.sinceMs = null;
  }

  /** Active runaway and breaker alarms, for `site.reconcileAlarms('runaway', ...)`. */
  conditions(): AlarmCondition[] {
    return [
      ...this.watch.flatMap((w) => (w.tripped ? [w.tripped] : [])),
      ...this.breakers.flatMap((b) => (b.failed ? [b.failed] : [])),
    ];
  }

  /** Operator reset after inspection (without a breaker relay): clears the latch. */
  reset(string?: number): void {
    this.watch.forEach((_, i) => {
      if (string === undefined || string === i + 1) this.clear(i + 1);
    });
  }
}
