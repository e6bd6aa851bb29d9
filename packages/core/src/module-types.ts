// Measuring module types and their ranges, from the battery domain reference.

export type ModuleType = 'C20' | 'C23' | 'C30' | 'C40' | 'C41';

export interface ModuleTypeSpec {
  readonly type: ModuleType;
  readonly blockNominalV: number;
  readonly voltageMinV: number;
  readonly voltageMaxV: number;
  readonly resistanceMinOhm: number;
  readonly resistanceMaxOhm: number;
  readonly bypassCurrentA: number;
  /** Float voltage per block at 25 deg C (2.27 V per lead-acid cell). */
  readonly floatVoltageV: number;
}

export const MODULE_TYPES: Readonly<Record<ModuleType, ModuleTypeSpec>> = {
  C23: { type: 'C23', blockNominalV: 16, voltageMinV: 9.7, voltageMaxV: 21, resistanceMinOhm: 0.0005, resistanceMaxOhm: 0.06, bypassCurrentA: 0.12, floatVoltageV: 18.16 },
  C20: { type: 'C20', blockNominalV: 12, voltageMinV: 9.7, voltageMaxV: 17, resistanceMinOhm: 0.0005, resistanceMaxOhm: 0.06, bypassCurrentA: 0.15, floatVoltageV: 13.62 },
  C30: { type: 'C30', blockNominalV: 6, voltageMinV: 4.8, voltageMaxV: 8.0, resistanceMinOhm: 0.0005, resistanceMaxOhm: 0.06, bypassCurrentA: 0.3, floatVoltageV: 6.81 },
  C41: { type: 'C41', blockNominalV: 4, voltageMinV: 2.4, voltageMaxV: 5.0, resistanceMinOhm: 0.0005, resistanceMaxOhm: 0.03, bypassCurrentA: 0.3, floatVoltageV: 4.54 },
  C40: { type: 'C40', blockNominalV: 2, voltageMinV: 1.2, voltageMaxV: 3.2, resistanceMinOhm: 0.00002, resistanceMaxOhm: 0.006, bypassCurrentA: 0.9, floatVoltageV: 2.27 },
};

export const MODULE_TYPE_NAMES = Object.keys(MODULE_TYPES) as ModuleType[];

export function isModuleType(value: unknown): value is ModuleType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(MODULE_TYPES, value);
}
