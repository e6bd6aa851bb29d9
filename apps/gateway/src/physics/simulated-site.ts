// A whole simulated site on a virtual clock: string physics behind a module bank, a core Site
// filled from what the modules measure (as the bus driver would), and the battery engines acting
// back on the modules. Used by `kirchhoff simulate`, the demo and the engine tests.
import { defaultThresholds, Site, SiteOptions } from '@kirchhoff/core';
import type { FaultSpec } from '../demo/faults';
import { BatteryEngines } from '../engine';
import type { BalancingOptions, BreakerSpec, ChargeModeOptions, HealthOptions, RunawayOptions, SocOptions } from '../engine';
import { BatteryPhysics, ChargerSetting, PhysicsOptions } from './battery-physics';
import { FaultSchedule } from './faults';
import { createPhysicsBank, PhysicsBank } from './physics-bank';

export interface SimulatedSiteOptions extends PhysicsOptions {
  readonly balancing?: BalancingOptions;
  readonly chargeMode?: ChargeModeOptions;
  readonly soc?: SocOptions;
  readonly health?: HealthOptions;
  /** Defaults: breaker on relay 1 ("Battery breaker"). */
  readonly runaway?: RunawayOptions;
  readonly faults?: readonly FaultSpec[];
  /** What each string discharges into while a ups-on-battery fault is active. Default 0.1 C. */
  readonly upsLoad?: ChargerSetting;
  /** Physics integration step, seconds. Default 1. */
  readonly physicsStepS?: number;
  /** Measurement cycle + engines, seconds. Default 10. */
  readonly controlIntervalS?: number;
  /** Ri measurement cycle, seconds. Default 600. */
  readonly resistanceIntervalS?: number;
  /** Called after each measurement cycle, before the engines: tests inject readings here. */
  readonly afterMeasure?: (site: Site, elapsedS: number) => void;
  /** Extra site definition (UPS, sensors, more relays); strings and clock come from the physics. */
  readonly site?: Partial<Omit<SiteOptions, 'strings' | 'clock'>>;
}

export class SimulatedSite {
  readonly physics: BatteryPhysics;
  readonly bank: PhysicsBank;
  readonly site: Site;
  readonly engines: BatteryEngines;
  readonly faults: FaultSchedule;
  private stepS: number;
  private controlS: number;
  private readonly riS: number;
  private lastRiS = -Infinity;
  private breakers: readonly BreakerSpec[];
  private readonly statusInputs: boolean;
  private readonly afterMeasure?: (site: Site, elapsedS: number) => void;

  constructor(options: SimulatedSiteOptions) {
    this.physics = new BatteryPhysics(options);
    this.bank = createPhysicsBank(this.physics);
    this.stepS = options.physicsStepS ?? 1;
    this.controlS = options.controlIntervalS ?? 10;
    this.riS = options.resistanceIntervalS ?? 600;
    this.afterMeasure = options.afterMeasure;
    if (!(this.controlS > 0) || !(this.stepS > 0)) throw new RangeError('controlIntervalS and physicsStepS must be positive');
    // Default: a breaker per string on relays 1..S, each with its auxiliary contact on inputs 1..S.
    const perString = options.runaway?.breakers === undefined && options.runaway?.breakerRelayId === undefined && options.site?.relays === undefined;
    const count = this.physics.strings.length;
    const relays = options.site?.relays ?? Array.from({ length: count }, (_, i) => ({ name: `String ${i + 1} breaker`, function: 'breaker' as const }));
    const inputs = options.site?.inputs ?? (perString ? Array.from({ length: count }, (_, i) => ({ name: `String ${i + 1} breaker closed`, alarmSeverity: null })) : []);
    const first = this.physics.strings[0];
    this.site = new Site({
      thresholds: defaultThresholds(first.type, first.capacityAh),
      ...options.site,
      relays,
      inputs,
      strings: this.physics.strings.map((s, i) => ({ modules: s.count, moduleType: s.type, capacityAh: s.capacityAh, name: `String ${i + 1}` })),
      clock: () => this.physics.nowMs,
    });
    this.breakers = perString
      ? this.physics.strings.map((_, i) => ({ relay: i + 1, strings: [i + 1], statusInput: i + 1 }))
      : options.runaway?.breakers ?? [{ relay: options.runaway?.breakerRelayId ?? 1, strings: 'all' as const }];
    if (options.runaway?.breakerRelayId === null) this.breakers = [];
    this.statusInputs = perString;
    this.engines = new BatteryEngines({
      actuator: this.bank,
      balancing: options.balancing,
      chargeMode: options.chargeMode,
      soc: options.soc,
      health: options.health,
      runaway: { ...options.runaway, breakers: this.breakers },
    });
    const firstString = this.physics.strings[0];
    this.faults = new FaultSchedule(this.physics, options.faults ?? [], options.upsLoad ?? { mode: 'discharge', currentA: firstString.capacityAh / 10 });
    this.faults.apply();
    this.measure();
    this.followBreakers();
  }

  get elapsedS(): number {
    return this.physics.elapsedS;
  }

  /** Changes the physics step and the measurement cycle from now on (long quiet phases of a scenario run coarser). */
  setIntervals(physicsStepS: number, controlIntervalS: number): void {
    if (!(controlIntervalS > 0) || !(physicsStepS > 0)) throw new RangeError('controlIntervalS and physicsStepS must be positive');
    this.stepS = physicsStepS;
    this.controlS = controlIntervalS;
  }

  /** Runs `seconds` of simulated time: physics at its step, measurements and engines every control interval. */
  advance(seconds: number, onControl?: () => void): void {
    const end = this.physics.elapsedS + seconds;
    while (this.physics.elapsedS < end - 1e-6) {
      const dt = Math.min(this.controlS, end - this.physics.elapsedS);
      this.physics.advance(dt, this.stepS);
      this.faults.apply();
      this.measure();
      this.engines.tick(this.site);
      this.followBreakers();
      this.site.evaluateAlarms();
      onControl?.();
    }
  }

  /** Each breaker follows its trip relay (tripped by the runaway engine, switched back by an operator); status inputs follow the breakers. */
  private followBreakers(): void {
    const relays = this.site.snapshot().relays;
    const open = new Set<number>();
    for (const b of this.breakers) {
      if (!relays[b.relay - 1]?.on) continue;
      for (let s = 1; s <= this.physics.strings.length; s++) if (b.strings === 'all' || b.strings.includes(s)) open.add(s);
    }
    this.physics.strings.forEach((_, i) => this.physics.setBreakerOpen(i + 1, open.has(i + 1)));
    if (this.statusInputs) this.site.update((tx) => this.physics.strings.forEach((_, i) => tx.input(i + 1, !this.physics.isBreakerOpen(i + 1))));
  }

  /** One measurement cycle, as the bus driver and the string current sensors would report it. */
  private measure(): void {
    const t = this.physics.elapsedS;
    const measureRi = t - this.lastRiS >= this.riS;
    if (measureRi) this.lastRiS = t;
    writeMeasurements(this.site, this.bank, measureRi);
    this.afterMeasure?.(this.site, t);
  }
}

/** Writes what the simulated modules and string current sensors read into `site`, as the bus driver would. */
export function writeMeasurements(site: Site, bank: PhysicsBank, measureResistance: boolean, atMs?: number): void {
  const physics = bank.physics;
  site.update((tx) => {
    for (let g = 1; g <= physics.moduleCount; g++) {
      if (measureResistance) bank.measureResistance(g);
      const r = bank.readout(g);
      if (!r) {
        tx.module(g, { communication: 'lost' });
        tx.moduleQuality(g, 'stale');
        continue;
      }
      tx.module(g, { communication: 'ok', fuse: r.fuseBlown ? 'blown' : 'ok' });
      tx.moduleReadings(g, { voltageV: r.fuseBlown ? null : r.voltageV, temperatureC: r.temperatureC, resistanceOhm: r.resistanceOhm });
    }
    physics.strings.forEach((_, i) => tx.string(i + 1, { dcCurrentA: Math.round(physics.stringCurrentA(i + 1) * 1000) / 1000 }));
  }, atMs);
}
