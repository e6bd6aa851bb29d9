// The declarative BACnet address map: which object each model value is, its instance formula,
// name, units and COV increment. docs/bacnet-objects.md is generated from this table.
import type { Alarm, AlarmKind, ChargeMode, Measurement, Severity, SiteSnapshot, ThresholdKey } from '@kirchhoff/core';

/** Object types (clause 12 / 21 BACnetObjectType). */
export const OT = {
  ANALOG_INPUT: 0,
  BINARY_INPUT: 3,
  BINARY_OUTPUT: 4,
  BINARY_VALUE: 5,
  DEVICE: 8,
  MULTI_STATE_INPUT: 13,
  NOTIFICATION_CLASS: 15,
  MULTI_STATE_VALUE: 19,
  STRUCTURED_VIEW: 29,
} as const;

export const OBJECT_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Analog Input', 3: 'Binary Input', 4: 'Binary Output', 5: 'Binary Value', 8: 'Device',
  13: 'Multi-state Input', 15: 'Notification Class', 19: 'Multi-state Value', 29: 'Structured View',
};

/** Engineering units (BACnetEngineeringUnits). */
export const UNITS = {
  volts: 5, amperes: 3, milliohms: 145, degreesCelsius: 62, percent: 98, percentRelativeHumidity: 29,
  hertz: 27, watts: 47, minutes: 72, seconds: 73, noUnits: 95,
} as const;

export type AnalogGroup = 'module' | 'string' | 'ups' | 'sensor';

export interface AnalogPoint {
  readonly group: AnalogGroup;
  readonly key: string;
  /** Appended to the owner's label: `S02-M07 Voltage`. */
  readonly suffix: string;
  /** k in the group's instance formula. */
  readonly offset: number;
  readonly units: number;
  readonly unitName: string;
  /** BACnet Present_Value = model value x scale (ohms -> milliohms). */
  readonly scale: number;
  readonly covIncrement: number;
  /** The model field, for the documentation. */
  readonly source: string;
  /** What the value is, for people: the object's Description (after the owner's name). */
  readonly description: string;
  /** Site threshold whose alarm limits become High_Limit/Low_Limit (intrinsic OUT_OF_RANGE). */
  readonly limits?: (n: number) => ThresholdKey;
  read(snap: SiteSnapshot, n: number): Measurement;
}

/** Instance number of a group's object n (global module, string, sensor id; 0 for the UPS). */
export const INSTANCE_FORMULAS: Readonly<Record<AnalogGroup, { readonly formula: string; readonly instance: (n: number, k: number) => number }>> = {
  module: { formula: '10 x global + k', instance: (g, k) => 10 * g + k },
  string: { formula: '10000 + 10 x string + k', instance: (s, k) => 10000 + 10 * s + k },
  ups: { formula: '20000 + k', instance: (_n, k) => 20000 + k },
  sensor: { formula: '30000 + sensor id', instance: (id) => 30000 + id },
};

/** A health figure (a plain number the health engine writes once a minute) as a reading. */
const healthM = (snap: SiteSnapshot, v: number | null): Measurement => (v === null ? { value: null, atMs: 0, quality: 'failed' } : { value: v, atMs: snap.atMs, quality: 'fresh' });

const upsM = (snap: SiteSnapshot, pick: (u: NonNullable<SiteSnapshot['ups']>) => number | undefined): Measurement => {
  const u = snap.ups;
  const v = u ? pick(u) : undefined;
  return u && v !== undefined && Number.isFinite(v) ? { value: v, atMs: u.atMs, quality: u.quality } : { value: null, atMs: 0, quality: 'failed' };
};

export const ANALOG_POINTS: readonly AnalogPoint[] = [
  { group: 'module', key: 'module.voltage', suffix: 'Voltage', offset: 1, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 0.01, source: 'modules[g].voltageV', description: 'block voltage', limits: () => 'moduleVoltage', read: (s, g) => s.modules[g - 1].voltageV },
  { group: 'module', key: 'module.temperature', suffix: 'Temperature', offset: 2, units: UNITS.degreesCelsius, unitName: 'degrees-Celsius', scale: 1, covIncrement: 0.5, source: 'modules[g].temperatureC', description: 'block temperature', limits: () => 'moduleTemperature', read: (s, g) => s.modules[g - 1].temperatureC },
  { group: 'module', key: 'module.resistance', suffix: 'Ri', offset: 3, units: UNITS.milliohms, unitName: 'milliohms', scale: 1000, covIncrement: 0.1, source: 'modules[g].resistanceOhm x 1000', description: 'block internal resistance (Ri)', read: (s, g) => s.modules[g - 1].resistanceOhm },
  { group: 'module', key: 'module.soc', suffix: 'SoC', offset: 4, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 1, source: 'modules[g].socPercent', description: 'block state of charge', read: (s, g) => s.modules[g - 1].socPercent },
  { group: 'module', key: 'module.soh', suffix: 'SoH', offset: 5, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 0.5, source: 'modules[g].sohPercent', description: 'block state of health: capacity over the rating, or from the Ri increase (docs/health.md)', read: (s, g) => healthM(s, s.modules[g - 1].sohPercent) },
  // BACnet has no ampere-hours unit (ampere-seconds would show 360000 for 100 Ah): no-units, the name says Ah.
  { group: 'module', key: 'module.remainingCapacity', suffix: 'Remaining Ah', offset: 6, units: UNITS.noUnits, unitName: 'no-units (ampere-hours)', scale: 1, covIncrement: 0.5, source: 'modules[g].remainingCapacityAh', description: 'block remaining capacity in ampere-hours (C10 at 25 degC)', read: (s, g) => healthM(s, s.modules[g - 1].remainingCapacityAh) },
  { group: 'string', key: 'string.sumVoltage', suffix: 'Sum Voltage', offset: 1, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 0.1, source: 'strings[s].sumVoltageV', description: 'sum of the block voltages', read: (s, n) => s.strings[n - 1].sumVoltageV },
  { group: 'string', key: 'string.targetVoltage', suffix: 'Target Voltage', offset: 2, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 0.01, source: 'strings[s].targetVoltageV', description: 'balancing target, the mean block voltage', read: (s, n) => s.strings[n - 1].targetVoltageV },
  { group: 'string', key: 'string.dcCurrent', suffix: 'DC Current', offset: 3, units: UNITS.amperes, unitName: 'amperes', scale: 1, covIncrement: 0.1, source: 'strings[s].dcCurrentA', description: 'string DC current, positive while charging', limits: () => 'stringCurrent', read: (s, n) => s.strings[n - 1].dcCurrentA },
  { group: 'string', key: 'string.soc', suffix: 'SoC', offset: 4, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 1, source: 'strings[s].socPercent', description: 'string state of charge', read: (s, n) => s.strings[n - 1].socPercent },
  { group: 'string', key: 'string.autonomy', suffix: 'Autonomy', offset: 5, units: UNITS.minutes, unitName: 'minutes', scale: 1, covIncrement: 1, source: 'strings[s].autonomyMin', description: 'estimated runtime at the present load', read: (s, n) => s.strings[n - 1].autonomyMin },
  { group: 'string', key: 'string.minSoh', suffix: 'Lowest SoH', offset: 6, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 0.5, source: 'strings[s].minSohPercent', description: 'lowest state of health of the string\'s blocks', read: (s, n) => healthM(s, s.strings[n - 1].minSohPercent) },
  { group: 'string', key: 'string.remainingCapacity', suffix: 'Remaining Ah', offset: 7, units: UNITS.noUnits, unitName: 'no-units (ampere-hours)', scale: 1, covIncrement: 0.5, source: 'strings[s].remainingCapacityAh', description: 'what the string can still deliver in ampere-hours: its weakest block\'s remaining capacity', read: (s, n) => healthM(s, s.strings[n - 1].remainingCapacityAh) },
  { group: 'ups', key: 'ups.batteryVoltage', suffix: 'Battery Voltage', offset: 1, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 0.5, source: 'ups.battery.voltageV', description: 'UPS battery voltage', read: (s) => upsM(s, (u) => u.battery.voltageV) },
  { group: 'ups', key: 'ups.batteryCurrent', suffix: 'Battery Current', offset: 2, units: UNITS.amperes, unitName: 'amperes', scale: 1, covIncrement: 0.5, source: 'ups.battery.currentA', description: 'UPS battery current, positive while charging', read: (s) => upsM(s, (u) => u.battery.currentA) },
  { group: 'ups', key: 'ups.batteryTemperature', suffix: 'Battery Temperature', offset: 3, units: UNITS.degreesCelsius, unitName: 'degrees-Celsius', scale: 1, covIncrement: 0.5, source: 'ups.battery.temperatureC', description: 'UPS battery temperature', read: (s) => upsM(s, (u) => u.battery.temperatureC) },
  { group: 'ups', key: 'ups.chargeRemaining', suffix: 'Charge Remaining', offset: 4, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 1, source: 'ups.battery.estimatedChargeRemainingPercent', description: 'UPS estimated charge remaining', read: (s) => upsM(s, (u) => u.battery.estimatedChargeRemainingPercent) },
  { group: 'ups', key: 'ups.minutesRemaining', suffix: 'Minutes Remaining', offset: 5, units: UNITS.minutes, unitName: 'minutes', scale: 1, covIncrement: 1, source: 'ups.battery.estimatedMinutesRemaining', description: 'UPS estimated minutes remaining', read: (s) => upsM(s, (u) => u.battery.estimatedMinutesRemaining) },
  { group: 'ups', key: 'ups.secondsOnBattery', suffix: 'Seconds On Battery', offset: 6, units: UNITS.seconds, unitName: 'seconds', scale: 1, covIncrement: 1, source: 'ups.battery.secondsOnBattery', description: 'time on battery', read: (s) => upsM(s, (u) => u.battery.secondsOnBattery) },
  { group: 'ups', key: 'ups.inputVoltage', suffix: 'Input Voltage', offset: 7, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 1, source: 'ups.input.lines[0].voltageV', description: 'UPS input voltage, line 1', read: (s) => upsM(s, (u) => u.input.lines[0]?.voltageV) },
  { group: 'ups', key: 'ups.inputFrequency', suffix: 'Input Frequency', offset: 8, units: UNITS.hertz, unitName: 'hertz', scale: 1, covIncrement: 0.1, source: 'ups.input.lines[0].frequencyHz', description: 'UPS input frequency, line 1', read: (s) => upsM(s, (u) => u.input.lines[0]?.frequencyHz) },
  { group: 'ups', key: 'ups.outputVoltage', suffix: 'Output Voltage', offset: 9, units: UNITS.volts, unitName: 'volts', scale: 1, covIncrement: 1, source: 'ups.output.lines[0].voltageV', description: 'UPS output voltage, line 1', read: (s) => upsM(s, (u) => u.output.lines[0]?.voltageV) },
  { group: 'ups', key: 'ups.outputLoad', suffix: 'Output Load', offset: 10, units: UNITS.percent, unitName: 'percent', scale: 1, covIncrement: 1, source: 'ups.output.lines[0].percentLoad', description: 'UPS output load, line 1', read: (s) => upsM(s, (u) => u.output.lines[0]?.percentLoad) },
  { group: 'ups', key: 'ups.outputPower', suffix: 'Output Power', offset: 11, units: UNITS.watts, unitName: 'watts', scale: 1, covIncrement: 100, source: 'ups.output.lines[0].powerW', description: 'UPS output power, line 1', read: (s) => upsM(s, (u) => u.output.lines[0]?.powerW) },
  { group: 'ups', key: 'ups.outputFrequency', suffix: 'Output Frequency', offset: 12, units: UNITS.hertz, unitName: 'hertz', scale: 1, covIncrement: 0.1, source: 'ups.output.frequencyHz', description: 'UPS output frequency', read: (s) => upsM(s, (u) => u.output.frequencyHz) },
  { group: 'sensor', key: 'sensor', suffix: '', offset: 0, units: -1, unitName: 'by kind (see below)', scale: 1, covIncrement: 0.5, source: 'sensors[id].reading', description: 'sensor reading', limits: (id) => `sensors.${id}`, read: (s, id) => s.sensors[id - 1].reading },
];

/** Sensor kind -> units and COV increment. */
export const SENSOR_UNITS: Readonly<Record<string, { readonly units: number; readonly unitName: string; readonly covIncrement: number }>> = {
  temperature: { units: UNITS.degreesCelsius, unitName: 'degrees-Celsius', covIncrement: 0.5 },
  humidity: { units: UNITS.percentRelativeHumidity, unitName: 'percent-relative-humidity', covIncrement: 1 },
  hydrogen: { units: UNITS.percent, unitName: 'percent (of LEL)', covIncrement: 0.5 },
  current: { units: UNITS.amperes, unitName: 'amperes', covIncrement: 0.1 },
  voltage: { units: UNITS.volts, unitName: 'volts', covIncrement: 0.1 },
  analog: { units: UNITS.noUnits, unitName: 'no-units', covIncrement: 0.5 },
};

/** Module status (MSV g), states 1..n. */
export const MODULE_STATUS_STATES = ['OK', 'Stale', 'Communication lost', 'Fuse blown', 'Unknown'] as const;
/** String charge mode (MSI 100 + string): state numbers frozen, written out (BACnet states are 1-based). */
export const CHARGE_MODE_STATE: Readonly<Record<ChargeMode, number>> = { unknown: 1, float: 2, boost: 3, rest: 4, discharge: 5, recharge: 6 };
export const CHARGE_MODE_STATES = ['Unknown', 'Float', 'Boost', 'Rest (charger off)', 'Discharge', 'Recharge'] as const;
export const CHARGE_MODE_INSTANCE_BASE = 100;
/** UPS output source (MSI 1): state n is RFC 1628's upsOutputSource n (core's UPS_OUTPUT_SOURCE_CODES). */
export const UPS_OUTPUT_SOURCE_STATES = ['Other', 'None', 'Normal', 'Bypass', 'Battery', 'Booster', 'Reducer'] as const;

export function moduleStatusState(m: SiteSnapshot['modules'][number]): number {
  if (m.fuse === 'blown') return 4;
  if (m.communication === 'lost') return 3;
  if (m.voltageV.quality === 'stale') return 2;
  if (m.communication === 'unknown' && m.voltageV.atMs === 0) return 5;
  return 1;
}

/** Alarm objects: Binary Values with intrinsic CHANGE_OF_STATE reporting, one per critical condition. */
export type AlarmScope = 'string' | 'site';

export interface AlarmPoint {
  readonly scope: AlarmScope;
  readonly key: string;
  /** `S02 Thermal runaway` for a string, the whole name for the site. */
  readonly suffix: string;
  /** k in the scope's instance formula. */
  readonly offset: number;
  /** When Present_Value is active, for the documentation. */
  readonly activeWhile: string;
  /** Only on sites with a UPS. */
  readonly needsUps?: boolean;
  /** Whether this active core alarm makes the object of string n (0 for the site) active. */
  matches(alarm: Alarm, n: number): boolean;
}

/** Warnings stay out of the alarm objects: a BMS alarm is something to act on. */
const ALARM_OR_WORSE: readonly Severity[] = ['alarm', 'critical'];

// A string's alarm may name the block it is about (thermal runaway names the hottest block).
const onString = (kind: AlarmKind) => (a: Alarm, n: number) =>
  a.kind === kind && (a.entity.kind === 'string' || a.entity.kind === 'module') && a.entity.string === n && ALARM_OR_WORSE.includes(a.severity);

export const ALARM_INSTANCE_FORMULAS: Readonly<Record<AlarmScope, { readonly formula: string; readonly instance: (n: number, k: number) => number }>> = {
  string: { formula: '10000 + 10 x string + k', instance: (s, k) => 10000 + 10 * s + k },
  site: { formula: '10000 + k', instance: (_n, k) => 10000 + k },
};

export const ALARM_POINTS: readonly AlarmPoint[] = [
  { scope: 'string', key: 'string.thermalRunaway', suffix: 'Thermal runaway', offset: 1, activeWhile: 'thermal-runaway alarm on the string', matches: onString('thermal-runaway') },
  { scope: 'string', key: 'string.groundFault', suffix: 'Ground fault', offset: 2, activeWhile: 'string-ground-fault alarm on the string', matches: onString('string-ground-fault') },
  { scope: 'string', key: 'string.imbalance', suffix: 'Imbalance', offset: 3, activeWhile: 'string-imbalance alarm on the string', matches: onString('string-imbalance') },
  {
    scope: 'string', key: 'string.moduleAlarm', suffix: 'Module alarm', offset: 4,
    activeWhile: 'a module alarm in the string (lost, fuse, voltage, temperature or Ri at alarm level, block runaway), or bus-failure (no module answers)',
    matches: (a, n) => ((a.entity.kind === 'module' && a.entity.string === n) || a.kind === 'bus-failure') && ALARM_OR_WORSE.includes(a.severity),
  },
  { scope: 'site', key: 'site.upsOnBattery', suffix: 'UPS on battery', offset: 1, needsUps: true, activeWhile: 'ups-on-battery alarm', matches: (a) => a.kind === 'ups-on-battery' && ALARM_OR_WORSE.includes(a.severity) },
  { scope: 'site', key: 'site.balancingDisabled', suffix: 'Balancing disabled', offset: 2, activeWhile: 'balancing-disabled alarm (general alarm)', matches: (a) => a.kind === 'balancing-disabled' && ALARM_OR_WORSE.includes(a.severity) },
  { scope: 'site', key: 'site.critical', suffix: 'Critical alarm', offset: 3, activeWhile: 'any alarm of severity critical, whatever its kind', matches: (a) => a.severity === 'critical' },
];

export function alarmPointActive(point: AlarmPoint, n: number, alarms: readonly Alarm[]): boolean {
  return alarms.some((a) => point.matches(a, n));
}

export interface OtherObjectRow {
  readonly type: number;
  readonly instance: string;
  readonly name: string;
  readonly presentValue: string;
  readonly notes: string;
}

/** Objects other than the Analog Inputs, for the documentation. */
export const OTHER_OBJECTS: readonly OtherObjectRow[] = [
  { type: OT.DEVICE, instance: 'options.deviceInstance (gateway: bacnet.deviceInstance)', name: 'options.deviceName (default: the site name)', presentValue: '-', notes: 'Object_List readable whole (segmented) and by index; Active_COV_Subscriptions; Database_Revision changes when the object list does' },
  { type: OT.BINARY_VALUE, instance: 'global module number', name: 'Sxx-Myy Equalize', presentValue: 'active = bypass on (modules[g].equalize.on)', notes: 'read-only (the balancing engine owns equalize)' },
  { type: OT.MULTI_STATE_VALUE, instance: 'global module number', name: 'Sxx-Myy Status', presentValue: MODULE_STATUS_STATES.map((s, i) => `${i + 1} ${s}`).join(', '), notes: 'read-only' },
  { type: OT.MULTI_STATE_INPUT, instance: `${CHARGE_MODE_INSTANCE_BASE} + string number`, name: 'Sxx Charge Mode', presentValue: CHARGE_MODE_STATES.map((s, i) => `${i + 1} ${s}`).join(', '), notes: 'charge mode of the string (float, boost, recharge, rest = charger off, discharge); fault flag while unknown' },
  { type: OT.MULTI_STATE_INPUT, instance: '1', name: 'UPS Output Source', presentValue: UPS_OUTPUT_SOURCE_STATES.map((s, i) => `${i + 1} ${s}`).join(', '), notes: 'only when the site has a UPS' },
  { type: OT.BINARY_INPUT, instance: 'input id', name: 'the input\'s name', presentValue: 'active = alarm position (inputs[id].active)', notes: 'Polarity normal' },
  { type: OT.BINARY_OUTPUT, instance: 'relay id', name: 'the relay\'s name', presentValue: 'active = energized (relays[id].on)', notes: 'Priority_Array, Relinquish_Default inactive; WriteProperty goes through the command interface (set-relay), write-access-denied unless enabled' },
  { type: OT.STRUCTURED_VIEW, instance: 'string number', name: 'Sxx String', presentValue: '-', notes: 'Subordinate_List: the string\'s AIs, then each module\'s AIs, BV and MSV, then the string\'s alarm BVs' },
  { type: OT.NOTIFICATION_CLASS, instance: '1', name: 'Kirchhoff Alarms', presentValue: '-', notes: 'Recipient_List from options.recipients (gateway: bacnet.recipients); Priority and Ack_Required per transition; the class of every OUT_OF_RANGE and CHANGE_OF_STATE event' },
];
