// The balancing engine: per string in float, bypass current for the blocks above the mean block
// voltage so that more of the series current reaches the blocks below it (Kirchhoff's current law).
// Acts through a narrow BypassActuator (the physics directly, or the bus driver), and records its
// state in the site.
//
// Control law (per string, every cycle): each usable block has an integrator of bypass current
// (amperes) driven by how far its voltage sits outside ±deadband of the string mean; a proportional
// term on the same error is added. Only differences between blocks matter, so the command of the
// block that needs the least bypass is subtracted from every block: a block stuck below the band
// keeps integrating downward, which raises the bypass of every other block alike ("bypass the good
// ones") until the charger's extra current has lifted it. The duty is that current over the module
// type's equalization current, derated to zero as the module approaches its temperature limit.
import type { ChargeMode, SiteSnapshot, SiteTransaction, ModuleState } from '@kirchhoff/core';
import { cellsOf } from './lead-acid';

export interface BypassActuator {
  setBypassDuty(global: number, dutyPercent: number): void;
}

/** Blocks within ±this of the string mean count as balanced (production default, also of `balancing.deadbandV`). */
export const DEFAULT_DEADBAND_V = 0.005;
/** A module this hot has its bypass off (production default, also of `balancing.maxTemperatureC`); modules cut their own at 55 deg C. */
export const DEFAULT_MAX_BYPASS_TEMPERATURE_C = 50;

export interface BalancingOptions {
  /** Off: no bypass at all (every module is told 0 % once). Default true. */
  readonly enabled?: boolean;
  /** Blocks within ±deadband of the string mean are not driven further. Default DEFAULT_DEADBAND_V (0.005 V). */
  readonly deadbandV?: number;
  /** Proportional bypass, in equalization currents per volt per cell outside the band. Default 30. */
  readonly proportionalPerVPerCell?: number;
  /** Integral bypass, in equalization currents per volt-second per cell outside the band. Default 0.03. */
  readonly integralPerVsPerCell?: number;
  /** A module this hot has its bypass off; from 5 K below, the bypass is derated linearly. Default DEFAULT_MAX_BYPASS_TEMPERATURE_C (50 deg C). */
  readonly maxTemperatureC?: number;
  /** Time constant of the balancing-activity average. Default 3600 s. */
  readonly activityWindowS?: number;
}

/** Width of the linear bypass derating below maxTemperatureC, kelvin. */
const DERATE_K = 5;

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

export class BalancingEngine {
  private readonly opts: Required<BalancingOptions>;
  /** Integrated bypass per module, as a fraction of its equalization current (0..1 after normalizing). */
  private integral: Float64Array = new Float64Array(0);
  private commanded: Float64Array = new Float64Array(0);
  private activity: Float64Array = new Float64Array(0);
  private lastMs: number | null = null;
  private disabledSent = false;

  constructor(private readonly actuator: BypassActuator, options: BalancingOptions = {}) {
    this.opts = {
      enabled: options.enabled ?? true,
      deadbandV: options.deadbandV ?? DEFAULT_DEADBAND_V,
      proportionalPerVPerCell: options.proportionalPerVPerCell ?? 30,
      integralPerVsPerCell: options.integralPerVsPerCell ?? 0.03,
      maxTemperatureC: options.maxTemperatureC ?? DEFAULT_MAX_BYPASS_TEMPERATURE_C,
      activityWindowS: options.activityWindowS ?? 3600,
    };
  }

  /**
   * One control step from a snapshot; commands the modules and writes equalize state to `tx`.
   * `chargeModes` (per string) overrides the snapshot's, when the charge-mode detector has just decided them.
   */
  step(snap: SiteSnapshot, tx: SiteTransaction, chargeModes?: readonly ChargeMode[]): void {
    const n = snap.modules.length;
    if (this.integral.length !== n) {
      this.integral = new Float64Array(n);
      this.commanded = new Float64Array(n).fill(-1);
      this.activity = new Float64Array(n);
    }
    // A long gap (gateway paused) must not wind the integrators up.
    const dtS = this.lastMs === null ? 0 : clamp((tx.atMs - this.lastMs) / 1000, 0, 60);
    this.lastMs = tx.atMs;

    // A blown fuse or a lost module takes only its own block out of balancing: the rest of the
    // string goes on (the module-fuse-blown / module-lost alarms tell the operator).
    if (!snap.balancing.enabled) tx.balancing({ enabled: true, disabledReason: null });
    const off = !this.opts.enabled;

    const duty = new Float64Array(n);
    if (!off) {
      for (const s of snap.strings) {
        const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
        // Only in float: not in discharge, not with the charger off (rest), not while recharging.
        // The integrators keep their values meanwhile: they hold what each block needs at float.
        if ((chargeModes?.[s.string - 1] ?? s.chargeMode) === 'float') this.balanceString(mods, dtS, duty);
      }
    } else this.integral.fill(0);

    const keep = Math.exp(-dtS / this.opts.activityWindowS);
    for (const m of snap.modules) {
      const i = m.global - 1;
      const d = Math.round(duty[i]);
      // Every module hears "0" once when balancing is switched off, whatever it was told before.
      const force = off && !this.disabledSent;
      if ((d !== this.commanded[i] || force) && m.communication !== 'lost') {
        this.actuator.setBypassDuty(m.global, d);
        this.commanded[i] = d;
      }
      this.activity[i] = this.activity[i] * keep + (d / 100) * (1 - keep);
      tx.module(m.global, {
        equalize: { on: d > 0, dutyPercent: d },
        balancingActivityPercent: Math.round(this.activity[i] * 1000) / 10,
      });
    }
    this.disabledSent = off;
  }

  private balanceString(mods: readonly ModuleState[], dtS: number, duty: Float64Array): void {
    const usable = mods.filter((m) => m.communication !== 'lost' && m.fuse !== 'blown' && m.voltageV.quality === 'fresh' && m.voltageV.value !== null);
    if (usable.length < 2) return;
    let target = 0;
    for (const m of usable) target += (m.voltageV.value as number) / usable.length;
    const { deadbandV, integralPerVsPerCell, proportionalPerVPerCell, maxTemperatureC } = this.opts;
    const cells = cellsOf(usable[0].type);
    const outside = new Float64Array(usable.length);
    const limit = new Float64Array(usable.length);
    // The worst block that sits below the band with no bypass left to take off, and the worst that
    // sits above it with all the bypass its module can give: only the string current can move them.
    let lowStuck = 0;
    let highStuck = 0;
    usable.forEach((m, j) => {
      const i = m.global - 1;
      const dev = (m.voltageV.value as number) - target;
      outside[j] = Math.abs(dev) > deadbandV ? (dev - Math.sign(dev) * deadbandV) / cells : 0;
      const t = m.temperatureC.quality === 'fresh' ? m.temperatureC.value : null;
      // Modules stop their own bypass when they overheat; the gateway backs off before that.
      limit[j] = t === null ? 1 : clamp((maxTemperatureC - t) / DERATE_K, 0, 1);
      if (this.integral[i] <= 0 && outside[j] < 0) lowStuck = Math.max(lowStuck, -outside[j]);
      if (this.integral[i] >= limit[j] && outside[j] > 0) highStuck = Math.max(highStuck, outside[j]);
    });
    // Common mode: more bypass on every block raises the string current, which lifts a stuck low
    // block; less lowers a stuck high one. With both, it settles where their errors are equal.
    const common = lowStuck - highStuck;
    usable.forEach((m, j) => {
      const i = m.global - 1;
      // Anti-windup: the integrators stay between "no bypass" and what the module can do.
      this.integral[i] = clamp(this.integral[i] + integralPerVsPerCell * (outside[j] + common) * dtS, 0, limit[j]);
      duty[i] = 100 * clamp(this.integral[i] + proportionalPerVPerCell * (outside[j] + common), 0, limit[j]);
    });
  }
}
