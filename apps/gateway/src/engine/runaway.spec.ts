import { SimulatedSite } from '../physics';
import { parseFault } from '../demo/faults';

describe('thermal runaway', () => {
  it('a runaway fault raises the critical alarm and trips the breaker relay once the configured delay has passed', () => {
    const delayS = 120;
    const sim = new SimulatedSite({
      strings: [{ modules: 20, moduleType: 'C20' }],
      faults: [parseFault('thermal-runaway:1:7@7200')],
      runaway: { delayS, breakerRelayId: 1 },
    });
    let conditionAtS: number | null = null;
    let alarmAtS: number | null = null;
    let relayAtS: number | null = null;
    sim.advance(6 * 3600, () => {
      const snap = sim.site.snapshot();
      const since = sim.engines.runaway.conditionSinceMs(1);
      if (conditionAtS === null && since !== null) conditionAtS = (since - sim.physics.startMs) / 1000;
      if (alarmAtS === null && snap.alarms.some((a) => a.kind === 'thermal-runaway')) alarmAtS = sim.elapsedS;
      if (relayAtS === null && snap.relays[0].on) relayAtS = sim.elapsedS;
    });
    expect(conditionAtS).not.toBeNull();
    expect(alarmAtS).not.toBeNull();
    const c = conditionAtS as unknown as number;
    const a = alarmAtS as unknown as number;
    expect(c).toBeGreaterThan(7200);
    // Not before the delay, and no later than one control cycle (10 s) after it.
    expect(a - c).toBeGreaterThanOrEqual(delayS);
    expect(a - c).toBeLessThanOrEqual(delayS + 10);
    expect(relayAtS).toBe(alarmAtS);
    const snap = sim.site.snapshot();
    const alarm = snap.alarms.find((x) => x.kind === 'thermal-runaway');
    expect(alarm?.severity).toBe('critical');
    // The block that runs away is named, not only the string (SNMP bmsAlarmModuleIndex, alarm entity).
    expect(alarm?.entity).toEqual({ kind: 'module', string: 1, module: 7, global: 7 });
    expect(snap.relays[0]).toMatchObject({ name: 'Battery breaker', function: 'breaker', on: true });
    // The breaker is open: no more charge current into the string, and the alarm is latched.
    expect(snap.strings[0].dcCurrentA.value).toBe(0);
  });

  it('no alarm on a healthy string in float, even while balancing raises the float current', () => {
    const sim = new SimulatedSite({ strings: [{ modules: 20, moduleType: 'C20' }], runaway: { delayS: 60 } });
    sim.advance(12 * 3600);
    expect(sim.site.snapshot().alarms.map((a) => a.kind)).not.toContain('thermal-runaway');
    expect(sim.site.snapshot().relays[0].on).toBe(false);
  });
});
