import { SimulatedSite } from '../physics';
import { parseFault } from '../demo/faults';
import { runawayScenarios, runScenario } from './runaway-scenarios';

// A representative slice of the scenario matrix (bench/runaway-matrix.ts runs all of it over 10
// seeds): a runaway with a lost module elsewhere in its string, a runaway whose onset comes while the
// charger rests, the recharge after an 80 % discharge (a full string's float current is watched again
// only once the charge is back), the false trip of issue 13, and one wild reading. Production defaults.
const scenario = (name: string) => {
  const sc = runawayScenarios().find((s) => s.name === name);
  if (!sc) throw new Error(`no scenario ${name}`);
  return sc;
};

describe('thermal runaway, block by block', () => {
  it.each([2])('a runaway with a lost module elsewhere in the string trips before 55 degC, within the delay + 60 s (seed %i)', (seed) => {
    const r = runScenario(scenario('runaway M7, M3 lost'), seed);
    expect(r.tripped).toBe(true);
    expect(r.tripBlockC).toBeLessThan(55);
    expect(r.detectionS).not.toBeNull();
    expect(r.detectionS as number).toBeLessThanOrEqual(60 + 60);
    expect(r.alarms).toContain('module-lost');
    // The runaway is the charger's: with the breaker open the block cools.
    expect(r.endBlockC as number).toBeLessThan(r.peakBlockC as number);
    expect(r.endRateCPerHour as number).toBeLessThan(0);
  });

  it('a runaway whose onset comes while the charger is off (intermittent charging) trips once the charger is back, within the delay + 60 s (seed 3)', () => {
    const r = runScenario(scenario('runaway M14 at rest'), 3);
    expect(r.tripped).toBe(true);
    expect(r.tripAtS as number).toBeGreaterThan(4 * 3600);
    expect(r.detectionS as number).toBeLessThanOrEqual(60 + 60);
    expect(r.tripBlockC).toBeLessThan(55);
  });

  it('the recharge after an 80 % discharge trips nothing and raises no alarm (seed 4)', () => {
    const r = runScenario(scenario('recharge after 80 % discharge'), 4);
    expect(r.tripped).toBe(false);
    expect(r.alarms).toEqual([]);
  });

  it('the demo fault list of issue 13 (lost modules, blown fuse, a short UPS discharge and the recharge) trips nothing', () => {
    const r = runScenario(scenario('false trip of issue 13 (demo fault list)'), 1);
    expect(r.tripped).toBe(false);
    expect(r.alarms).not.toContain('thermal-runaway');
  });

  it('one reading of 80 degC on one block trips nothing and raises no temperature alarm', () => {
    const r = runScenario({ ...scenario('one 80 degC reading'), hours: 2.5 }, 3);
    expect(r.tripped).toBe(false);
    expect(r.alarms).not.toContain('module-temperature-high');
  });
});

describe('breakers', () => {
  const site = (options: ConstructorParameters<typeof SimulatedSite>[0]) => new SimulatedSite({ ...options, runaway: { ...options.runaway, tripTemperatureC: 30, delayS: 20 } });

  it('trips only the breaker of the runaway string, confirms it on its status input, and the latch holds until an operator switches the relay off', () => {
    // A block read at 35 degC (above the lowered 30 degC trip) on string 2 (S02-M04, global 14).
    let hotOn = true;
    const sim = site({
      strings: [{ modules: 10, moduleType: 'C20' }, { modules: 10, moduleType: 'C20' }], initialSpreadV: 0.03,
      afterMeasure: (s) => { if (hotOn) s.update((tx) => tx.moduleReadings(14, { temperatureC: 35 })); },
    });
    sim.advance(120);
    const snap = sim.site.snapshot();
    expect(snap.relays.map((r) => r.on)).toEqual([false, true]);
    expect(sim.physics.isBreakerOpen(1)).toBe(false);
    expect(sim.physics.isBreakerOpen(2)).toBe(true);
    expect(snap.alarms.find((a) => a.kind === 'thermal-runaway')).toMatchObject({ severity: 'critical', entity: { kind: 'module', string: 2, module: 4, global: 14 } });
    expect(snap.alarms.map((a) => a.kind)).not.toContain('breaker-failed');
    expect(sim.engines.runaway.breakerStates()[1]).toMatchObject({ tripped: true, status: 'open' });
    // The block cools, the alarm stays (latched), the relay stays on: no automatic reclose.
    hotOn = false;
    sim.advance(600);
    expect(sim.site.snapshot().relays[1].on).toBe(true);
    expect(sim.site.snapshot().alarms.map((a) => a.kind)).toContain('thermal-runaway');
    // The operator switches the trip relay off (any protocol's set-relay): the latch resets.
    sim.site.update((tx) => tx.relay(2, false));
    sim.advance(30);
    expect(sim.site.snapshot().alarms.map((a) => a.kind)).not.toContain('thermal-runaway');
    expect(sim.physics.isBreakerOpen(2)).toBe(false);
    expect(sim.engines.runaway.takeEvents().map((e) => e.type)).toEqual(['trip', 'breaker-confirmed', 'reset']);
  });

  it('a breaker whose status input still reads closed after the confirm time raises a critical breaker-failed alarm', () => {
    const sim = site({
      strings: [{ modules: 10, moduleType: 'C20' }],
      initialSpreadV: 0.03,
      site: { relays: [{ name: 'Breaker', function: 'breaker' }], inputs: [{ name: 'Breaker closed' }] },
      runaway: { breakers: [{ relay: 1, strings: [1], statusInput: 1 }] },
      // The auxiliary contact is stuck closed.
      afterMeasure: (s) => s.update((tx) => { tx.moduleReadings(3, { temperatureC: 36 }); tx.input(1, true); }),
    });
    const kinds = () => sim.site.snapshot().alarms.map((a) => a.kind);
    for (let i = 0; i < 12 && !kinds().includes('thermal-runaway'); i++) sim.advance(10);
    expect(kinds()).toContain('thermal-runaway');
    expect(kinds()).not.toContain('breaker-failed');
    sim.advance(10);
    const failed = sim.site.snapshot().alarms.find((a) => a.kind === 'breaker-failed');
    expect(failed).toMatchObject({ severity: 'critical', entity: { kind: 'string', string: 1 } });
    expect(failed?.message).toMatch(/still reads closed after 10 s/);
  });

  it('a lost module does not stop the watch of the other blocks', () => {
    const sim = site({
      strings: [{ modules: 10, moduleType: 'C20' }], initialSpreadV: 0.03, faults: [parseFault('module-lost:1:2@0')],
      afterMeasure: (s) => s.update((tx) => tx.moduleReadings(9, { temperatureC: 36 })),
    });
    sim.advance(120);
    expect(sim.site.snapshot().alarms.find((a) => a.kind === 'thermal-runaway')?.message).toMatch(/S01-M09/);
  });
});
