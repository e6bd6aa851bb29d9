// Applies --fault specs (demo/faults.ts) to the string physics as simulated time passes.
import { FaultSpec, faultActive } from '../demo/faults';
import { BatteryPhysics, BlockFault, ChargerSetting } from './battery-physics';

const BLOCK_FAULTS: readonly string[] = ['weak-block', 'high-ri', 'fuse-blown', 'module-lost', 'thermal-runaway'] satisfies BlockFault[];

/** Fault kinds the string physics simulates; the rest (ground fault, sensors) belong to the demo. */
export const PHYSICS_FAULT_KINDS: readonly string[] = [...BLOCK_FAULTS, 'ups-on-battery'];

/** Where a fault applies, with the defaults (string 1, module 1); throws RangeError when outside the site. */
export function faultTarget(physics: BatteryPhysics, f: FaultSpec): { string: number; module: number; global: number } {
  const string = f.string ?? 1;
  const module = f.module ?? 1;
  const s = physics.strings[string - 1];
  if (!s) throw new RangeError(`fault ${f.kind}: no string ${string} (1..${physics.strings.length})`);
  if (module < 1 || module > s.count) throw new RangeError(`fault ${f.kind}: string ${string} has modules 1..${s.count}, not ${module}`);
  return { string, module, global: s.first + module };
}

export class FaultSchedule {
  private readonly state = new Map<FaultSpec, boolean>();

  /** `upsLoad`: what the strings discharge into while a ups-on-battery fault is active. */
  constructor(private readonly physics: BatteryPhysics, readonly faults: readonly FaultSpec[], private readonly upsLoad: ChargerSetting) {
    for (const f of faults) {
      if (!PHYSICS_FAULT_KINDS.includes(f.kind)) throw new RangeError(`fault ${f.kind} is not simulated by the string physics`);
      if (f.kind !== 'ups-on-battery') faultTarget(physics, f);
    }
  }

  /** Switches faults on and off for the physics' current time; only on transitions, so manual fixes (clearFuse) hold until the next one. */
  apply(): void {
    const t = this.physics.elapsedS;
    for (const f of this.faults) {
      const active = faultActive(f, t);
      if (this.state.get(f) === active) continue;
      this.state.set(f, active);
      if (f.kind === 'ups-on-battery') this.physics.setUpsOnBattery(active ? this.upsLoad : null);
      else this.physics.setFault(faultTarget(this.physics, f).global, f.kind as BlockFault, active);
    }
  }
}
