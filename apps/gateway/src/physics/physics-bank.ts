// The string physics behind the ModuleBank seam: what each simulated module measures and does,
// with its resolution (1 mV, 0.1 deg C, 0.01 mOhm) and a little measurement noise.
import type { ModuleBank, ModuleReadout } from '../bus/module-bank';
import { BatteryPhysics, MODULE_SELF_PROTECT_C } from './battery-physics';

export interface PhysicsBank extends ModuleBank {
  readonly physics: BatteryPhysics;
}

const round = (v: number, step: number) => Math.round(v / step) * step;
/**
 * `v` at the module's resolution (step = 1 / perUnit): the same number as
 * Number(round(v, step).toFixed(digits)) without formatting a string on every reading. The
 * division is the double nearest to k / perUnit, as parsing the decimal is; + 0 makes -0 a 0 as the string did.
 */
const quantize = (v: number, step: number, perUnit: number) => Math.round(v / step) / perUnit + 0;

export function createPhysicsBank(physics: BatteryPhysics): PhysicsBank {
  const lastRi = new Float64Array(physics.moduleCount);
  const measure = (global: number) => {
    const ri = physics.truth(global).resistanceOhm * (1 + 0.04 * physics.noise());
    return (lastRi[global - 1] = Number(round(ri, 1e-5).toFixed(5)));
  };
  for (let g = 1; g <= physics.moduleCount; g++) measure(g);

  return {
    physics,
    layout: physics.strings.map((s) => ({ modules: s.count, moduleType: s.type })),
    readout(global: number): ModuleReadout | null {
      if (physics.isLost(global)) return null;
      const t = physics.truth(global);
      const fuseBlown = physics.isFuseBlown(global);
      return {
        // With its measuring-cable fuse open the module sees no block voltage at all.
        voltageV: fuseBlown ? 0 : quantize(t.voltageV + 0.001 * physics.noise(), 0.001, 1000),
        temperatureC: quantize(t.temperatureC + 0.05 * physics.noise(), 0.1, 10),
        resistanceOhm: lastRi[global - 1],
        fuseBlown,
        overTemperature: t.temperatureC > MODULE_SELF_PROTECT_C,
        bypassDutyPercent: physics.bypassDutyPercent(global),
      };
    },
    measureResistance(global: number): number | null {
      return physics.isLost(global) ? null : measure(global);
    },
    setBypassDuty(global: number, dutyPercent: number): void {
      if (!physics.isLost(global)) physics.setBypassDuty(global, dutyPercent);
    },
    clearFuse(global: number): void {
      if (!physics.isLost(global)) physics.setFault(global, 'fuse-blown', false);
    },
  };
}
