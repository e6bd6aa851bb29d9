// Alarm hygiene by charge mode and per string (issue 13.4), limit by limit: what a normal boost,
// recharge and discharge must not raise, what float still raises, and when N module alarms become
// one string alarm. Written where mutation testing found these rules unchecked.
import { Site } from '../site';
import { defaultThresholds } from './thresholds';

const T = { hysteresis: 0.05, delayMs: 0 };

/** Imbalance limits out of reach unless a test is about them (one block moved is an imbalance too). */
function site(imbalance = { warnHigh: 10, alarmHigh: 20 }) {
  const s = new Site({
    strings: [{ modules: 4, moduleType: 'C20' }, { modules: 4, moduleType: 'C20' }],
    ups: true,
    thresholds: {
      ...defaultThresholds(),
      moduleVoltage: { warnHigh: 14.1, alarmHigh: 14.4, warnLow: 12, alarmLow: 11.4, ...T },
      stringImbalance: { ...imbalance, hysteresis: 0.01, delayMs: 0 },
      stringCurrent: { warnHigh: 1, alarmHigh: 5, hysteresis: 0.1, delayMs: 0 },
      stringRipple: { warnHigh: 5, alarmHigh: 10, hysteresis: 0.5, delayMs: 0 },
      stringGroundFault: { warnHigh: 0.03, alarmHigh: 0.1, hysteresis: 0.005, delayMs: 0 },
    },
    clock: () => 1,
  });
  // Every block healthy, both strings full in float, the UPS on mains.
  s.update((tx) => {
    for (let g = 1; g <= 8; g++) tx.moduleReadings(g, { voltageV: 13.6, temperatureC: 22, resistanceOhm: 0.004 });
    for (const n of [1, 2]) tx.string(n, { chargeMode: 'float', socPercent: 100, dcCurrentA: 0.1, rippleCurrentA: 0.5, differentialPositiveA: 0, differentialNegativeA: 0 });
    tx.ups({ battery: { status: 'normal' } });
  });
  return s;
}

const alarms = (s: Site) => {
  s.evaluateAlarms();
  return s.snapshot().alarms.map((a) => `${a.kind}:${a.severity}@${a.entity.kind === 'module' ? `S${a.entity.string}M${a.entity.module}` : a.entity.kind === 'string' ? `S${a.entity.string}` : a.entity.kind}`).sort();
};

describe('module voltage limits by charge mode', () => {
  it('in boost the high limits rise by 0.13 V per cell (0.78 V for a 12 V block); in float they do not', () => {
    const s = site();
    s.update((tx) => tx.moduleReadings(2, { voltageV: 14.2 }));
    expect(alarms(s)).toEqual(['module-voltage-high:warning@S1M2']);
    expect(s.snapshot().alarms[0]).toMatchObject({ value: 14.2, limit: 14.1 });
    s.update((tx) => tx.string(1, { chargeMode: 'boost' }));
    expect(alarms(s)).toEqual([]);
    s.update((tx) => tx.moduleReadings(2, { voltageV: 14.95 }));
    expect(alarms(s)).toEqual(['module-voltage-high:warning@S1M2']);
    expect(s.snapshot().alarms[0].limit).toBeCloseTo(14.88, 6);
    s.update((tx) => tx.moduleReadings(2, { voltageV: 15.2 }));
    expect(alarms(s)).toEqual(['module-voltage-high:alarm@S1M2']);
    expect(s.snapshot().alarms[0].limit).toBeCloseTo(15.18, 6);
    // The allowance is for the boosted string only.
    s.update((tx) => tx.moduleReadings(6, { voltageV: 14.2 }));
    expect(alarms(s)).toEqual(['module-voltage-high:alarm@S1M2', 'module-voltage-high:warning@S2M2']);
  });

  it('in a recharge, and in float or boost before the string is full again, a low block raises nothing; once full it does', () => {
    const s = site();
    s.update((tx) => tx.moduleReadings(3, { voltageV: 11.9 }));
    for (const [mode, soc] of [['recharge', 100], ['float', 99], ['boost', 60]] as const) {
      s.update((tx) => tx.string(1, { chargeMode: mode, socPercent: soc }));
      expect([mode, soc, alarms(s)]).toEqual([mode, soc, []]);
    }
    s.update((tx) => tx.string(1, { chargeMode: 'float', socPercent: 100 }));
    expect(alarms(s)).toEqual(['module-voltage-low:warning@S1M3']);
    // A string whose SoC is unknown is judged as full.
    s.update((tx) => tx.string(1, { socPercent: null }));
    expect(alarms(s)).toEqual(['module-voltage-low:warning@S1M3']);
  });

  it('in a discharge the low limits wait for the UPS low-battery point, then count', () => {
    const s = site();
    s.update((tx) => {
      tx.string(1, { chargeMode: 'discharge', socPercent: 40 });
      tx.moduleReadings(1, { voltageV: 11.2 });
      tx.ups({ battery: { status: 'normal' } });
    });
    expect(alarms(s)).toEqual([]);
    s.update((tx) => tx.ups({ battery: { status: 'low' } }));
    expect(alarms(s)).toEqual(['module-voltage-low:alarm@S1M1', 'ups-battery-low:alarm@ups']);
    s.update((tx) => tx.ups({ battery: { status: 'depleted' } }));
    expect(alarms(s)).toEqual(['module-voltage-low:alarm@S1M1', 'ups-battery-depleted:critical@ups']);
    s.update((tx) => tx.ups({ battery: { status: 'unknown' } }));
    expect(alarms(s)).toEqual([]);
    // High limits still count in a discharge.
    s.update((tx) => tx.moduleReadings(2, { voltageV: 14.5 }));
    expect(alarms(s)).toEqual(['module-voltage-high:alarm@S1M2']);
  });
});

describe('string limits by charge mode', () => {
  it('imbalance is judged in float (full) and at rest, not in a discharge, boost or recharge', () => {
    const s = site({ warnHigh: 0.1, alarmHigh: 0.3 });
    s.update((tx) => tx.moduleReadings(1, { voltageV: 13.75 }));
    const spread = s.snapshot().strings[0].spreadV.value!;
    expect(spread).toBeGreaterThan(0.1);
    expect(alarms(s)).toEqual(['string-imbalance:warning@S1']);
    const judged = (['float', 'rest', 'discharge', 'boost', 'recharge'] as const).map((mode) => {
      s.update((tx) => tx.string(1, { chargeMode: mode }));
      return [mode, alarms(s).includes('string-imbalance:warning@S1')];
    });
    expect(judged).toEqual([['float', true], ['rest', true], ['discharge', false], ['boost', false], ['recharge', false]]);
    s.update((tx) => tx.string(1, { chargeMode: 'float', socPercent: 90 }));
    expect(alarms(s)).toEqual([]);
  });

  it('the float current limit holds only in float on a full string; ripple and ground fault in every mode', () => {
    const s = site();
    s.update((tx) => tx.string(1, { dcCurrentA: 2 }));
    expect(alarms(s)).toEqual(['string-current-high:warning@S1']);
    for (const [mode, soc] of [['float', 90], ['boost', 100], ['recharge', 100], ['rest', 100], ['discharge', 100]] as const) {
      s.update((tx) => tx.string(1, { chargeMode: mode, socPercent: soc }));
      expect([mode, soc, alarms(s)]).toEqual([mode, soc, []]);
    }
    s.update((tx) => tx.string(1, { rippleCurrentA: 6, differentialPositiveA: 0.2, differentialNegativeA: 0.05 }));
    expect(alarms(s)).toEqual(['string-ground-fault:alarm@S1', 'string-ripple-high:warning@S1']);
    const gf = s.snapshot().alarms.find((a) => a.kind === 'string-ground-fault')!;
    expect(gf).toMatchObject({ value: 0.15, limit: 0.1 });
    expect(gf.message).toBe('S01 ground-fault current 0.150 A above alarm limit 0.100 A');
  });
});

describe('one string alarm for a string-wide cause', () => {
  it('half the blocks or more (at least two) with the same alarm become one string alarm naming the worst; fewer stay module alarms', () => {
    const s = site();
    s.update((tx) => { tx.moduleReadings(1, { voltageV: 11.9 }); tx.moduleReadings(3, { voltageV: 11.8 }); });
    expect(alarms(s)).toEqual(['module-voltage-low:warning@S1']);
    const a = s.snapshot().alarms[0];
    expect(a).toMatchObject({ value: 11.8, limit: 12 });
    expect(a.message).toBe('S01: 2 of 4 blocks below the warning limit (worst 11.80), e.g. S01-M01 voltage 11.90 V below warning limit 12 V');
    // High: the worst is the highest.
    s.update((tx) => { tx.moduleReadings(1, { voltageV: 13.6 }); tx.moduleReadings(3, { voltageV: 13.6 }); tx.moduleReadings(5, { voltageV: 14.2 }); tx.moduleReadings(8, { voltageV: 14.3 }); });
    expect(alarms(s)).toEqual(['module-voltage-high:warning@S2']);
    expect(s.snapshot().alarms[0]).toMatchObject({ value: 14.3, limit: 14.1 });
    expect(s.snapshot().alarms[0].message).toMatch(/^S02: 2 of 4 blocks above the warning limit \(worst 14\.30\)/);
    // One block: its own alarm.
    s.update((tx) => tx.moduleReadings(8, { voltageV: 13.6 }));
    expect(alarms(s)).toEqual(['module-voltage-high:warning@S2M1']);
    // Different severities are different causes.
    s.update((tx) => tx.moduleReadings(8, { voltageV: 14.5 }));
    expect(alarms(s)).toEqual(['module-voltage-high:alarm@S2M4', 'module-voltage-high:warning@S2M1']);
  });

  it('lost modules and blown fuses stay per module, however many (each is its own block to replace)', () => {
    const s = site();
    s.update((tx) => { [1, 2, 3].forEach((g) => tx.module(g, { communication: 'lost' })); tx.module(4, { fuse: 'blown' }); tx.module(5, { fuse: 'blown' }); tx.module(6, { fuse: 'blown' }); });
    expect(alarms(s)).toEqual(['module-fuse-blown:alarm@S1M4', 'module-fuse-blown:alarm@S2M1', 'module-fuse-blown:alarm@S2M2', 'module-lost:alarm@S1M1', 'module-lost:alarm@S1M2', 'module-lost:alarm@S1M3']);
  });

  it('a silent bus is one bus-failure alarm, in words that count the modules and strings', () => {
    const one = new Site({ strings: [{ modules: 3, moduleType: 'C20' }], clock: () => 1 });
    one.update((tx) => [1, 2, 3].forEach((g) => tx.module(g, { communication: 'lost' })));
    expect(alarms(one)).toEqual(['bus-failure:alarm@site']);
    expect(one.snapshot().alarms[0].message).toBe('Battery bus silent: none of the 3 modules in 1 string answers');
    const s = site();
    s.update((tx) => { for (let g = 1; g <= 8; g++) tx.module(g, { communication: 'lost' }); });
    expect(alarms(s)).toEqual(['bus-failure:alarm@site']);
    expect(s.snapshot().alarms[0].message).toBe('Battery bus silent: none of the 8 modules in 2 strings answers');
  });
});
