// Numbering shared by every protocol: strings 1..16, modules 1..N in a string, global 1..512 in string order.
import { KirchhoffError } from './errors';
import { ModuleType, isModuleType, MODULE_TYPE_NAMES } from './module-types';

export const MAX_STRINGS = 16;
export const MAX_MODULES = 512;

export interface StringLayout {
  /** Modules in this string (blocks in series). */
  readonly modules: number;
  readonly moduleType: ModuleType;
  readonly name?: string;
  /** Nominal capacity of the string in ampere-hours (C10). */
  readonly capacityAh?: number;
}

export interface ModuleAddress {
  readonly string: number;
  readonly module: number;
  readonly global: number;
}

export class TopologyError extends KirchhoffError {}

/** Maps between (string, module) and the global module number, for a validated layout. */
export class Topology {
  private readonly firstGlobal: number[] = [];
  readonly moduleCount: number;

  constructor(readonly strings: readonly StringLayout[]) {
    if (strings.length < 1 || strings.length > MAX_STRINGS) {
      throw new TopologyError('topology.strings', `a site has 1..${MAX_STRINGS} strings, got ${strings.length}`);
    }
    let next = 1;
    strings.forEach((s, i) => {
      if (!Number.isInteger(s.modules) || s.modules < 1) {
        throw new TopologyError('topology.modules', `string ${i + 1}: modules must be a whole number >= 1, got ${s.modules}`);
      }
      if (!isModuleType(s.moduleType)) {
        throw new TopologyError('topology.moduleType', `string ${i + 1}: moduleType ${String(s.moduleType)} is not one of ${MODULE_TYPE_NAMES.join(', ')}`);
      }
      this.firstGlobal.push(next);
      next += s.modules;
    });
    this.moduleCount = next - 1;
    if (this.moduleCount > MAX_MODULES) {
      throw new TopologyError('topology.modules', `a site has at most ${MAX_MODULES} modules, the layout has ${this.moduleCount}`);
    }
  }

  get stringCount(): number {
    return this.strings.length;
  }

  /** Global number of (string, module), or undefined when it does not exist. */
  globalOf(string: number, module: number): number | undefined {
    const s = this.strings[string - 1];
    if (!s || !Number.isInteger(module) || module < 1 || module > s.modules) return undefined;
    return this.firstGlobal[string - 1] + module - 1;
  }

  /** (string, module) of a global number, or undefined when it does not exist. */
  addressOf(global: number): ModuleAddress | undefined {
    if (!Number.isInteger(global) || global < 1 || global > this.moduleCount) return undefined;
    let lo = 0;
    let hi = this.firstGlobal.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firstGlobal[mid] <= global) lo = mid;
      else hi = mid - 1;
    }
    return { string: lo + 1, module: global - this.firstGlobal[lo] + 1, global };
  }

  firstGlobalOf(string: number): number {
    return this.firstGlobal[string - 1];
  }

  *addresses(): Generator<ModuleAddress> {
    for (let g = 1; g <= this.moduleCount; g++) yield this.addressOf(g)!;
  }
}

/** The label operators see everywhere: `S02-M07`. */
export function moduleLabel(string: number, module: number): string {
  return `S${String(string).padStart(2, '0')}-M${String(module).padStart(2, '0')}`;
}

export function stringLabel(string: number): string {
  return `S${String(string).padStart(2, '0')}`;
}
