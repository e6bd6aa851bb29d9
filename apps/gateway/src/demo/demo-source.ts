// The demo site's data source: the string physics behind simulated modules (read as the bus driver
// would), the battery engines balancing and estimating on it, plus a simulated UPS, room sensors
// and digital inputs, with injectable faults. Runs in real time on the site's clock.
import { MODULE_TYPES, Site } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import { enginesFromConfig } from '../engine/from-config';
import type { BatteryEngines } from '../engine';
import type { Logger } from '../log';
import { BatteryPhysics, createPhysicsBank, FaultSchedule, writeMeasurements } from '../physics';
import { FaultSpec, faultActive } from './faults';

export interface DemoSource {
  /** Advances the simulation to `nowMs` and writes one consistent update into the site. */
  tick(nowMs: number): void;
  stop(): void;
  /** Module commands the demo answers (identify blinks, clear-fuse resets an injected fuse). */
  moduleCommand(action: string, global: number): void;
  /** The battery engines running on the simulated strings. */
  readonly engines: BatteryEngines;
  /** Called after each engine step (the gateway stores health records from there). */
  onEngines(fn: (() => void) | null): void;
}

/** Small seeded generator so the demo's spread is the same at every start. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BLOCK_FAULTS: readonly string[] = ['weak-block', 'high-ri', 'fuse-blown', 'module-lost', 'thermal-runaway'];
/** A stalled process must not make one tick simulate days. */
const MAX_CATCH_UP_S = 3600;

export function startDemoSource(site: Site, config: GatewayConfig, faults: readonly FaultSpec[], logger: Logger, startMs = site.now()): DemoSource {
  const snap = site.snapshot();
  const physics = new BatteryPhysics({
    strings: config.strings.map((s) => ({ modules: s.modules, moduleType: s.moduleType, capacityAh: s.capacityAh })),
    seed: config.demo.seed,
    startMs,
    // A runaway's onset (dry-out, the shorted cell) takes 10 min; the demo compresses it to a minute. Its
    // heat is the charger's, in real time: the string current jumps at once, the blocks warm over hours.
    runawayGrowthS: 20,
  });
  const bank = createPhysicsBank(physics);
  const blockFaults = faults.filter((f) => {
    if (!BLOCK_FAULTS.includes(f.kind)) return false;
    try {
      new FaultSchedule(physics, [f], { mode: 'off' });
      return true;
    } catch (e) {
      logger.warn(`--fault ${f.kind} ignored: ${(e as Error).message}`);
      return false;
    }
  });
  const schedule = new FaultSchedule(physics, blockFaults, { mode: 'off' });
  // In real time the rise-rate window is 15 min and float settles in 30 min; the compressed demo runaway
  // needs shorter ones (float settles in 30 s). A freshly started demo string is not yet balanced (0.15 V
  // spread) and floats at about 2.2 mA/Ah, so the demo counts float below 3 mA/Ah as settled: a fault
  // injected from 30 s after the start on is then watched on the string's float current as well.
  const engines = enginesFromConfig(config, bank, snap, logger, { runawayRateWindowS: 120, runawaySettleS: 30, runawaySettledCurrentAPerAh: 0.003 });

  // The UPS load fits the battery: about a C/3 discharge of every string (a 20 x 12 V, 100 Ah
  // string carries 8 kW), so any site size discharges in about an hour, as rooms are designed.
  const ratedLoadW = snap.strings.reduce((w, s) => w + ((s.capacityAh ?? 100) / 3) * MODULE_TYPES[s.moduleType].blockNominalV * s.moduleCount, 0);

  // The simulated UPS's identity and settings, once: writes (SNMP upsConfig, ...) may change them later.
  if (config.ups.source === 'simulated') {
    site.update((tx) => tx.ups({
      ident: { manufacturer: 'Kirchhoff', model: 'Simulated UPS 20 kVA', upsSoftwareVersion: '1.0', agentSoftwareVersion: 'kirchhoff', name: config.ups.name },
      config: { outputVA: Math.round(ratedLoadW / 0.8 / 0.9), outputPowerW: Math.round(ratedLoadW / 0.9), lowBattTimeMin: 5, lowVoltageTransferPointV: 180, highVoltageTransferPointV: 270 },
    }), startMs);
  }

  // Ri baseline as recorded at commissioning.
  site.update((tx) => {
    for (let g = 1; g <= physics.moduleCount; g++) tx.module(g, { resistanceBaselineOhm: bank.readout(g)?.resistanceOhm ?? null });
  }, startMs);

  let lastRiMs = -Infinity;
  let afterEngines: (() => void) | null = null;
  let onBatteryS = 0;
  let lastMs = startMs;
  let identify = new Map<number, number>();
  const active = (kind: FaultSpec['kind'], t: number, match?: (f: FaultSpec) => boolean) =>
    faults.some((f) => f.kind === kind && faultActive(f, t) && (!match || match(f)));

  const tick = (nowMs: number) => {
    const t = (nowMs - startMs) / 1000;
    const dtS = Math.max(0, (nowMs - lastMs) / 1000);
    lastMs = nowMs;
    const strings = site.snapshot().strings;
    const onBattery = active('ups-on-battery', t);
    onBatteryS = onBattery ? onBatteryS + dtS : 0;
    const loadW = ratedLoadW * (0.9 + 0.08 * Math.sin(t / 60));
    physics.setUpsOnBattery(onBattery ? { mode: 'discharge', powerW: loadW / strings.length } : null);
    // The breaker follows its relay in the model (tripped by the runaway engine, reset by an operator).
    const tripped = site.snapshot().relays.some((r) => r.function === 'breaker' && r.on);
    strings.forEach((s) => physics.setBreakerOpen(s.string, tripped));
    // A capacity test started from the API or the scheduler: the simulated test load (a UPS battery
    // test or a load bank) discharges its strings at the 10-hour rate until the test ends.
    const test = engines.health.runningTest();
    strings.forEach((s) => physics.setCharger(
      test && test.trigger !== 'mains-failure' && test.strings.includes(s.string) ? { mode: 'discharge', currentA: (s.capacityAh ?? 100) / 10 } : { mode: 'float' }, s.string));

    const behind = (nowMs - physics.nowMs) / 1000;
    if (behind > MAX_CATCH_UP_S) physics.advance(behind - MAX_CATCH_UP_S, MAX_CATCH_UP_S / 60);
    const catchUp = (nowMs - physics.nowMs) / 1000;
    if (catchUp > 0) physics.advance(catchUp, 1);
    schedule.apply();
    const measureRi = nowMs - lastRiMs >= config.bus.resistanceIntervalS * 1000;
    if (measureRi) lastRiMs = nowMs;
    writeMeasurements(site, bank, measureRi, nowMs);
    engines.tick(site);
    afterEngines?.();

    const wave = Math.sin((2 * Math.PI * t) / 600);
    site.update((tx) => {
      const now = site.snapshot();
      for (const s of now.strings) {
        const ground = active('ground-fault', t, (f) => (f.string ?? 1) === s.string) ? 0.15 : 0;
        tx.string(s.string, {
          rippleCurrentA: Math.round((1.2 + 0.1 * wave) * 100) / 100,
          differentialPositiveA: 0.012 + ground,
          differentialNegativeA: 0.011,
        }, nowMs);
      }
      if (config.ups.source === 'simulated') {
        const minutes = Math.max(0, Math.round(Math.min(...now.strings.map((s) => s.autonomyMin.value ?? Infinity))));
        const socs = now.strings.map((s) => s.socPercent.value).filter((v): v is number => v !== null);
        tx.ups({
          battery: {
            status: onBattery && minutes < 5 ? 'low' : 'normal',
            secondsOnBattery: Math.round(onBatteryS),
            estimatedMinutesRemaining: Number.isFinite(minutes) ? minutes : 0,
            estimatedChargeRemainingPercent: socs.length ? Math.round(socs.reduce((a, b) => a + b, 0) / socs.length) : 0,
            voltageV: Math.round((now.strings[0]?.sumVoltageV.value ?? 0) * 10) / 10,
            currentA: Math.round(now.strings.reduce((a, s) => a + (s.dcCurrentA.value ?? 0), 0) * 10) / 10,
            temperatureC: Math.round(physics.ambientC),
          },
          input: { lines: onBattery ? [{ frequencyHz: 0, voltageV: 0, currentA: 0, truePowerW: 0 }] : [{ frequencyHz: 50, voltageV: 231, currentA: 84, truePowerW: 19_000 }] },
          output: { source: onBattery ? 'battery' : 'normal', frequencyHz: 50, lines: [{ voltageV: 230, currentA: Math.round((loadW / 230) * 10) / 10, powerW: Math.round(loadW), percentLoad: Math.round((loadW / ratedLoadW) * 100 * 0.8) }] },
          bypass: { frequencyHz: 50, lines: [{ voltageV: onBattery ? 0 : 231, currentA: 0, powerW: 0 }] },
        });
      }
      const roomC = physics.ambientC - 2.5 + 0.8 * wave;
      now.sensors.forEach((s) => {
        const failed = active('sensor-failed', t, (f) => (f.string ?? 1) === s.id);
        const value = s.kind === 'temperature' ? roomC : s.kind === 'humidity' ? 45 - 3 * wave : s.kind === 'hydrogen' ? 0.4 + 0.1 * wave : 0;
        tx.sensor(s.id, failed ? null : Math.round(value * 100) / 100, nowMs);
      });
      now.inputs.forEach((d) => tx.input(d.id, d.id === 1 ? !tripped : false, nowMs));
    }, nowMs);
    for (const [g, until] of identify) if (nowMs >= until) identify.delete(g);
  };

  logger.info('simulated site running (string physics)', {
    strings: snap.strings.length, modules: snap.modules.length,
    faults: faults.map((f) => `${f.kind}${f.string ? `:${f.string}` : ''}${f.module ? `:${f.module}` : ''}@${f.startS}${f.endS !== undefined ? `-${f.endS}` : ''}`),
  });
  return {
    tick,
    engines,
    onEngines: (fn) => { afterEngines = fn; },
    stop: () => {
      identify = new Map();
    },
    moduleCommand: (action, global) => {
      if (global < 1 || global > physics.moduleCount) return;
      if (action === 'identify') identify.set(global, lastMs + 10_000);
      if (action === 'clear-fuse') bank.clearFuse(global);
    },
  };
}
