// Lead-acid facts the gateway relies on (datasheet figures, per cell): the rest-voltage table,
// float and boost voltages, self-discharge and its temperature dependence, default capacities.
// The string physics uses the same figures so that a simulated block behaves like a datasheet one.
import { MODULE_TYPES, ModuleType } from '@kirchhoff/core';

/**
 * Open-circuit (settled rest) voltage per cell by state of charge, 0..100 % of the C10 capacity in
 * steps of 10: the rest-voltage tables that makers of 12 V AGM blocks publish, 12.8 V full and about
 * 11.8 V once the C10 capacity has been taken out, close to a straight line between (1.65 mV per cell
 * per percent: the acid density falls linearly with the charge taken out, and the rest voltage follows
 * it, V = SG + 0.84 per cell).
 */
const OCV_PER_CELL_V = Array.from({ length: 11 }, (_, i) => 1.965 + 0.0165 * i);

export const FLOAT_VOLTS_PER_CELL = 2.27;
export const BOOST_VOLTS_PER_CELL = 2.4;
/** Self-discharge at 25 deg C, fraction of capacity per second (3 % per month). */
export const SELF_DISCHARGE_PER_S_25C = 0.03 / (30 * 86_400);
/** Self-discharge and float current double every 10 K. */
export const DOUBLING_K = 10;

/**
 * Rate dependence of the charge a block gives to the cut-off (Peukert): at current I it gives
 * (C10 / (10 I))^(n - 1) of its C10 capacity. Typical VRLA datasheet tables (1 h to 10 h rates)
 * give n = 1.2-1.3; the estimator starts from this and a discharge to the cut-off refines the capacity.
 */
export const PEUKERT_EXPONENT = 1.25;

/** Fraction of the C10 capacity a block of `capacityAh` gives to the cut-off at `currentA` (capped for slow rates). */
export function deliverableFraction(capacityAh: number, currentA: number, exponent = PEUKERT_EXPONENT): number {
  if (!(currentA > 0)) return 1;
  return Math.min(1.15, Math.pow(capacityAh / (10 * currentA), exponent - 1));
}

export function cellsOf(type: ModuleType): number {
  return Math.round(MODULE_TYPES[type].blockNominalV / 2);
}

/** Nominal capacity when the configuration gives none (typical UPS blocks of each size). */
export function defaultCapacityAh(type: ModuleType): number {
  return { C20: 100, C23: 80, C30: 200, C41: 300, C40: 1000 }[type];
}

/** Temperature factor of self-discharge and float current relative to 25 deg C. */
export function arrhenius(temperatureC: number): number {
  return Math.pow(2, (temperatureC - 25) / DOUBLING_K);
}

/** Datasheet rest voltage of a block at `socPercent`. */
export function restVoltageV(type: ModuleType, socPercent: number): number {
  const x = Math.min(100, Math.max(0, socPercent)) / 10;
  const i = Math.min(9, Math.floor(x));
  const perCell = OCV_PER_CELL_V[i] + (OCV_PER_CELL_V[i + 1] - OCV_PER_CELL_V[i]) * (x - i);
  return perCell * cellsOf(type);
}

/** The plain rest-voltage lookup (datasheet table inverted), clamped to 0..100 %. */
export function socFromRestVoltage(type: ModuleType, voltageV: number): number {
  const perCell = voltageV / cellsOf(type);
  if (perCell <= OCV_PER_CELL_V[0]) return 0;
  if (perCell >= OCV_PER_CELL_V[10]) return 100;
  let i = 0;
  while (OCV_PER_CELL_V[i + 1] < perCell) i++;
  return 10 * (i + (perCell - OCV_PER_CELL_V[i]) / (OCV_PER_CELL_V[i + 1] - OCV_PER_CELL_V[i]));
}

/** Slope of the rest voltage per percent of charge at `socPercent`, volts per block. */
export function restVoltageSlopeVPerPercent(type: ModuleType, socPercent: number): number {
  const s = Math.min(99, Math.max(1, socPercent));
  return (restVoltageV(type, s + 1) - restVoltageV(type, s - 1)) / 2;
}
