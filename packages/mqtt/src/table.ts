// The topic and metric table: every entity and value the publisher reports, in every mode (JSON
// topics, Home Assistant discovery, Sparkplug B). docs/mqtt-topics.md is generated from it.
import type { EntityRef, FieldValue, Measurement, Quality, SensorKind, SensorState, SiteSnapshot } from '@kirchhoff/core';
import { CHARGE_MODES, SOH_METHODS, UPS_OUTPUT_SOURCES, entityId } from '@kirchhoff/core';

export type EntityKind = EntityRef['kind'];
export type ValueType = 'number' | 'boolean' | 'string';

/** Deadband classes: a number is republished by exception only when it moved at least this much. */
export type DeadbandKind = 'voltage' | 'temperature' | 'resistance' | 'percent' | 'current' | 'power' | 'frequency' | 'time' | 'count';
export type Deadbands = Readonly<Record<DeadbandKind, number>>;
export const DEFAULT_DEADBANDS: Deadbands = {
  voltage: 0.002, temperature: 0.1, resistance: 0.00002, percent: 0.5, current: 0.05, power: 5, frequency: 0.05, time: 1, count: 0,
};
export const DEADBAND_UNITS: Readonly<Record<DeadbandKind, string>> = {
  voltage: 'V', temperature: 'degC', resistance: 'Ohm', percent: '%', current: 'A', power: 'W', frequency: 'Hz', time: 'min or s', count: 'count',
};

export type SparkplugType = 'Double' | 'Boolean' | 'String' | 'Int64';

export interface HaSpec {
  readonly component: 'sensor' | 'binary_sensor' | 'switch';
  readonly deviceClass?: string;
  readonly stateClass?: 'measurement' | 'total_increasing';
  /** The unit Home Assistant shows, when it differs from the JSON unit (then `scale` converts). */
  readonly unit?: string;
  readonly scale?: number;
  readonly precision?: number;
  readonly options?: readonly string[];
  readonly diagnostic?: boolean;
  /** The JSON value is ms since 1970: HA gets an ISO 8601 time (device_class timestamp). */
  readonly timestamp?: boolean;
}

export interface MetricSpec {
  /** Field path as the change feed names it (`voltageV`, `battery.voltageV`). */
  readonly path: string;
  /** Name in the JSON state and the Sparkplug metric, when it differs from `path`. */
  readonly key: string;
  readonly label: string;
  readonly type: ValueType;
  /** Unit in the JSON state and the Sparkplug engUnit; '' = none. */
  readonly unit: string;
  readonly deadband: DeadbandKind | null;
  readonly ha: HaSpec | null;
  readonly sparkplug: SparkplugType;
  /** Accepts writes (`.../set` in JSON mode, DCMD in Sparkplug) through the command interface. */
  readonly writable?: boolean;
  /** For values that are not a field of the entity's state. */
  readonly read?: (snap: SiteSnapshot, ref: EntityRef) => FieldValue;
  /** Read from the alarm list: republished on every alarm event. */
  readonly fromAlarms?: boolean;
}

type M = Omit<MetricSpec, 'key' | 'sparkplug' | 'ha' | 'deadband'> & Partial<Pick<MetricSpec, 'key' | 'sparkplug' | 'ha' | 'deadband'>>;
function metric(m: M): MetricSpec {
  const sparkplug = m.sparkplug ?? (m.type === 'number' ? 'Double' : m.type === 'boolean' ? 'Boolean' : 'String');
  return { key: m.path, ha: null, deadband: null, ...m, sparkplug };
}
const num = (path: string, label: string, unit: string, deadband: DeadbandKind, ha: HaSpec | null, extra: Partial<M> = {}) =>
  metric({ path, label, type: 'number', unit, deadband, ha, ...extra });
const sensorHa = (deviceClass: string | undefined, unit: string, precision?: number): HaSpec => ({ component: 'sensor', ...(deviceClass ? { deviceClass } : {}), stateClass: 'measurement', unit, ...(precision !== undefined ? { precision } : {}) });
// The health figures (docs/health.md) change at most once a minute: every change is published (no deadband).
const health = (path: string, label: string, unit: string, precision: number) =>
  metric({ path, label, type: 'number', unit, ha: { component: 'sensor', stateClass: 'measurement', unit, precision } });
const counter = (path: string, label: string) => num(path, label, '', 'count', { component: 'sensor', stateClass: 'total_increasing', diagnostic: true }, { sparkplug: 'Int64' });

export interface EntitySpec {
  readonly kind: EntityKind;
  /** Topic below `<prefix>/<site>/`, as documented. */
  readonly topic: string;
  readonly description: string;
  readonly metrics: readonly MetricSpec[];
}

const MODULE_METRICS: readonly MetricSpec[] = [
  num('voltageV', 'Voltage', 'V', 'voltage', sensorHa('voltage', 'V', 3)),
  num('temperatureC', 'Temperature', 'degC', 'temperature', sensorHa('temperature', '°C', 1)),
  num('resistanceOhm', 'Internal resistance', 'Ohm', 'resistance', { component: 'sensor', stateClass: 'measurement', unit: 'mΩ', scale: 1000, precision: 3 }),
  num('socPercent', 'State of charge', '%', 'percent', sensorHa('battery', '%', 0)),
  metric({ path: 'socMethod', label: 'SoC method', type: 'string', unit: '' }),
  metric({ path: 'equalize.on', label: 'Equalizing', type: 'boolean', unit: '' }),
  num('equalize.dutyPercent', 'Equalize duty', '%', 'percent', null),
  num('balancingActivityPercent', 'Balancing activity', '%', 'percent', null),
  metric({ path: 'fuse', label: 'Fuse', type: 'string', unit: '' }),
  metric({ path: 'communication', label: 'Communication', type: 'string', unit: '' }),
  health('sohPercent', 'State of health', '%', 1),
  metric({ path: 'sohMethod', label: 'SoH method', type: 'string', unit: '', ha: { component: 'sensor', deviceClass: 'enum', options: SOH_METHODS, diagnostic: true } }),
  health('remainingCapacityAh', 'Remaining capacity', 'Ah', 1),
  health('capacityFadePercent', 'Capacity fade', '%', 1),
  health('resistanceIncreasePercent', 'Ri increase', '%', 1),
  metric({ path: 'endOfLifeAtMs', label: 'Expected end of life', type: 'number', unit: 'ms', ha: { component: 'sensor', deviceClass: 'timestamp', timestamp: true } }),
];

const STRING_METRICS: readonly MetricSpec[] = [
  num('sumVoltageV', 'Voltage', 'V', 'voltage', sensorHa('voltage', 'V', 2)),
  num('targetVoltageV', 'Target block voltage', 'V', 'voltage', sensorHa('voltage', 'V', 3)),
  num('spreadV', 'Voltage spread', 'V', 'voltage', sensorHa('voltage', 'V', 3)),
  num('dcCurrentA', 'DC current', 'A', 'current', sensorHa('current', 'A', 2)),
  num('rippleCurrentA', 'Ripple current', 'A', 'current', sensorHa('current', 'A', 2)),
  num('differentialPositiveA', 'Differential current +', 'A', 'current', null),
  num('differentialNegativeA', 'Differential current -', 'A', 'current', null),
  num('groundFaultCurrentA', 'Ground-fault current', 'A', 'current', sensorHa('current', 'A', 3)),
  num('socPercent', 'State of charge', '%', 'percent', sensorHa('battery', '%', 0)),
  num('autonomyMin', 'Autonomy', 'min', 'time', sensorHa('duration', 'min', 0)),
  num('powerW', 'Power', 'W', 'power', sensorHa('power', 'W', 0)),
  metric({ path: 'chargeMode', label: 'Charge mode', type: 'string', unit: '', ha: { component: 'sensor', deviceClass: 'enum', options: CHARGE_MODES } }),
  metric({
    path: 'thermalRunaway', label: 'Thermal runaway', type: 'boolean', unit: '', ha: { component: 'binary_sensor', deviceClass: 'safety' }, fromAlarms: true,
    // The runaway alarm names the block that runs away: it belongs to that block's string.
    read: (snap, ref) => snap.alarms.some((a) => a.kind === 'thermal-runaway' && (a.entity.kind === 'string' || a.entity.kind === 'module') && ref.kind === 'string' && a.entity.string === ref.string),
  }),
  health('meanSohPercent', 'Mean state of health', '%', 1),
  health('minSohPercent', 'Lowest state of health', '%', 1),
  health('remainingCapacityAh', 'Remaining capacity', 'Ah', 1),
  metric({ path: 'balancingStalled', label: 'Balancing stalled', type: 'boolean', unit: '', ha: { component: 'binary_sensor', deviceClass: 'problem' } }),
];

const UPS_METRICS: readonly MetricSpec[] = [
  metric({ path: 'battery.status', label: 'Battery status', type: 'string', unit: '', ha: { component: 'sensor', deviceClass: 'enum', options: ['unknown', 'normal', 'low', 'depleted'] } }),
  num('battery.secondsOnBattery', 'Time on battery', 's', 'time', sensorHa('duration', 's', 0)),
  num('battery.estimatedMinutesRemaining', 'Runtime remaining', 'min', 'time', sensorHa('duration', 'min', 0)),
  num('battery.estimatedChargeRemainingPercent', 'Battery charge', '%', 'percent', sensorHa('battery', '%', 0)),
  num('battery.voltageV', 'Battery voltage', 'V', 'voltage', sensorHa('voltage', 'V', 1)),
  num('battery.currentA', 'Battery current', 'A', 'current', sensorHa('current', 'A', 1)),
  num('battery.temperatureC', 'Battery temperature', 'degC', 'temperature', sensorHa('temperature', '°C', 1)),
  metric({ path: 'output.source', label: 'Output source', type: 'string', unit: '', ha: { component: 'sensor', deviceClass: 'enum', options: UPS_OUTPUT_SOURCES } }),
  num('output.frequencyHz', 'Output frequency', 'Hz', 'frequency', sensorHa('frequency', 'Hz', 1)),
  num('output.lines.0.percentLoad', 'Output load', '%', 'percent', sensorHa(undefined, '%', 0), { key: 'output.loadPercent' }),
  num('input.lines.0.voltageV', 'Input voltage', 'V', 'voltage', sensorHa('voltage', 'V', 0), { key: 'input.voltageV' }),
  counter('input.lineBads', 'Input line failures'),
  metric({
    path: 'onBattery', label: 'On battery', type: 'boolean', unit: '', ha: { component: 'binary_sensor', deviceClass: 'problem' }, fromAlarms: true,
    // Unknown while the UPS does not answer, not "off battery".
    read: (snap) => (!snap.ups || snap.ups.quality === 'failed' ? null : snap.alarms.some((a) => a.kind === 'ups-on-battery')),
  }),
];

const SITE_METRICS: readonly MetricSpec[] = [
  num('alarms.activeCount', 'Active alarms', '', 'count', { component: 'sensor', stateClass: 'measurement' }, { sparkplug: 'Int64', read: (s) => s.alarms.length, fromAlarms: true }),
  metric({ path: 'balancing.enabled', label: 'Balancing enabled', type: 'boolean', unit: '', ha: { component: 'binary_sensor' } }),
  counter('bus.requests', 'Bus requests'),
  counter('bus.timeouts', 'Bus timeouts'),
  counter('bus.crcErrors', 'Bus CRC errors'),
  counter('bus.dropped', 'Bus requests dropped'),
  num('bus.lastCycleMs', 'Bus cycle time', 'ms', 'count', { component: 'sensor', deviceClass: 'duration', stateClass: 'measurement', unit: 'ms', diagnostic: true }, { sparkplug: 'Int64' }),
];

const SENSOR_HA: Readonly<Record<SensorKind, { deviceClass?: string; deadband: DeadbandKind; haUnit?: string }>> = {
  temperature: { deviceClass: 'temperature', deadband: 'temperature', haUnit: '°C' },
  humidity: { deviceClass: 'humidity', deadband: 'percent', haUnit: '%' },
  hydrogen: { deadband: 'percent' },
  current: { deviceClass: 'current', deadband: 'current' },
  voltage: { deviceClass: 'voltage', deadband: 'voltage' },
  analog: { deadband: 'count' },
};

/** A sensor's one metric depends on its kind and configured unit. */
export function sensorMetrics(s: Pick<SensorState, 'kind' | 'unit'>): readonly MetricSpec[] {
  const k = SENSOR_HA[s.kind];
  return [num('reading', 'Reading', s.unit, k.deadband, sensorHa(k.deviceClass, k.haUnit ?? s.unit, 1))];
}

const INPUT_METRICS: readonly MetricSpec[] = [metric({ path: 'active', label: 'Active', type: 'boolean', unit: '', ha: { component: 'binary_sensor', deviceClass: 'problem' } })];
const RELAY_METRICS: readonly MetricSpec[] = [metric({ path: 'on', label: 'On', type: 'boolean', unit: '', writable: true, ha: { component: 'switch' } })];

export const ENTITY_TABLE: readonly EntitySpec[] = [
  { kind: 'site', topic: 'site', description: 'Site-wide state: active alarm count, balancing, battery-bus counters.', metrics: SITE_METRICS },
  { kind: 'string', topic: 'string/<n>', description: 'A battery string (n = 1..16).', metrics: STRING_METRICS },
  { kind: 'module', topic: 'string/<n>/module/<m>', description: 'A measuring module (block) m of string n.', metrics: MODULE_METRICS },
  { kind: 'ups', topic: 'ups', description: 'The UPS (RFC 1628 groups), when the site has one.', metrics: UPS_METRICS },
  { kind: 'sensor', topic: 'sensor/<id>', description: 'An analog sensor; unit and Home Assistant class follow its kind (temperature, humidity, hydrogen, current, voltage, analog).', metrics: sensorMetrics({ kind: 'analog', unit: 'per sensor' }) },
  { kind: 'input', topic: 'input/<id>', description: 'A digital input; active = in its alarm position.', metrics: INPUT_METRICS },
  { kind: 'relay', topic: 'relay/<id>', description: 'A relay output; on = energized. Writable when commands are enabled.', metrics: RELAY_METRICS },
];

export interface Entity {
  readonly ref: EntityRef;
  /** `string/1/module/7`: the topic below `<prefix>/<site>/`, and the entity's id everywhere. */
  readonly id: string;
  readonly name: string;
  readonly metrics: readonly MetricSpec[];
}

/** Every entity of a site, in a stable order. */
export function entitiesOf(snap: SiteSnapshot): Entity[] {
  const spec = (k: EntityKind) => ENTITY_TABLE.find((e) => e.kind === k)!.metrics;
  const mk = (ref: EntityRef, name: string, metrics = spec(ref.kind)): Entity => ({ ref, id: entityId(ref), name, metrics });
  return [
    mk({ kind: 'site' }, snap.info.name),
    ...snap.strings.map((s) => mk({ kind: 'string', string: s.string }, s.name)),
    ...snap.modules.map((m) => mk({ kind: 'module', string: m.string, module: m.module, global: m.global }, m.label)),
    ...(snap.ups ? [mk({ kind: 'ups' }, snap.ups.ident.name || 'UPS')] : []),
    ...snap.sensors.map((s) => mk({ kind: 'sensor', id: s.id }, s.name, sensorMetrics(s))),
    ...snap.inputs.map((d) => mk({ kind: 'input', id: d.id }, d.name)),
    ...snap.relays.map((r) => mk({ kind: 'relay', id: r.id }, r.name)),
  ];
}

export interface MetricValue {
  readonly value: FieldValue;
  readonly quality: Quality;
  readonly atMs: number;
}

function isMeasurement(v: unknown): v is Measurement {
  return !!v && typeof v === 'object' && 'quality' in v && 'value' in v && 'atMs' in v;
}

function stateOf(snap: SiteSnapshot, ref: EntityRef): { state: unknown; quality: Quality; atMs: number } {
  switch (ref.kind) {
    case 'site': return { state: snap, quality: 'fresh', atMs: snap.atMs };
    case 'string': return { state: snap.strings[ref.string - 1], quality: 'fresh', atMs: snap.atMs };
    case 'module': return { state: snap.modules[ref.global - 1], quality: 'fresh', atMs: snap.atMs };
    case 'ups': return { state: snap.ups, quality: snap.ups?.quality ?? 'failed', atMs: snap.ups?.atMs ?? 0 };
    case 'sensor': return { state: snap.sensors[ref.id - 1], quality: 'fresh', atMs: snap.atMs };
    case 'input': { const d = snap.inputs[ref.id - 1]; return { state: d, quality: d?.quality ?? 'failed', atMs: d?.atMs ?? 0 }; }
    case 'relay': { const r = snap.relays[ref.id - 1]; return { state: r, quality: 'fresh', atMs: r?.atMs ?? 0 }; }
  }
}

/** The value of one metric of one entity in a snapshot, with its quality and time. */
export function readMetric(snap: SiteSnapshot, ref: EntityRef, m: MetricSpec): MetricValue {
  const { state, quality, atMs } = stateOf(snap, ref);
  if (m.read) return { value: m.read(snap, ref), quality, atMs: snap.atMs };
  let v: unknown = state;
  for (const part of m.path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (isMeasurement(v)) return { value: v.value, quality: v.quality, atMs: v.atMs };
  if (v === undefined) return { value: null, quality: 'failed', atMs };
  return { value: v as FieldValue, quality, atMs };
}

/** Identity fields that head an entity's JSON state. */
export function identityOf(snap: SiteSnapshot, ref: EntityRef): Record<string, FieldValue> {
  switch (ref.kind) {
    case 'site': return { name: snap.info.name, location: snap.info.location };
    case 'string': { const s = snap.strings[ref.string - 1]; return { string: s.string, label: s.label, name: s.name, moduleCount: s.moduleCount }; }
    case 'module': { const m = snap.modules[ref.global - 1]; return { string: m.string, module: m.module, global: m.global, label: m.label, type: m.type }; }
    case 'ups': return { name: snap.ups?.ident.name ?? '', model: snap.ups?.ident.model ?? '' };
    case 'sensor': { const s = snap.sensors[ref.id - 1]; return { id: s.id, name: s.name, kind: s.kind }; }
    case 'input': { const d = snap.inputs[ref.id - 1]; return { id: d.id, name: d.name }; }
    case 'relay': { const r = snap.relays[ref.id - 1]; return { id: r.id, name: r.name, function: r.function }; }
  }
}

/** Sets `value` at a dotted path in `target`, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

/** Topic-safe id: lower case letters, digits, `_` and `-` (no `+ / #`, valid in HA object ids). */
export function slug(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'site';
}

/** The thresholds' writable fields, in JSON and Sparkplug. */
export const THRESHOLD_FIELDS = ['warnHigh', 'alarmHigh', 'warnLow', 'alarmLow', 'hysteresis', 'delayMs'] as const;
