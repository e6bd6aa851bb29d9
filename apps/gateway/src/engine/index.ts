// The battery engines the gateway runs after each measurement cycle: state of charge and charge
// mode first (balancing needs the mode), then balancing and thermal-runaway watch.
import type { Site } from '@kirchhoff/core';
import { BalancingEngine, BalancingOptions, BypassActuator } from './balancing';
import { RunawayEngine, RunawayOptions, BreakerOutput } from './runaway';
import { SocEngine, SocOptions } from './soc';

export * from './balancing';
export * from './runaway';
export * from './soc';
export * from './lead-acid';

export interface EnginesOptions {
  /** Where bypass duty goes: the bus driver, or the physics in a simulation. */
  readonly actuator: BypassActuator;
  readonly balancing?: BalancingOptions;
  readonly soc?: SocOptions;
  readonly runaway?: RunawayOptions;
  /** Drives the breaker relay output; the model's relay state is set either way. */
  readonly breaker?: BreakerOutput;
}

export class BatteryEngines {
  readonly balancing: BalancingEngine;
  readonly soc: SocEngine;
  readonly runaway: RunawayEngine;

  constructor(options: EnginesOptions) {
    this.balancing = new BalancingEngine(options.actuator, options.balancing);
    this.soc = new SocEngine(options.soc);
    this.runaway = new RunawayEngine(options.runaway, options.breaker);
  }

  /** One control step on the site's latest readings (call after each measurement cycle). */
  tick(site: Site): void {
    const snap = site.snapshot();
    site.update((tx) => {
      const modes = this.soc.step(snap, tx);
      this.balancing.step(snap, tx, modes);
      this.runaway.step(snap, tx, modes);
    });
    site.reconcileAlarms('runaway', this.runaway.conditions());
  }
}
