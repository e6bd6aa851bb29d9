// A ModuleBank with plausible, fixed readings (a spread around float voltage, room temperature,
// type-typical Ri): stands behind the emulator in tests and when no physics is wanted.
import { MODULE_TYPES, ModuleType } from '@kirchhoff/core';
import type { ModuleBank, ModuleReadout } from './module-bank';

export interface FixedBank extends ModuleBank {
  /** The module stops answering (false) or comes back (true). */
  setPresent(global: number, present: boolean): void;
  blowFuse(global: number): void;
  setTemperature(global: number, temperatureC: number): void;
}

interface Block {
  voltageV: number;
  temperatureC: number;
  resistanceOhm: number;
  fuseBlown: boolean;
  dutyPercent: number;
  present: boolean;
}

/** Modules above this temperature stop bypassing on their own, as real modules do. */
const BYPASS_LIMIT_C = 55;

export function createFixedBank(layout: readonly { modules: number; moduleType: ModuleType }[], seed = 1): FixedBank {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
  const blocks: Block[] = [];
  for (const str of layout) {
    const spec = MODULE_TYPES[str.moduleType];
    for (let m = 0; m < str.modules; m++) {
      blocks.push({
        voltageV: round(spec.floatVoltageV + (rand() - 0.5) * 0.3, 3),
        temperatureC: round(23 + rand() * 3, 1),
        resistanceOhm: round(Math.max(spec.resistanceMinOhm, spec.resistanceMaxOhm * (0.06 + rand() * 0.02)), 6),
        fuseBlown: false,
        dutyPercent: 0,
        present: true,
      });
    }
  }
  const at = (global: number) => {
    const b = blocks[global - 1];
    if (!b) throw new RangeError(`no module ${global} in this bank (1..${blocks.length})`);
    return b;
  };
  const overTemperature = (b: Block) => b.temperatureC > BYPASS_LIMIT_C;
  return {
    layout: layout.map((l) => ({ modules: l.modules, moduleType: l.moduleType })),
    readout(global): ModuleReadout | null {
      const b = at(global);
      if (!b.present) return null;
      const duty = b.fuseBlown || overTemperature(b) ? 0 : b.dutyPercent;
      return { voltageV: b.fuseBlown ? 0 : b.voltageV, temperatureC: b.temperatureC, resistanceOhm: b.resistanceOhm, fuseBlown: b.fuseBlown, overTemperature: overTemperature(b), bypassDutyPercent: duty };
    },
    measureResistance(global) {
      const b = at(global);
      if (!b.present) return null;
      // A new measurement scatters within the modules' stated accuracy.
      b.resistanceOhm = round(b.resistanceOhm * (0.98 + rand() * 0.04), 6);
      return b.resistanceOhm;
    },
    setBypassDuty(global, dutyPercent) {
      at(global).dutyPercent = Math.max(0, Math.min(100, Math.round(dutyPercent)));
    },
    clearFuse(global) {
      at(global).fuseBlown = false;
    },
    setPresent(global, present) {
      at(global).present = present;
    },
    blowFuse(global) {
      at(global).fuseBlown = true;
    },
    setTemperature(global, temperatureC) {
      at(global).temperatureC = temperatureC;
    },
  };
}

function round(v: number, digits: number): number {
  return Math.round(v * 10 ** digits) / 10 ** digits;
}
