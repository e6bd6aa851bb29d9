// The device's objects built from the site's layout and the table: each object lists its
// properties (required/optional, array or not) with a reader over one snapshot.
import type { Measurement, Quality, SiteSnapshot, Threshold } from '@kirchhoff/core';
import { UPS_OUTPUT_SOURCE_CODES } from '@kirchhoff/core';
import { asn1, EncodeBuffer, V, Value } from '../codec/values';
import {
  CHARGE_MODE_INSTANCE_BASE, CHARGE_MODE_STATE, CHARGE_MODE_STATES, ALARM_INSTANCE_FORMULAS, ALARM_POINTS, AlarmPoint, alarmPointActive, ANALOG_POINTS, AnalogPoint, INSTANCE_FORMULAS, MODULE_STATUS_STATES, moduleStatusState, OT, SENSOR_UNITS,
  UPS_OUTPUT_SOURCE_STATES,
} from './table';

/** Property identifiers (BACnetPropertyIdentifier) this device serves. */
export const P = {
  ACKED_TRANSITIONS: 0, ACK_REQUIRED: 1, ACTIVE_TEXT: 4, ALARM_VALUE: 6, ALL: 8, APDU_TIMEOUT: 11, APPLICATION_SOFTWARE_VERSION: 12, NOTIFICATION_CLASS: 17,
  COV_INCREMENT: 22, DEADBAND: 25, DESCRIPTION: 28, DEVICE_ADDRESS_BINDING: 30, EVENT_ENABLE: 35, EVENT_STATE: 36,
  FIRMWARE_REVISION: 44, HIGH_LIMIT: 45, INACTIVE_TEXT: 46, LIMIT_ENABLE: 52, LOCAL_DATE: 56, LOCAL_TIME: 57, LOCATION: 58, LOW_LIMIT: 59,
  MAX_APDU_LENGTH_ACCEPTED: 62, MODEL_NAME: 70, NOTIFY_TYPE: 72, NUMBER_OF_APDU_RETRIES: 73, NUMBER_OF_STATES: 74,
  OBJECT_IDENTIFIER: 75, OBJECT_LIST: 76, OBJECT_NAME: 77, OBJECT_TYPE: 79, OPTIONAL: 80, OUT_OF_SERVICE: 81,
  POLARITY: 84, PRESENT_VALUE: 85, PRIORITY: 86, PRIORITY_ARRAY: 87, PROTOCOL_OBJECT_TYPES_SUPPORTED: 96,
  PROTOCOL_SERVICES_SUPPORTED: 97, PROTOCOL_VERSION: 98, RECIPIENT_LIST: 102, RELIABILITY: 103, RELINQUISH_DEFAULT: 104,
  REQUIRED: 105, SEGMENTATION_SUPPORTED: 107, STATE_TEXT: 110, STATUS_FLAGS: 111, SYSTEM_STATUS: 112, TIME_DELAY: 113,
  UNITS: 117, VENDOR_IDENTIFIER: 120, VENDOR_NAME: 121, EVENT_TIME_STAMPS: 130, PROTOCOL_REVISION: 139,
  ACTIVE_COV_SUBSCRIPTIONS: 152, DATABASE_REVISION: 155, MAX_SEGMENTS_ACCEPTED: 167, NODE_SUBTYPE: 207, NODE_TYPE: 208,
  STRUCTURED_OBJECT_LIST: 209, SUBORDINATE_LIST: 211, PROPERTY_LIST: 371,
} as const;

export const EVENT_STATE = { NORMAL: 0, FAULT: 1, OFFNORMAL: 2, HIGH_LIMIT: 3, LOW_LIMIT: 4 } as const;
export const RELIABILITY = { NO_FAULT_DETECTED: 0, UNRELIABLE_OTHER: 7, COMMUNICATION_FAILURE: 12 } as const;

export interface PropertyError {
  readonly errorClass: number;
  readonly errorCode: number;
}
/** Error classes and codes (clause 18) used in answers. */
export const ERR = {
  UNKNOWN_OBJECT: { errorClass: 1, errorCode: 31 },
  UNKNOWN_PROPERTY: { errorClass: 2, errorCode: 32 },
  INVALID_ARRAY_INDEX: { errorClass: 2, errorCode: 42 },
  PROPERTY_IS_NOT_AN_ARRAY: { errorClass: 2, errorCode: 50 },
  WRITE_ACCESS_DENIED: { errorClass: 2, errorCode: 40 },
  INVALID_DATA_TYPE: { errorClass: 2, errorCode: 9 },
  VALUE_OUT_OF_RANGE: { errorClass: 2, errorCode: 37 },
  PASSWORD_FAILURE: { errorClass: 4, errorCode: 26 },
  SECURITY_WRITE_DENIED: { errorClass: 4, errorCode: 40 },
  OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED: { errorClass: 5, errorCode: 45 },
  SERVICE_REQUEST_DENIED: { errorClass: 5, errorCode: 29 },
  INVALID_EVENT_STATE: { errorClass: 5, errorCode: 73 },
  INVALID_TIME_STAMP: { errorClass: 5, errorCode: 14 },
  COV_SUBSCRIPTION_FAILED: { errorClass: 5, errorCode: 43 },
  NOT_COV_PROPERTY: { errorClass: 5, errorCode: 44 },
  OTHER_DEVICE: { errorClass: 0, errorCode: 0 },
  RESOURCES_OTHER: { errorClass: 3, errorCode: 0 },
} as const satisfies Record<string, PropertyError>;

export interface PropertyDef {
  readonly id: number;
  readonly required: boolean;
  /** BACnetARRAY: index 0 reads the size, index i the i-th element. */
  readonly array?: boolean;
  read(ctx: ReadContext): readonly Value[];
}

export interface ObjectId {
  readonly type: number;
  readonly instance: number;
}

/** The event-reporting state of one object with intrinsic reporting. */
export interface EventInfo {
  eventState: number;
  /** to-offnormal, to-fault, to-normal. */
  ackedTransitions: [boolean, boolean, boolean];
  timeStamps: [EventTimeStamp, EventTimeStamp, EventTimeStamp];
}
export type EventTimeStamp = { readonly type: 1; readonly value: number } | { readonly type: 2; readonly value: Date };

export interface CovSubscriptionView {
  readonly address: Buffer;
  readonly processId: number;
  readonly object: ObjectId;
  readonly confirmed: boolean;
  readonly timeRemainingS: number;
  readonly covIncrement: number | null;
}

export interface RecipientView {
  readonly mac: Buffer;
  readonly processId: number;
  readonly confirmed: boolean;
  readonly transitions: readonly [boolean, boolean, boolean];
}

/** What the objects need of the device beyond the snapshot. */
export interface DeviceView {
  readonly deviceInstance: number;
  readonly deviceName: string;
  readonly vendorName: string;
  readonly vendorId: number;
  readonly modelName: string;
  readonly firmwareRevision: string;
  readonly applicationSoftwareVersion: string;
  readonly description: string;
  readonly location: string;
  readonly maxApdu: number;
  readonly apduTimeoutMs: number;
  readonly apduRetries: number;
  readonly servicesSupported: readonly number[];
  readonly objectTypesSupported: readonly number[];
  readonly databaseRevision: number;
  readonly objects: readonly BacnetObject[];
  readonly notificationPriorities: readonly [number, number, number];
  readonly ackRequired: readonly [boolean, boolean, boolean];
  readonly recipients: readonly RecipientView[];
  eventInfo(object: BacnetObject): EventInfo | undefined;
  priorityArray(relay: number): readonly (boolean | null)[];
  covSubscriptions(): readonly CovSubscriptionView[];
  now(): number;
}

export interface ReadContext {
  readonly snap: SiteSnapshot;
  readonly device: DeviceView;
}

export interface AnalogBinding {
  readonly point: AnalogPoint;
  readonly n: number;
  readonly units: number;
  readonly covIncrement: number;
}

/** An alarm Binary Value: active while a core alarm of its point holds on string n (0: the site). */
export interface AlarmBinding {
  readonly point: AlarmPoint;
  readonly n: number;
}

export interface BacnetObject {
  readonly id: ObjectId;
  readonly name: string;
  readonly description: string;
  readonly properties: readonly PropertyDef[];
  readonly byId: ReadonlyMap<number, PropertyDef>;
  readonly analog?: AnalogBinding;
  readonly alarm?: AlarmBinding;
  /** Binary Output: the relay id its Present_Value commands. */
  readonly relay?: number;
  /** Present_Value as a number (REAL, or the enumeration/unsigned of binary and multi-state). */
  presentValue?(ctx: ReadContext): number;
  statusFlags?(ctx: ReadContext): Value;
}

export function objectKey(id: ObjectId): string {
  return `${id.type}:${id.instance}`;
}

export function reliabilityOf(q: Quality): number {
  return q === 'fresh' ? RELIABILITY.NO_FAULT_DETECTED : q === 'stale' ? RELIABILITY.COMMUNICATION_FAILURE : RELIABILITY.UNRELIABLE_OTHER;
}

const statusFlags = (inAlarm: boolean, fault: boolean): Value => V.bits(4, [...(inAlarm ? [0] : []), ...(fault ? [1] : [])]);

/** BACnetTimeStamp as a context-free CHOICE ([1] sequence number or [2] date-time). */
export function encodeTimeStamp(b: EncodeBuffer, ts: EventTimeStamp): void {
  asn1.bacappEncodeTimestamp(b, ts as never);
}

/** Encodes a B/IP BACnetAddress (network 0 = local, 6-octet MAC). */
function encodeAddress(b: EncodeBuffer, mac: Buffer): void {
  asn1.encodeApplicationUnsigned(b, 0);
  asn1.encodeApplicationOctetString(b, [...mac], 0, mac.length);
}

class ObjectBuilder {
  private readonly props: PropertyDef[] = [];
  constructor(readonly id: ObjectId, readonly name: string, readonly description: string) {
    this.add(P.OBJECT_IDENTIFIER, true, () => [V.oid(id.type, id.instance)]);
    this.add(P.OBJECT_NAME, true, () => [V.str(name)]);
    this.add(P.OBJECT_TYPE, true, () => [V.enum(id.type)]);
    if (description) this.add(P.DESCRIPTION, false, () => [V.str(description)]);
  }

  add(id: number, required: boolean, read: (ctx: ReadContext) => readonly Value[], array = false): this {
    this.props.push({ id, required, read, array });
    return this;
  }

  build(extra: Partial<Pick<BacnetObject, 'analog' | 'alarm' | 'relay' | 'presentValue' | 'statusFlags'>> = {}): BacnetObject {
    const listed = this.props.filter((p) => p.id !== P.OBJECT_IDENTIFIER && p.id !== P.OBJECT_NAME && p.id !== P.OBJECT_TYPE).map((p) => p.id);
    this.props.push({ id: P.PROPERTY_LIST, required: true, array: true, read: () => listed.map((id) => V.enum(id)) });
    return { id: this.id, name: this.name, description: this.description, properties: this.props, byId: new Map(this.props.map((p) => [p.id, p])), ...extra };
  }
}

function analogObject(point: AnalogPoint, n: number, label: string, units: number, covIncrement: number, description: string): BacnetObject {
  const instance = INSTANCE_FORMULAS[point.group].instance(n, point.offset);
  const m = (ctx: ReadContext): Measurement => point.read(ctx.snap, n);
  const pv = (ctx: ReadContext) => {
    const v = m(ctx).value;
    return v === null ? 0 : Math.fround(v * point.scale);
  };
  const b = new ObjectBuilder({ type: OT.ANALOG_INPUT, instance }, point.suffix ? `${label} ${point.suffix}` : label, description);
  let objectRef: BacnetObject | null = null;
  const event = (ctx: ReadContext) => ctx.device.eventInfo(objectRef!);
  const sf = (ctx: ReadContext) => {
    const e = event(ctx);
    return statusFlags(!!e && e.eventState !== EVENT_STATE.NORMAL && e.eventState !== EVENT_STATE.FAULT, m(ctx).quality !== 'fresh');
  };
  b.add(P.PRESENT_VALUE, true, (ctx) => [V.real(pv(ctx))])
    .add(P.STATUS_FLAGS, true, (ctx) => [sf(ctx)])
    .add(P.EVENT_STATE, true, (ctx) => [V.enum(event(ctx)?.eventState ?? EVENT_STATE.NORMAL)])
    .add(P.OUT_OF_SERVICE, true, () => [V.bool(false)])
    .add(P.UNITS, true, () => [V.enum(units)])
    .add(P.RELIABILITY, false, (ctx) => [V.enum(reliabilityOf(m(ctx).quality))])
    .add(P.COV_INCREMENT, false, () => [V.real(covIncrement)]);
  if (point.limits) {
    const key = point.limits(n);
    const th = (ctx: ReadContext): Threshold | undefined => limitsOf(ctx.snap, key);
    b.add(P.TIME_DELAY, false, (ctx) => [V.uint(Math.round((th(ctx)?.delayMs ?? 0) / 1000))])
      .add(P.NOTIFICATION_CLASS, false, () => [V.uint(1)])
      .add(P.HIGH_LIMIT, false, (ctx) => [V.real((th(ctx)?.alarmHigh ?? 0) * point.scale)])
      .add(P.LOW_LIMIT, false, (ctx) => [V.real((th(ctx)?.alarmLow ?? 0) * point.scale)])
      .add(P.DEADBAND, false, (ctx) => [V.real((th(ctx)?.hysteresis ?? 0) * point.scale)])
      .add(P.LIMIT_ENABLE, false, (ctx) => [V.bits(2, [...(th(ctx)?.alarmLow != null ? [0] : []), ...(th(ctx)?.alarmHigh != null ? [1] : [])])])
      .add(P.EVENT_ENABLE, false, () => [V.bits(3, EVENT_ENABLE)])
      .add(P.ACKED_TRANSITIONS, false, (ctx) => [V.bits(3, ackedBits(event(ctx)))])
      .add(P.NOTIFY_TYPE, false, () => [V.enum(0)])
      .add(P.EVENT_TIME_STAMPS, false, (ctx) => (event(ctx)?.timeStamps ?? INITIAL_TIMESTAMPS).map((ts) => V.raw((buf) => encodeTimeStamp(buf, ts))), true);
  }
  objectRef = b.build({ analog: { point, n, units, covIncrement }, presentValue: pv, statusFlags: sf });
  return objectRef;
}

/** Event_Enable: to-offnormal and to-normal; to-fault is reported through Status_Flags only. */
export const EVENT_ENABLE = [0, 2] as const;
export const INITIAL_TIMESTAMPS: [EventTimeStamp, EventTimeStamp, EventTimeStamp] = [{ type: 1, value: 0 }, { type: 1, value: 0 }, { type: 1, value: 0 }];

function ackedBits(e: EventInfo | undefined): number[] {
  const a = e?.ackedTransitions ?? [true, true, true];
  return a.flatMap((v, i) => (v ? [i] : []));
}

export function limitsOf(snap: SiteSnapshot, key: string): Threshold | undefined {
  if (key.startsWith('sensors.')) return snap.thresholds.sensors[key.slice('sensors.'.length)];
  return (snap.thresholds as unknown as Record<string, Threshold>)[key];
}

/**
 * An alarm Binary Value (read-only, not commandable) with intrinsic CHANGE_OF_STATE reporting:
 * Alarm_Value active, Time_Delay 0 (the core alarm already applied its own delay).
 */
function alarmObject(point: AlarmPoint, n: number, name: string, description: string): BacnetObject {
  const instance = ALARM_INSTANCE_FORMULAS[point.scope].instance(n, point.offset);
  const b = new ObjectBuilder({ type: OT.BINARY_VALUE, instance }, name, description);
  let objectRef: BacnetObject | null = null;
  const event = (ctx: ReadContext) => ctx.device.eventInfo(objectRef!);
  const pv = (ctx: ReadContext) => (alarmPointActive(point, n, ctx.snap.alarms) ? 1 : 0);
  const sf = (ctx: ReadContext) => statusFlags((event(ctx)?.eventState ?? EVENT_STATE.NORMAL) !== EVENT_STATE.NORMAL, false);
  b.add(P.PRESENT_VALUE, true, (ctx) => [V.enum(pv(ctx))])
    .add(P.STATUS_FLAGS, true, (ctx) => [sf(ctx)])
    .add(P.EVENT_STATE, true, (ctx) => [V.enum(event(ctx)?.eventState ?? EVENT_STATE.NORMAL)])
    .add(P.OUT_OF_SERVICE, true, () => [V.bool(false)])
    .add(P.RELIABILITY, false, () => [V.enum(RELIABILITY.NO_FAULT_DETECTED)])
    .add(P.INACTIVE_TEXT, false, () => [V.str('Normal')])
    .add(P.ACTIVE_TEXT, false, () => [V.str('Alarm')])
    .add(P.TIME_DELAY, false, () => [V.uint(0)])
    .add(P.NOTIFICATION_CLASS, false, () => [V.uint(1)])
    .add(P.ALARM_VALUE, false, () => [V.enum(1)])
    .add(P.EVENT_ENABLE, false, () => [V.bits(3, EVENT_ENABLE)])
    .add(P.ACKED_TRANSITIONS, false, (ctx) => [V.bits(3, ackedBits(event(ctx)))])
    .add(P.NOTIFY_TYPE, false, () => [V.enum(0)])
    .add(P.EVENT_TIME_STAMPS, false, (ctx) => (event(ctx)?.timeStamps ?? INITIAL_TIMESTAMPS).map((ts) => V.raw((buf) => encodeTimeStamp(buf, ts))), true);
  objectRef = b.build({ alarm: { point, n }, presentValue: pv, statusFlags: sf });
  return objectRef;
}

function binaryLike(type: number, instance: number, name: string, description: string, active: (ctx: ReadContext) => boolean, fault: (ctx: ReadContext) => Quality | null, extra: (b: ObjectBuilder) => void = () => {}): BacnetObject {
  const b = new ObjectBuilder({ type, instance }, name, description);
  const pv = (ctx: ReadContext) => (active(ctx) ? 1 : 0);
  const sf = (ctx: ReadContext) => statusFlags(false, (fault(ctx) ?? 'fresh') !== 'fresh');
  b.add(P.PRESENT_VALUE, true, (ctx) => [V.enum(pv(ctx))])
    .add(P.STATUS_FLAGS, true, (ctx) => [sf(ctx)])
    .add(P.EVENT_STATE, true, () => [V.enum(EVENT_STATE.NORMAL)])
    .add(P.OUT_OF_SERVICE, true, () => [V.bool(false)]);
  extra(b);
  return b.build({ presentValue: pv, statusFlags: sf });
}

function multiState(type: number, instance: number, name: string, description: string, states: readonly string[], pvOf: (ctx: ReadContext) => number, fault: (ctx: ReadContext) => Quality): BacnetObject {
  const b = new ObjectBuilder({ type, instance }, name, description);
  const sf = (ctx: ReadContext) => statusFlags(false, fault(ctx) !== 'fresh');
  b.add(P.PRESENT_VALUE, true, (ctx) => [V.uint(pvOf(ctx))])
    .add(P.STATUS_FLAGS, true, (ctx) => [sf(ctx)])
    .add(P.EVENT_STATE, true, () => [V.enum(EVENT_STATE.NORMAL)])
    .add(P.OUT_OF_SERVICE, true, () => [V.bool(false)])
    .add(P.NUMBER_OF_STATES, true, () => [V.uint(states.length)])
    .add(P.STATE_TEXT, false, () => states.map((s) => V.str(s)), true)
    .add(P.RELIABILITY, false, (ctx) => [V.enum(reliabilityOf(fault(ctx)))]);
  return b.build({ presentValue: pvOf, statusFlags: sf });
}

/** Every object but the Device and the Notification Class, in Object_List order. */
export function buildPointObjects(snap: SiteSnapshot): BacnetObject[] {
  const objects: BacnetObject[] = [];
  const views: BacnetObject[] = [];
  const modulePoints = ANALOG_POINTS.filter((p) => p.group === 'module');
  for (const s of snap.strings) {
    const members: BacnetObject[] = [];
    for (const p of ANALOG_POINTS.filter((x) => x.group === 'string')) {
      members.push(analogObject(p, s.string, s.label, p.units, p.covIncrement, `${s.name}: ${p.description}`));
    }
    const n = s.string;
    members.push(multiState(OT.MULTI_STATE_INPUT, CHARGE_MODE_INSTANCE_BASE + n, `${s.label} Charge Mode`, `${s.name}: charge mode`, CHARGE_MODE_STATES,
      (ctx) => CHARGE_MODE_STATE[ctx.snap.strings[n - 1].chargeMode], (ctx) => (ctx.snap.strings[n - 1].chargeMode === 'unknown' ? 'failed' : 'fresh')));
    for (let g = s.firstGlobal; g < s.firstGlobal + s.moduleCount; g++) {
      const m = snap.modules[g - 1];
      for (const p of modulePoints) members.push(analogObject(p, g, m.label, p.units, p.covIncrement, `${m.label} (module ${g}): ${p.description}`));
      members.push(binaryLike(OT.BINARY_VALUE, g, `${m.label} Equalize`, `${m.label} bypass (equalize) on`, (ctx) => ctx.snap.modules[g - 1].equalize.on, (ctx) => ctx.snap.modules[g - 1].voltageV.quality));
      members.push(multiState(OT.MULTI_STATE_VALUE, g, `${m.label} Status`, `${m.label} module status`, MODULE_STATUS_STATES, (ctx) => moduleStatusState(ctx.snap.modules[g - 1]), (ctx) => ctx.snap.modules[g - 1].voltageV.quality));
    }
    for (const p of ALARM_POINTS.filter((x) => x.scope === 'string')) {
      members.push(alarmObject(p, s.string, `${s.label} ${p.suffix}`, `${s.name}: active while ${p.activeWhile}`));
    }
    objects.push(...members);
    const sv = new ObjectBuilder({ type: OT.STRUCTURED_VIEW, instance: s.string }, `${s.label} String`, s.name)
      .add(P.NODE_TYPE, true, () => [V.enum(6)]) // equipment
      .add(P.NODE_SUBTYPE, false, () => [V.str('Battery string')])
      .add(P.SUBORDINATE_LIST, true, () => members.map((o) => V.raw((b) => asn1.encodeContextObjectId(b, 1, o.id.type, o.id.instance))), true)
      .build();
    views.push(sv);
  }
  if (snap.ups) {
    for (const p of ANALOG_POINTS.filter((x) => x.group === 'ups')) objects.push(analogObject(p, 0, 'UPS', p.units, p.covIncrement, p.description));
    objects.push(multiState(OT.MULTI_STATE_INPUT, 1, 'UPS Output Source', 'UPS output source (UPS-MIB upsOutputSource)', UPS_OUTPUT_SOURCE_STATES,
      (ctx) => UPS_OUTPUT_SOURCE_CODES[ctx.snap.ups?.output.source ?? 'other'], (ctx) => ctx.snap.ups?.quality ?? 'failed'));
  }
  const sensorPoint = ANALOG_POINTS.find((p) => p.group === 'sensor')!;
  for (const s of snap.sensors) {
    const u = SENSOR_UNITS[s.kind] ?? SENSOR_UNITS.analog;
    objects.push(analogObject(sensorPoint, s.id, s.name, u.units, u.covIncrement, `Sensor ${s.id} (${s.kind}, ${s.unit})`));
  }
  for (const d of snap.inputs) {
    objects.push(binaryLike(OT.BINARY_INPUT, d.id, d.name, `Digital input ${d.id}`, (ctx) => ctx.snap.inputs[d.id - 1].active, (ctx) => ctx.snap.inputs[d.id - 1].quality,
      (b) => b.add(P.POLARITY, true, () => [V.enum(0)]).add(P.RELIABILITY, false, (ctx) => [V.enum(reliabilityOf(ctx.snap.inputs[d.id - 1].quality))])));
  }
  for (const r of snap.relays) {
    const o = binaryLike(OT.BINARY_OUTPUT, r.id, r.name, `Relay ${r.id} (${r.function})`, (ctx) => ctx.snap.relays[r.id - 1].on, () => null,
      (b) => b.add(P.POLARITY, true, () => [V.enum(0)])
        .add(P.PRIORITY_ARRAY, true, (ctx) => ctx.device.priorityArray(r.id).map((v) => (v === null ? V.null() : V.enum(v ? 1 : 0))), true)
        .add(P.RELINQUISH_DEFAULT, true, () => [V.enum(0)]));
    objects.push({ ...o, relay: r.id });
  }
  for (const p of ALARM_POINTS.filter((x) => x.scope === 'site' && (!x.needsUps || snap.ups))) {
    objects.push(alarmObject(p, 0, p.suffix, `Site: active while ${p.activeWhile}`));
  }
  return uniqueNames([...objects, ...views]);
}

/** Object_Name must be unique in a device: later duplicates get their object id appended. */
function uniqueNames(objects: BacnetObject[]): BacnetObject[] {
  const seen = new Set<string>();
  return objects.map((o) => {
    if (!seen.has(o.name)) {
      seen.add(o.name);
      return o;
    }
    const name = `${o.name} (${o.id.type}:${o.id.instance})`;
    seen.add(name);
    const byId = new Map(o.byId);
    byId.set(P.OBJECT_NAME, { id: P.OBJECT_NAME, required: true, read: () => [V.str(name)] });
    return { ...o, name, byId, properties: o.properties.map((p) => byId.get(p.id)!) };
  });
}

export function notificationClassObject(): BacnetObject {
  return new ObjectBuilder({ type: OT.NOTIFICATION_CLASS, instance: 1 }, 'Kirchhoff Alarms', 'Recipients of OUT_OF_RANGE events of the module, string and sensor inputs and CHANGE_OF_STATE events of the alarm Binary Values')
    .add(P.NOTIFICATION_CLASS, true, () => [V.uint(1)])
    .add(P.PRIORITY, true, (ctx) => ctx.device.notificationPriorities.map((p) => V.uint(p)), true)
    .add(P.ACK_REQUIRED, true, (ctx) => [V.bits(3, ctx.device.ackRequired.flatMap((v, i) => (v ? [i] : [])))])
    .add(P.RECIPIENT_LIST, true, (ctx) => ctx.device.recipients.map((r) => V.raw((b) => {
      asn1.encodeApplicationBitstring(b, { bitsUsed: 7, value: [0x7f] }); // every day
      asn1.encodeApplicationTime(b, new Date(2000, 0, 1, 0, 0, 0, 0));
      asn1.encodeApplicationTime(b, new Date(2000, 0, 1, 23, 59, 59, 990));
      asn1.encodeOpeningTag(b, 1);
      encodeAddress(b, r.mac);
      asn1.encodeClosingTag(b, 1);
      asn1.encodeApplicationUnsigned(b, r.processId);
      asn1.encodeApplicationBoolean(b, r.confirmed);
      asn1.encodeApplicationBitstring(b, { bitsUsed: 3, value: [r.transitions.reduce((acc, v, i) => acc | (v ? 1 << i : 0), 0)] });
    })))
    .build();
}

export function deviceObject(view: () => DeviceView): BacnetObject {
  const d = view;
  return new ObjectBuilder({ type: OT.DEVICE, instance: d().deviceInstance }, d().deviceName, d().description)
    .add(P.SYSTEM_STATUS, true, () => [V.enum(0)])
    .add(P.VENDOR_NAME, true, () => [V.str(d().vendorName)])
    .add(P.VENDOR_IDENTIFIER, true, () => [V.uint(d().vendorId)])
    .add(P.MODEL_NAME, true, () => [V.str(d().modelName)])
    .add(P.FIRMWARE_REVISION, true, () => [V.str(d().firmwareRevision)])
    .add(P.APPLICATION_SOFTWARE_VERSION, true, () => [V.str(d().applicationSoftwareVersion)])
    .add(P.LOCATION, false, () => [V.str(d().location)])
    .add(P.PROTOCOL_VERSION, true, () => [V.uint(1)])
    .add(P.PROTOCOL_REVISION, true, () => [V.uint(14)])
    .add(P.PROTOCOL_SERVICES_SUPPORTED, true, () => [V.bits(44, d().servicesSupported)])
    .add(P.PROTOCOL_OBJECT_TYPES_SUPPORTED, true, () => [V.bits(60, d().objectTypesSupported)])
    .add(P.OBJECT_LIST, true, () => d().objects.map((o) => V.oid(o.id.type, o.id.instance)), true)
    .add(P.STRUCTURED_OBJECT_LIST, false, () => d().objects.filter((o) => o.id.type === OT.STRUCTURED_VIEW).map((o) => V.oid(o.id.type, o.id.instance)), true)
    .add(P.MAX_APDU_LENGTH_ACCEPTED, true, () => [V.uint(d().maxApdu)])
    .add(P.SEGMENTATION_SUPPORTED, true, () => [V.enum(1)]) // segmented-transmit
    .add(P.MAX_SEGMENTS_ACCEPTED, false, () => [V.uint(1)])
    .add(P.APDU_TIMEOUT, true, () => [V.uint(d().apduTimeoutMs)])
    .add(P.NUMBER_OF_APDU_RETRIES, true, () => [V.uint(d().apduRetries)])
    .add(P.DEVICE_ADDRESS_BINDING, true, () => [])
    .add(P.DATABASE_REVISION, true, () => [V.uint(d().databaseRevision)])
    .add(P.ACTIVE_COV_SUBSCRIPTIONS, false, () => d().covSubscriptions().map((s) => V.raw((b) => {
      asn1.encodeOpeningTag(b, 0);
      asn1.encodeOpeningTag(b, 0);
      asn1.encodeOpeningTag(b, 1);
      encodeAddress(b, s.address);
      asn1.encodeClosingTag(b, 1);
      asn1.encodeClosingTag(b, 0);
      asn1.encodeContextUnsigned(b, 1, s.processId);
      asn1.encodeClosingTag(b, 0);
      asn1.encodeOpeningTag(b, 1);
      asn1.encodeContextObjectId(b, 0, s.object.type, s.object.instance);
      asn1.encodeContextEnumerated(b, 1, P.PRESENT_VALUE);
      asn1.encodeClosingTag(b, 1);
      asn1.encodeContextBoolean(b, 2, s.confirmed);
      asn1.encodeContextUnsigned(b, 3, s.timeRemainingS);
      if (s.covIncrement !== null) asn1.encodeContextReal(b, 4, s.covIncrement);
    })))
    .add(P.LOCAL_DATE, false, () => [{ t: 'date', v: new Date(d().now()) }])
    .add(P.LOCAL_TIME, false, () => [{ t: 'time', v: new Date(d().now()) }])
    .build();
}
