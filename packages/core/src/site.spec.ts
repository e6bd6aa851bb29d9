import { Site } from './site';
import type { ChangeEvent } from './feed';

function makeSite(clock = () => 1_000) {
  return new Site({
    strings: [{ modules: 3, moduleType: 'C20' }, { modules: 2, moduleType: 'C20' }],
    ups: true,
    sensors: [{ name: 'Room', kind: 'temperature' }],
    inputs: [{ name: 'Door', alarmSeverity: 'warning' }],
    relays: [{ name: 'Breaker', function: 'breaker' }],
    clock,
  });
}

describe('snapshots', () => {
  it('start with every measurement failed and unread', () => {
    const snap = makeSite().snapshot();
    expect(snap.modules).toHaveLength(5);
    expect(snap.modules[3]).toMatchObject({ string: 2, module: 1, global: 4, label: 'S02-M01' });
    expect(snap.modules[0].voltageV).toEqual({ value: null, atMs: 0, quality: 'failed' });
    expect(snap.sensors[0].unit).toBe('degC');
  });

  it('are frozen and stay as they were when the site changes', () => {
    const site = makeSite();
    site.update((tx) => tx.moduleReadings(1, { voltageV: 13.6 }));
    const before = site.snapshot();
    expect(Object.isFrozen(before.modules[0].voltageV)).toBe(true);
    expect(() => { (before.modules[0] as { fuse: string }).fuse = 'blown'; }).toThrow();
    site.update((tx) => tx.moduleReadings(1, { voltageV: 13.7 }));
    expect(before.modules[0].voltageV.value).toBe(13.6);
    expect(site.snapshot().modules[0].voltageV.value).toBe(13.7);
    expect(site.snapshot().version).toBeGreaterThan(before.version);
  });

  it('are the same object until the next change', () => {
    const site = makeSite();
    expect(site.snapshot()).toBe(site.snapshot());
  });

  // Snapshots share the frozen parts that did not change with the previous one (issue 14.5). A
  // snapshot taken after every write must still show exactly what one built from nothing shows,
  // for every kind of write, and every snapshot must stay as it was when taken.
  describe('after every kind of write', () => {
    const steps: ((site: Site) => void)[] = [
      (s) => s.update((tx) => [1, 2, 3, 4, 5].forEach((g) => tx.moduleReadings(g, { voltageV: 13.5 + g / 100, temperatureC: 21, resistanceOhm: 0.004 }))),
      (s) => s.update((tx) => tx.moduleReadings(2, { voltageV: 13.7 }), 2_000),
      (s) => s.update((tx) => tx.moduleReadings(2, { voltageV: 13.7 }), 3_000), // same value, new time: the feed is silent
      (s) => s.update((tx) => tx.moduleQuality(3, 'stale')),
      (s) => s.update((tx) => tx.module(4, { equalize: { on: true, dutyPercent: 40 }, socMethod: 'float', communication: 'ok' })),
      (s) => s.update((tx) => tx.string(2, { dcCurrentA: 1.5, chargeMode: 'float', socPercent: 98 })),
      (s) => s.update((tx) => tx.ups({ output: { source: 'battery' }, battery: { secondsOnBattery: 12 } })),
      (s) => s.update((tx) => tx.sensor(1, 23.5)),
      (s) => s.update((tx) => tx.input(1, true)),
      (s) => s.update((tx) => tx.relay(1, true)),
      (s) => s.update((tx) => tx.bus({ requests: 7, timeouts: 1 })),
      (s) => s.update((tx) => tx.balancing({ enabled: false, disabledReason: 'test' })),
      (s) => { s.setThreshold('moduleVoltage', { warnHigh: 14.1 }); },
      (s) => { s.reconcileAlarms('test', [{ kind: 'module-lost', severity: 'alarm', entity: { kind: 'module', string: 1, module: 3, global: 3 }, message: 'S01-M03 lost', value: null, limit: null }]); },
      (s) => { s.acknowledgeAlarm(s.snapshot().alarms[0].id, 'operator'); },
      (s) => { s.evaluateAlarms(); },
      (s) => s.update((tx) => tx.moduleReadings(5, { voltageV: null })),
    ];
    const json = (v: unknown) => JSON.stringify(v);

    it('show what a snapshot built from nothing shows, and stay as they were', () => {
      const site = makeSite();
      const taken: { snap: ReturnType<Site['snapshot']>; asTaken: string }[] = [];
      steps.forEach((step, k) => {
        step(site);
        const snap = site.snapshot();
        taken.push({ snap, asTaken: json(snap) });
        // A write that changes no value (step 2) keeps the snapshot as it was, by design; the next change shows it.
        if (k > 0 && snap === taken[k - 1].snap) return;
        const fromNothing = makeSite();
        steps.slice(0, k + 1).forEach((s) => s(fromNothing));
        expect({ step: k, snap: json(snap) }).toEqual({ step: k, snap: json(fromNothing.snapshot()) });
      });
      expect(taken.filter((t, k) => k > 0 && t.snap === taken[k - 1].snap)).toHaveLength(1);
      for (const { snap, asTaken } of taken) expect(json(snap)).toBe(asTaken);
    });

    it('are frozen all the way down', () => {
      const site = makeSite();
      const unfrozen: string[] = [];
      const walk = (v: unknown, path: string) => {
        if (v === null || typeof v !== 'object') return;
        if (!Object.isFrozen(v)) unfrozen.push(path);
        for (const [k, c] of Object.entries(v)) walk(c, `${path}.${k}`);
      };
      steps.forEach((step, k) => {
        step(site);
        walk(site.snapshot(), `step ${k}`);
      });
      expect(unfrozen).toEqual([]);
    });

    it('reuse the modules and strings no write touched, and copy the ones written', () => {
      const site = makeSite();
      steps[0](site);
      const before = site.snapshot();
      site.update((tx) => tx.moduleReadings(4, { voltageV: 13.61 }));
      const after = site.snapshot();
      expect(after.modules.map((m, i) => m === before.modules[i])).toEqual([true, true, true, false, true]);
      expect(after.strings.map((s, i) => s === before.strings[i])).toEqual([true, false]);
      expect(after.modules[3].voltageV.value).toBe(13.61);
      expect(before.modules[3].voltageV.value).toBe(13.54);
    });
  });

  it('never show half a transaction', () => {
    const site = makeSite();
    const seen: number[] = [];
    site.subscribe(() => seen.push(site.snapshot().strings[0].sumVoltageV.value ?? -1));
    site.update((tx) => {
      tx.moduleReadings(1, { voltageV: 13.5 });
      tx.moduleReadings(2, { voltageV: 13.6 });
      tx.moduleReadings(3, { voltageV: 13.7 });
    });
    expect(seen).toEqual([40.8]);
  });

  it('derive sum, target, spread, power and ground fault per string', () => {
    const site = makeSite();
    site.update((tx) => {
      tx.moduleReadings(1, { voltageV: 13.5 });
      tx.moduleReadings(2, { voltageV: 13.6 });
      tx.moduleReadings(3, { voltageV: 13.9 });
      tx.string(1, { dcCurrentA: 2, differentialPositiveA: 0.25, differentialNegativeA: 0.2 });
    });
    const s = site.snapshot().strings[0];
    expect(s.sumVoltageV.value).toBeCloseTo(41.0, 6);
    expect(s.targetVoltageV.value).toBeCloseTo(13.6667, 4);
    expect(s.spreadV.value).toBeCloseTo(0.2333, 4);
    expect(s.powerW.value).toBeCloseTo(82.0, 6);
    expect(s.groundFaultCurrentA.value).toBeCloseTo(0.05, 6);
  });

  it('mark stale modules and carry the worst quality into string values', () => {
    const site = makeSite();
    site.update((tx) => [1, 2, 3].forEach((g) => tx.moduleReadings(g, { voltageV: 13.6, temperatureC: 22 })));
    site.update((tx) => tx.moduleQuality(2, 'stale'));
    const snap = site.snapshot();
    expect(snap.modules[1].voltageV).toMatchObject({ value: 13.6, quality: 'stale' });
    expect(snap.strings[0].sumVoltageV.quality).toBe('stale');
  });

  it('a lost or fuse-blown module leaves the target and spread of the rest of its string fresh (issue 13 pt 7)', () => {
    const site = makeSite();
    site.update((tx) => [1, 2, 3].forEach((g, i) => tx.moduleReadings(g, { voltageV: [13.5, 13.7, 12.0][i] })));
    site.update((tx) => tx.moduleQuality(3, 'stale'));
    let s = site.snapshot().strings[0];
    expect(s.targetVoltageV).toMatchObject({ value: 13.6, quality: 'fresh' });
    expect(s.spreadV.value).toBeCloseTo(0.1, 6);
    expect(s.spreadV.quality).toBe('fresh');
    // The sum needs every block: it is not known while one is not.
    expect(s.sumVoltageV.quality).toBe('stale');
    site.update((tx) => tx.moduleReadings(3, { voltageV: null }));
    s = site.snapshot().strings[0];
    expect(s.targetVoltageV).toMatchObject({ value: 13.6, quality: 'fresh' });
    expect(s.sumVoltageV.value).toBeNull();
    // Nothing measured this cycle: the old values, marked as such.
    site.update((tx) => [1, 2].forEach((g) => tx.moduleQuality(g, 'stale')));
    expect(site.snapshot().strings[0].targetVoltageV).toMatchObject({ value: 13.6, quality: 'stale' });
  });

  it('refuse writes to modules that do not exist', () => {
    const site = makeSite();
    expect(() => site.update((tx) => tx.moduleReadings(6, { voltageV: 1 }))).toThrow(/no module with global number 6 \(1\.\.5\)/);
  });
});

describe('change feed', () => {
  it('sends one values event per transaction with only what changed', () => {
    const site = makeSite();
    const events: ChangeEvent[] = [];
    site.subscribe((e) => events.push(e));
    site.update((tx) => tx.moduleReadings(4, { voltageV: 13.6, temperatureC: 21 }));
    site.update((tx) => tx.moduleReadings(4, { voltageV: 13.6, temperatureC: 21.5 }));
    expect(events).toHaveLength(2);
    const second = events[1];
    if (second.type !== 'values') throw new Error('expected values');
    const moduleChanges = second.changes.filter((c) => c.entity.kind === 'module');
    expect(moduleChanges).toEqual([
      { entity: { kind: 'module', string: 2, module: 1, global: 4 }, field: 'temperatureC', value: 21.5, quality: 'fresh', atMs: 1000 },
    ]);
  });

  it('sends nothing when nothing changed', () => {
    const site = makeSite();
    site.update((tx) => tx.relay(1, false));
    const events: ChangeEvent[] = [];
    site.subscribe((e) => events.push(e));
    site.update((tx) => tx.relay(1, false));
    expect(events).toHaveLength(0);
  });

  it('reports UPS changes by field path', () => {
    const site = makeSite();
    const events: ChangeEvent[] = [];
    site.subscribe((e) => events.push(e));
    site.update((tx) => tx.ups({ output: { source: 'battery' }, battery: { secondsOnBattery: 12 } }));
    const fields = events.flatMap((e) => (e.type === 'values' ? e.changes.map((c) => `${c.field}=${c.value}`) : []));
    expect(fields).toEqual(expect.arrayContaining(['output.source=battery', 'battery.secondsOnBattery=12', 'quality=fresh']));
  });

  it('keeps delivering when one listener throws, and reports it', () => {
    const errors: unknown[] = [];
    const site = new Site({ strings: [{ modules: 1, moduleType: 'C20' }], onListenerError: (e) => errors.push(e) });
    const got: number[] = [];
    site.subscribe(() => { throw new Error('adapter bug'); });
    site.subscribe((e) => got.push(e.version));
    site.update((tx) => tx.moduleReadings(1, { voltageV: 13 }));
    expect(got).toHaveLength(1);
    expect(String(errors[0])).toMatch(/adapter bug/);
  });

  it('stops delivering after unsubscribe', () => {
    const site = makeSite();
    let n = 0;
    const off = site.subscribe(() => n++);
    site.update((tx) => tx.relay(1, true));
    off();
    site.update((tx) => tx.relay(1, false));
    expect(n).toBe(1);
  });
});
