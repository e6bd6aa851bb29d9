// Which alarm Binary Values a site's alarms make active, from the site's own alarm evaluation:
// the slice about the battery bus (issue 19 point 9). A dead bus raises one bus-failure alarm
// instead of a module-lost alarm per module; each string's Module alarm still shows it.
import { Site } from '@kirchhoff/core';
import { ALARM_POINTS, alarmPointActive } from './table';
import { buildPointObjects } from './objects';

const moduleAlarm = ALARM_POINTS.find((p) => p.key === 'string.moduleAlarm')!;

describe('string Module alarm points and the battery bus', () => {
  const site = new Site({ strings: [{ modules: 2, moduleType: 'C20' }, { modules: 2, moduleType: 'C20' }], clock: () => 1 });
  const active = () => [1, 2].map((s) => alarmPointActive(moduleAlarm, s, site.snapshot().alarms));

  it('is active in the string of a lost module only while the bus still answers', () => {
    site.update((tx) => tx.module(1, { communication: 'lost' }));
    site.evaluateAlarms();
    expect(active()).toEqual([true, false]);
  });

  it('is active in every string while the bus-failure alarm stands in for the module-lost alarms', () => {
    site.update((tx) => [2, 3, 4].forEach((g) => tx.module(g, { communication: 'lost' })));
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.kind)).toEqual(['bus-failure']);
    expect(active()).toEqual([true, true]);
  });

  it('is inactive everywhere once every module answers again', () => {
    site.update((tx) => [1, 2, 3, 4].forEach((g) => tx.module(g, { communication: 'ok' })));
    site.evaluateAlarms();
    expect(active()).toEqual([false, false]);
  });
});

describe('object descriptions', () => {
  it('fit the short length form of a BACnet character string (at most 253 octets): bacstack cannot decode longer ones', () => {
    const site = new Site({ strings: Array.from({ length: 16 }, (_, i) => ({ name: `Battery string ${i + 1} (hall B)`, modules: 32, moduleType: 'C20' as const })), ups: true });
    const long = buildPointObjects(site.snapshot()).filter((o) => Buffer.byteLength(o.description, 'utf8') + 1 > 253).map((o) => `${o.name}: ${o.description.length}`);
    expect(long).toEqual([]);
  });
});
