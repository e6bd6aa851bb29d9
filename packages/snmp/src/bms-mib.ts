// KIRCHHOFF-BMS-MIB as a declarative table: each object's OID, syntax, access, units and how it
// reads from the site. The agent's leaves and the shipped MIB file are both generated from it.
import {
  ALARM_KIND_CODES, Alarm, AlarmKind, ChargeMode, CommunicationState, DigitalInputState, FuseState, ModuleState, Quality, RelayFunction,
  RelayState, SENSOR_KIND_CODES, SensorKind, SensorState, Severity, SiteSnapshot, SocMethod, SohMethod, StringState, THRESHOLD_KINDS, Threshold, codeNames, namesByCode, ThresholdKey,
} from '@kirchhoff/core';
import { ErrorStatus, SnmpValue } from './message';
import { Leaf, WriteCheck, counter, gauge, int, integerOf, str, stringOf, ticks } from './oid-index';
import type { MibContext } from './context';

/**
 * The enterprise arc this project's MIB lives under. 32473 is reserved for documentation
 * (RFC 5612) until a Private Enterprise Number is registered: change it here, regenerate the MIB.
 */
export const KIRCHHOFF_ENTERPRISE_OID = '1.3.6.1.4.1.32473';
export const ENTERPRISE = KIRCHHOFF_ENTERPRISE_OID.split('.').map(Number);
/** kirchhoffBmsMIB, the module identity. */
export const BMS_MIB = [...ENTERPRISE, 1];
export const BMS_NOTIFICATIONS = [...BMS_MIB, 0];
export const BMS_OBJECTS = [...BMS_MIB, 1];
export const BMS_CONFORMANCE = [...BMS_MIB, 2];
/** kirchhoffProducts.kirchhoffGateway: what sysObjectID names (the product, not the MIB module). */
export const PRODUCT_GATEWAY_OID = [...ENTERPRISE, 2, 1];

/**
 * The same OID under another Private Enterprise Number (`snmp.enterpriseNumber`): the MIB is
 * written under 32473, a deployment with its own number serves everything below that instead.
 */
export function enterpriseMapper(enterpriseNumber: number): (oid: readonly number[]) => number[] {
  const at = ENTERPRISE.length - 1;
  if (enterpriseNumber === ENTERPRISE[at]) return (oid) => oid as number[];
  return (oid) => (oid.length > at && ENTERPRISE.every((n, i) => i === at || oid[i] === n) && oid[at] === ENTERPRISE[at] ? [...oid.slice(0, at), enterpriseNumber, ...oid.slice(at + 1)] : (oid as number[]));
}

export type Syntax =
  | { readonly kind: 'Integer32'; readonly range?: readonly [number, number] }
  | { readonly kind: 'Unsigned32' | 'Gauge32' | 'Counter32' | 'TimeTicks' | 'TruthValue' }
  | { readonly kind: 'DisplayString'; readonly size?: readonly [number, number] }
  | { readonly kind: 'enum'; readonly values: Readonly<Record<string, number>> }
  | { readonly kind: 'tc'; readonly name: 'BmsQuality' | 'BmsSeverity' };

export type Access = 'not-accessible' | 'read-only' | 'read-write';
export type JsValue = number | string | boolean | null;

export interface ObjectDef<R> {
  readonly name: string;
  readonly sub: number;
  readonly syntax: Syntax;
  readonly access: Access;
  readonly units?: string;
  readonly description: string;
  readonly read: (row: R, ctx: MibContext) => JsValue;
  /** Builds the command (or error) for a SET; the agent gates and submits it. */
  readonly write?: (row: R, value: SnmpValue, ctx: MibContext) => WriteCheck;
}

export interface TableDef<R> {
  readonly name: string;
  readonly sub: number;
  readonly description: string;
  readonly entryDescription: string;
  /** Names of the index objects (own columns or another table's). */
  readonly index: readonly string[];
  readonly columns: readonly ObjectDef<R>[];
  readonly indexes: (snap: SiteSnapshot, ctx: MibContext) => readonly (readonly number[])[];
  readonly row: (snap: SiteSnapshot, index: readonly number[], ctx: MibContext) => R | undefined;
}

export const TC = {
  BmsQuality: { values: { fresh: 1, stale: 2, failed: 3 }, description: 'Quality of a reading: fresh (read in the last cycle), stale (older than expected), failed (the last read failed, or never read).' },
  BmsSeverity: { values: { warning: 1, alarm: 2, critical: 3 }, description: 'Severity of an alarm.' },
} as const;

const QUALITY: Record<Quality, number> = TC.BmsQuality.values;
const SEVERITY: Record<Severity, number> = TC.BmsSeverity.values;
// Frozen codes: 3 (and SoC method 2) were `idle`, renamed `rest` with the same meaning (charger off).
const CHARGE_MODE: Record<ChargeMode, number> = { float: 1, boost: 2, rest: 3, discharge: 4, unknown: 5, recharge: 6 };
const FUSE: Record<FuseState, number> = { ok: 1, blown: 2, unknown: 3 };
const COMMUNICATION: Record<CommunicationState, number> = { ok: 1, lost: 2, unknown: 3 };
const SOC_METHOD: Record<SocMethod, number> = { float: 1, rest: 2, discharge: 3, unknown: 4 };
/** The same numbers as the Modbus sohMethod register. */
const SOH_METHOD: Record<SohMethod, number> = { 'capacity-test': 1, discharge: 2, resistance: 3, unknown: 4 };
const RELAY_FUNCTION: Record<RelayFunction | 'none', number> = { none: 1, breaker: 2, ventilation: 3, 'air-conditioning': 4, beacon: 5, general: 6 };
/** bmsSensorKind: core's sensor-kind codes (the same numbers as the Modbus sensor `kind` register). */
const SENSOR_KIND: Readonly<Record<SensorKind, number>> = SENSOR_KIND_CODES;
/** bmsAlarmKind: core's alarm-kind codes (the same numbers as the Modbus alarm-kind discrete inputs). */
export const ALARM_KIND_NUMBER: Readonly<Record<AlarmKind, number>> = ALARM_KIND_CODES;

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
const enumOf = (m: Record<string, number>): Syntax => ({ kind: 'enum', values: Object.fromEntries(Object.entries(m).map(([k, v]) => [camel(k), v])) });

const worst = (...q: Quality[]): Quality => (q.includes('failed') ? 'failed' : q.includes('stale') ? 'stale' : 'fresh');
const scaled = (v: number | null, factor: number) => (v === null ? null : Math.round(v * factor));
const decimal = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(Number(v.toPrecision(12))));

const mV = 'millivolts';
const mA = 'milliamperes';

// --- site scalars ----------------------------------------------------------------------------

export const SITE_SCALARS: readonly ObjectDef<SiteSnapshot>[] = [
  { name: 'bmsSiteName', sub: 1, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Name of the site.', read: (s) => s.info.name },
  { name: 'bmsSiteLocation', sub: 2, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Where the site is.', read: (s) => s.info.location },
  { name: 'bmsStringCount', sub: 3, syntax: { kind: 'Integer32', range: [0, 16] }, access: 'read-only', description: 'Number of battery strings (rows of bmsStringTable).', read: (s) => s.strings.length },
  { name: 'bmsModuleCount', sub: 4, syntax: { kind: 'Integer32', range: [0, 512] }, access: 'read-only', description: 'Number of measuring modules in all strings (rows of bmsModuleTable).', read: (s) => s.modules.length },
  { name: 'bmsAlarmsPresent', sub: 5, syntax: { kind: 'Gauge32' }, access: 'read-only', description: 'Number of active alarms (rows of bmsAlarmTable).', read: (s) => s.alarms.length },
  {
    name: 'bmsHighestSeverity', sub: 6, syntax: enumOf({ none: 0, ...TC.BmsSeverity.values }), access: 'read-only',
    description: 'Severity of the most severe active alarm, none when no alarm is active.',
    read: (s) => s.alarms.reduce((n, a) => Math.max(n, SEVERITY[a.severity]), 0),
  },
  { name: 'bmsBalancingEnabled', sub: 7, syntax: { kind: 'TruthValue' }, access: 'read-only', description: 'False while balancing is disabled for the whole site (for example after a blown fuse).', read: (s) => s.balancing.enabled },
  { name: 'bmsBalancingDisabledReason', sub: 8, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Why balancing is disabled; empty while enabled.', read: (s) => s.balancing.disabledReason ?? '' },
  { name: 'bmsBusRequests', sub: 9, syntax: { kind: 'Counter32' }, access: 'read-only', description: 'Requests sent on the battery bus.', read: (s) => s.bus.requests },
  { name: 'bmsBusTimeouts', sub: 10, syntax: { kind: 'Counter32' }, access: 'read-only', description: 'Battery bus requests that timed out.', read: (s) => s.bus.timeouts },
  { name: 'bmsBusCrcErrors', sub: 11, syntax: { kind: 'Counter32' }, access: 'read-only', description: 'Battery bus answers with a bad checksum.', read: (s) => s.bus.crcErrors },
  { name: 'bmsBusRetries', sub: 12, syntax: { kind: 'Counter32' }, access: 'read-only', description: 'Battery bus requests repeated.', read: (s) => s.bus.retries },
  { name: 'bmsBusDropped', sub: 13, syntax: { kind: 'Counter32' }, access: 'read-only', description: 'Battery bus requests dropped after their retries.', read: (s) => s.bus.dropped },
  { name: 'bmsBusLastCycle', sub: 14, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'milliseconds', description: 'Duration of the last full measurement cycle.', read: (s) => s.bus.lastCycleMs },
];

// --- tables ----------------------------------------------------------------------------------

const STRING_TABLE: TableDef<StringState> = {
  name: 'bmsString', sub: 2,
  description: 'Battery strings, one row per string.',
  entryDescription: 'One battery string: its sum voltage, current, spread and state of charge.',
  index: ['bmsStringIndex'],
  indexes: (s) => s.strings.map((x) => [x.string]),
  row: (s, [i]) => s.strings[i - 1],
  columns: [
    { name: 'bmsStringIndex', sub: 1, syntax: { kind: 'Integer32', range: [1, 16] }, access: 'not-accessible', description: 'String number, 1..16, the same in every protocol.', read: (r) => r.string },
    { name: 'bmsStringName', sub: 2, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Name of the string.', read: (r) => r.name },
    { name: 'bmsStringModuleType', sub: 3, syntax: { kind: 'DisplayString', size: [0, 8] }, access: 'read-only', description: 'Type of the string\'s measuring modules (C20, C23, C30, C40, C41).', read: (r) => r.moduleType },
    { name: 'bmsStringModuleCount', sub: 4, syntax: { kind: 'Integer32', range: [1, 512] }, access: 'read-only', description: 'Number of modules in the string.', read: (r) => r.moduleCount },
    { name: 'bmsStringCapacity', sub: 5, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'ampere-hours', description: 'Nominal capacity; absent when not configured.', read: (r) => r.capacityAh },
    { name: 'bmsStringSumVoltage', sub: 6, syntax: { kind: 'Integer32' }, access: 'read-only', units: mV, description: 'Sum of the module voltages; absent unless every module was read.', read: (r) => scaled(r.sumVoltageV.value, 1000) },
    { name: 'bmsStringTargetVoltage', sub: 7, syntax: { kind: 'Integer32' }, access: 'read-only', units: mV, description: 'Balancing target: the mean block voltage of the string.', read: (r) => scaled(r.targetVoltageV.value, 1000) },
    { name: 'bmsStringSpread', sub: 8, syntax: { kind: 'Integer32' }, access: 'read-only', units: mV, description: 'Largest deviation of a block voltage from the target.', read: (r) => scaled(r.spreadV.value, 1000) },
    { name: 'bmsStringCurrent', sub: 9, syntax: { kind: 'Integer32' }, access: 'read-only', units: mA, description: 'String DC current, positive while charging.', read: (r) => scaled(r.dcCurrentA.value, 1000) },
    { name: 'bmsStringRippleCurrent', sub: 10, syntax: { kind: 'Integer32' }, access: 'read-only', units: mA, description: 'AC ripple current (RMS).', read: (r) => scaled(r.rippleCurrentA.value, 1000) },
    { name: 'bmsStringGroundFaultCurrent', sub: 11, syntax: { kind: 'Integer32' }, access: 'read-only', units: mA, description: 'Leakage to ground: difference of the differential sensors on the positive and negative lines.', read: (r) => scaled(r.groundFaultCurrentA.value, 1000) },
    { name: 'bmsStringDifferentialPositive', sub: 12, syntax: { kind: 'Integer32' }, access: 'read-only', units: mA, description: 'Differential current sensor on the positive line.', read: (r) => scaled(r.differentialPositiveA.value, 1000) },
    { name: 'bmsStringDifferentialNegative', sub: 13, syntax: { kind: 'Integer32' }, access: 'read-only', units: mA, description: 'Differential current sensor on the negative line.', read: (r) => scaled(r.differentialNegativeA.value, 1000) },
    { name: 'bmsStringChargeMode', sub: 14, syntax: enumOf(CHARGE_MODE), access: 'read-only', description: 'What the charger is doing to the string.', read: (r) => CHARGE_MODE[r.chargeMode] },
    { name: 'bmsStringSoc', sub: 15, syntax: { kind: 'Integer32', range: [0, 1000] }, access: 'read-only', units: 'tenths of a percent', description: 'State of charge of the string.', read: (r) => scaled(r.socPercent.value, 10) },
    { name: 'bmsStringAutonomy', sub: 16, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'minutes', description: 'Estimated runtime at the present load.', read: (r) => scaled(r.autonomyMin.value, 1) },
    { name: 'bmsStringPower', sub: 17, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'watts', description: 'Sum voltage times DC current.', read: (r) => scaled(r.powerW.value, 1) },
    { name: 'bmsStringQuality', sub: 18, syntax: { kind: 'tc', name: 'BmsQuality' }, access: 'read-only', description: 'Worst quality of the string\'s voltages and current.', read: (r) => QUALITY[worst(r.sumVoltageV.quality, r.dcCurrentA.quality)] },
    { name: 'bmsStringMeanSoh', sub: 19, syntax: { kind: 'Integer32', range: [0, 2000] }, access: 'read-only', units: 'tenths of a percent', description: 'Mean state of health of the string\'s blocks that have one; absent when none has.', read: (r) => scaled(r.meanSohPercent, 10) },
    { name: 'bmsStringMinSoh', sub: 20, syntax: { kind: 'Integer32', range: [0, 2000] }, access: 'read-only', units: 'tenths of a percent', description: 'Lowest state of health of the string\'s blocks; absent when none has one.', read: (r) => scaled(r.minSohPercent, 10) },
    { name: 'bmsStringRemainingCapacity', sub: 21, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'tenths of an ampere-hour', description: 'What the series string can still deliver: the remaining capacity (C10 at 25 degC) of its weakest block; absent unless every block has one.', read: (r) => scaled(r.remainingCapacityAh, 10) },
    { name: 'bmsStringBalancingStalled', sub: 22, syntax: { kind: 'TruthValue' }, access: 'read-only', description: 'True when the string floats with its blocks out of balance and no block has balanced for hours: an open battery breaker, or self-discharge beating the charger (high temperature).', read: (r) => r.balancingStalled },
  ],
};

const MODULE_TABLE: TableDef<ModuleState> = {
  name: 'bmsModule', sub: 3,
  description: 'Measuring modules (battery blocks), indexed by string and module number.',
  entryDescription: 'One module: block voltage, temperature, internal resistance and balancing state.',
  index: ['bmsStringIndex', 'bmsModuleIndex'],
  indexes: (s) => s.modules.map((m) => [m.string, m.module]),
  row: (s, [st, mo], ctx) => {
    const str0 = ctx.snap.strings[st - 1];
    return str0 && mo >= 1 && mo <= str0.moduleCount ? s.modules[str0.firstGlobal + mo - 2] : undefined;
  },
  columns: [
    { name: 'bmsModuleIndex', sub: 1, syntax: { kind: 'Integer32', range: [1, 512] }, access: 'not-accessible', description: 'Module number within its string, 1..N.', read: (r) => r.module },
    { name: 'bmsModuleGlobalNumber', sub: 2, syntax: { kind: 'Integer32', range: [1, 512] }, access: 'read-only', description: 'Global module number 1..512 in string order, the same in every protocol.', read: (r) => r.global },
    { name: 'bmsModuleLabel', sub: 3, syntax: { kind: 'DisplayString', size: [0, 16] }, access: 'read-only', description: 'Label operators see everywhere, such as S02-M07.', read: (r) => r.label },
    { name: 'bmsModuleVoltage', sub: 4, syntax: { kind: 'Integer32' }, access: 'read-only', units: mV, description: 'Block voltage; absent when never read.', read: (r) => scaled(r.voltageV.value, 1000) },
    { name: 'bmsModuleTemperature', sub: 5, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'tenths of a degree Celsius', description: 'Block surface temperature.', read: (r) => scaled(r.temperatureC.value, 10) },
    { name: 'bmsModuleResistance', sub: 6, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'micro-ohms', description: 'Internal resistance (Ri) of the block.', read: (r) => scaled(r.resistanceOhm.value, 1e6) },
    { name: 'bmsModuleSoc', sub: 7, syntax: { kind: 'Integer32', range: [0, 1000] }, access: 'read-only', units: 'tenths of a percent', description: 'State of charge of the block.', read: (r) => scaled(r.socPercent.value, 10) },
    { name: 'bmsModuleQuality', sub: 8, syntax: { kind: 'tc', name: 'BmsQuality' }, access: 'read-only', description: 'Worst quality of the module\'s readings.', read: (r) => QUALITY[worst(r.voltageV.quality, r.temperatureC.quality)] },
    { name: 'bmsModuleEqualizing', sub: 9, syntax: { kind: 'TruthValue' }, access: 'read-only', description: 'True while the module\'s bypass (balancing) is on.', read: (r) => r.equalize.on },
    { name: 'bmsModuleEqualizeDuty', sub: 10, syntax: { kind: 'Integer32', range: [0, 100] }, access: 'read-only', units: 'percent', description: 'Bypass duty cycle commanded to the module.', read: (r) => Math.round(r.equalize.dutyPercent) },
    { name: 'bmsModuleBalancingActivity', sub: 11, syntax: { kind: 'Integer32', range: [0, 100] }, access: 'read-only', units: 'percent', description: 'Share of recent time the bypass was on.', read: (r) => Math.round(r.balancingActivityPercent) },
    { name: 'bmsModuleFuse', sub: 12, syntax: enumOf(FUSE), access: 'read-only', description: 'State of the measuring-cable fuse.', read: (r) => FUSE[r.fuse] },
    { name: 'bmsModuleCommunication', sub: 13, syntax: enumOf(COMMUNICATION), access: 'read-only', description: 'Whether the module answers on the battery bus.', read: (r) => COMMUNICATION[r.communication] },
    { name: 'bmsModuleSocMethod', sub: 14, syntax: enumOf(SOC_METHOD), access: 'read-only', description: 'How the state of charge was estimated.', read: (r) => SOC_METHOD[r.socMethod] },
    { name: 'bmsModuleSoh', sub: 15, syntax: { kind: 'Integer32', range: [0, 2000] }, access: 'read-only', units: 'tenths of a percent', description: 'State of health: the measured capacity over the rated one, or from the Ri increase where no capacity was measured (bmsModuleSohMethod); absent when unknown.', read: (r) => scaled(r.sohPercent, 10) },
    { name: 'bmsModuleSohMethod', sub: 16, syntax: enumOf(SOH_METHOD), access: 'read-only', description: 'Where bmsModuleSoh comes from: a capacity test, a real discharge to the end voltage, the Ri increase over its baseline (an indication only), or unknown.', read: (r) => SOH_METHOD[r.sohMethod] },
    { name: 'bmsModuleRemainingCapacity', sub: 17, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'tenths of an ampere-hour', description: 'Capacity the block still has (C10 at 25 degC, as the rated one is stated); absent when unknown.', read: (r) => scaled(r.remainingCapacityAh, 10) },
    { name: 'bmsModuleCapacityFade', sub: 18, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'tenths of a percent', description: 'Capacity fade: (rated - remaining) / rated; absent when unknown.', read: (r) => scaled(r.capacityFadePercent, 10) },
    { name: 'bmsModuleResistanceIncrease', sub: 19, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'tenths of a percent', description: 'Internal resistance (float readings) over its baseline; absent without a baseline.', read: (r) => scaled(r.resistanceIncreasePercent, 10) },
    { name: 'bmsModuleEndOfLife', sub: 20, syntax: { kind: 'Unsigned32' }, access: 'read-only', units: 'seconds since 1970-01-01 00:00 UTC', description: 'Expected end of life: when the Ri trend reaches the end-of-life limit; absent while Ri does not rise.', read: (r) => (r.endOfLifeAtMs === null ? null : Math.round(r.endOfLifeAtMs / 1000)) },
  ],
};

const SENSOR_TABLE: TableDef<SensorState> = {
  name: 'bmsSensor', sub: 4,
  description: 'Room and string sensors (temperature, humidity, hydrogen, current, voltage, analog).',
  entryDescription: 'One sensor and its last reading.',
  index: ['bmsSensorIndex'],
  indexes: (s) => s.sensors.map((x) => [x.id]),
  row: (s, [i]) => s.sensors[i - 1],
  columns: [
    { name: 'bmsSensorIndex', sub: 1, syntax: { kind: 'Integer32', range: [1, 1024] }, access: 'not-accessible', description: 'Sensor number.', read: (r) => r.id },
    { name: 'bmsSensorName', sub: 2, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Name of the sensor.', read: (r) => r.name },
    { name: 'bmsSensorKind', sub: 3, syntax: enumOf(SENSOR_KIND), access: 'read-only', description: 'What the sensor measures.', read: (r) => SENSOR_KIND[r.kind] },
    { name: 'bmsSensorUnit', sub: 4, syntax: { kind: 'DisplayString', size: [0, 16] }, access: 'read-only', description: 'Unit of the reading (degC, %RH, %LEL, A, V).', read: (r) => r.unit },
    { name: 'bmsSensorValue', sub: 5, syntax: { kind: 'Integer32' }, access: 'read-only', units: 'thousandths of bmsSensorUnit', description: 'Last reading times 1000; absent when never read.', read: (r) => scaled(r.reading.value, 1000) },
    { name: 'bmsSensorValueText', sub: 6, syntax: { kind: 'DisplayString', size: [0, 32] }, access: 'read-only', description: 'Last reading as a decimal number in bmsSensorUnit; empty when never read.', read: (r) => decimal(r.reading.value) },
    { name: 'bmsSensorQuality', sub: 7, syntax: { kind: 'tc', name: 'BmsQuality' }, access: 'read-only', description: 'Quality of the reading.', read: (r) => QUALITY[r.reading.quality] },
  ],
};

type IoRow = { direction: 1; input: DigitalInputState } | { direction: 2; relay: RelayState };

const IO_TABLE: TableDef<IoRow> = {
  name: 'bmsIo', sub: 5,
  description: 'Digital inputs (contacts) and outputs (relays).',
  entryDescription: 'One digital input or relay output.',
  index: ['bmsIoDirection', 'bmsIoNumber'],
  indexes: (s) => [...s.inputs.map((i) => [1, i.id]), ...s.relays.map((r) => [2, r.id])],
  row: (s, [d, n]) => {
    if (d === 1) return s.inputs[n - 1] ? { direction: 1, input: s.inputs[n - 1] } : undefined;
    return d === 2 && s.relays[n - 1] ? { direction: 2, relay: s.relays[n - 1] } : undefined;
  },
  columns: [
    { name: 'bmsIoDirection', sub: 1, syntax: enumOf({ input: 1, output: 2 }), access: 'not-accessible', description: 'Input (contact) or output (relay).', read: (r) => r.direction },
    { name: 'bmsIoNumber', sub: 2, syntax: { kind: 'Integer32', range: [1, 256] }, access: 'not-accessible', description: 'Input or relay number.', read: (r) => (r.direction === 1 ? r.input.id : r.relay.id) },
    { name: 'bmsIoName', sub: 3, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Name of the input or relay.', read: (r) => (r.direction === 1 ? r.input.name : r.relay.name) },
    {
      name: 'bmsIoActive', sub: 4, syntax: { kind: 'TruthValue' }, access: 'read-write',
      description: 'Inputs: true while the contact is in its alarm position. Outputs: true while the relay is energized; writable for outputs when relay writes are enabled for SNMP.',
      read: (r) => (r.direction === 1 ? r.input.active : r.relay.on),
      write: (r, v, ctx) => {
        if (r.direction !== 2 || !ctx.canWrite('set-relay')) return { error: ErrorStatus.notWritable };
        const n = integerOf(v);
        if (n === undefined) return { error: ErrorStatus.wrongType };
        if (n !== 1 && n !== 2) return { error: ErrorStatus.wrongValue };
        return { command: { type: 'set-relay', relay: r.relay.id, on: n === 1 } };
      },
    },
    { name: 'bmsIoFunction', sub: 5, syntax: enumOf(RELAY_FUNCTION), access: 'read-only', description: 'What a relay drives; none for inputs.', read: (r) => RELAY_FUNCTION[r.direction === 1 ? 'none' : r.relay.function] },
    { name: 'bmsIoAlarmSeverity', sub: 6, syntax: enumOf({ none: 0, ...TC.BmsSeverity.values }), access: 'read-only', description: 'Severity of the alarm an active input raises; none for outputs and informational inputs.', read: (r) => (r.direction === 1 && r.input.alarmSeverity ? SEVERITY[r.input.alarmSeverity] : 0) },
    { name: 'bmsIoQuality', sub: 7, syntax: { kind: 'tc', name: 'BmsQuality' }, access: 'read-only', description: 'Quality of the input state (outputs are always fresh).', read: (r) => QUALITY[r.direction === 1 ? r.input.quality : 'fresh'] },
  ],
};

/** An alarm as the alarm table and the notifications show it. */
export interface AlarmRow {
  readonly alarm: Alarm;
}

const entityString = (a: Alarm) => (a.entity.kind === 'string' || a.entity.kind === 'module' ? a.entity.string : 0);

export const ALARM_TABLE: TableDef<AlarmRow> = {
  name: 'bmsAlarm', sub: 6,
  description: 'Active alarms. Rows appear when an alarm is raised and disappear when it clears; ids increase and are never reused.',
  entryDescription: 'One active alarm.',
  index: ['bmsAlarmId'],
  indexes: (s) => s.alarms.map((a) => [a.id]).sort((a, b) => a[0] - b[0]),
  row: (s, [id]) => {
    const alarm = s.alarms.find((a) => a.id === id);
    return alarm ? { alarm } : undefined;
  },
  columns: [
    { name: 'bmsAlarmId', sub: 1, syntax: { kind: 'Unsigned32' }, access: 'not-accessible', description: 'Alarm id, increasing with every raise, never reused.', read: (r) => r.alarm.id },
    { name: 'bmsAlarmKind', sub: 2, syntax: enumOf(ALARM_KIND_NUMBER), access: 'read-only', description: 'What the alarm is about.', read: (r) => ALARM_KIND_NUMBER[r.alarm.kind] },
    { name: 'bmsAlarmSeverity', sub: 3, syntax: { kind: 'tc', name: 'BmsSeverity' }, access: 'read-only', description: 'Severity of the alarm.', read: (r) => SEVERITY[r.alarm.severity] },
    { name: 'bmsAlarmEntity', sub: 4, syntax: { kind: 'DisplayString', size: [0, 64] }, access: 'read-only', description: 'What raised it: site, ups, string/N, string/N/module/M, sensor/N, input/N.', read: (r) => entityId(r.alarm) },
    { name: 'bmsAlarmStringIndex', sub: 5, syntax: { kind: 'Integer32', range: [0, 16] }, access: 'read-only', description: 'String the alarm is about; 0 when none.', read: (r) => entityString(r.alarm) },
    { name: 'bmsAlarmModuleIndex', sub: 6, syntax: { kind: 'Integer32', range: [0, 512] }, access: 'read-only', description: 'Module (within its string) the alarm is about; 0 when none.', read: (r) => (r.alarm.entity.kind === 'module' ? r.alarm.entity.module : 0) },
    { name: 'bmsAlarmMessage', sub: 7, syntax: { kind: 'DisplayString' }, access: 'read-only', description: 'Text for people, such as S02-M07 voltage 14.62 V above 14.4 V.', read: (r) => r.alarm.message },
    { name: 'bmsAlarmValue', sub: 8, syntax: { kind: 'DisplayString', size: [0, 32] }, access: 'read-only', description: 'Measured value that raised the alarm, as a decimal number in the unit of its threshold; empty when none.', read: (r) => decimal(r.alarm.value) },
    { name: 'bmsAlarmLimit', sub: 9, syntax: { kind: 'DisplayString', size: [0, 32] }, access: 'read-only', description: 'Limit that was crossed, as a decimal number; empty when none.', read: (r) => decimal(r.alarm.limit) },
    { name: 'bmsAlarmRaisedTime', sub: 10, syntax: { kind: 'TimeTicks' }, access: 'read-only', description: 'Value of sysUpTime when the alarm was raised; 0 when raised before the agent started.', read: (r, ctx) => ctx.ticksAt(r.alarm.raisedAtMs) },
    { name: 'bmsAlarmAcknowledged', sub: 11, syntax: { kind: 'TruthValue' }, access: 'read-only', description: 'True once an operator acknowledged the alarm.', read: (r) => r.alarm.acknowledged !== null },
  ],
};

function entityId(a: Alarm): string {
  const e = a.entity;
  switch (e.kind) {
    case 'site': case 'ups': return e.kind;
    case 'string': return `string/${e.string}`;
    case 'module': return `string/${e.string}/module/${e.module}`;
    default: return `${e.kind}/${e.id}`;
  }
}

interface ThresholdRow {
  readonly key: ThresholdKey;
  readonly unit: string;
  readonly threshold: Threshold | undefined;
}

const THRESHOLD_UNITS: Record<(typeof THRESHOLD_KINDS)[number], string> = {
  moduleVoltage: 'V', moduleTemperature: 'degC', moduleResistance: 'Ohm', stringImbalance: 'V', stringCurrent: 'A', stringRipple: 'A', stringGroundFault: 'A',
};
/** bmsThresholdIndex of each fixed threshold (published in the MIB: frozen). */
export const THRESHOLD_INDEX: Readonly<Record<(typeof THRESHOLD_KINDS)[number], number>> = {
  moduleVoltage: 1, moduleTemperature: 2, moduleResistance: 3, stringImbalance: 4, stringCurrent: 5, stringRipple: 6, stringGroundFault: 7,
};
const THRESHOLD_OF_INDEX = codeNames(THRESHOLD_INDEX);
/** Sensor thresholds are rows 100 + sensor number. */
export const SENSOR_THRESHOLD_BASE = 100;

function thresholdRow(s: SiteSnapshot, index: number): ThresholdRow | undefined {
  const key = THRESHOLD_OF_INDEX.get(index);
  if (key) {
    const t = s.thresholds[key];
    const unit = key === 'moduleResistance' && s.thresholds.moduleResistance.mode !== 'absolute' ? '%' : THRESHOLD_UNITS[key];
    return { key, unit, threshold: t };
  }
  const sensor = s.sensors[index - SENSOR_THRESHOLD_BASE - 1];
  if (!sensor) return undefined;
  return { key: `sensors.${sensor.id}`, unit: sensor.unit, threshold: s.thresholds.sensors[String(sensor.id)] };
}

function limitColumn(name: string, sub: number, field: 'warnHigh' | 'alarmHigh' | 'warnLow' | 'alarmLow' | 'hysteresis', description: string): ObjectDef<ThresholdRow> {
  return {
    name, sub, syntax: { kind: 'DisplayString', size: [0, 16] }, access: 'read-write', description,
    read: (r) => decimal(r.threshold?.[field]),
    write: (r, v) => {
      const text = stringOf(v);
      if (text === undefined) return { error: ErrorStatus.wrongType };
      if (v.value instanceof Buffer && v.value.length > 16) return { error: ErrorStatus.wrongLength };
      const trimmed = text.trim();
      if (trimmed === '' && field !== 'hysteresis') return { command: { type: 'set-threshold', key: r.key, threshold: { [field]: null } } };
      if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return { error: ErrorStatus.wrongValue };
      return { command: { type: 'set-threshold', key: r.key, threshold: { [field]: Number(trimmed) } } };
    },
  };
}

const THRESHOLD_TABLE: TableDef<ThresholdRow> = {
  name: 'bmsThreshold', sub: 7,
  description: 'Alarm thresholds, one row per measurement kind (1..7) and per sensor (100 + sensor number). Limits are decimal numbers in bmsThresholdUnit; writable when threshold writes are enabled for SNMP.',
  entryDescription: 'The warning and alarm limits of one measurement kind.',
  index: ['bmsThresholdIndex'],
  indexes: (s) => [...namesByCode(THRESHOLD_INDEX).map((k) => [THRESHOLD_INDEX[k]]), ...s.sensors.map((x) => [SENSOR_THRESHOLD_BASE + x.id])],
  row: (s, [i]) => thresholdRow(s, i),
  columns: [
    { name: 'bmsThresholdIndex', sub: 1, syntax: { kind: 'Integer32', range: [1, 2000] }, access: 'not-accessible', description: `${namesByCode(THRESHOLD_INDEX).map((k) => `${THRESHOLD_INDEX[k]} ${k}`).join(', ')}, 100 + N sensor N.`, read: () => null },
    { name: 'bmsThresholdName', sub: 2, syntax: { kind: 'DisplayString', size: [0, 32] }, access: 'read-only', description: 'Threshold key as in the configuration file (moduleVoltage, sensors.3).', read: (r) => r.key },
    { name: 'bmsThresholdUnit', sub: 3, syntax: { kind: 'DisplayString', size: [0, 16] }, access: 'read-only', description: 'Unit of the limits; % for resistance thresholds relative to the string mean or the baseline.', read: (r) => r.unit },
    limitColumn('bmsThresholdWarnHigh', 4, 'warnHigh', 'Warning above this value; empty when not set (write an empty string to remove it).'),
    limitColumn('bmsThresholdAlarmHigh', 5, 'alarmHigh', 'Alarm above this value; empty when not set.'),
    limitColumn('bmsThresholdWarnLow', 6, 'warnLow', 'Warning below this value; empty when not set.'),
    limitColumn('bmsThresholdAlarmLow', 7, 'alarmLow', 'Alarm below this value; empty when not set.'),
    limitColumn('bmsThresholdHysteresis', 8, 'hysteresis', 'A raised level clears only once the value is back past its limit by this much.'),
    {
      name: 'bmsThresholdDelay', sub: 9, syntax: { kind: 'Unsigned32' }, access: 'read-write', units: 'milliseconds',
      description: 'A level is raised only after its condition held this long.',
      read: (r) => r.threshold?.delayMs ?? 0,
      write: (r, v) => {
        if (v.tag !== 0x42 && v.tag !== 0x02) return { error: ErrorStatus.wrongType };
        if ((v.value as number) < 0) return { error: ErrorStatus.wrongValue };
        return { command: { type: 'set-threshold', key: r.key, threshold: { delayMs: v.value as number } } };
      },
    },
  ],
};

export const BMS_TABLES = [STRING_TABLE, MODULE_TABLE, SENSOR_TABLE, IO_TABLE, ALARM_TABLE, THRESHOLD_TABLE] as readonly TableDef<unknown>[];

// --- notifications ---------------------------------------------------------------------------

// bmsAlarmRaisedTime: a notification that waited in a receiver's queue still says when its alarm began.
const ALARM_OBJECTS = ['bmsAlarmKind', 'bmsAlarmSeverity', 'bmsAlarmEntity', 'bmsAlarmStringIndex', 'bmsAlarmModuleIndex', 'bmsAlarmMessage', 'bmsAlarmValue', 'bmsAlarmLimit', 'bmsAlarmRaisedTime'];
const MODULE_OBJECTS = ['bmsModuleLabel', 'bmsModuleVoltage', 'bmsModuleTemperature', 'bmsModuleResistance'];
const STRING_OBJECTS = ['bmsStringName', 'bmsStringSumVoltage', 'bmsStringCurrent', 'bmsStringSpread'];

export interface NotificationDef {
  readonly name: string;
  readonly sub: number;
  readonly objects: readonly string[];
  readonly description: string;
}

export const BMS_NOTIFICATION_DEFS: readonly NotificationDef[] = [
  { name: 'bmsModuleAlarmRaised', sub: 1, objects: [...ALARM_OBJECTS, ...MODULE_OBJECTS], description: 'An alarm about one module was raised. The alarm objects carry the alarm id as their instance; the module objects carry the string and module numbers.' },
  { name: 'bmsModuleAlarmCleared', sub: 2, objects: [...ALARM_OBJECTS, ...MODULE_OBJECTS], description: 'An alarm about one module cleared (including module lost and fuse blown).' },
  { name: 'bmsStringAlarmRaised', sub: 3, objects: [...ALARM_OBJECTS, ...STRING_OBJECTS], description: 'An alarm about one string was raised.' },
  { name: 'bmsStringAlarmCleared', sub: 4, objects: [...ALARM_OBJECTS, ...STRING_OBJECTS], description: 'An alarm about one string cleared (including thermal runaway and ground fault).' },
  { name: 'bmsThermalRunaway', sub: 5, objects: [...ALARM_OBJECTS, ...STRING_OBJECTS], description: 'Thermal runaway detected on a string: temperatures and float current rising. Act at once.' },
  { name: 'bmsModuleLost', sub: 6, objects: [...ALARM_OBJECTS, 'bmsModuleLabel', 'bmsModuleCommunication'], description: 'A module stopped answering on the battery bus.' },
  { name: 'bmsFuseBlown', sub: 7, objects: [...ALARM_OBJECTS, 'bmsModuleLabel', 'bmsModuleFuse'], description: 'The measuring-cable fuse of a module blew.' },
  { name: 'bmsGroundFault', sub: 8, objects: [...ALARM_OBJECTS, 'bmsStringName', 'bmsStringGroundFaultCurrent', 'bmsStringDifferentialPositive', 'bmsStringDifferentialNegative'], description: 'Leakage current to ground on a string.' },
  { name: 'bmsSiteAlarmRaised', sub: 9, objects: ALARM_OBJECTS, description: 'An alarm about the site, the UPS, a sensor or an input was raised.' },
  { name: 'bmsSiteAlarmCleared', sub: 10, objects: ALARM_OBJECTS, description: 'An alarm about the site, the UPS, a sensor or an input cleared.' },
];

/** Which notification an alarm event sends. */
export function notificationFor(alarm: Alarm, action: 'raised' | 'cleared'): NotificationDef {
  const by = (name: string) => BMS_NOTIFICATION_DEFS.find((n) => n.name === name)!;
  const e = alarm.entity.kind;
  if (action === 'raised') {
    if (alarm.kind === 'thermal-runaway' && (e === 'string' || e === 'module')) return by('bmsThermalRunaway');
    if (alarm.kind === 'module-lost' && e === 'module') return by('bmsModuleLost');
    if (alarm.kind === 'module-fuse-blown' && e === 'module') return by('bmsFuseBlown');
    if (alarm.kind === 'string-ground-fault' && e === 'string') return by('bmsGroundFault');
  }
  if (e === 'module') return by(action === 'raised' ? 'bmsModuleAlarmRaised' : 'bmsModuleAlarmCleared');
  if (e === 'string') return by(action === 'raised' ? 'bmsStringAlarmRaised' : 'bmsStringAlarmCleared');
  return by(action === 'raised' ? 'bmsSiteAlarmRaised' : 'bmsSiteAlarmCleared');
}

// --- leaves ----------------------------------------------------------------------------------

export const SITE_OID = [...BMS_OBJECTS, 1];
export const tableOid = (t: { sub: number }) => [...BMS_OBJECTS, t.sub];
export const entryOid = (t: { sub: number }) => [...BMS_OBJECTS, t.sub, 1];

/** Converts a JS value to the varbind value its syntax calls for; null = no value. */
export function toSnmp(syntax: Syntax, v: JsValue): SnmpValue | undefined {
  if (v === null) return undefined;
  switch (syntax.kind) {
    case 'DisplayString': return str(String(v), syntax.size?.[1] ?? 255);
    case 'TruthValue': return int(v === true || v === 1 ? 1 : 2);
    case 'Gauge32': case 'Unsigned32': return gauge(Number(v));
    case 'Counter32': return counter(Number(v));
    case 'TimeTicks': return ticks(Number(v));
    default: return int(Number(v));
  }
}

/** Every BMS MIB leaf for the site's current shape. */
export function bmsMibLeaves(ctx: MibContext): Leaf[] {
  const leaves: Leaf[] = [];
  for (const o of SITE_SCALARS) {
    leaves.push({ oid: [...SITE_OID, o.sub, 0], objectLength: SITE_OID.length + 1, read: () => toSnmp(o.syntax, o.read(ctx.snap, ctx)) });
  }
  for (const t of BMS_TABLES) {
    const entry = entryOid(t);
    for (const index of t.indexes(ctx.snap, ctx)) {
      for (const c of t.columns) {
        if (c.access === 'not-accessible') continue;
        const row = () => t.row(ctx.snap, index, ctx);
        leaves.push({
          oid: [...entry, c.sub, ...index],
          objectLength: entry.length + 1,
          read: () => {
            const r = row();
            return r === undefined ? undefined : toSnmp(c.syntax, c.read(r, ctx));
          },
          write: c.write && ((v) => {
            const r = row();
            return r === undefined ? { error: ErrorStatus.noCreation } : c.write!(r, v, ctx);
          }),
        });
      }
    }
  }
  return leaves;
}

/** Looks up a column definition (for notifications). */
export function columnByName(name: string): { table: TableDef<unknown>; column: ObjectDef<unknown> } {
  for (const table of BMS_TABLES) {
    const column = table.columns.find((c) => c.name === name);
    if (column) return { table, column };
  }
  throw new Error(`no BMS MIB column ${name}`);
}
