// Intrinsic event reporting (clause 13.2, 13.3): OUT_OF_RANGE with Time_Delay and FAULT on the
// Analog Inputs that have limits, CHANGE_OF_STATE on the alarm Binary Values, and the event
// notifications (13.8, 13.9) to the Notification Class recipients.
import type { Alarm, SiteSnapshot } from '@kirchhoff/core';
import { asn1, bitString, EncodeBuffer, Value } from '../codec/values';
import { BacnetObject, encodeTimeStamp, EVENT_ENABLE, EVENT_STATE, EventTimeStamp, INITIAL_TIMESTAMPS, limitsOf, objectKey, ReadContext, RecipientView, reliabilityOf } from '../objects/objects';
import { OT } from '../objects/table';
import type { Peer } from '../transport/peer';
import { CONFIRMED, type EventTrack, ServiceHost, UNCONFIRMED } from '../services/service';

/** BACnetEventType values this device reports. */
export const EVENT_TYPE = { CHANGE_OF_STATE: 1, OUT_OF_RANGE: 5 } as const;
/** BACnetNotifyType: alarm, event, ack-notification. */
export const NOTIFY_TYPE = { ALARM: 0, EVENT: 1, ACK_NOTIFICATION: 2 } as const;

export type { EventTrack };

export type Recipient = RecipientView & { readonly peer: Peer };

type Bits = Extract<Value, { t: 'bits' }>;

export interface Transition {
  readonly ack: boolean;
  /** 0 to-offnormal, 1 to-fault, 2 to-normal. */
  readonly category: number;
  readonly fromState: number;
  readonly toState: number;
  readonly timeStamp: EventTimeStamp;
  readonly ctx?: ReadContext;
}

export class EventReporting {
  private readonly events = new Map<string, EventTrack>();
  private readonly alarmObjects: BacnetObject[] = [];
  /** The site's active alarms, kept from the change feed, and how many of them hold each alarm object active. */
  private readonly activeAlarms = new Map<string, Alarm>();
  private readonly alarmCounts = new Map<BacnetObject, number>();

  constructor(
    private readonly host: () => ServiceHost,
    objects: readonly BacnetObject[],
    snap: SiteSnapshot,
    readonly recipients: readonly Recipient[],
    readonly ackRequired: readonly [boolean, boolean, boolean],
  ) {
    for (const o of objects) {
      if (o.alarm) {
        this.alarmObjects.push(o);
        this.alarmCounts.set(o, 0);
      }
      if (o.analog?.point.limits || o.alarm) this.events.set(objectKey(o.id), { eventState: EVENT_STATE.NORMAL, ackedTransitions: [true, true, true], timeStamps: [...INITIAL_TIMESTAMPS], pending: null });
    }
    for (const a of snap.alarms) this.countAlarm(a, 1);
  }

  info(o: BacnetObject): EventTrack | undefined {
    return this.events.get(objectKey(o.id));
  }

  /** Every object's event state against the present values (with Time_Delay). */
  evaluate(objects: readonly BacnetObject[], ctx: ReadContext, now: number): void {
    for (const o of objects) {
      const e = this.events.get(objectKey(o.id));
      if (!e) continue;
      if (o.alarm) this.evaluateChangeOfState(o, e, now);
      else this.evaluateOutOfRange(o, e, ctx, now);
    }
  }

  /**
   * A core alarm raised or cleared: the alarm objects it concerns transition at once, without a
   * snapshot, so their notifications leave within a fraction of a millisecond of the alarm.
   */
  onAlarm(action: 'raised' | 'cleared' | 'acknowledged', alarm: Alarm, now: number): boolean {
    const known = this.activeAlarms.has(alarm.key);
    if (action === 'acknowledged') {
      if (known) this.activeAlarms.set(alarm.key, alarm);
      return false;
    }
    if (action === 'raised' && !known) this.countAlarm(alarm, 1);
    else if (action === 'cleared' && known) this.countAlarm(alarm, -1);
    else return false;
    for (const o of this.alarmObjects) {
      if (o.alarm!.point.matches(alarm, o.alarm!.n)) this.evaluateChangeOfState(o, this.events.get(objectKey(o.id))!, now);
    }
    return true;
  }

  /** An acknowledgment (AcknowledgeAlarm) of a transition: recorded and notified as ack-notification. */
  acknowledge(o: BacnetObject, e: EventTrack, category: number, state: number): void {
    if (e.ackedTransitions[category]) return;
    e.ackedTransitions[category] = true;
    this.notify(o, e, { ack: true, category, toState: state, fromState: state, timeStamp: e.timeStamps[category] });
  }

  private countAlarm(alarm: Alarm, delta: 1 | -1): void {
    if (delta > 0) this.activeAlarms.set(alarm.key, alarm);
    else this.activeAlarms.delete(alarm.key);
    for (const o of this.alarmObjects) {
      if (o.alarm!.point.matches(alarm, o.alarm!.n)) this.alarmCounts.set(o, this.alarmCounts.get(o)! + delta);
    }
  }

  /** OUT_OF_RANGE (13.3.6) with Time_Delay, plus FAULT while the reading is unreliable. */
  private evaluateOutOfRange(o: BacnetObject, e: EventTrack, ctx: ReadContext, now: number): void {
    const a = o.analog!;
    const m = a.point.read(ctx.snap, a.n);
    const th = limitsOf(ctx.snap, a.point.limits!(a.n));
    let target = e.eventState;
    if (reliabilityOf(m.quality) !== 0) target = EVENT_STATE.FAULT;
    else if (m.value !== null && th) {
      const v = m.value;
      const high = th.alarmHigh ?? null;
      const low = th.alarmLow ?? null;
      const db = th.hysteresis;
      const cur = e.eventState === EVENT_STATE.FAULT ? EVENT_STATE.NORMAL : e.eventState;
      if (cur === EVENT_STATE.HIGH_LIMIT) target = low !== null && v < low ? EVENT_STATE.LOW_LIMIT : high === null || v < high - db ? EVENT_STATE.NORMAL : cur;
      else if (cur === EVENT_STATE.LOW_LIMIT) target = high !== null && v > high ? EVENT_STATE.HIGH_LIMIT : low === null || v > low + db ? EVENT_STATE.NORMAL : cur;
      else target = high !== null && v > high ? EVENT_STATE.HIGH_LIMIT : low !== null && v < low ? EVENT_STATE.LOW_LIMIT : EVENT_STATE.NORMAL;
      if (e.eventState === EVENT_STATE.FAULT) {
        // Leaving FAULT goes to NORMAL first; the limits are checked again from there.
        e.pending = null;
        return this.transition(o, e, EVENT_STATE.NORMAL, ctx, now);
      }
    }
    if (target === e.eventState) {
      e.pending = null;
      return;
    }
    const delayMs = target === EVENT_STATE.FAULT ? 0 : Math.round((th?.delayMs ?? 0) / 1000) * 1000;
    if (!e.pending || e.pending.target !== target) e.pending = { target, sinceMs: now };
    if (now - e.pending.sinceMs >= delayMs) {
      e.pending = null;
      this.transition(o, e, target, ctx, now);
    }
  }

  /** CHANGE_OF_STATE (13.3.2) with Alarm_Value active and Time_Delay 0. */
  private evaluateChangeOfState(o: BacnetObject, e: EventTrack, now: number): void {
    const target = this.alarmCounts.get(o)! > 0 ? EVENT_STATE.OFFNORMAL : EVENT_STATE.NORMAL;
    if (target !== e.eventState) this.transition(o, e, target, undefined, now);
  }

  private transition(o: BacnetObject, e: EventTrack, to: number, ctx: ReadContext | undefined, now: number): void {
    const from = e.eventState;
    e.eventState = to;
    const category = transitionOf(to);
    const at = new Date(Math.floor(now / 10) * 10);
    e.timeStamps[category] = { type: 2, value: at };
    e.ackedTransitions[category] = !this.ackRequired[category];
    if (!(EVENT_ENABLE as readonly number[]).includes(category)) return;
    this.notify(o, e, { ack: false, category, fromState: from, toState: to, timeStamp: e.timeStamps[category], ctx });
  }

  /** ConfirmedEventNotification / UnconfirmedEventNotification to every recipient of the transition. */
  private notify(o: BacnetObject, e: EventTrack, t: Transition): void {
    const host = this.host();
    if (host.dcc.state !== 'enable' || !this.recipients.length) return;
    let eventValues: (b: EncodeBuffer) => void;
    let message: string | null = null;
    if (o.alarm) {
      eventValues = changeOfStateValues(e.eventState);
      message = this.alarmMessage(o, t.toState);
    } else {
      const ctx = t.ctx ?? host.context();
      eventValues = outOfRangeValues(o, ctx, o.statusFlags!(ctx) as Bits, t);
    }
    for (const r of this.recipients) {
      if (!r.transitions[t.category]) continue;
      // Our own encoding: @bacnet-js/client's EventNotifyData throws on ack-notifications.
      const encode = (b: EncodeBuffer) => {
        asn1.encodeContextUnsigned(b, 0, r.processId);
        asn1.encodeContextObjectId(b, 1, OT.DEVICE, host.deviceInstance);
        asn1.encodeContextObjectId(b, 2, o.id.type, o.id.instance);
        asn1.encodeOpeningTag(b, 3);
        encodeTimeStamp(b, t.timeStamp);
        asn1.encodeClosingTag(b, 3);
        asn1.encodeContextUnsigned(b, 4, 1);
        asn1.encodeContextUnsigned(b, 5, host.notificationPriorities[t.category]);
        asn1.encodeContextEnumerated(b, 6, o.alarm ? EVENT_TYPE.CHANGE_OF_STATE : EVENT_TYPE.OUT_OF_RANGE);
        if (message !== null) asn1.encodeContextCharacterString(b, 7, message);
        asn1.encodeContextEnumerated(b, 8, t.ack ? NOTIFY_TYPE.ACK_NOTIFICATION : NOTIFY_TYPE.ALARM);
        if (!t.ack) {
          asn1.encodeContextBoolean(b, 9, this.ackRequired[t.category]);
          asn1.encodeContextEnumerated(b, 10, t.fromState);
        }
        asn1.encodeContextEnumerated(b, 11, t.toState);
        if (!t.ack) {
          asn1.encodeOpeningTag(b, 12);
          eventValues(b);
          asn1.encodeClosingTag(b, 12);
        }
      };
      if (r.confirmed) void host.sendConfirmed(r.peer, CONFIRMED.CONFIRMED_EVENT_NOTIFICATION, encode);
      else host.sendUnconfirmed(r.peer, UNCONFIRMED.UNCONFIRMED_EVENT_NOTIFICATION, encode);
    }
  }

  /** Message_Text of an alarm object's notification: the core alarms' own messages, so a BMS shows the cause. */
  private alarmMessage(o: BacnetObject, toState: number): string {
    const { point, n } = o.alarm!;
    if (toState === EVENT_STATE.NORMAL) return `${o.name}: normal`;
    const causes = [...this.activeAlarms.values()].filter((a) => point.matches(a, n)).map((a) => a.message);
    // Keep the notification well inside one unsegmented APDU.
    const text = `${o.name}: ${causes.join('; ') || 'active'}`;
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  }
}

/** BACnetNotificationParameters out-of-range [5]: exceeding-value, status-flags, deadband, exceeded-limit. */
function outOfRangeValues(o: BacnetObject, ctx: ReadContext, flags: Bits, t: { fromState: number; toState: number }): (b: EncodeBuffer) => void {
  const a = o.analog!;
  const th = limitsOf(ctx.snap, a.point.limits!(a.n));
  const low = t.toState === EVENT_STATE.LOW_LIMIT || (t.toState === EVENT_STATE.NORMAL && t.fromState === EVENT_STATE.LOW_LIMIT);
  const exceeded = (low ? th?.alarmLow : th?.alarmHigh) ?? 0;
  const value = o.presentValue!(ctx);
  return (b) => {
    asn1.encodeOpeningTag(b, 5);
    asn1.encodeContextReal(b, 0, value);
    asn1.encodeContextBitstring(b, 1, bitString(4, flags.set));
    asn1.encodeContextReal(b, 2, Math.fround((th?.hysteresis ?? 0) * a.point.scale));
    asn1.encodeContextReal(b, 3, Math.fround(exceeded * a.point.scale));
    asn1.encodeClosingTag(b, 5);
  };
}

/**
 * BACnetNotificationParameters change-of-state [1]: new-state (BACnetPropertyStates binary-value [1]),
 * status-flags. With Alarm_Value active, offnormal means active; in-alarm follows the event state.
 */
function changeOfStateValues(eventState: number): (b: EncodeBuffer) => void {
  const offnormal = eventState === EVENT_STATE.OFFNORMAL;
  return (b) => {
    asn1.encodeOpeningTag(b, 1);
    asn1.encodeOpeningTag(b, 0);
    asn1.encodeContextEnumerated(b, 1, offnormal ? 1 : 0);
    asn1.encodeClosingTag(b, 0);
    asn1.encodeContextBitstring(b, 1, bitString(4, offnormal ? [0] : []));
    asn1.encodeClosingTag(b, 1);
  };
}

/** Event state -> transition category: 0 to-offnormal, 1 to-fault, 2 to-normal; -1 for none. */
export function transitionOf(state: number): number {
  if (state === EVENT_STATE.NORMAL) return 2;
  if (state === EVENT_STATE.FAULT) return 1;
  if (state === EVENT_STATE.HIGH_LIMIT || state === EVENT_STATE.LOW_LIMIT || state === EVENT_STATE.OFFNORMAL) return 0;
  return -1;
}
