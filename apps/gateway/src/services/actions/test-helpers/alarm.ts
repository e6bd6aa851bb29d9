// A real site with a real alarm for the action tests, and the notification a rule would send.
import { Site } from '@kirchhoff/core';
import type { Alarm, AlarmCondition } from '@kirchhoff/core';
import type { AlarmNotification } from '../notification';

export function siteWithAlarm(condition: Partial<AlarmCondition> = {}, info: { name?: string; location?: string; contact?: string } = {}): { site: Site; alarm: Alarm } {
  const site = new Site({
    info: { name: 'Test site', location: 'Room 1', contact: 'ops', ...info },
    strings: [{ modules: 4, moduleType: 'C20' }],
    relays: [{ name: 'Beacon' }, { name: 'Breaker' }],
    clock: () => Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  });
  site.reconcileAlarms('test', [{
    kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'String 1: thermal runaway', value: 42.5, limit: 40, ...condition,
  }]);
  return { site, alarm: site.snapshot().alarms[0] };
}

export function notification(over: Partial<AlarmNotification> = {}, condition: Partial<AlarmCondition> = {}, info: { name?: string } = {}): AlarmNotification {
  const { site, alarm } = siteWithAlarm(condition, info);
  return { event: 'raised', rule: 'runaway', repeat: 0, alarm, site: site.snapshot().info, atMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678), ...over };
}
