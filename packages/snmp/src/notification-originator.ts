// The notification originator (RFC 3413 section 3.3): turns site events into UPS-MIB (RFC 1628)
// and KIRCHHOFF-BMS-MIB notifications, keeps the UPS-MIB alarm table they describe, and repeats
// upsTrapOnBattery while on battery. Sending (pacing, queues, informs) is notifications.ts.
import { Alarm, ALARM_KINDS, Site, SiteSnapshot } from '@kirchhoff/core';
import { Tag } from './ber';
import type { VarBind } from './message';
import { OidIndex, int, oidValue } from './oid-index';
import type { MibContext, UpsAlarmRow } from './context';
import { UPS_TRAPS, UPS_WELL_KNOWN_ALARMS, upsOid, upsTestVarbindOids } from './ups-mib';
import { ALARM_TABLE, BMS_NOTIFICATIONS, columnByName, entryOid, notificationFor, toSnmp } from './bms-mib';
import type { NotificationPriority } from './notifications';

/** Where notifications go: notifications.ts's Notifier, or a test's list. */
export interface NotificationSink {
  notify(trapOid: readonly number[], varbinds: readonly VarBind[], priority?: NotificationPriority): void;
}

export interface NotificationOriginatorOptions {
  readonly site: Site;
  readonly sink: NotificationSink;
  /** The MIB context (the snapshot the BMS columns read from). */
  readonly ctx: MibContext;
  /** The OID index over the current snapshot. */
  readonly index: () => OidIndex;
  uptimeTicks(): number;
  /** upsTrapOnBattery repeat period while on battery (RFC 1628: one minute). */
  readonly onBatteryRepeatMs: number;
}

export class NotificationOriginator {
  private rows: UpsAlarmRow[] = [];
  private nextUpsAlarmId = 1;
  private onBatteryTimer: NodeJS.Timeout | null = null;
  private lastTestSummary: string | null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: NotificationOriginatorOptions) {
    const snap = o.site.snapshot();
    // Alarms present at start keep AlarmTime 0 (RFC 1628).
    this.syncUpsAlarms(snap, false);
    this.lastTestSummary = snap.ups?.test.resultsSummary ?? null;
  }

  /** The UPS-MIB alarm table (upsAlarmTable) now. */
  upsAlarms(): readonly UpsAlarmRow[] {
    return this.rows;
  }

  /** Follows the site's events from now on. */
  start(): void {
    const site = this.o.site;
    this.unsubscribe = site.subscribe((e) => {
      if (e.type === 'alarm') {
        if (e.action !== 'acknowledged') this.onAlarm(e.alarm, e.action);
        this.syncUpsAlarms(site.snapshot(), true);
        this.checkOnBattery();
      } else if (e.type === 'values') {
        if (e.changes.some((c) => c.entity.kind === 'ups')) {
          this.checkOnBattery();
          this.checkTestCompleted();
        }
      }
    });
    this.checkOnBattery();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.onBatteryTimer) clearInterval(this.onBatteryTimer);
    this.onBatteryTimer = null;
  }

  /** Makes the UPS-MIB alarm rows follow the site's alarms; sends the entry added/removed traps. */
  private syncUpsAlarms(snap: SiteSnapshot, notify: boolean): void {
    const present = new Set<number>();
    for (const a of snap.alarms) {
      // A UPS-MIB manager reads upsAlarmBatteryBad as "replace the battery": the battery monitor's
      // warnings (a string imbalance, a block slightly high) stay in the BMS MIB. The UPS's own
      // warning states (test failed, test in progress) are what their well-known alarms mean.
      if (a.severity === 'warning' && a.entity.kind !== 'ups') continue;
      const n = (ALARM_KINDS[a.kind] as { upsMibAlarm?: number }).upsMibAlarm;
      if (n) present.add(n);
    }
    const kept = this.rows.filter((r) => present.has(r.descr));
    const removed = this.rows.filter((r) => !present.has(r.descr));
    const added: UpsAlarmRow[] = [];
    for (const d of [...present].sort((a, b) => a - b)) {
      if (!kept.some((r) => r.descr === d)) added.push({ id: this.nextUpsAlarmId++, descr: d, timeTicks: notify ? this.o.uptimeTicks() : 0 });
    }
    if (!added.length && !removed.length) return;
    this.rows = [...kept, ...added];
    if (!notify || !snap.ups) return;
    const rowVarbinds = (r: UpsAlarmRow): VarBind[] => [
      { oid: [...upsOid(6, 2, 1, 1), r.id], value: int(r.id) },
      { oid: [...upsOid(6, 2, 1, 2), r.id], value: oidValue([...UPS_WELL_KNOWN_ALARMS, r.descr]) },
    ];
    // RFC 1628: no entry-added trap for OnBattery (it has its own) or TestInProgress; no removed trap for TestInProgress.
    for (const r of added) if (r.descr !== 2 && r.descr !== 24) this.o.sink.notify([...UPS_TRAPS, 3], rowVarbinds(r), 'high');
    for (const r of removed) if (r.descr !== 24) this.o.sink.notify([...UPS_TRAPS, 4], rowVarbinds(r), 'high');
  }

  private onBattery(): boolean {
    const snap = this.o.site.snapshot();
    return !!snap.ups && (snap.ups.output.source === 'battery' || this.rows.some((r) => r.descr === 2));
  }

  private sendOnBattery(): void {
    const u = this.o.site.snapshot().ups;
    if (!u) return;
    this.o.sink.notify([...UPS_TRAPS, 1], [
      { oid: [...upsOid(2, 3), 0], value: int(u.battery.estimatedMinutesRemaining) },
      { oid: [...upsOid(2, 2), 0], value: int(u.battery.secondsOnBattery) },
      { oid: [...upsOid(9, 7), 0], value: int(u.config.lowBattTimeMin) },
    ], 'high');
  }

  /** upsTrapOnBattery when the UPS goes on battery, then every minute until it is off battery. */
  private checkOnBattery(): void {
    const on = this.onBattery();
    if (on && !this.onBatteryTimer) {
      this.sendOnBattery();
      this.onBatteryTimer = setInterval(() => (this.onBattery() ? this.sendOnBattery() : this.checkOnBattery()), this.o.onBatteryRepeatMs);
      this.onBatteryTimer.unref();
    } else if (!on && this.onBatteryTimer) {
      clearInterval(this.onBatteryTimer);
      this.onBatteryTimer = null;
    }
  }

  private checkTestCompleted(): void {
    const u = this.o.site.snapshot().ups;
    const summary = u?.test.resultsSummary ?? null;
    const was = this.lastTestSummary;
    this.lastTestSummary = summary;
    if (!u || was !== 'inProgress' || summary === 'inProgress' || summary === 'noTestsInitiated') return;
    const index = this.o.index();
    this.o.sink.notify([...UPS_TRAPS, 2], upsTestVarbindOids().map((oid) => ({ oid, value: index.exact(oid)?.read() ?? int(0) })));
  }

  private onAlarm(alarm: Alarm, action: 'raised' | 'cleared'): void {
    const def = notificationFor(alarm, action);
    const snap = this.o.site.snapshot();
    const ctx = this.o.ctx;
    ctx.snap = snap;
    const e = alarm.entity;
    const stringNo = e.kind === 'string' || e.kind === 'module' ? e.string : 0;
    const varbinds: VarBind[] = [];
    for (const name of def.objects) {
      const { table, column } = columnByName(name);
      let instance: number[];
      let row: unknown;
      if (table === (ALARM_TABLE as unknown)) {
        instance = [alarm.id];
        row = { alarm };
      } else if (table.name === 'bmsModule' && e.kind === 'module') {
        instance = [e.string, e.module];
        row = snap.modules[e.global - 1];
      } else {
        instance = [stringNo];
        row = snap.strings[stringNo - 1];
      }
      const value = row === undefined ? undefined : toSnmp(column.syntax, column.read(row, ctx));
      varbinds.push({ oid: [...entryOid(table), column.sub, ...instance], value: value ?? { tag: Tag.Null, value: null } });
    }
    this.o.sink.notify([...BMS_NOTIFICATIONS, def.sub], varbinds, notificationPriority(alarm, action, def.name));
  }
}

/**
 * Safety notifications (thermal runaway, ground fault, any critical alarm) go out at once; other
 * alarms wait ahead of warnings. A clear never overtakes its raise: it is at most `high`.
 */
export function notificationPriority(alarm: Alarm, action: 'raised' | 'cleared', notification: string): NotificationPriority {
  if (action === 'raised' && (alarm.severity === 'critical' || notification === 'bmsThermalRunaway' || notification === 'bmsGroundFault')) return 'immediate';
  return alarm.severity === 'warning' ? 'normal' : 'high';
}
