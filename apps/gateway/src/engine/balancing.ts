// The balancing engine: per string in float, bypass duty for blocks above the mean block voltage,
// so that more of the series current reaches the blocks below it. Acts through a narrow
// BypassActuator (the physics directly, or the bus driver), and records its state in the site.
import type { ChargeMode, SiteSnapshot, SiteTransaction, ModuleState } from '@kirchhoff/core';

export interface BypassActuator {
  setBypassDuty(global: number, dutyPercent: number): void;
}

export interface BalancingOptions {
  /** Off: no bypass at all (every module is told 0 % once). Default true. */
  readonly enabled?: boolean;
  /** Blocks within +-deadband of target keep their duty. Default 0.003 V. */
  readonly deadbandV?: number;
  /** Proportional duty per volt above target. Default 200 %/V. */
  readonly proportionalPercentPerV?: number;
  /** Integral duty per volt-second above target. Default 1 %/(V s). */
  readonly integralPercentPerVs?: number;
  /** A module hotter than this stops bypassing. Default 45 deg C. */
  readonly maxTemperatureC?: number;
  /** Time constant of the balancing-activity average. Default 3600 s. */
  readonly activityWindowS?: number;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

export class BalancingEngine {
  private readonly opts: Required<BalancingOptions>;
  private integral: Float64Array = new Float64Array(0);
  private commanded: Float64Array = new Float64Array(0);
  private activity: Float64Array = new Float64Array(0);
  private lastMs: number | null = null;
  private disabledSent = false;

  constructor(private readonly actuator: BypassActuator, options: BalancingOptions = {}) {
    this.opts = {
      enabled: options.enabled ?? true,
      deadbandV: options.deadbandV ?? 0.003,
      proportionalPercentPerV: options.proportionalPercentPerV ?? 200,
      integralPercentPerVs: options.integralPercentPerVs ?? 1,
      maxTemperatureC: options.maxTemperatureC ?? 45,
      activityWindowS: options.activityWindowS ?? 3600,
    };
  }

  /**
   * One control step from a snapshot; commands the modules and writes equalize state to `tx`.
   * `chargeModes` (per string) overrides the snapshot's, when the SoC engine has just decided them.
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

    const blown = snap.modules.filter((m) => m.fuse === 'blown');
    // A blown fuse means a block the gateway cannot see: a general alarm (core raises it from
    // balancing.enabled) and no bypass anywhere. Switched off by configuration is no alarm.
    const fuseReason = blown.length ? `fuse blown on ${blown.map((m) => m.label).join(', ')}` : null;
    if (fuseReason !== null) {
      if (snap.balancing.enabled || snap.balancing.disabledReason !== fuseReason) tx.balancing({ enabled: false, disabledReason: fuseReason });
    } else if (!snap.balancing.enabled) tx.balancing({ enabled: true, disabledReason: null });
    const reason = fuseReason ?? (this.opts.enabled ? null : 'switched off');

    const duty = new Float64Array(n);
    if (reason === null) {
      for (const s of snap.strings) {
        const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
        if ((chargeModes?.[s.string - 1] ?? s.chargeMode) === 'float') this.balanceString(mods, dtS, duty);
        else for (const m of mods) this.integral[m.global - 1] = 0;
      }
    } else this.integral.fill(0);

    const keep = Math.exp(-dtS / this.opts.activityWindowS);
    for (const m of snap.modules) {
      const i = m.global - 1;
      const d = Math.round(duty[i]);
      // Every module hears "0" once when balancing is disabled, whatever it was told before.
      const force = reason !== null && !this.disabledSent;
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
    this.disabledSent = reason !== null;
  }

  private balanceString(mods: readonly ModuleState[], dtS: number, duty: Float64Array): void {
    const usable = mods.filter((m) => m.communication !== 'lost' && m.voltageV.quality === 'fresh' && m.voltageV.value !== null);
    if (usable.length < 2) return;
    let target = 0;
    for (const m of usable) target += (m.voltageV.value as number) / usable.length;
    const { deadbandV, integralPercentPerVs, proportionalPercentPerV, maxTemperatureC } = this.opts;
    for (const m of usable) {
      const i = m.global - 1;
      const t = m.temperatureC.value;
      if (t !== null && m.temperatureC.quality === 'fresh' && t > maxTemperatureC) {
        this.integral[i] = 0;
        continue;
      }
      const dev = (m.voltageV.value as number) - target;
      // Integral action holds the duty a block needs at equilibrium; the deadband stops hunting.
      const outside = Math.abs(dev) > deadbandV ? dev - Math.sign(dev) * deadbandV : 0;
      this.integral[i] = clamp(this.integral[i] + integralPercentPerVs * dev * dtS * (outside !== 0 ? 1 : 0), 0, 100);
      duty[i] = clamp(this.integral[i] + proportionalPercentPerV * outside, 0, 100);
    }
  }
}
