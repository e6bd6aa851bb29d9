import { VirtualClock } from '@kirchhoff/core';
import { watchFsdRules } from './fsd-rules';
import { fixtureSite, onBattery } from './__fixtures__/site';

describe('FSD rules (virtual clock)', () => {
  it('sets FSD once an alarm of a chosen kind has been active for the delay, not when it clears first', () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const site = fixtureSite();
    const reasons: string[] = [];
    const stop = watchFsdRules(site, { alarmKinds: ['thermal-runaway'], delayS: 30 }, (r) => reasons.push(r), clock);
    const runaway = { kind: 'thermal-runaway' as const, severity: 'critical' as const, entity: { kind: 'string' as const, string: 1 }, message: 'S01 thermal runaway', value: 60, limit: 55 };
    site.reconcileAlarms('test', [runaway], clock.now());
    clock.advance(29_000);
    site.reconcileAlarms('test', [], clock.now());
    clock.advance(10_000);
    expect(reasons).toEqual([]);
    site.reconcileAlarms('test', [runaway], clock.now());
    clock.advance(29_999);
    expect(reasons).toEqual([]);
    clock.advance(1);
    expect(reasons).toEqual(['alarm thermal-runaway: S01 thermal runaway']);
    // Other kinds never set it.
    stop();
  });

  it('sets FSD after the set time on battery; a return to mains before resets the count', () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const site = fixtureSite();
    const reasons: string[] = [];
    const stop = watchFsdRules(site, { onBatteryAfterS: 120 }, (r) => reasons.push(r), clock);
    onBattery(site, 30, 80);
    clock.advance(100_000);
    site.update((tx) => tx.ups({ output: { source: 'normal' } }));
    clock.advance(100_000);
    onBattery(site, 30, 80);
    clock.advance(119_000);
    expect(reasons).toEqual([]);
    clock.advance(1_000);
    expect(reasons).toEqual(['on battery for 120 s']);
    stop();
  });

  it('does nothing without rules', () => {
    const site = fixtureSite();
    const reasons: string[] = [];
    watchFsdRules(site, {}, (r) => reasons.push(r), new VirtualClock(0))();
    onBattery(site, 1, 1);
    expect(reasons).toEqual([]);
  });
});
