// The demo site's data source: simulated modules, string currents, UPS and room sensors that move
// over time, with injectable faults. A first, simple model: the string physics of the bus issue
// replaces its internals behind the same `startDemoSource` signature.
import { MODULE_TYPES, Site } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import { FaultSpec, faultActive } from './faults';

export interface DemoSource {
  /** Advances the simulation to `nowMs` and writes one consistent update into the site. */
  tick(nowMs: number): void;
  stop(): void;
  /** Module commands the demo answers (identify blinks, clear-fuse resets an injected fuse). */
  moduleCommand(action: string, global: number): void;
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

interface SimModule {
  global: number;
  string: number;
  module: number;
  offsetV: number;
  floor: number;
  baseTempC: number;
  baseRiOhm: number;
  soc: number;
  fuseCleared: boolean;
}

export function startDemoSource(site: Site, config: GatewayConfig, faults: readonly FaultSpec[], logger: Logger, startMs = site.now()): DemoSource {
  const rand = seededRandom(config.demo.seed);
  const snap = site.snapshot();
  const modules: SimModule[] = snap.modules.map((m) => ({
    global: m.global, string: m.string, module: m.module,
    offsetV: (rand() - 0.5) * 0.3,
    floor: 0,
    baseTempC: 22 + rand() * 3,
    baseRiOhm: 0.0045 * (0.92 + rand() * 0.16),
    soc: 100,
    fuseCleared: false,
  }));
  // One weak block (its float voltage sits low) and one high-Ri block in string 1, as on real sites.
  const weak = modules[Math.min(6, modules.length - 1)];
  weak.floor = -0.09;
  weak.offsetV = -0.09;
  const highRi = modules[Math.min(12, modules.length - 1)];
  highRi.baseRiOhm *= 1.6;
  for (const m of modules) site.update((tx) => tx.module(m.global, { resistanceBaselineOhm: Math.round(m.baseRiOhm * 0.95 * 1e6) / 1e6 }));

  let lastMs = startMs;
  let onBatteryS = 0;
  let identify = new Map<number, number>();
  const active = (kind: FaultSpec['kind'], elapsedS: number, match?: (f: FaultSpec) => boolean) =>
    faults.filter((f) => f.kind === kind && faultActive(f, elapsedS) && (!match || match(f)));
  const hits = (f: FaultSpec, m: SimModule) => (f.string ?? 1) === m.string && (f.module ?? 1) === m.module;

  const tick = (nowMs: number) => {
    const dtS = Math.max(0, (nowMs - lastMs) / 1000);
    lastMs = nowMs;
    const t = (nowMs - startMs) / 1000;
    const onBattery = active('ups-on-battery', t).length > 0;
    onBatteryS = onBattery ? onBatteryS + dtS : 0;
    const loadW = 18_000 + 1500 * Math.sin(t / 60);
    const blown = modules.filter((m) => !m.fuseCleared && active('fuse-blown', t, (f) => hits(f, m)).length > 0);
    const balancingOn = config.balancing.enabled && blown.length === 0;
    const wave = Math.sin((2 * Math.PI * t) / 600);

    site.update((tx) => {
      for (const s of site.snapshot().strings) {
        const spec = MODULE_TYPES[s.moduleType];
        const mods = modules.filter((m) => m.string === s.string);
        const runaway = active('thermal-runaway', t, (f) => (f.string ?? 1) === s.string);
        const runawayS = runaway.length ? t - runaway[0].startS : 0;
        let currentA: number;
        if (onBattery) {
          currentA = -loadW / site.snapshot().strings.length / (spec.floatVoltageV * s.moduleCount * 0.92);
          for (const m of mods) m.soc = Math.max(0, m.soc + (currentA * dtS) / 3600 / (s.capacityAh ?? 100) * 100 * (m === weak ? 1.4 : 1));
        } else {
          const recharging = mods.some((m) => m.soc < 99.9);
          currentA = recharging ? 10 : 0.35 + 0.02 * wave + (runaway.length ? 0.05 * runawayS : 0);
          for (const m of mods) m.soc = Math.min(100, m.soc + (10 * dtS) / 3600 / (s.capacityAh ?? 100) * 100);
        }
        const floatTarget = spec.floatVoltageV;
        for (const m of mods) {
          const lost = active('module-lost', t, (f) => hits(f, m)).length > 0;
          const fuse = blown.includes(m);
          if (lost) {
            tx.module(m.global, { communication: 'lost' });
            tx.moduleQuality(m.global, 'failed');
            continue;
          }
          // Balancing pulls each block toward the target; the weak block never gets all the way.
          const above = m.offsetV > config.balancing.deadbandV;
          if (!onBattery && balancingOn && above) m.offsetV = Math.max(m.floor, m.offsetV * Math.exp(-dtS / 1800));
          else if (!onBattery && balancingOn && m.offsetV < m.floor) m.offsetV += Math.min(m.floor - m.offsetV, dtS * 1e-5);
          const duty = !onBattery && balancingOn && above ? Math.min(100, Math.round((m.offsetV / 0.05) * 100)) : 0;
          const ri = m.baseRiOhm * (active('high-ri', t, (f) => hits(f, m)).length ? 2.2 : 1) * (1 + (100 - m.soc) / 200);
          const sag = onBattery ? -0.55 - (100 - m.soc) * 0.012 + currentA * ri : 0;
          const voltageV = floatTarget + (onBattery ? (m === weak ? -0.25 : 0) : m.offsetV) + sag + (rand() - 0.5) * 0.002;
          const runawayHeat = runaway.some((f) => f.module === undefined || f.module === m.module) ? Math.min(60, runawayS * 0.4) : 0;
          const temperatureC = m.baseTempC + 0.4 * wave + duty * 0.01 + runawayHeat + (rand() - 0.5) * 0.05;
          tx.moduleReadings(m.global, {
            voltageV: Math.round(voltageV * 1000) / 1000,
            temperatureC: Math.round(temperatureC * 10) / 10,
            resistanceOhm: Math.round(ri * 1e6) / 1e6,
            socPercent: Math.round(m.soc * 10) / 10,
          }, nowMs);
          tx.module(m.global, {
            communication: 'ok',
            fuse: fuse ? 'blown' : 'ok',
            equalize: { on: duty > 0, dutyPercent: duty },
            balancingActivityPercent: duty,
            socMethod: onBattery ? 'discharge' : 'float',
          });
        }
        const soc = mods.reduce((a, m) => a + m.soc, 0) / mods.length;
        const ground = active('ground-fault', t, (f) => (f.string ?? 1) === s.string).length ? 0.15 : 0;
        tx.string(s.string, {
          dcCurrentA: Math.round(currentA * 100) / 100,
          rippleCurrentA: Math.round((1.2 + 0.1 * wave) * 100) / 100,
          differentialPositiveA: 0.012 + ground,
          differentialNegativeA: 0.011,
          chargeMode: onBattery ? 'discharge' : currentA > 2 ? 'boost' : 'float',
          socPercent: Math.round(soc * 10) / 10,
          autonomyMin: onBattery ? Math.round((soc / 100) * (s.capacityAh ?? 100) / -currentA * 60 * 0.8) : Math.round((soc / 100) * (s.capacityAh ?? 100) / (loadW / (floatTarget * s.moduleCount)) * 60 * 0.8),
        }, nowMs);
      }
      if (balancingOn !== site.snapshot().balancing.enabled) {
        tx.balancing(balancingOn ? { enabled: true, disabledReason: null } : { enabled: false, disabledReason: `fuse blown on ${blown.map((m) => site.snapshot().modules[m.global - 1].label).join(', ')}` });
      }
      const strings = site.snapshot().strings;
      const socAll = modules.reduce((a, m) => a + m.soc, 0) / Math.max(1, modules.length);
      if (config.ups.source === 'simulated') {
        const minutes = Math.max(0, Math.round(strings[0]?.autonomyMin.value ?? 0));
        tx.ups({
          ident: { manufacturer: 'Kirchhoff', model: 'Simulated UPS 20 kVA', upsSoftwareVersion: '1.0', agentSoftwareVersion: 'kirchhoff', name: config.ups.name },
          battery: {
            status: onBattery && minutes < 5 ? 'low' : 'normal',
            secondsOnBattery: Math.round(onBatteryS),
            estimatedMinutesRemaining: minutes,
            estimatedChargeRemainingPercent: Math.round(socAll),
            voltageV: Math.round((strings[0]?.sumVoltageV.value ?? 0) * 10) / 10,
            currentA: Math.round(strings.reduce((a, s) => a + (s.dcCurrentA.value ?? 0), 0) * 10) / 10,
            temperatureC: Math.round(modules.reduce((a, m) => a + m.baseTempC, 0) / Math.max(1, modules.length)),
          },
          input: { lines: onBattery ? [{ frequencyHz: 0, voltageV: 0, currentA: 0, truePowerW: 0 }] : [{ frequencyHz: 50, voltageV: 231, currentA: 84, truePowerW: 19_000 }] },
          output: { source: onBattery ? 'battery' : 'normal', frequencyHz: 50, lines: [{ voltageV: 230, currentA: Math.round(loadW / 230 * 10) / 10, powerW: Math.round(loadW), percentLoad: Math.round(loadW / 200) }] },
          bypass: { frequencyHz: 50, lines: [{ voltageV: onBattery ? 0 : 231, currentA: 0, powerW: 0 }] },
          config: { outputVA: 20_000, outputPowerW: 20_000, lowBattTimeMin: 5, lowVoltageTransferPointV: 180, highVoltageTransferPointV: 270 },
        });
      }
      const roomC = 22.5 + 0.8 * wave;
      site.snapshot().sensors.forEach((s) => {
        const failed = active('sensor-failed', t, (f) => (f.string ?? 1) === s.id).length > 0;
        const value = s.kind === 'temperature' ? roomC : s.kind === 'humidity' ? 45 - 3 * wave : s.kind === 'hydrogen' ? 0.4 + 0.1 * wave : 0;
        tx.sensor(s.id, failed ? null : Math.round(value * 100) / 100, nowMs);
      });
      site.snapshot().inputs.forEach((d) => {
        const breakerTripped = site.snapshot().relays.some((r) => r.function === 'breaker' && r.on);
        tx.input(d.id, d.id === 1 ? !breakerTripped : false, nowMs);
      });
    }, nowMs);
    for (const [g, until] of identify) if (nowMs >= until) identify.delete(g);
  };

  logger.info('simulated site running', { strings: snap.strings.length, modules: snap.modules.length, faults: faults.map((f) => `${f.kind}${f.string ? `:${f.string}` : ''}${f.module ? `:${f.module}` : ''}@${f.startS}${f.endS !== undefined ? `-${f.endS}` : ''}`) });
  return {
    tick,
    stop: () => { identify = new Map(); },
    moduleCommand: (action, global) => {
      const m = modules[global - 1];
      if (!m) return;
      if (action === 'identify') identify.set(global, lastMs + 10_000);
      if (action === 'clear-fuse') m.fuseCleared = true;
    },
  };
}
