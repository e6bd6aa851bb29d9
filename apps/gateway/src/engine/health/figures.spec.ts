// The health figures beside the capacity (throughput, cycles, round-trip efficiency, deep discharges,
// temperature and life, string current share, the "0 % balancing while the charger runs" diagnosis)
// on simulated strings, against what the physics really did.
import { parseFault } from '../../demo/faults';
import { SimulatedSite } from '../../physics';

describe('health figures on a simulated discharge and recharge (truth: the physics)', () => {
  it('counts throughput, cycles and round-trip efficiency as the cells saw them, one deep discharge for the weak block, and the current share', () => {
    // Two strings; mains fails for 5.5 h at 0.1 C: the weak block (half capacity) goes below 1.75 V/cell, the
    // rest do not; the recharge takes until about 17 h.
    const sim = new SimulatedSite({
      strings: [{ modules: 6, moduleType: 'C20' }, { modules: 6, moduleType: 'C20' }], seed: 5, ageYears: 4,
      faults: [parseFault('weak-block:1:3'), parseFault('ups-on-battery@1800-21600')],
    });
    const n = sim.physics.moduleCount;
    const outWh = new Float64Array(n);
    const inWh = new Float64Array(n);
    const outAh = new Float64Array(n);
    const tempSum = new Float64Array(n);
    let seconds = 0;
    let rteSeen = false;
    let last = sim.elapsedS;
    const follow = () => {
      const dt = sim.elapsedS - last;
      last = sim.elapsedS;
      if (!rteSeen && sim.elapsedS % 600 < 10 && sim.engines.health.snapshot(sim.site.snapshot()).strings[0].roundTripEfficiencyPercent !== null) rteSeen = true;
      for (let g = 1; g <= n; g++) {
        const t = sim.physics.truth(g);
        const i = t.cellCurrentA + t.bypassCurrentA;
        // The cycle the engine closes: from the discharge until it reports the efficiency.
        if (!rteSeen && sim.elapsedS > 1800) {
          if (i < 0) { outWh[g - 1] += (-i * t.voltageV * dt) / 3600; outAh[g - 1] += (-i * dt) / 3600; }
          else inWh[g - 1] += (i * t.voltageV * dt) / 3600;
        }
        tempSum[g - 1] += t.temperatureC * dt;
      }
      seconds += dt;
    };
    sim.advance(18.5 * 3600, follow);
    const h = sim.engines.health.snapshot(sim.site.snapshot());
    expect(rteSeen).toBe(true);
    for (const b of h.blocks) {
      const k = b.global - 1;
      expect(b.throughput.dischargedAh).toBeCloseTo(outAh[k], 0);
      expect(b.throughput.equivalentFullCycles).toBeCloseTo(outAh[k] / 100, 2);
      expect(Math.abs(b.roundTripEfficiencyPercent! - (outWh[k] / inWh[k]) * 100)).toBeLessThan(2);
      // One cycle so far: the first is the last.
      expect(b.firstRoundTripEfficiencyPercent).toBe(b.roundTripEfficiencyPercent);
      expect(b.deepDischarges).toBe(b.global === 3 ? 1 : 0);
      const meanC = tempSum[k] / seconds;
      expect(b.temperature.meanC!).toBeCloseTo(meanC, 0);
      expect(b.temperature.expectedLifeYears!).toBeCloseTo(10 * Math.pow(2, -(meanC - 20) / 10), 0);
    }
    // Equal strings, equal load: half each.
    expect(h.strings.map((s) => s.currentSharePercent)).toEqual([50, 50]);
    expect(h.strings.map((s) => s.balancingDiagnosis)).toEqual([null, null]);
  });

  it('diagnoses "0 % balancing while the charger runs": a floating string out of balance whose blocks never bypass, and a string whose breaker is open while the UPS runs on mains', () => {
    const run = (balancing: boolean, breakerOpen: boolean) => {
      const sim = new SimulatedSite({
        strings: [{ modules: 6, moduleType: 'C20' }], seed: 2, initialSpreadV: 0.3, balancing: { enabled: balancing },
        site: { ups: true }, afterMeasure: (site) => site.update((tx) => tx.ups({ output: { source: 'normal' }, quality: 'fresh', atMs: site.now() })),
      });
      if (breakerOpen) sim.site.update((tx) => tx.relay(1, true));
      sim.setIntervals(1, 60);
      sim.advance(7 * 3600);
      return sim.engines.health.snapshot(sim.site.snapshot()).strings[0].balancingDiagnosis;
    };
    expect(run(true, false)).toBeNull();
    expect(run(false, false)).toMatchObject({ message: expect.stringContaining('check the battery breaker'), sinceHours: expect.any(Number) });
    expect(run(true, true)).toMatchObject({ message: expect.stringContaining('S01 is out of balance while the charger runs') });
  });

  it('reports the self-discharge measured in a rest phase (charger off) near the rate the blocks really lose charge', () => {
    const sim = new SimulatedSite({ strings: [{ modules: 4, moduleType: 'C20' }], seed: 3, ageYears: 5 });
    sim.advance(3600);
    sim.physics.setCharger({ mode: 'off' });
    sim.setIntervals(60, 600);
    const truthSoc = () => [1, 2, 3, 4].map((g) => sim.physics.truth(g).socPercent);
    sim.advance(4 * 86_400);
    const before = truthSoc();
    sim.advance(3 * 86_400);
    const after = truthSoc();
    const h = sim.engines.health.snapshot(sim.site.snapshot());
    h.blocks.forEach((b, i) => {
      const truthPerDay = (before[i] - after[i]) / 3;
      expect(Math.abs(b.selfDischargePercentPerDay! - truthPerDay) / truthPerDay).toBeLessThan(0.3);
    });
  });

  it('counts the hours each block spends above the high and below the low temperature limit, as the physics\' block temperatures do', () => {
    const sim = new SimulatedSite({ strings: [{ modules: 4, moduleType: 'C20' }], seed: 8 });
    sim.setIntervals(10, 60);
    const hot = new Float64Array(4);
    const cold = new Float64Array(4);
    const count = () => {
      for (let g = 1; g <= 4; g++) {
        const t = sim.physics.truth(g).temperatureC;
        if (t > 35) hot[g - 1] += 60 / 3600;
        if (t < 0) cold[g - 1] += 60 / 3600;
      }
    };
    // An air-conditioning failure (40 degC for 5 h), then a winter night without heating (-8 degC for 8 h).
    sim.physics.ambientC = 40;
    sim.advance(5 * 3600, count);
    sim.physics.ambientC = -8;
    sim.advance(8 * 3600, count);
    const h = sim.engines.health.snapshot(sim.site.snapshot());
    for (const b of h.blocks) {
      expect(hot[b.global - 1]).toBeGreaterThan(1);
      expect(cold[b.global - 1]).toBeGreaterThan(1);
      expect(b.temperature.hoursAboveLimit).toBeCloseTo(hot[b.global - 1], 1);
      expect(b.temperature.hoursBelowLowLimit).toBeCloseTo(cold[b.global - 1], 1);
      expect(b.temperature.hoursAboveLimitCharging).toBeLessThanOrEqual(b.temperature.hoursAboveLimit);
      expect(b.temperature.hoursBelowLowLimitCharging).toBeLessThanOrEqual(b.temperature.hoursBelowLowLimit);
    }
  });
});
