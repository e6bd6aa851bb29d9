// Cell chemistries the string physics simulates, per cell, with their sources. This table is the
// simulator's own: the gateway's estimators (engine/lead-acid.ts) must not import it, so that they are
// tested against a battery whose constants they do not share.
import { MODULE_TYPES, ModuleType } from '@kirchhoff/core';

export const CHEMISTRIES = ['vrla-agm', 'vrla-gel', 'vented', 'nicd'] as const;
export type ChemistryName = (typeof CHEMISTRIES)[number];

export function isChemistry(name: string): name is ChemistryName {
  return (CHEMISTRIES as readonly string[]).includes(name);
}

/**
 * Discharge model: a kinetic battery model (KiBaM, Manwell & McGowan 1993) gives the rate-capacity
 * (Peukert) effect and the recovery after a pause: the charge sits in an available well (fraction
 * `wellFraction`) and a bound well that refills it at `rateConstantPerH`. The terminal voltage adds
 * a Shepherd (1965) polarization `shepherdOhmAh / C * I * (1/h1 - 1)` that grows as the available
 * well empties (the end-of-discharge knee) and a Tafel-type activation overvoltage of the discharge
 * reaction (`activationVPerCell` per e-fold of I / exchangeCurrentPerAh).
 */
export interface DischargeModel {
  /** Charge of a full block relative to its rated (C10) capacity. */
  readonly totalChargeFactor: number;
  readonly wellFraction: number;
  readonly rateConstantPerH: number;
  /** Shepherd coefficient per cell, ohm x Ah (divide by the capacity for ohms). */
  readonly shepherdOhmAh: number;
  readonly activationVPerCell: number;
  readonly exchangeCurrentPerAh: number;
  /** The well exchange speeds up (and the Shepherd term falls) 2x per this many kelvin. */
  readonly kineticsDoublingK: number;
}

export interface Chemistry {
  readonly name: ChemistryName;
  readonly label: string;
  readonly cellNominalV: number;
  /** Open-circuit voltage per cell at 0, 10, ... 100 % state of charge, settled, 25 deg C. */
  readonly ocvPerCellV: readonly number[];
  readonly floatVPerCell: number;
  readonly boostVPerCell: number;
  /** Fraction of capacity lost per month at 25 deg C, new. */
  readonly selfDischargePerMonth: number;
  /** Float current at the float voltage, 25 deg C, new, per Ah. */
  readonly floatCurrentAPerAh: number;
  /** Slope of the float (gassing/oxygen-cycle) current, volts per decade per cell. */
  readonly tafelVPerDecadePerCell: number;
  /** Self-discharge and float current double every this many kelvin. */
  readonly doublingK: number;
  /** Internal resistance of a full new block, ohm x Ah per cell (divide by the capacity). */
  readonly resistanceOhmAhPerCell: number;
  /** Years of float life to 80 % capacity at 20-25 deg C (the ageing clock). */
  readonly designLifeYears: number;
  readonly discharge: DischargeModel;
  /** Where the figures come from. */
  readonly source: string;
}

/** Linear open-circuit voltage per cell from the acid density: V = SG + 0.84 (Nernst, lead-acid). */
function fromGravity(full: number, empty: number): number[] {
  return Array.from({ length: 11 }, (_, i) => Math.round((0.84 + empty + ((full - empty) * i) / 10) * 10000) / 10000);
}

// VRLA AGM: the discharge constants are fitted to the constant-current table of a 12 V 100 Ah AGM block
// (USF12-100A datasheet, 25 deg C, 1.75 V/cell; see docs/physics.md for the table and the fit).
const AGM_DISCHARGE: DischargeModel = {
  totalChargeFactor: 1.1472,
  wellFraction: 0.5482,
  rateConstantPerH: 0.1805,
  shepherdOhmAh: 0.011622,
  activationVPerCell: 0.006615,
  exchangeCurrentPerAh: 0.003,
  kineticsDoublingK: 20,
};

export const CHEMISTRY: Readonly<Record<ChemistryName, Chemistry>> = {
  'vrla-agm': {
    name: 'vrla-agm',
    label: 'VRLA AGM',
    cellNominalV: 2,
    // SG 1.28 full, 1.09 at the end of a C20 discharge.
    ocvPerCellV: fromGravity(1.28, 1.09),
    floatVPerCell: 2.27,
    boostVPerCell: 2.4,
    selfDischargePerMonth: 0.03,
    floatCurrentAPerAh: 0.0007,
    tafelVPerDecadePerCell: 0.12,
    doublingK: 10,
    resistanceOhmAhPerCell: 0.075,
    designLifeYears: 10,
    discharge: AGM_DISCHARGE,
    source: 'USF12-100A 12 V 100 Ah AGM datasheet (discharge table, 4.3 mOhm, 3 %/month, float 2.25-2.30 V/cell, capacity vs temperature); '
      + 'float current 0.5-1 mA/Ah at 25 deg C and doubling per 10 K, Tafel slope 0.1-0.14 V/decade (VRLA float-current literature, e.g. Berndt, Maintenance-free batteries), 0.12 taken',
  },
  'vrla-gel': {
    name: 'vrla-gel',
    label: 'VRLA gel',
    cellNominalV: 2,
    ocvPerCellV: fromGravity(1.26, 1.08),
    floatVPerCell: 2.25,
    boostVPerCell: 2.35,
    selfDischargePerMonth: 0.02,
    floatCurrentAPerAh: 0.0005,
    tafelVPerDecadePerCell: 0.12,
    doublingK: 10,
    resistanceOhmAhPerCell: 0.095,
    designLifeYears: 12,
    // Gel: the immobilised acid diffuses more slowly: less of the charge at high rates.
    discharge: { ...AGM_DISCHARGE, wellFraction: 0.5, rateConstantPerH: 0.33, shepherdOhmAh: 0.06 / 6 },
    source: 'typical gel OPzV/12 V gel datasheets: float 2.25 V/cell, boost 2.35-2.40, about 2 %/month; discharge constants scaled from the AGM fit (not validated)',
  },
  vented: {
    name: 'vented',
    label: 'vented (flooded) lead-acid',
    cellNominalV: 2,
    ocvPerCellV: fromGravity(1.24, 1.07),
    floatVPerCell: 2.23,
    boostVPerCell: 2.35,
    selfDischargePerMonth: 0.03,
    floatCurrentAPerAh: 0.0003,
    tafelVPerDecadePerCell: 0.11,
    doublingK: 10,
    resistanceOhmAhPerCell: 0.1,
    designLifeYears: 18,
    discharge: { ...AGM_DISCHARGE, totalChargeFactor: 1.08, wellFraction: 0.55, rateConstantPerH: 0.45 },
    source: 'typical OPzS (low-antimony, SG 1.24) datasheets: float 2.23 V/cell, boost 2.33-2.40, about 3 %/month at 20-25 deg C; discharge constants scaled from the AGM fit (not validated)',
  },
  nicd: {
    name: 'nicd',
    label: 'NiCd (pocket plate)',
    cellNominalV: 1.2,
    // Nearly flat: the rest voltage says little about charge.
    ocvPerCellV: [1.17, 1.2, 1.22, 1.235, 1.245, 1.255, 1.265, 1.275, 1.285, 1.3, 1.33],
    floatVPerCell: 1.42,
    boostVPerCell: 1.55,
    selfDischargePerMonth: 0.05,
    floatCurrentAPerAh: 0.001,
    tafelVPerDecadePerCell: 0.06,
    doublingK: 10,
    resistanceOhmAhPerCell: 0.05,
    designLifeYears: 20,
    discharge: { ...AGM_DISCHARGE, totalChargeFactor: 1.1, wellFraction: 0.65, rateConstantPerH: 0.8, shepherdOhmAh: 0.02 / 6, kineticsDoublingK: 20 },
    source: 'typical stationary pocket-plate NiCd datasheets: float 1.40-1.42 V/cell, boost 1.50-1.65, about 5 %/month at 20-25 deg C; discharge constants representative (not validated)',
  },
};

/** Cells in one block of a module type: as many as give the block's nominal voltage (at least one). */
export function cellsPerBlock(type: ModuleType, chemistry: Chemistry): number {
  return Math.max(1, Math.round(MODULE_TYPES[type].blockNominalV / chemistry.cellNominalV));
}

/** Open-circuit voltage per cell at a state of charge (fraction 0..1), from the chemistry's table. */
export function ocvPerCell(chemistry: Chemistry, soc: number): number {
  const x = (soc <= 0 ? 0 : soc >= 1 ? 1 : soc) * 10;
  const i = x >= 10 ? 9 : Math.floor(x);
  const t = chemistry.ocvPerCellV;
  return t[i] + (t[i + 1] - t[i]) * (x - i);
}

/**
 * Ageing of a block on float after `ageYears`, relative to new, as fractions of the design life `L`
 * (float life ends at 80 % capacity, where float current has doubled and Ri has risen about 50 %).
 */
export function ageing(chemistry: Chemistry, ageYears: number): { capacity: number; floatCurrent: number; selfDischarge: number; resistance: number } {
  const x = Math.max(0, ageYears) / chemistry.designLifeYears;
  return {
    capacity: Math.max(0.3, 1 - 0.2 * x * x),
    floatCurrent: 1 + x,
    selfDischarge: 1 + 0.5 * x,
    resistance: 1 + 0.5 * x,
  };
}
