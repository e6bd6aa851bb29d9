// Thermal-runaway detection: a block temperature rising fast (or far above the others) together
// with a rising float current, held for a delay -> critical alarm and the breaker relay trips.
// Latched: only reset() (an operator, after inspection) clears it.
import type { AlarmCondition, ChargeMode, ModuleState, SiteSnapshot, SiteTransaction } from '@kirchhoff/core';

export interface RunawayOptions {
  /** Default true. */
  readonly enabled?: boolean;
  /** Window over which the temperature rise rate is measured, seconds. Default 900. */
  readonly rateWindowS?: number;
  /** Temperature rise rate that counts, K per hour. Default 5. */
  readonly riseRateCPerHour?: number;
  /** Difference between the hottest block and the string median that counts, K. Default 8. */
  readonly deltaC?: number;
  /** Float current counts as rising above baseline x (1 + this/100) and baseline + minCurrentRiseA. Default 50 %. */
  readonly currentRisePercent?: number;
  readonly minCurrentRiseA?: number;
  /** How long both must hold before the alarm, seconds. Default 300. */
  readonly delayS?: number;
  /** Relay (1-based id) wired to the battery breaker's trip coil; null = alarm only. */
  readonly breakerRelayId?: number | null;
}

/** What the gateway does beyond the model when the breaker must open (drive the relay board). */
export interface BreakerOutput {
  trip(relayId: number, string: number): void;
}

interface StringWatch {
  baselineA: number | null;
  temps: { atMs: number; values: (number | null)[] }[];
  sinceMs: number | null;
  tripped: AlarmCondition | null;
  lastStepMs: number | null;
}

const BASELINE_TAU_S = 3600;

export class RunawayEngine {
  private readonly opts: Required<RunawayOptions>;
  private watch: StringWatch[] = [];

  constructor(options: RunawayOptions = {}, private readonly breaker?: BreakerOutput) {
    this.opts = {
      enabled: options.enabled ?? true,
      rateWindowS: options.rateWindowS ?? 900,
      riseRateCPerHour: options.riseRateCPerHour ?? 5,
      deltaC: options.deltaC ?? 8,
      currentRisePercent: options.currentRisePercent ?? 50,
      minCurrentRiseA: options.minCurrentRiseA ?? 0.05,
      delayS: options.delayS ?? 300,
      breakerRelayId: options.breakerRelayId ?? null,
    };
  }

  get delayS(): number {
    return this.opts.delayS;
  }

  /** When the condition (temperature and current) began on a string, null when it does not hold. */
  conditionSinceMs(string: number): number | null {
    return this.watch[string - 1]?.sinceMs ?? null;
  }

  /** `chargeModes` (per string) overrides the snapshot's, as for BalancingEngine.step. */
  step(snap: SiteSnapshot, tx: SiteTransaction, chargeModes?: readonly ChargeMode[]): void {
    if (this.watch.length !== snap.strings.length) this.watch = snap.strings.map(() => ({ baselineA: null, temps: [], sinceMs: null, tripped: null, lastStepMs: null }));
    if (!this.opts.enabled) return;
    const now = tx.atMs;
    const windowMs = this.opts.rateWindowS * 1000;
    for (const s of snap.strings) {
      const w = this.watch[s.string - 1];
      const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
      const temps = mods.map((m) => (m.temperatureC.quality === 'fresh' ? m.temperatureC.value : null));
      const last = w.temps[w.temps.length - 1];
      if (!last || now - last.atMs >= Math.min(60_000, windowMs / 4)) w.temps.push({ atMs: now, values: temps });
      while (w.temps.length > 2 && now - w.temps[1].atMs >= windowMs) w.temps.shift();

      let worstRate = 0;
      let hot: ModuleState | null = null;
      const old = w.temps[0];
      if (now - old.atMs >= windowMs) {
        for (let i = 0; i < temps.length; i++) {
          const a = old.values[i];
          const b = temps[i];
          if (a === null || b === null) continue;
          const rate = ((b - a) / (now - old.atMs)) * 3_600_000;
          if (rate > worstRate) [worstRate, hot] = [rate, mods[i]];
        }
      }
      const known = temps.filter((t): t is number => t !== null).sort((x, y) => x - y);
      const spreadC = known.length >= 2 ? known[known.length - 1] - known[Math.floor(known.length / 2)] : 0;
      const thermal = worstRate >= this.opts.riseRateCPerHour || spreadC >= this.opts.deltaC;

      const i = s.dcCurrentA.quality === 'fresh' ? s.dcCurrentA.value : null;
      const mode = chargeModes?.[s.string - 1] ?? s.chargeMode;
      const charging = mode === 'float' || mode === 'boost';
      let rising = false;
      if (i !== null && charging) {
        if (w.baselineA === null) w.baselineA = i;
        rising = i >= w.baselineA * (1 + this.opts.currentRisePercent / 100) && i - w.baselineA >= this.opts.minCurrentRiseA;
        // The baseline follows slow changes (balancing, ageing) but not a runaway in progress.
        if (!rising && !thermal) {
          const dt = w.lastStepMs === null ? 0 : (now - w.lastStepMs) / 1000;
          w.baselineA += (i - w.baselineA) * (1 - Math.exp(-dt / BASELINE_TAU_S));
        }
      }
      w.lastStepMs = now;

      if (w.tripped) continue;
      if (thermal && rising) w.sinceMs ??= now;
      else w.sinceMs = null;
      if (w.sinceMs !== null && now - w.sinceMs >= this.opts.delayS * 1000) {
        const byRate = worstRate >= this.opts.riseRateCPerHour;
        const what = byRate ? `${hot!.label} rising ${worstRate.toFixed(1)} K/h` : `blocks ${spreadC.toFixed(1)} K apart`;
        // The block to inspect: the fastest riser, else the hottest. Every protocol then names it
        // (SNMP bmsAlarmModuleIndex, the alarm's entity), not only the text.
        const block = byRate ? hot : hottest(mods);
        w.tripped = {
          kind: 'thermal-runaway',
          severity: 'critical',
          entity: block ? { kind: 'module', string: block.string, module: block.module, global: block.global } : { kind: 'string', string: s.string },
          message: `${s.label} thermal runaway: ${what}, float current ${i?.toFixed(2)} A (baseline ${w.baselineA?.toFixed(2)} A)`
            + (this.opts.breakerRelayId !== null ? `; battery breaker opened (relay ${this.opts.breakerRelayId})` : ''),
          value: Math.round(worstRate * 10) / 10,
          limit: this.opts.riseRateCPerHour,
        };
        if (this.opts.breakerRelayId !== null) {
          tx.relay(this.opts.breakerRelayId, true);
          this.breaker?.trip(this.opts.breakerRelayId, s.string);
        }
      }
    }
  }

  /** Active runaway alarms, for `site.reconcileAlarms('runaway', ...)`. */
  conditions(): AlarmCondition[] {
    return this.watch.flatMap((w) => (w.tripped ? [w.tripped] : []));
  }

  /** Operator reset after inspection: clears the latch (the breaker relay is the operator's to close). */
  reset(string?: number): void {
    this.watch.forEach((w, i) => {
      if (string === undefined || string === i + 1) {
        w.tripped = null;
        w.sinceMs = null;
        w.baselineA = null;
      }
    });
  }
}

function hottest(mods: readonly ModuleState[]): ModuleState | null {
  let best: ModuleState | null = null;
  for (const m of mods) {
    if (m.temperatureC.quality !== 'fresh' || m.temperatureC.value === null) continue;
    if (!best || m.temperatureC.value > (best.temperatureC.value as number)) best = m;
  }
  return best;
}
