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
    expect(r.hours[2].strings[0].alarms.map((a) => a.kind)).toEqual(expect.arrayContaining(['balancing-disabled', 'module-fuse-blown']));
    expect(r.summary.alarmsRaised).toContain('balancing-disabled');
  });

  it('prints a table without --json', async () => {
    const { out } = await simulate('--strings', '1', '--modules', '4', '--hours', '1');
    expect(out).toMatch(/^hour\s+S1 spread mV/);
    expect(out).toMatch(/final spread [\d.]+ mV/);
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
  ])('rejects %j with a usage error', async (args, message) => {
    await expect(simulate(...(args as string[]))).rejects.toThrow(UsageError);
    await expect(simulate(...(args as string[]))).rejects.toThrow(message as RegExp);
  });
});
