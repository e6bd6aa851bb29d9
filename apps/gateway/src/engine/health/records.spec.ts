// When a discharge record says something about the blocks and when it does not, on the string physics:
// a mains blip leaves no record, a test stopped by its time limit measures no capacity, a discharge
// that did not start from full changes no state of health, an armed test that never sees a discharge
// gives up.
import { parseFault } from '../../demo/faults';
import { SimulatedSite } from '../../physics';

const site = (faults: string[] = []) => new SimulatedSite({ strings: [{ modules: 4, moduleType: 'C20' }], seed: 9, ageYears: 4, faults: faults.map(parseFault) });

describe('capacity and discharge records on the string physics', () => {
  it('keeps no record of a 30 s mains blip', () => {
    const sim = site(['ups-on-battery@600-630']);
    sim.advance(3600);
    expect(sim.engines.health.takeFinishedTests()).toEqual([]);
  });

  it('ends a test at its time limit without a capacity: the blocks keep their Ri-based health', () => {
    const sim = site();
    sim.advance(600);
    sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api', options: { maxDurationS: 3600 } }, 1);
    sim.physics.setCharger({ mode: 'discharge', currentA: 10 });
    sim.advance(2 * 3600);
    const [record] = sim.engines.health.takeFinishedTests();
    expect(record).toMatchObject({ trigger: 'api', end: 'time-limit' });
    expect(record.strings[0].deliveredAh).toBeCloseTo(10, 0);
    expect(record.strings[0].blocks.map((b) => b.capacityMethod)).toEqual(['none', 'none', 'none', 'none']);
    expect(record.strings[0].blocks.every((b) => b.atLeastAh === record.strings[0].blocks[0].atLeastAh && b.atLeastAh > 9)).toBe(true);
    const h = sim.engines.health.snapshot(sim.site.snapshot());
    expect(h.blocks.map((b) => b.sohMethod)).not.toContain('capacity-test');
  });

  it('records a second mains failure that began before the string was full again, but takes no capacity from it', () => {
    // 3 h on battery, 1 h of recharge, then on battery until the end voltage.
    const sim = site(['ups-on-battery@600-11400', 'ups-on-battery@15000']);
    sim.advance(13.5 * 3600);
    const records = sim.engines.health.takeFinishedTests();
    expect(records.map((r) => [r.trigger, r.end])).toEqual([['mains-failure', 'discharge-stopped'], ['mains-failure', 'end-voltage']]);
    // The second reached the end voltage, yet it started part-empty: what it delivered is no capacity.
    expect(records[1].strings[0].blocks.some((b) => b.capacityMethod === 'measured')).toBe(true);
    const h = sim.engines.health.snapshot(sim.site.snapshot());
    expect(h.blocks.map((b) => b.sohMethod)).not.toContain('discharge');
    // It was deep all the same: every block that got to the end voltage counts it.
    for (const b of records[1].strings[0].blocks.filter((x) => x.capacityMethod === 'measured')) expect(h.blocks[b.global - 1].deepDischarges).toBe(1);
  });

  it('gives up a test that sees no discharge within the hour, and then accepts a new one', () => {
    const sim = site();
    sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'scheduler', by: 'yearly' }, 1);
    expect(() => sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api' }, 1)).toThrow(/already running/);
    sim.advance(3700);
    expect(sim.engines.health.takeFinishedTests()).toMatchObject([{ trigger: 'scheduler', by: 'yearly', end: 'discharge-stopped', strings: [] }]);
    expect(sim.engines.health.runningTest()).toBeNull();
    expect(sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api', strings: [1] }, 1).state).toBe('waiting');
    expect(() => sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api', strings: [2] }, 1)).toThrow(/already running/);
  });

  it('refuses a test on a string the site does not have, or with an end voltage outside 1.5-2.0 V per cell', () => {
    const sim = site();
    expect(() => sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api', strings: [3] }, 1)).toThrow('strings: 3 is not a string of this site (1..1)');
    expect(() => sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'api', options: { endVoltsPerCell: 1.2 } }, 1)).toThrow(/endVoltsPerCell 1.2 is outside 1.50..2.00 V per cell/);
  });
});
