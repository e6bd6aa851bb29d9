// The seam between the module bus emulator (which speaks the bus protocol) and whatever stands
// behind the modules: the string physics in simulation, or a test's fixed values.
import type { ModuleType } from '@kirchhoff/core';

export interface ModuleReadout {
  readonly voltageV: number;
  readonly temperatureC: number;
  /** Last internal-resistance measurement. */
  readonly resistanceOhm: number;
  readonly fuseBlown: boolean;
  /** The module stopped its own bypass because it is too hot. */
  readonly overTemperature: boolean;
  /** Bypass duty the module is applying now, 0..100. */
  readonly bypassDutyPercent: number;
}

export interface ModuleBank {
  readonly layout: readonly { readonly modules: number; readonly moduleType: ModuleType }[];
  /** What the module at this global number measures now; null when it does not answer (lost). */
  readout(global: number): ModuleReadout | null;
  /** Starts an Ri measurement (a short load pulse); returns the new value, null when lost. */
  measureResistance(global: number): number | null;
  setBypassDuty(global: number, dutyPercent: number): void;
  clearFuse(global: number): void;
}
