// The battery engines the gateway runs after each measurement cycle: charge-mode detection first
// (every other engine depends on the mode), then state of charge, balancing and thermal-runaway watch.
import type { Site } from '@kirchhoff/core';
import { BalancingEngine, BalancingOptions, BypassActuator } from './balancing';
import { RunawayEngine, RunawayOptions, BreakerOutput } from './runaway';
import { SocEngine, SocOptions, SocPersistedState } from './soc';
import { ChargeModeDetector, ChargeModeOptions } from './charge-mode';
import { HealthEngine, HealthOptions } from './health';

export * from './balancing';
export * from './runaway';
export * from './soc';
export * from './charge-mode';
export * from './lead-acid';
export * from './health';

export interface EnginesOptions {
  /** Where bypass duty goes: the bus driver, or the physics in a simulation. */
  readonly actuator: BypassActuator;
  readonly balancing?: BalancingOptions;
  readonly chargeMode?: ChargeModeOptions;
  readonly soc?: SocOptions;
  readonly runaway?: RunawayOptions;
  readonly health?: HealthOptions;
  /** Drives the breaker relay output; the model's relay state is set either way. */
  readonly breaker?: BreakerOutput;
}

export class BatteryEngines {
  readonly chargeMode: ChargeModeDetector;
  readonly balancing: BalancingEngine;
  readonly soc: SocEngine;
  readonly runaway: RunawayEngine;
  /** Each block's health record: capacity tests, SoH, Ri trend, throughput (engine/health). */
  readonly health: HealthEngine;

  constructor(options: EnginesOptions) {
    this.chargeMode = new ChargeModeDetector(options.chargeMode);
    this.balancing = new BalancingEngine(options.actuator, options.balancing);
    this.soc = new SocEngine(options.soc);
    this.runaway = new RunawayEngine(options.runaway, options.breaker);
    this.health = new HealthEngine(options.health);
    this.health.setSelfDischargeSource((global) => this.soc.selfDischargePercentPerDay(global));
  }

  /** What the engines keep across a restart (see SocPersistedState), or null before the first tick. */
  persistedState(): SocPersistedState | null {
    return this.soc.exportState();
  }

  /** As after a gateway restart: the detector starts over, the estimator from `state` (null: from nothing). */
  restart(site: Site, state: SocPersistedState | null): boolean {
    this.chargeMode.reset();
    return this.soc.restoreState(state, site.snapshot());
  }

  /** One control step on the site's latest readings (call after each measurement cycle). */
  tick(site: Site): void {
    const snap = site.snapshot();
    site.update((tx) => {
      const modes = this.chargeMode.step(snap, tx.atMs);
      for (const s of snap.strings) tx.string(s.string, { chargeMode: modes[s.string - 1] });
      this.soc.step(snap, tx, modes);
      this.balancing.step(snap, tx, modes);
      this.runaway.step(snap, tx, modes);
      this.health.step(snap, tx, modes);
    });
    site.reconcileAlarms('runaway', this.runaway.conditions());
  }
}
