// The health engine against the string physics' truth (capacity, cell current, Ri), which it does not
// share: a capacity test and a mains failure on aged strings with weak blocks, and a rising Ri.
// The longer matrix of seeds and sites is `npm run bench:health` (bench/health-validation.ts).
import { runSimulation } from '../../commands/simulate';
import { parseFault } from '../../demo/faults';
import { SimulatedSite } from '../../physics';
import { defaultThresholds } from '@kirchhoff/core';
import { HealthEngine, HealthPersistedState } from '.';

const DAY_S = 86_400;

/** Relative error of an estimate against the truth, percent. */
const relErr = (estimate: number | null, truth: number) => (estimate === null ? Infinity : (Math.abs(estimate - truth) / truth) * 100);

describe('capacity test on a simulated site (truth: the physics)', () => {
  // Weak blocks (half capacity) at different places; ageing the estimator does not know.
  const cases = [
    // Hours: the test (start at 0.5 h, about 9.3 h and 8.4 h at the 10-hour rate) and a little more.
    { seed: 3, age: 6, weak: [2, 5], trigger: 'capacity-test' as const, hours: 10.3 },
    { seed: 11, age: 9, weak: [4], trigger: 'ups-on-battery' as const, hours: 9.4 },
  ];
  it.each(cases)('seed $seed, $age years, weak blocks $weak, through $trigger: SoH and remaining capacity within 10 % of the truth, the weak blocks named', ({ seed, age, weak, trigger, hours }) => {
    const r = runSimulation({
      strings: 1, modules: 6, hours, seed, ageYears: age, intervalS: 0, testSampleS: 10,
      faults: [...weak.map((m) => parseFault(`weak-block:1:${m}`)), ...(trigger === 'ups-on-battery' ? [parseFault('ups-on-battery@1800')] : [])],
      ...(trigger === 'capacity-test' ? { capacityTest: { startS: 1800 } } : {}),
    });
    expect(r.health.tests).toHaveLength(1);
    const test = r.health.tests[0];
    expect(test.trigger).toBe(trigger === 'capacity-test' ? 'simulator' : 'mains-failure');
    expect(test.end).toBe('end-voltage');
    for (const b of r.health.blocks) {
      expect(b.estimate.sohMethod).toBe(trigger === 'capacity-test' ? 'capacity-test' : 'discharge');
      expect(relErr(b.estimate.sohPercent, b.truth.sohPercent)).toBeLessThan(10);
      expect(relErr(b.estimate.remainingCapacityAh, b.truth.capacityAh)).toBeLessThan(10);
      expect(relErr(b.estimate.deliveredAh, b.truth.deliveredAh!)).toBeLessThan(1);
    }
    // The aged blocks are not all alike: the estimate follows each block, not the string.
    const healthy = r.health.blocks.filter((b) => !b.truth.weak);
    expect(Math.max(...healthy.map((b) => b.truth.sohPercent))).toBeLessThan(99);
    expect(r.health.collapsedEarly).toEqual([{ string: 1, modules: expect.arrayContaining(weak) }]);
    expect(r.health.collapsedEarly[0].modules).toHaveLength(weak.length);
    // The end-of-discharge view ranks the weak blocks first (they got to the end voltage first), well below the string mean.
    const ranking = test.strings[0].endOfDischarge.ranking;
    expect(ranking.slice(0, weak.length).map((x) => x.module).sort()).toEqual([...weak].sort());
    for (const x of ranking.slice(0, weak.length)) expect(x.belowMeanV).toBeGreaterThan(1);
  });
});

describe('Ri baseline and trend on a simulated string (truth: the physics Ri)', () => {
  it('captures the baseline from the first float readings, projects the end-of-life date of a block whose Ri rises, and keeps it over a restart', () => {
    const sim = new SimulatedSite({ strings: [{ modules: 6, moduleType: 'C20' }], seed: 4, ageYears: 3 });
    // A quiet float: coarse steps; Ri measured every 10 min as in production.
    sim.setIntervals(60, 600);
    const truthBaseline = sim.physics.truth(2).resistanceOhm;
    const riseDaily = 0.005;
    for (let d = 0; d < 60; d++) {
      sim.physics.setResistanceFactor(2, 1 + riseDaily * d);
      sim.advance(DAY_S);
    }
    // Truth: block 2's real Ri is up by the ramp (within a percent: temperature and charge move it a little) ...
    expect(sim.physics.truth(2).resistanceOhm / truthBaseline).toBeCloseTo(1 + riseDaily * 59, 1);
    // ... and, the ramp going on, reaches 1.5 x its Ri at commissioning during day 100 (its middle: 100.5).
    const truthEolDay = 0.5 / riseDaily + 0.5;
    const snap = sim.site.snapshot();
    const health = sim.engines.health.snapshot(snap);
    const b2 = health.blocks[1];
    expect(b2.resistance.baselineSource).toBe('measured');
    expect(relErr(b2.resistance.baselineOhm, truthBaseline)).toBeLessThan(4);
    // The baseline reaches the model, so the `baseline` Ri alarm mode has something to compare with.
    expect(snap.modules.map((m) => m.resistanceBaselineOhm)).toEqual(health.blocks.map((b) => b.resistance.baselineOhm));
    const eolDay = (b2.resistance.trend!.endOfLifeAtMs! - sim.physics.startMs) / (DAY_S * 1000);
    expect(Math.abs(eolDay - truthEolDay)).toBeLessThan(10);
    expect(b2.sohMethod).toBe('resistance');
    // The power it can deliver goes as 1 / Ri: the fade follows the real Ri.
    const truthFade = (1 - truthBaseline / sim.physics.truth(2).resistanceOhm) * 100;
    expect(Math.abs(b2.powerFadePercent! - truthFade)).toBeLessThan(3);
    for (const b of health.blocks.filter((x) => x.module !== 2)) expect(b.resistance.trend!.endOfLifeAtMs).toBeNull();

    // A restart: the state as the data logger keeps it (JSON), into a new engine.
    const saved = JSON.parse(JSON.stringify(sim.engines.health.exportState())) as HealthPersistedState;
    const restarted = new HealthEngine();
    expect(restarted.restoreState(saved, snap)).toBe(true);
    expect(restarted.snapshot(snap)).toEqual(health);
    // And without a running gateway (the passport, reports): the same figures from the kept state and the strings.
    expect(HealthEngine.blocksFromState(saved, [{ moduleCount: 6, capacityAh: 100, moduleType: 'C20' }])).toEqual(health.blocks);
    expect(HealthEngine.blocksFromState(saved, [{ moduleCount: 5, capacityAh: 100, moduleType: 'C20' }])).toBeNull();
  });

  it('arms the `baseline` Ri alarm mode with the baseline it measured: a block whose Ri rises 40 % raises module-resistance-high', () => {
    const thresholds = defaultThresholds('C20', 100);
    const sim = new SimulatedSite({
      strings: [{ modules: 6, moduleType: 'C20' }], seed: 6,
      site: { thresholds: { ...thresholds, moduleResistance: { mode: 'baseline', warnHigh: 25, alarmHigh: 50, hysteresis: 5, delayMs: 0 } } },
    });
    sim.setIntervals(1, 60);
    sim.advance(3600);
    expect(sim.site.snapshot().modules.every((m) => m.resistanceBaselineOhm !== null)).toBe(true);
    expect(sim.site.snapshot().alarms.filter((a) => a.kind === 'module-resistance-high')).toEqual([]);
    sim.physics.setResistanceFactor(4, 1.4);
    sim.advance(1800);
    const raised = sim.site.snapshot().alarms.filter((a) => a.kind === 'module-resistance-high');
    expect(raised.map((a) => [a.severity, a.entity])).toEqual([['warning', { kind: 'module', string: 1, module: 4, global: 4 }]]);
    expect(raised[0].message).toContain('vs baseline');
  });
});
