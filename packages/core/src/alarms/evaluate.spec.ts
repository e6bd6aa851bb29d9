import { Site } from '../site';
import { defaultThresholds, ThresholdSet } from './thresholds';

function siteWith(thresholds: Partial<ThresholdSet> = {}) {
  let now = 1;
  const site = new Site({
    strings: [{ modules: 4, moduleType: 'C20' }],
    ups: true,
    sensors: [{ name: 'Hydrogen', kind: 'hydrogen' }],
    inputs: [{ name: 'Door', alarmSeverity: 'warning' }],
    thresholds: { ...defaultThresholds(), ...thresholds },
    clock: () => now,
  });
  return { site, at: (ms: number) => (now = ms) };
}

const kinds = (site: Site) => site.snapshot().alarms.map((a) => `${a.kind}:${a.severity}@${a.entity.kind === 'module' ? a.entity.module : a.entity.kind}`).sort();
const fill = (site: Site, ri: number[], v = 13.6) => site.update((tx) => ri.forEach((r, i) => tx.moduleReadings(i + 1, { voltageV: v, temperatureC: 22, resistanceOhm: r })));

describe('site alarm evaluation', () => {
  it('Ri absolute: ohm limits', () => {
    const { site } = siteWith({ moduleResistance: { mode: 'absolute', warnHigh: 0.006, alarmHigh: 0.008, hysteresis: 0.0002, delayMs: 0 } });
    fill(site, [0.004, 0.0061, 0.0085, 0.004]);
    site.evaluateAlarms();
    expect(kinds(site)).toEqual(['module-resistance-high:alarm@3', 'module-resistance-high:warning@2']);
  });

  it('Ri string-mean: percent above the mean of the string', () => {
    const { site } = siteWith({ moduleResistance: { mode: 'string-mean', warnHigh: 30, alarmHigh: 50, hysteresis: 5, delayMs: 0 } });
    // mean = 0.005: module 4 at 0.0075 is +50 %, module 3 at 0.0066 is +32 %.
    fill(site, [0.0030, 0.0029, 0.0066, 0.0075]);
    site.evaluateAlarms();
    expect(kinds(site)).toEqual(['module-resistance-high:alarm@4', 'module-resistance-high:warning@3']);
  });

  it('Ri baseline: percent above each module\'s own commissioning value', () => {
    const { site } = siteWith({ moduleResistance: { mode: 'baseline', warnHigh: 25, alarmHigh: 60, hysteresis: 5, delayMs: 0 } });
    site.update((tx) => [0.004, 0.004, 0.008, 0.004].forEach((b, i) => tx.module(i + 1, { resistanceBaselineOhm: b })));
    // module 3 is high in absolute terms but only +5 % over its baseline; module 2 is +30 %.
    fill(site, [0.0041, 0.0052, 0.0084, 0.0068]);
    site.evaluateAlarms();
    expect(kinds(site)).toEqual(['module-resistance-high:alarm@4', 'module-resistance-high:warning@2']);
  });

  it('raises after the delay and clears with hysteresis, keeping the alarm id meanwhile', () => {
    const { site, at } = siteWith({ moduleVoltage: { warnHigh: 14.1, alarmHigh: 14.4, hysteresis: 0.05, delayMs: 10_000 } });
    fill(site, [0.004, 0.004, 0.004, 0.004]);
    site.update((tx) => tx.moduleReadings(2, { voltageV: 14.2 }));
    at(0); site.evaluateAlarms();
    at(9_000); site.evaluateAlarms();
    expect(site.snapshot().alarms).toHaveLength(0);
    at(10_000); site.evaluateAlarms();
    const raised = site.snapshot().alarms;
    expect(raised).toMatchObject([{ kind: 'module-voltage-high', severity: 'warning', raisedAtMs: 10_000, value: 14.2, limit: 14.1 }]);
    site.update((tx) => tx.moduleReadings(2, { voltageV: 14.06 }));
    at(11_000); site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.id)).toEqual([raised[0].id]);
    site.update((tx) => tx.moduleReadings(2, { voltageV: 14.0 }));
    at(12_000); site.evaluateAlarms();
    expect(site.snapshot().alarms).toHaveLength(0);
    expect(site.alarmHistory().map((a) => [a.id, a.clearedAtMs])).toEqual([[raised[0].id, null], [raised[0].id, 12_000]]);
  });

  // Issue 19 point 9: a dead bus gave one module-lost alarm (and action) per module, up to 512.
  it('raises one bus-failure alarm instead of a module-lost alarm per module while every module of every string is lost, and clears it when one answers', () => {
    const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }, { modules: 2, moduleType: 'C40' }], clock: () => 1 });
    const lose = (globals: number[]) => site.update((tx) => globals.forEach((g) => tx.module(g, { communication: 'lost' })));
    const kindsNow = () => site.snapshot().alarms.map((a) => `${a.kind}@${a.entity.kind === 'module' ? a.entity.global : a.entity.kind}`).sort();
    // Four of five lost: the bus answers (module 5), so each lost module is its own alarm.
    lose([1, 2, 3, 4]);
    site.evaluateAlarms();
    expect(kindsNow()).toEqual(['module-lost@1', 'module-lost@2', 'module-lost@3', 'module-lost@4']);
    lose([5]);
    site.evaluateAlarms();
    expect(kindsNow()).toEqual(['bus-failure@site']);
    expect(site.snapshot().alarms[0]).toMatchObject({ severity: 'alarm', message: 'Battery bus silent: none of the 5 modules in 2 strings answers' });
    // Module 3 answers again: the bus is back; the four still silent are lost one by one.
    site.update((tx) => tx.module(3, { communication: 'ok' }));
    site.evaluateAlarms();
    expect(kindsNow()).toEqual(['module-lost@1', 'module-lost@2', 'module-lost@4', 'module-lost@5']);
    expect(site.alarmHistory().filter((a) => a.kind === 'bus-failure').map((a) => a.clearedAtMs === null)).toEqual([true, false]);
  });

  it('raises state alarms: module lost, fuse blown, balancing off, UPS on battery, input active', () => {
    const { site } = siteWith();
    fill(site, [0.004, 0.004, 0.004, 0.004]);
    site.update((tx) => {
      tx.module(1, { communication: 'lost' });
      tx.module(2, { fuse: 'blown' });
      tx.balancing({ enabled: false, disabledReason: 'fuse blown on S01-M02' });
      tx.ups({ output: { source: 'battery' }, battery: { status: 'low' } });
      tx.input(1, true);
    });
    site.evaluateAlarms();
    expect(kinds(site)).toEqual([
      'balancing-disabled:alarm@site', 'input-active:warning@input', 'module-fuse-blown:alarm@2', 'module-lost:alarm@1',
      'ups-battery-low:alarm@ups', 'ups-on-battery:alarm@ups',
    ]);
  });

  it('does not clear a level alarm because the module stopped answering', () => {
    const { site } = siteWith({ moduleTemperature: { alarmHigh: 45, hysteresis: 1, delayMs: 0 } });
    site.update((tx) => tx.moduleReadings(1, { temperatureC: 50 }));
    site.evaluateAlarms();
    site.update((tx) => tx.moduleQuality(1, 'failed'));
    site.evaluateAlarms();
    expect(kinds(site)).toContain('module-temperature-high:alarm@1');
  });

  it('evaluates sensor thresholds by sensor id', () => {
    const { site } = siteWith({ sensors: { '1': { warnHigh: 1, alarmHigh: 2, hysteresis: 0.1, delayMs: 0 } } });
    site.update((tx) => tx.sensor(1, 2.5));
    site.evaluateAlarms();
    expect(site.snapshot().alarms[0]).toMatchObject({ kind: 'sensor-high', severity: 'alarm', message: 'Hydrogen 2.50 %LEL above alarm limit 2 %LEL' });
  });
});

describe('alarm table', () => {
  it('numbers alarms upwards, never reusing an id, and records acknowledgement', () => {
    const { site } = siteWith();
    site.update((tx) => tx.input(1, true));
    site.evaluateAlarms();
    const first = site.snapshot().alarms[0];
    site.acknowledgeAlarm(first.id, 'operator');
    expect(site.snapshot().alarms[0].acknowledged).toMatchObject({ by: 'operator' });
    site.update((tx) => tx.input(1, false));
    site.evaluateAlarms();
    site.update((tx) => tx.input(1, true));
    site.evaluateAlarms();
    const second = site.snapshot().alarms[0];
    expect(second.key).toBe(first.key);
    expect(second.id).toBeGreaterThan(first.id);
    expect(second.acknowledged).toBeNull();
    expect(() => site.acknowledgeAlarm(999, 'x')).toThrow(/no active alarm with id 999/);
  });

  it('keeps each origin\'s alarms apart', () => {
    const { site } = siteWith();
    site.reconcileAlarms('runaway', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'runaway', value: null, limit: null }]);
    site.evaluateAlarms();
    expect(kinds(site)).toEqual(['thermal-runaway:critical@string']);
    site.reconcileAlarms('runaway', []);
    expect(kinds(site)).toEqual([]);
  });

  describe('alarm hygiene (issue 13)', () => {
    const instant = { moduleVoltage: { ...defaultThresholds().moduleVoltage, delayMs: 0 }, moduleTemperature: { ...defaultThresholds().moduleTemperature, delayMs: 0 } };
    const blocks = (site: Site, volts: number[], temps: number[] = volts.map(() => 22)) =>
      site.update((tx) => volts.forEach((v, i) => tx.moduleReadings(i + 1, { voltageV: v, temperatureC: temps[i], resistanceOhm: 0.004 })));

    it('a discharge brings every block below 12 V with no module alarm until the UPS reports battery low', () => {
      const { site } = siteWith(instant);
      site.update((tx) => tx.string(1, { chargeMode: 'discharge', dcCurrentA: -33 }));
      blocks(site, [11.3, 11.35, 11.4, 11.2]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual([]);
      site.update((tx) => tx.ups({ battery: { status: 'low' } }));
      site.evaluateAlarms();
      // Past the UPS low-battery point: one string alarm, not one per block.
      expect(kinds(site)).toEqual(['module-voltage-low:alarm@string', 'ups-battery-low:alarm@ups']);
    });

    it('the same low block in float is a module alarm of that block only', () => {
      const { site } = siteWith(instant);
      site.update((tx) => tx.string(1, { chargeMode: 'float', socPercent: 100 }));
      blocks(site, [13.6, 13.6, 11.3, 13.7]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual(['module-voltage-low:alarm@3']);
    });

    it('a recharge (charger on, not yet full) raises no low-voltage, imbalance or float-current alarm', () => {
      const { site } = siteWith(instant);
      site.update((tx) => tx.string(1, { chargeMode: 'float', socPercent: 40, dcCurrentA: 10 }));
      blocks(site, [11.9, 12.3, 11.8, 12.1]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual([]);
    });

    it('a boost at 2.40 V per cell (14.4 V) is not a high-voltage alarm; 14.4 V in float is', () => {
      const { site } = siteWith(instant);
      site.update((tx) => tx.string(1, { chargeMode: 'boost', socPercent: 100 }));
      blocks(site, [14.4, 14.41, 14.39, 14.4]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual([]);
      // Nor is the spread of a boost, which the bypasses cannot keep up with (8 h boost of issue 13).
      blocks(site, [14.1, 14.7, 14.35, 14.45]);
      site.evaluateAlarms();
      expect(site.snapshot().strings[0].spreadV.value).toBeGreaterThan(site.snapshot().thresholds.stringImbalance.alarmHigh as number);
      expect(kinds(site)).toEqual([]);
      site.update((tx) => tx.string(1, { chargeMode: 'float' }));
      blocks(site, [13.6, 13.6, 14.4, 13.6]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual(['module-voltage-high:alarm@3']);
    });

    it('a warm room (every block at 41 degC) is one string alarm; one hot block is its own', () => {
      const { site } = siteWith(instant);
      site.update((tx) => tx.string(1, { chargeMode: 'float', socPercent: 100 }));
      blocks(site, [13.6, 13.6, 13.6, 13.6], [41, 41.2, 40.8, 41]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual(['module-temperature-high:warning@string']);
      expect(site.snapshot().alarms[0].message).toMatch(/^S01: 4 of 4 blocks above the warning limit \(worst 41.20\)/);
      blocks(site, [13.6, 13.6, 13.6, 13.6], [25, 25, 41, 25]);
      site.evaluateAlarms();
      expect(kinds(site)).toEqual(['module-temperature-high:warning@3']);
    });

    it.each([
      ['C40', 2.27, 1.9], ['C41', 4.54, 3.8], ['C30', 6.81, 5.7], ['C20', 13.62, 11.4], ['C23', 18.16, 15.2],
    ] as const)('%s defaults: float (%s V) is quiet; the low alarm is 1.90 V per cell (%s V)', (type, floatV, alarmLowV) => {
      const d = defaultThresholds(type);
      expect(d.moduleVoltage.alarmLow).toBeCloseTo(alarmLowV, 3);
      expect(floatV).toBeGreaterThan(d.moduleVoltage.warnLow as number);
      expect(floatV).toBeLessThan(d.moduleVoltage.warnHigh as number);
    });
  });
});

describe('site alarm evaluation: what each alarm says', () => {
  const said = (site: Site) => site.snapshot().alarms.map((a) => ({ kind: a.kind, severity: a.severity, entity: a.entity, message: a.message, value: a.value, limit: a.limit }))
    .sort((a, b) => a.kind.localeCompare(b.kind));

  it('names the UPS, the state and the minutes left for each UPS condition', () => {
    const { site, at } = siteWith();
    site.update((tx) => tx.ups({ ident: { name: 'UPS-A' }, output: { source: 'battery' }, battery: { status: 'depleted', estimatedMinutesRemaining: 7 }, test: { resultsSummary: 'doneError', resultsDetail: 'cell 3 weak' } }));
    at(10);
    site.evaluateAlarms();
    const ups = { kind: 'ups' };
    expect(said(site)).toEqual([
      { kind: 'ups-battery-depleted', severity: 'critical', entity: ups, message: 'UPS UPS-A battery depleted', value: null, limit: null },
      { kind: 'ups-on-battery', severity: 'alarm', entity: ups, message: 'UPS UPS-A on battery, 7 min remaining', value: null, limit: null },
      { kind: 'ups-test-failed', severity: 'warning', entity: ups, message: 'UPS UPS-A battery test failed: cell 3 weak', value: null, limit: null },
    ]);
    site.update((tx) => tx.ups({ output: { source: 'normal' }, battery: { status: 'low' }, test: { resultsSummary: 'inProgress' } }));
    site.evaluateAlarms();
    expect(said(site).map((a) => [a.kind, a.severity, a.message])).toEqual([
      ['ups-battery-low', 'alarm', 'UPS UPS-A battery low'],
      ['ups-test-in-progress', 'warning', 'UPS UPS-A test in progress'],
    ]);
  });

  it('raises ups-communication-lost only for a UPS that answered once', () => {
    const { site } = siteWith();
    // A UPS never read yet is not lost: the first poll decides.
    expect(site.snapshot().ups).toMatchObject({ atMs: 0 });
    site.evaluateAlarms();
    expect(said(site)).toEqual([]);
    site.update((tx) => tx.ups({ ident: { name: 'UPS-A' }, quality: 'failed' }));
    site.evaluateAlarms();
    expect(said(site).map((a) => [a.kind, a.severity, a.message])).toEqual([['ups-communication-lost', 'alarm', 'UPS UPS-A does not answer']]);
  });

  it('says which input, sensor and level, with the value and limit in the sensor\'s unit', () => {
    const { site } = siteWith({ sensors: { '1': { warnHigh: 10, alarmHigh: 25, hysteresis: 1, delayMs: 0 } } });
    site.update((tx) => {
      tx.input(1, true);
      tx.sensor(1, 12.5);
    });
    site.evaluateAlarms();
    expect(said(site)).toEqual([
      { kind: 'input-active', severity: 'warning', entity: { kind: 'input', id: 1 }, message: 'Input Door active', value: null, limit: null },
      { kind: 'sensor-high', severity: 'warning', entity: { kind: 'sensor', id: 1 }, message: 'Hydrogen 12.50 %LEL above warning limit 10 %LEL', value: 12.5, limit: 10 },
    ]);
    site.update((tx) => tx.sensor(1, 0.25));
    site.evaluateAlarms();
    expect(said(site).map((a) => a.kind)).toEqual(['input-active']);
  });

  it('says when balancing is off and why', () => {
    const { site } = siteWith();
    site.update((tx) => tx.balancing({ enabled: false, disabledReason: 'breaker open' }));
    site.evaluateAlarms();
    expect(said(site)).toEqual([{ kind: 'balancing-disabled', severity: 'alarm', entity: { kind: 'site' }, message: 'Balancing disabled: breaker open', value: null, limit: null }]);
  });
});
