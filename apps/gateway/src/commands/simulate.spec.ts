import { simulateCommand, SimulateReport } from './simulate';
import { UsageError } from './types';

async function simulate(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await simulateCommand.run(args, { out: (t) => (out += t), err: () => undefined });
  return { code, out };
}

describe('kirchhoff simulate', () => {
  it('--json: per hour and string the spread, mean SoC and alarms; balancing closes the +-0.15 V spread', async () => {
    const { code, out } = await simulate('--strings', '2', '--modules', '20', '--hours', '12', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(out) as SimulateReport;
    expect(r.hours.map((h) => h.hour)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.hours[0].strings.map((s) => s.string)).toEqual([1, 2]);
    expect(r.hours[0].strings[0].spreadV).toBeGreaterThan(0.12);
    expect(r.hours[0].strings[0].spreadV).toBeLessThanOrEqual(0.15);
    for (const s of r.hours[12].strings) {
      expect(s.spreadV).toBeLessThanOrEqual(0.01);
      expect(s.socPercent).toBe(100);
      expect(s.chargeMode).toBe('float');
      expect(s.alarms).toEqual([]);
    }
    expect(r.summary.finalSpreadV).toBe(Math.max(...r.hours[12].strings.map((s) => s.spreadV as number)));
  });

  it('--balancing off keeps the spread above 100 mV, and the imbalance alarm up', async () => {
    const r = JSON.parse((await simulate('--strings', '1', '--modules', '20', '--hours', '6', '--balancing', 'off', '--json')).out) as SimulateReport;
    for (const h of r.hours) expect(h.strings[0].spreadV).toBeGreaterThan(0.1);
    expect(r.summary.finalSpreadV).toBeGreaterThan(0.1);
    expect(r.hours[6].strings[0].alarms.map((a) => a.kind)).toContain('string-imbalance');
  });

  it('--charger discharge:AMPS and --fault show up in SoC and alarms', async () => {
    const r = JSON.parse((await simulate('--strings', '1', '--modules', '10', '--hours', '2', '--charger', 'discharge:20', '--fault', 'fuse-blown:1:3@1800', '--json')).out) as SimulateReport;
    expect(r.hours[2].strings[0].chargeMode).toBe('discharge');
    // 40 Ah of 100 Ah taken out.
    expect(r.hours[2].strings[0].socPercent).toBeGreaterThan(55);
    expect(r.hours[2].strings[0].socPercent).toBeLessThan(65);
    // A blown fuse takes its own block out of balancing, not the string: no general alarm.
    expect(r.hours[2].strings[0].alarms.map((a) => a.kind)).toContain('module-fuse-blown');
    expect(r.summary.alarmsRaised).not.toContain('balancing-disabled');
  });

  it('--json events: the runaway trip, the breaker relay and its confirmation at simulated times; per-block truth beside the estimate', async () => {
    const { out } = await simulate('--strings', '1', '--modules', '10', '--hours', '8', '--seed', '4', '--ambient', '30', '--deadband', '0.005',
      '--interval', '1800', '--fault', 'module-lost:1:2@600', '--fault', 'thermal-runaway:1:6@3600', '--json');
    const r = JSON.parse(out) as SimulateReport;
    const types = r.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['alarm-raised', 'breaker-trip', 'relay-on', 'breaker-confirmed']));
    const trip = r.events.find((e) => e.type === 'breaker-trip')!;
    const raised = r.events.find((e) => e.type === 'alarm-raised' && e.kind === 'thermal-runaway')!;
    const relay = r.events.find((e) => e.type === 'relay-on')!;
    expect(trip.atS).toBeGreaterThan(3600);
    expect([raised.atS, relay.atS]).toEqual([trip.atS, trip.atS]);
    expect(raised.entity).toBe('S1-M6');
    expect(r.events.find((e) => e.type === 'alarm-raised' && e.kind === 'module-lost')).toMatchObject({ atS: 600, entity: 'S1-M2' });
    // Times only go forward.
    expect(r.events.map((e) => e.atS)).toEqual([...r.events.map((e) => e.atS)].sort((a, b) => a - b));
    // 17 samples (0, 0.5 h, ... 8 h) of 10 blocks; the lost module has no estimate, the others read within 1 mV and 0.1 K.
    expect(r.blocks.length).toBe(17 * 10);
    const first = r.blocks.filter((b) => b.atS === 1800);
    expect(first[1].estimate.voltageV).toBeNull();
    for (const b of first.filter((x) => x.module !== 2)) {
      expect(Math.abs((b.estimate.voltageV as number) - b.truth.voltageV)).toBeLessThanOrEqual(0.0016);
      expect(Math.abs((b.estimate.temperatureC as number) - b.truth.temperatureC)).toBeLessThanOrEqual(0.11);
      expect(b.truth.temperatureC).toBeGreaterThan(29);
    }
  });

  it('--charger rest runs the string with the charger off', async () => {
    const { out } = await simulate('--strings', '1', '--modules', '4', '--hours', '2', '--charger', 'rest', '--json');
    const r = JSON.parse(out) as SimulateReport;
    expect(r.hours[2].strings[0].currentA).toBe(0);
    expect(r.hours[2].strings[0].chargeMode).not.toBe('float');
  });

  it('--chemistry and --age: a NiCd string floats at 10 x 1.42 V per C20 block; an old string holds less', async () => {
    const nicd = JSON.parse((await simulate('--strings', '1', '--modules', '10', '--hours', '2', '--chemistry', 'nicd', '--json')).out) as SimulateReport;
    expect(nicd.hours[2].strings[0].targetVoltageV).toBeCloseTo(14.2, 1);
    const run = async (age: string) => (JSON.parse((await simulate('--strings', '1', '--modules', '10', '--hours', '2', '--age', age, '--charger', 'discharge:20', '--json')).out) as SimulateReport).hours[2].strings[0];
    const [young, old] = [await run('0'), await run('15')];
    // Same load, less capacity and more resistance: the old string's blocks sit lower.
    expect(old.targetVoltageV as number).toBeLessThan((young.targetVoltageV as number) - 0.05);
  });

  it('prints a table without --json', async () => {
    const { out } = await simulate('--strings', '1', '--modules', '4', '--hours', '1');
    expect(out).toMatch(/^hour\s+S1 spread mV/);
    expect(out).toMatch(/final spread [\d.]+ mV/);
  });

  it('--capacity-test@START: a test at the given current, recorded every second; per block the SoH beside the truth and the weak block named', async () => {
    // C/4 so the run stays short; the 10-hour rate is the default (the validation spec and bench:health).
    const { code, out } = await simulate('--strings', '1', '--modules', '3', '--hours', '4.5', '--capacity-test@60:25', '--fault', 'weak-block:1:2', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(out) as SimulateReport;
    expect(r.health.tests.map((t) => [t.trigger, t.end, t.strings[0].meanCurrentA])).toEqual([['simulator', 'end-voltage', 25]]);
    expect(r.health.collapsedEarly).toEqual([{ string: 1, modules: [2] }]);
    for (const b of r.health.blocks) {
      expect(b.estimate.sohMethod).toBe('capacity-test');
      expect(Math.abs(b.estimate.sohPercent! - b.truth.sohPercent) / b.truth.sohPercent).toBeLessThan(0.1);
      expect(b.estimate.deliveredAh).toBeCloseTo(b.truth.deliveredAh!, 0);
    }
    expect(r.health.blocks.map((b) => b.truth.weak)).toEqual([false, true, false]);
  });

  it.each([
    [[], /--strings is required/],
    [['--strings', '17', '--modules', '2', '--hours', '1'], /--strings must be a whole number 1..16/],
    [['--strings', '16', '--modules', '33', '--hours', '1'], /at most 512 modules/],
    [['--strings', '1', '--modules', '2', '--hours=-1'], /--hours must be/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--charger', 'discharge:x'], /--charger must be/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--fault', 'ground-fault'], /not simulated by the string physics/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--fault', 'weak-block:1:3'], /module 3 does not exist/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--bogus'], /Unknown option/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--ambient', 'hot'], /--ambient must be deg C -20..60/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--deadband', '0.5'], /--deadband must be volts 0.001..0.1/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--interval', '1'], /--interval must be whole seconds 10..86400/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--chemistry', 'lithium'], /--chemistry must be one of vrla-agm, vrla-gel, vented, nicd/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--age', '31'], /--age must be years 0..30/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--capacity-test@soon'], /--capacity-test must be START seconds, optionally :AMPS/],
    [['--strings', '1', '--modules', '2', '--hours', '1', '--capacity-test', '3600'], /--capacity-test starts at 3600 s, after the end of the run/],
  ])('rejects %j with a usage error', async (args, message) => {
    await expect(simulate(...(args as string[]))).rejects.toThrow(UsageError);
    await expect(simulate(...(args as string[]))).rejects.toThrow(message as RegExp);
  });
});
