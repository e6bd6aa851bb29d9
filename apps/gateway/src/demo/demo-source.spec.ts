import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { buildSite } from '../gateway';
import { createLogger } from '../log';
import { parseFault } from './faults';
import { startDemoSource } from './demo-source';

const quiet = createLogger({ level: 'error', write: () => undefined });

function demo(faults: string[], sets: string[] = []) {
  const config = finishConfig(applySets(demoConfig(), sets));
  let now = Date.UTC(2025, 0, 1);
  const site = buildSite(config, () => now);
  const source = startDemoSource(site, config, faults.map(parseFault), quiet, now);
  const run = (seconds: number, each?: () => void) => {
    for (let i = 0; i < seconds; i++) {
      now += 1000;
      source.tick(now);
      site.evaluateAlarms(now);
      each?.();
    }
  };
  return { site, source, run };
}

describe('demo source on the string physics', () => {
  it('balances the demo strings in real time and reports SoC from the engines', () => {
    const { site, run } = demo([]);
    run(5);
    const start = site.snapshot().strings.map((s) => s.spreadV.value as number);
    expect(Math.max(...start)).toBeGreaterThan(0.05);
    run(3600);
    const snap = site.snapshot();
    for (const s of snap.strings) {
      expect(s.spreadV.value).toBeLessThan(Math.max(...start) / 2);
      expect(s.chargeMode).toBe('float');
      expect(s.socPercent.value).toBe(100);
    }
    expect(snap.modules.some((m) => m.equalize.on)).toBe(true);
    expect(snap.ups?.output.source).toBe('normal');
  });

  it('thermal-runaway fault (the README example, onset at 60 s): the float current jumps, alarm and the breaker relay within two minutes, breaker input follows', () => {
    // Charger-fed: the compressed onset (20 s) raises the whole string's float current at once; the
    // demo's float has settled by then (30 s), so the float-current limit trips before any block warms.
    const { site, run } = demo(['thermal-runaway:1:5@60']);
    let alarmAtS: number | null = null;
    let peakA = 0;
    let t = 0;
    run(240, () => {
      t++;
      if (alarmAtS === null) peakA = Math.max(peakA, site.snapshot().strings[0].dcCurrentA.value ?? 0);
      if (alarmAtS === null && site.snapshot().alarms.some((a) => a.kind === 'thermal-runaway')) alarmAtS = t;
    });
    expect(alarmAtS).not.toBeNull();
    expect(alarmAtS as unknown as number).toBeGreaterThan(60);
    expect(alarmAtS as unknown as number).toBeLessThan(60 + 120);
    // 100 Ah blocks float at about 0.2 A; the limit is 10 mA/Ah.
    expect(peakA).toBeGreaterThan(1);
    const snap = site.snapshot();
    expect(snap.alarms.find((a) => a.kind === 'thermal-runaway')?.entity).toMatchObject({ kind: 'module', string: 1, module: 5 });
    expect(snap.relays[0]).toMatchObject({ function: 'breaker', on: true });
    expect(snap.inputs[0].active).toBe(false);
    expect(snap.strings[0].dcCurrentA.value).toBe(0);
  });

  it('ups-on-battery discharges the strings into the UPS load; a blown fuse is its own module\'s alarm, which clear-fuse clears', () => {
    const { site, source, run } = demo(['ups-on-battery@60', 'fuse-blown:2:3@5']);
    run(30);
    // The rest of the site goes on balancing: no general alarm.
    expect(site.snapshot().balancing.enabled).toBe(true);
    expect(site.snapshot().alarms.map((a) => a.kind)).toContain('module-fuse-blown');
    expect(site.snapshot().alarms.map((a) => a.kind)).not.toContain('balancing-disabled');
    source.moduleCommand('clear-fuse', 23);
    run(600);
    const snap = site.snapshot();
    expect(snap.alarms.map((a) => a.kind)).not.toContain('module-fuse-blown');
    expect(snap.strings.every((s) => s.chargeMode === 'discharge' && (s.dcCurrentA.value as number) < -20)).toBe(true);
    expect(snap.ups?.output.source).toBe('battery');
    expect(snap.ups?.battery.estimatedMinutesRemaining).toBeGreaterThan(10);
    expect(snap.alarms.map((a) => a.kind)).toContain('ups-on-battery');
  });
});
