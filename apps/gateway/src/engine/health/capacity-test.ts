// Capacity test and discharge analysis of one string (no I/O): follows a discharge sample by sample
// (block voltages and temperatures, the string current), stops at the end voltage or the time limit,
// and works out per block the Ah and Wh delivered, the capacity at the test rate, its value at the
// C10 rate and 25 deg C, the time to the end voltage, and which blocks collapsed early (docs/health.md).
import { deliverableFraction } from '../lead-acid';
import { shepherdCutoffAh } from '../soc';
import type {
  BlockCapacityPoint, BlockTestResult, CapacityTestEnd, CapacityTestRecord, CapacityTestTrigger, StringTestResult, TestSample,
} from '@kirchhoff/history';

// The record this engine fills is the data logger's (packages/history/src/capacity-test-record.ts).
export type { BlockCapacityPoint, BlockTestResult, CapacityTestEnd, CapacityTestRecord, CapacityTestTrigger, StringTestResult, TestSample };

export interface CapacityTestOptions {
  /** Block voltage under load that ends a block's discharge, per cell. Default 1.75 V. */
  readonly endVoltsPerCell?: number;
  /** The test stops after this long in any case, seconds. Default 12 h. */
  readonly maxDurationS?: number;
  /**
   * A block that reaches the end voltage before this share of the string's median block capacity
   * (at the test rate) collapsed early. Default 0.8.
   */
  readonly earlyFraction?: number;
  /** The discharge counts as stopped after this long without a discharge current, seconds. Default 120. */
  readonly stoppedAfterS?: number;
}

export const CAPACITY_TEST_DEFAULTS: Required<CapacityTestOptions> = {
  endVoltsPerCell: 1.75,
  maxDurationS: 12 * 3600,
  earlyFraction: 0.8,
  stoppedAfterS: 120,
};

/**
 * Temperature coefficient of capacity, per kelvin, as the IEC 60896 capacity tests correct a measured
 * capacity to the reference temperature: C(ref) = C / (1 + lambda (theta - ref)), lambda = 0.006 for
 * discharges longer than 3 h and 0.01 for shorter ones (docs/health.md). The reference here is 25 deg C,
 * the temperature the rest of the gateway states its float voltages and capacities at.
 */
export function capacityTemperatureCoefficient(durationS: number): number {
  return durationS > 3 * 3600 ? 0.006 : 0.01;
}

/** A capacity measured at `meanTemperatureC` expressed at 25 deg C (IEC 60896-11). */
export function capacityAt25C(capacityAh: number, meanTemperatureC: number, durationS: number): number {
  return capacityAh / (1 + capacityTemperatureCoefficient(durationS) * (meanTemperatureC - 25));
}

/**
 * The C10 capacity of a block that gave `capacityAtRateAh` to the end voltage at `meanCurrentA`
 * (Peukert, engine/lead-acid.ts: a block gives less at a faster rate than its 10-hour one).
 */
export function capacityAtC10(capacityAtRateAh: number, meanCurrentA: number): number {
  let c = capacityAtRateAh;
  for (let k = 0; k < 20; k++) c = capacityAtRateAh / deliverableFraction(c, meanCurrentA);
  return c;
}

export interface StringLayout {
  readonly string: number;
  readonly firstGlobal: number;
  readonly moduleCount: number;
  readonly cells: number;
  readonly ratedCapacityAh: number;
}

interface BlockAcc {
  wh: number;
  crossedAh: number | null;
  crossedS: number | null;
  tSum: number;
  tS: number;
  lastV: number | null;
  curve: { q: number; v: number }[];
}

/** Follows one string through a discharge. */
export class StringDischarge {
  private ah = 0;
  private lastMs: number | null = null;
  private lastCurrentA: number | null = null;
  private dischargeS = 0;
  private lastCurveAh = -Infinity;
  private readonly blocks: BlockAcc[];
  private noCurrentS = 0;
  ended: CapacityTestEnd | null = null;

  constructor(readonly layout: StringLayout, readonly startMs: number, private readonly opts: Required<CapacityTestOptions>) {
    this.blocks = Array.from({ length: layout.moduleCount }, () => ({ wh: 0, crossedAh: null, crossedS: null, tSum: 0, tS: 0, lastV: null, curve: [] }));
  }

  get endVoltageV(): number {
    return this.opts.endVoltsPerCell * this.layout.cells;
  }

  /** One sample; returns how the discharge ended when this sample ended it, else null. */
  step(sample: TestSample): CapacityTestEnd | null {
    if (this.ended) return this.ended;
    const dtS = this.lastMs === null ? 0 : Math.max(0, Math.min(900, (sample.atMs - this.lastMs) / 1000));
    this.lastMs = sample.atMs;
    const i = sample.currentA;
    // Trapezoid over the two samples' currents (a sample whose current is unknown counts as the last one).
    const prev = this.lastCurrentA ?? i;
    const di = i === null ? prev : prev === null ? i : (i + prev) / 2;
    if (i !== null) this.lastCurrentA = i;
    const outA = di !== null && di < 0 ? -di : 0;
    this.ah += (outA * dtS) / 3600;
    if (outA > 0) this.dischargeS += dtS;
    const endV = this.endVoltageV;
    const voltages: number[] = [];
    for (let k = 0; k < this.blocks.length; k++) {
      const b = this.blocks[k];
      const v = sample.voltagesV[k] ?? null;
      const t = sample.temperaturesC[k] ?? null;
      if (v !== null && b.lastV !== null) b.wh += (((v + b.lastV) / 2) * outA * dtS) / 3600;
      if (v !== null) {
        b.lastV = v;
        voltages.push(v);
      }
      if (t !== null && dtS > 0) {
        b.tSum += t * dtS;
        b.tS += dtS;
      }
      if (v !== null && b.crossedAh === null && outA > 0 && v <= endV && this.ah > 0.02 * this.layout.ratedCapacityAh) {
        b.crossedAh = this.ah;
        b.crossedS = (sample.atMs - this.startMs) / 1000;
      }
    }
    // The curve for extrapolating blocks that have not got there: every 0.5 % of the rating at a steady load.
    if (outA > 0 && this.ah - this.lastCurveAh >= 0.005 * this.layout.ratedCapacityAh && this.ah > 0.03 * this.layout.ratedCapacityAh) {
      this.lastCurveAh = this.ah;
      this.blocks.forEach((b, k) => {
        const v = sample.voltagesV[k] ?? null;
        if (v !== null && b.crossedAh === null) b.curve.push({ q: this.ah, v });
      });
    }
    if (i !== null && i < 0) this.noCurrentS = 0;
    else this.noCurrentS += dtS;
    const elapsedS = (sample.atMs - this.startMs) / 1000;
    if (voltages.length && median(voltages) <= endV && outA > 0) this.ended = 'end-voltage';
    else if (elapsedS >= this.opts.maxDurationS) this.ended = 'time-limit';
    else if (this.noCurrentS >= this.opts.stoppedAfterS && this.ah > 0) this.ended = 'discharge-stopped';
    return this.ended;
  }

  abort(): void {
    this.ended ??= 'aborted';
  }

  result(nowMs: number): StringTestResult {
    const L = this.layout;
    const durationS = Math.max(0, ((this.lastMs ?? nowMs) - this.startMs) / 1000);
    const meanCurrentA = this.dischargeS > 0 ? (this.ah * 3600) / this.dischargeS : null;
    const endV = this.endVoltageV;
    const capacities = this.blocks.map((b) => {
      if (b.crossedAh !== null) return { c: b.crossedAh, method: 'measured' as const };
      // Close to the end voltage, the block's own curve says where it would have got there.
      const q = b.curve.length ? shepherdCutoffAh(b.curve, endV, this.ah, L.ratedCapacityAh) : null;
      if (q !== null && q <= this.ah * 1.25) return { c: Math.max(q, this.ah), method: 'extrapolated' as const };
      return { c: null, method: 'none' as const };
    });
    const known = capacities.map((c) => c.c).filter((c): c is number => c !== null);
    const medianCap = known.length >= Math.ceil(this.blocks.length / 2) ? median(known) : null;
    const blocks: BlockTestResult[] = this.blocks.map((b, k) => {
      const { c, method } = capacities[k];
      const meanT = b.tS > 0 ? b.tSum / b.tS : null;
      const c10 = c !== null && meanCurrentA !== null ? capacityAt25C(capacityAtC10(c, meanCurrentA), meanT ?? 25, b.crossedS ?? durationS) : null;
      return {
        string: L.string,
        module: k + 1,
        global: L.firstGlobal + k,
        deliveredAh: round(this.ah, 3),
        deliveredWh: round(b.wh, 1),
        timeToEndVoltageS: b.crossedS === null ? null : Math.round(b.crossedS),
        capacityAtRateAh: c === null ? null : round(c, 2),
        capacityMethod: method,
        atLeastAh: round(this.ah, 2),
        capacityC10At25Ah: c10 === null ? null : round(c10, 2),
        capacityPercent: c10 === null ? null : round((c10 / L.ratedCapacityAh) * 100, 1),
        meanTemperatureC: meanT === null ? null : round(meanT, 2),
        endVoltageV: b.lastV,
        collapsedEarly: b.crossedAh !== null && medianCap !== null && b.crossedAh < this.opts.earlyFraction * medianCap,
      };
    });
    const ends = blocks.filter((b) => b.endVoltageV !== null).map((b) => b.endVoltageV!);
    const meanV = ends.length ? ends.reduce((a, v) => a + v, 0) / ends.length : null;
    return {
      string: L.string,
      ratedCapacityAh: L.ratedCapacityAh,
      cells: L.cells,
      endVoltageV: round(endV, 3),
      meanCurrentA: meanCurrentA === null ? null : round(meanCurrentA, 3),
      deliveredAh: round(this.ah, 3),
      durationS: Math.round(durationS),
      blocks,
      endOfDischarge: {
        meanV: meanV === null ? null : round(meanV, 3),
        medianV: ends.length ? round(median(ends), 3) : null,
        ranking: blocks.filter((b) => b.endVoltageV !== null)
          .sort((a, b) => (a.timeToEndVoltageS ?? Infinity) - (b.timeToEndVoltageS ?? Infinity) || a.endVoltageV! - b.endVoltageV!)
          .map((b) => ({ module: b.module, voltageV: b.endVoltageV!, belowMeanV: round((meanV ?? 0) - b.endVoltageV!, 3), timeToEndVoltageS: b.timeToEndVoltageS })),
        collapsedEarly: blocks.filter((b) => b.collapsedEarly).sort((a, b) => (a.capacityAtRateAh ?? 0) - (b.capacityAtRateAh ?? 0)).map((b) => b.module),
      },
    };
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
