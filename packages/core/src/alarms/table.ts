// The active-alarm list and the alarm history. Conditions come in per origin; the table raises
// what is new, clears what is gone, and keeps ids stable while a condition holds.
import { entityId } from '../model';
import type { Alarm, AlarmCondition } from './types';

export type AlarmAction = 'raised' | 'cleared' | 'acknowledged';
export interface AlarmChange {
  readonly action: AlarmAction;
  readonly alarm: Alarm;
}

export function alarmKey(c: Pick<AlarmCondition, 'kind' | 'severity' | 'entity'>): string {
  return `${c.kind}:${c.severity}@${entityId(c.entity)}`;
}

export class AlarmTable {
  private readonly activeByKey = new Map<string, Alarm>();
  private readonly past: Alarm[] = [];
  private nextId = 1;

  constructor(private readonly historyLimit = 1000) {}

  active(): Alarm[] {
    return [...this.activeByKey.values()];
  }

  /** Raised and cleared alarms, newest last, at most historyLimit. */
  history(): Alarm[] {
    return [...this.past];
  }

  get(id: number): Alarm | undefined {
    for (const a of this.activeByKey.values()) if (a.id === id) return a;
    return undefined;
  }

  /** Makes the active alarms of `origin` equal `conditions`. */
  reconcile(origin: string, conditions: readonly AlarmCondition[], nowMs: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    const wanted = new Map<string, AlarmCondition>();
    for (const c of conditions) wanted.set(alarmKey(c), c);
    for (const [key, alarm] of this.activeByKey) {
      if (alarm.origin === origin && !wanted.has(key)) changes.push(this.clearKey(key, nowMs)!);
    }
    for (const [key, c] of wanted) {
      if (!this.activeByKey.has(key)) changes.push(this.raise(origin, c, nowMs));
    }
    return changes;
  }

  raise(origin: string, c: AlarmCondition, nowMs: number): AlarmChange {
    const key = alarmKey(c);
    const existing = this.activeByKey.get(key);
    if (existing) return { action: 'raised', alarm: existing };
    const alarm: Alarm = { ...c, id: this.nextId++, key, origin, raisedAtMs: nowMs, clearedAtMs: null, acknowledged: null };
    this.activeByKey.set(key, alarm);
    this.remember(alarm);
    return { action: 'raised', alarm };
  }

  clearKey(key: string, nowMs: number): AlarmChange | undefined {
    const alarm = this.activeByKey.get(key);
    if (!alarm) return undefined;
    this.activeByKey.delete(key);
    const cleared: Alarm = { ...alarm, clearedAtMs: nowMs };
    this.remember(cleared);
    return { action: 'cleared', alarm: cleared };
  }

  acknowledge(id: number, by: string, nowMs: number): AlarmChange | undefined {
    const alarm = this.get(id);
    if (!alarm) return undefined;
    const acked: Alarm = { ...alarm, acknowledged: { by, atMs: nowMs } };
    this.activeByKey.set(alarm.key, acked);
    return { action: 'acknowledged', alarm: acked };
  }

  private remember(alarm: Alarm): void {
    this.past.push(alarm);
    if (this.past.length > this.historyLimit) this.past.splice(0, this.past.length - this.historyLimit);
  }
}
