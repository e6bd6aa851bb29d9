// Thresholds and the pure level evaluation: warning/alarm, high/low, hysteresis, raise delay.
import { MODULE_TYPES, ModuleType } from '../module-types';

export interface Threshold {
  readonly warnHigh?: number | null;
  readonly alarmHigh?: number | null;
  readonly warnLow?: number | null;
  readonly alarmLow?: number | null;
  /** A raised level clears only once the value is back past its limit by this much. */
  readonly hysteresis: number;
  /** A level is raised only after the condition has held this long; clearing is immediate. */
  readonly delayMs: number;
}

/**
 * How Ri is compared: `absolute` in ohms; `string-mean` and `baseline` in percent above the
 * string's mean Ri or above the module's commissioning baseline.
 */
export type ResistanceMode = 'absolute' | 'string-mean' | 'baseline';
export const RESISTANCE_MODES: readonly ResistanceMode[] = ['absolute', 'string-mean', 'baseline'];

export interface ResistanceThreshold extends Threshold {
  readonly mode: ResistanceMode;
}

/** The thresholds a site evaluates, per measurement kind (sensors per sensor id). */
export interface ThresholdSet {
  /** Block voltage, V. */
  readonly moduleVoltage: Threshold;
  /** Block surface temperature, deg C. */
  readonly moduleTemperature: Threshold;
  /** Block Ri. */
  readonly moduleResistance: ResistanceThreshold;
  /** Largest |V - target| within a string, V (high limits only). */
  readonly stringImbalance: Threshold;
  /** String DC current, A (positive = charging). */
  readonly stringCurrent: Threshold;
  /** String AC ripple current, A. */
  readonly stringRipple: Threshold;
  /** Differential (ground-fault) current, A. */
  readonly stringGroundFault: Threshold;
  /** Per sensor id, in the sensor's unit. */
  readonly sensors: Readonly<Record<string, Threshold>>;
}

export type ThresholdKey = Exclude<keyof ThresholdSet, 'sensors'> | `sensors.${number}`;
export const THRESHOLD_KINDS: readonly Exclude<keyof ThresholdSet, 'sensors'>[] = [
  'moduleVoltage', 'moduleTemperature', 'moduleResistance', 'stringImbalance', 'stringCurrent', 'stringRipple', 'stringGroundFault',
];

export type Level = 'normal' | 'warning' | 'alarm';
export type Direction = 'high' | 'low';

export interface LevelState {
  readonly level: Level;
  readonly direction: Direction | null;
  /** A more severe level waiting for its delay to pass. */
  readonly pending: { readonly level: Level; readonly direction: Direction; readonly sinceMs: number } | null;
}

export const NORMAL: LevelState = Object.freeze({ level: 'normal', direction: null, pending: null });

const RANK: Record<Level, number> = { normal: 0, warning: 1, alarm: 2 };

function holds(value: number, limit: number | null | undefined, dir: Direction, wasActive: boolean, hysteresis: number): boolean {
  if (limit === null || limit === undefined) return false;
  // Limits are decimal settings (14.1 - 0.05): compare with a tolerance far below any resolution.
  const eps = 1e-9 * Math.max(1, Math.abs(limit));
  if (dir === 'high') return value >= limit - eps || (wasActive && value > limit - hysteresis + eps);
  return value <= limit + eps || (wasActive && value < limit + hysteresis - eps);
}

/** The level the value is at now, before any delay, given hysteresis around the current level. */
export function rawLevel(value: number, t: Threshold, current: LevelState): { level: Level; direction: Direction | null } {
  const at = (level: Level, dir: Direction) => current.direction === dir && RANK[current.level] >= RANK[level];
  if (holds(value, t.alarmHigh, 'high', at('alarm', 'high'), t.hysteresis)) return { level: 'alarm', direction: 'high' };
  if (holds(value, t.alarmLow, 'low', at('alarm', 'low'), t.hysteresis)) return { level: 'alarm', direction: 'low' };
  if (holds(value, t.warnHigh, 'high', at('warning', 'high'), t.hysteresis)) return { level: 'warning', direction: 'high' };
  if (holds(value, t.warnLow, 'low', at('warning', 'low'), t.hysteresis)) return { level: 'warning', direction: 'low' };
  return { level: 'normal', direction: null };
}

/**
 * Next level state of one measurement. A missing value (null) keeps the state: an alarm is not
 * cleared because a reading failed (communication loss has its own alarm).
 */
export function evaluateLevel(value: number | null, t: Threshold, current: LevelState, nowMs: number): LevelState {
  if (value === null || !Number.isFinite(value)) return current;
  const raw = rawLevel(value, t, current);
  if (raw.level === current.level && raw.direction === current.direction) {
    return current.pending ? { level: current.level, direction: current.direction, pending: null } : current;
  }
  const escalates = RANK[raw.level] > RANK[current.level] || (raw.level !== 'normal' && raw.direction !== current.direction);
  if (!escalates) return { level: raw.level, direction: raw.direction, pending: null };
  const dir = raw.direction as Direction;
  const p = current.pending;
  // A pending alarm that falls back to warning keeps its start: the warning condition held too.
  const sinceMs = p && p.direction === dir && RANK[p.level] >= RANK[raw.level] ? p.sinceMs : nowMs;
  if (nowMs - sinceMs >= t.delayMs) return { level: raw.level, direction: dir, pending: null };
  return { level: current.level, direction: current.direction, pending: { level: raw.level, direction: dir, sinceMs } };
}

/**
 * The number Ri thresholds are compared with: ohms for `absolute`, else percent above the
 * reference (string mean or baseline); null when the reference is not known.
 */
export function resistanceForMode(valueOhm: number | null, mode: ResistanceMode, stringMeanOhm: number | null, baselineOhm: number | null): number | null {
  if (valueOhm === null) return null;
  if (mode === 'absolute') return valueOhm;
  const ref = mode === 'string-mean' ? stringMeanOhm : baselineOhm;
  if (ref === null || !(ref > 0)) return null;
  return (valueOhm / ref - 1) * 100;
}

/** Checks a threshold's internal order; returns the problems, empty when valid. */
export function thresholdProblems(t: Partial<Threshold>): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (v !== null && v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) problems.push(`${k} must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (problems.length) return problems;
  const lt = (a: keyof Threshold, b: keyof Threshold) => {
    const x = t[a] as number | null | undefined;
    const y = t[b] as number | null | undefined;
    if (x != null && y != null && !(x < y)) problems.push(`${a} (${x}) must be below ${b} (${y})`);
  };
  lt('alarmLow', 'warnLow');
  lt('warnLow', 'warnHigh');
  lt('warnHigh', 'alarmHigh');
  lt('alarmLow', 'alarmHigh');
  if (t.hysteresis != null && t.hysteresis < 0) problems.push(`hysteresis must be >= 0, got ${t.hysteresis}`);
  if (t.delayMs != null && t.delayMs < 0) problems.push(`delayMs must be >= 0, got ${t.delayMs}`);
  return problems;
}

/**
 * Defaults for VRLA blocks of `moduleType` (C20 12 V blocks when absent). Voltages are per cell
 * times the cells of the block (2.35/2.40 V high: above float 2.27, at boost 2.40 V; 2.00/1.90 V
 * low: a block under 2.0 V per cell at rest is below 30 % and 1.90 V is near the 1.75 V end of
 * discharge under load), so a 2 V cell is not judged by 12 V limits. Temperatures: VRLA life halves
 * every 10 K above 25 degC; 40 degC warns, 45 degC is an alarm (manufacturers: not charged above
 * 50 degC, which the runaway protection trips on). Float current is per 100 Ah of the site's first string.
 */
export function defaultThresholds(moduleType: ModuleType = 'C20', capacityAh = 100): ThresholdSet {
  const cells = MODULE_TYPES[moduleType].blockNominalV / 2;
  const v = (perCell: number) => Math.round(perCell * cells * 1000) / 1000;
  const perAh = capacityAh / 100;
  return {
    moduleVoltage: { warnHigh: v(2.35), alarmHigh: v(2.4), warnLow: v(2.0), alarmLow: v(1.9), hysteresis: v(0.05 / 6), delayMs: 10_000 },
    moduleTemperature: { warnHigh: 40, alarmHigh: 45, warnLow: 5, alarmLow: 0, hysteresis: 1, delayMs: 10_000 },
    moduleResistance: { mode: 'string-mean', warnHigh: 30, alarmHigh: 50, hysteresis: 5, delayMs: 0 },
    stringImbalance: { warnHigh: v(0.1 / 6), alarmHigh: v(0.25 / 6), hysteresis: v(0.01 / 6), delayMs: 60_000 },
    stringCurrent: { warnHigh: 5 * perAh, alarmHigh: 10 * perAh, hysteresis: 0.2 * perAh, delayMs: 60_000 },
    stringRipple: { warnHigh: 5 * perAh, alarmHigh: 10 * perAh, hysteresis: 0.5 * perAh, delayMs: 10_000 },
    stringGroundFault: { warnHigh: 0.03, alarmHigh: 0.1, hysteresis: 0.005, delayMs: 2_000 },
    sensors: {},
  };
}
