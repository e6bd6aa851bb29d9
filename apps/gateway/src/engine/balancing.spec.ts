import { SimulatedSite } from '../physics';
import { parseFault } from '../demo/faults';
import { BalancingEngine } from './balancing';
import { Site } from '@kirchhoff/core';

const STRING_20 = [{ modules: 20, moduleType: 'C20' as const }];

/** Max |V - target| as the site reports it (measured voltages, as an operator sees them). */
const spread = (sim: SimulatedSite) => sim.site.snapshot().strings[0].spreadV.value as number;

describe('balancing a 20 x C20 string in float from +-150 mV', () => {
  it('brings every block within +-10 mV of target within 12 simulated hours, and keeps it there', () => {
    const sim = new SimulatedSite({ strings: STRING_20, initialSpreadV: 0.15 });
    expect(spread(sim)).toBeGreaterThan(0.12);
    let reachedS: number | null = null;
    let worstAfter = 0;
    sim.advance(24 * 3600, () => {
      const v = spread(sim);
      if (reachedS === null && v <= 0.01) reachedS = sim.elapsedS;
      if (sim.elapsedS >= 12 * 3600) worstAfter = Math.max(worstAfter, v);
    });
    expect(reachedS).not.toBeNull();
    expect(reachedS as unknown as number).toBeLessThanOrEqual(12 * 3600);
    expect(worstAfter).toBeLessThanOrEqual(0.01);
    const snap = sim.site.snapshot();
    // Kirchhoff: the blocks that sat high are bypassed, and the string carries more current.
    expect(snap.modules.filter((m) => m.equalize.on).length).toBeGreaterThan(5);
    expect(snap.modules.some((m) => m.balancingActivityPercent > 20)).toBe(true);
    expect(snap.modules.every((m) => m.socMethod === 'float' && m.socPercent.value === 100)).toBe(true);
  });

  it('without balancing the spread stays above 100 mV', () => {
    const sim = new SimulatedSite({ strings: STRING_20, initialSpreadV: 0.15, balancing: { enabled: false } });
    let least = Infinity;
    sim.advance(24 * 3600, () => (least = Math.min(least, spread(sim))));
    expect(least).toBeGreaterThan(0.1);
    expect(sim.site.snapshot().modules.every((m) => !m.equalize.on && m.balancingActivityPercent === 0)).toBe(true);
    // Configured off is not a fault: no general alarm.
    expect(sim.site.snapshot().alarms.map((a) => a.kind)).not.toContain('balancing-disabled');
  });
});

describe('when balancing must not act', () => {
  it('stops every bypass during a discharge and with the charger off', () => {
    const sim = new SimulatedSite({ strings: STRING_20 });
    sim.advance(3600);
    expect(sim.site.snapshot().modules.some((m) => m.equalize.on)).toBe(true);
    sim.physics.setCharger({ mode: 'discharge', currentA: 10 });
    sim.advance(60);
    expect(sim.site.snapshot().strings[0].chargeMode).toBe('discharge');
    expect(sim.site.snapshot().modules.every((m) => !m.equalize.on)).toBe(true);
    for (let g = 1; g <= 20; g++) expect(sim.physics.bypassDutyPercent(g)).toBe(0);
    sim.physics.setCharger({ mode: 'off' });
    sim.advance(600);
    expect(sim.site.snapshot().strings[0].chargeMode).toBe('rest');
    for (let g = 1; g <= 20; g++) expect(sim.physics.bypassDutyPercent(g)).toBe(0);
  });

  it('a blown fuse raises the general alarm and switches every bypass off', () => {
    const sim = new SimulatedSite({ strings: [{ modules: 20, moduleType: 'C20' }, { modules: 20, moduleType: 'C20' }], faults: [parseFault('fuse-blown:2:9@7200')] });
    sim.advance(7190);
    expect(sim.site.snapshot().modules.filter((m) => m.equalize.on).length).toBeGreaterThan(5);
    sim.advance(20);
    const snap = sim.site.snapshot();
    expect(snap.modules[20 + 8].fuse).toBe('blown');
    expect(snap.balancing).toEqual({ enabled: false, disabledReason: 'fuse blown on S02-M09' });
    const alarm = snap.alarms.find((a) => a.kind === 'balancing-disabled');
    expect(alarm?.entity).toEqual({ kind: 'site' });
    expect(alarm?.message).toContain('S02-M09');
    expect(snap.modules.every((m) => !m.equalize.on && m.equalize.dutyPercent === 0)).toBe(true);
    for (let g = 1; g <= 40; g++) expect(sim.physics.bypassDutyPercent(g)).toBe(0);
    // Replacing the fuse (clear-fuse on the module) lets balancing resume.
    sim.bank.clearFuse(29);
    sim.advance(600);
    expect(sim.site.snapshot().balancing.enabled).toBe(true);
    expect(sim.site.snapshot().alarms.map((a) => a.kind)).not.toContain('balancing-disabled');
    expect(sim.site.snapshot().modules.some((m) => m.equalize.on)).toBe(true);
  });

  it('a module over its temperature limit stops bypassing', () => {
    const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }] });
    const calls: [number, number][] = [];
    const engine = new BalancingEngine({ setBypassDuty: (g, d) => calls.push([g, d]) }, { maxTemperatureC: 45 });
    const volts = [13.8, 13.8, 13.5, 13.4];
    const temps = [25, 50, 25, 25];
    const t0 = site.now();
    for (let i = 0; i < 30; i++) {
      site.update((tx) => {
        volts.forEach((v, k) => tx.moduleReadings(k + 1, { voltageV: v, temperatureC: temps[k] }));
        tx.string(1, { chargeMode: 'float' });
      }, t0 + i * 10_000);
      site.update((tx) => engine.step(site.snapshot(), tx), t0 + i * 10_000);
    }
    const snap = site.snapshot();
    expect(snap.modules[0].equalize.on).toBe(true);
    expect(snap.modules[1].equalize.on).toBe(false);
    expect(calls.filter(([g, d]) => g === 2 && d > 0)).toEqual([]);
    expect(snap.modules[2].equalize.on).toBe(false);
  });
});
