// The register map, declared once: addresses, types, scale factors, units and descriptions.
// The server serves it, and docs/registers.md and docs/registers.csv are generated from it.
// Addresses are 0-based PDU addresses (what goes on the wire; `mbpoll -0`).
import {
  ALARM_KIND_BY_CODE, ALARM_KIND_CODES, AlarmKind, ChargeMode, Command, CommandError, ModuleState, ResistanceMode, SENSOR_KIND_CODES, Severity,
  SiteSnapshot, SohMethod, StringState, Threshold, ThresholdKey, UPS_BATTERY_STATUS_CODES, UPS_OUTPUT_SOURCE_CODES, UPS_TEST_RESULT_CODES, UpsState,
  codeNames, namesByCode,
} from '@kirchhoff/core';
import { BitBlock, BitDoc, EnumDoc, RegisterBlock, RegisterField, RegisterMap, RegisterType } from './types';
import { BitSpec, SiteView, keys, packBits, valueOf } from './view';

/** Bumped whenever an address or scale changes; readable at register 1008. */
export const MAP_VERSION = 1;

export const MAX_STRINGS = 16;
export const MAX_MODULES = 512;
export const MAX_SENSORS = 64;
export const MAX_RELAYS = 64;
export const MAX_INPUTS = 64;
export const UPS_LINES = 3;

type Reader = RegisterField['read'];

function field(offset: number, name: string, type: RegisterType, scale: number, unit: string, description: string, read: Reader, extra: Partial<RegisterField> = {}): RegisterField {
  return { offset, name, type, scale, unit, description, read, ...extra };
}

function docBits<T>(specs: readonly BitSpec<T>[]): BitDoc[] {
  return specs.map(({ mask, name, description }) => ({ mask, name, description }));
}

/** An enum16 register from its code table (every code written out, frozen by map/codes.spec.ts). */
function enumOf<T extends string>(codes: Readonly<Record<T, number>>): { docs: EnumDoc[]; code: (v: T) => number; name: (code: number) => T | undefined } {
  const names = codeNames(codes);
  return {
    docs: namesByCode(codes).map((name) => ({ value: codes[name], name })),
    code: (v) => codes[v],
    name: (code) => names.get(code),
  };
}

const SEVERITY_BITS: readonly BitSpec<ReadonlySet<Severity>>[] = [
  { mask: 0x100, name: 'warning', description: 'a warning is active', test: (s) => s.has('warning') },
  { mask: 0x200, name: 'alarm', description: 'an alarm is active', test: (s) => s.has('alarm') },
  { mask: 0x400, name: 'critical', description: 'a critical alarm is active', test: (s) => s.has('critical') },
];

interface AlarmSubject {
  readonly kinds: ReadonlySet<AlarmKind>;
  readonly severities: ReadonlySet<Severity>;
}
const NONE: AlarmSubject = { kinds: new Set(), severities: new Set() };

function alarmBits(kinds: readonly (readonly [number, AlarmKind, string])[]): BitSpec<AlarmSubject>[] {
  return [
    ...kinds.map(([mask, kind, description]) => ({ mask, name: kind, description, test: (s: AlarmSubject) => s.kinds.has(kind) })),
    ...SEVERITY_BITS.map((b) => ({ ...b, test: (s: AlarmSubject) => b.test(s.severities) })),
  ];
}

function alarmsOf(view: SiteView, key: string): AlarmSubject {
  const kinds = view.kindsByEntity.get(key);
  return kinds ? { kinds, severities: view.severitiesByEntity.get(key)! } : NONE;
}

const anyModule = (v: SiteView, test: (m: ModuleState) => boolean) => v.snap.modules.some(test);
const anyString = (v: SiteView, test: (s: StringState) => boolean) => v.snap.strings.some(test);
const hasKind = (v: SiteView, ...kinds: AlarmKind[]) => kinds.some((k) => v.activeKinds.has(k));
const MODULE_MEASUREMENTS = ['voltageV', 'temperatureC', 'resistanceOhm', 'socPercent'] as const;
const moduleQuality = (m: ModuleState, q: 'stale' | 'failed') => MODULE_MEASUREMENTS.some((f) => m[f].quality === q);

// ---- system block (BACS-compatible) -----------------------------------------------------------

export const GENERAL_STATUS_BITS: readonly BitSpec<SiteView>[] = [
  { mask: 0x0001, name: 'running', description: 'the gateway is running and serving data', test: () => true },
  { mask: 0x0002, name: 'connected', description: 'at least one module answers on the battery bus', test: (v) => anyModule(v, (m) => m.communication === 'ok') },
  { mask: 0x0004, name: 'moduleLost', description: 'at least one module does not answer', test: (v) => anyModule(v, (m) => m.communication === 'lost') },
  { mask: 0x0008, name: 'discharging', description: 'at least one string is discharging', test: (v) => anyString(v, (s) => s.chargeMode === 'discharge') },
  { mask: 0x0010, name: 'charging', description: 'at least one string is in float, boost or recharge', test: (v) => anyString(v, (s) => s.chargeMode === 'float' || s.chargeMode === 'boost' || s.chargeMode === 'recharge') },
  { mask: 0x0020, name: 'dischargingStopped', description: 'at least one string rests with the charger off (charge mode rest, e.g. intermittent charging)', test: (v) => anyString(v, (s) => s.chargeMode === 'rest') },
  { mask: 0x0040, name: 'floatCharging', description: 'at least one string is in float charge', test: (v) => anyString(v, (s) => s.chargeMode === 'float') },
  { mask: 0x0080, name: 'equalisation', description: 'at least one module has its bypass (equalizing) on', test: (v) => anyModule(v, (m) => m.equalize.on) },
  { mask: 0x0100, name: 'systemFailure', description: 'battery bus failure, a blown module fuse or balancing disabled', test: (v) => hasKind(v, 'bus-failure', 'module-fuse-blown', 'balancing-disabled') },
  { mask: 0x0200, name: 'voltageOutOfRange', description: 'a block voltage alarm or warning is active', test: (v) => hasKind(v, 'module-voltage-high', 'module-voltage-low') },
  { mask: 0x0400, name: 'temperatureOutOfRange', description: 'a block temperature alarm or warning is active', test: (v) => hasKind(v, 'module-temperature-high', 'module-temperature-low') },
  { mask: 0x0800, name: 'resistanceOutOfRange', description: 'a block Ri alarm or warning is active', test: (v) => hasKind(v, 'module-resistance-high') },
  { mask: 0x1000, name: 'moduleAddressing', description: 'module addressing in progress (not reported by this gateway: always 0)', test: () => false },
  { mask: 0x2000, name: 'moduleSearching', description: 'module search in progress (not reported by this gateway: always 0)', test: () => false },
  { mask: 0x4000, name: 'dataStale', description: 'Kirchhoff extension: a module reading is stale (its last value is shown)', test: (v) => anyModule(v, (m) => moduleQuality(m, 'stale')) },
  { mask: 0x8000, name: 'dataFailed', description: 'Kirchhoff extension: a module reading is missing (shown as not available)', test: (v) => anyModule(v, (m) => moduleQuality(m, 'failed')) },
];

export const BATTERY_STATUS_BITS: readonly BitSpec<SiteView>[] = [
  { mask: 0x0001, name: 'onBattery', description: 'the UPS runs on battery', test: (v) => v.snap.ups?.output.source === 'battery' || hasKind(v, 'ups-on-battery') },
  { mask: 0x0002, name: 'batteryLow', description: 'the UPS reports battery low', test: (v) => v.snap.ups?.battery.status === 'low' || hasKind(v, 'ups-battery-low') },
  { mask: 0x0004, name: 'batteryDepleted', description: 'the UPS reports battery depleted', test: (v) => v.snap.ups?.battery.status === 'depleted' || hasKind(v, 'ups-battery-depleted') },
  { mask: 0x0008, name: 'boostCharging', description: 'at least one string is in boost charge', test: (v) => anyString(v, (s) => s.chargeMode === 'boost') },
  { mask: 0x0010, name: 'stringImbalance', description: 'a string voltage imbalance alarm or warning is active', test: (v) => hasKind(v, 'string-imbalance') },
  { mask: 0x0020, name: 'groundFault', description: 'a ground-fault (differential current) alarm is active', test: (v) => hasKind(v, 'string-ground-fault') },
  { mask: 0x0040, name: 'thermalRunaway', description: 'thermal runaway detected', test: (v) => hasKind(v, 'thermal-runaway') },
  { mask: 0x0080, name: 'fuseBlown', description: 'at least one module fuse is blown', test: (v) => anyModule(v, (m) => m.fuse === 'blown') },
  { mask: 0x0100, name: 'balancingDisabled', description: 'balancing is disabled for the whole site', test: (v) => !v.snap.balancing.enabled },
  { mask: 0x0200, name: 'upsTestInProgress', description: 'a UPS battery test is running', test: (v) => v.snap.ups?.test.resultsSummary === 'inProgress' },
  { mask: 0x0400, name: 'floatCurrentHigh', description: 'a string current alarm or warning is active', test: (v) => hasKind(v, 'string-current-high') },
];

export const ALARM_FLAG_BITS: readonly BitSpec<SiteView>[] = [
  { mask: 0x0001, name: 'warning', description: 'a warning is active', test: (v) => v.snap.alarms.some((a) => a.severity === 'warning') },
  { mask: 0x0002, name: 'alarm', description: 'an alarm is active', test: (v) => v.snap.alarms.some((a) => a.severity === 'alarm') },
  { mask: 0x0004, name: 'critical', description: 'a critical alarm is active', test: (v) => v.snap.alarms.some((a) => a.severity === 'critical') },
  { mask: 0x0008, name: 'unacknowledged', description: 'an active alarm is not acknowledged', test: (v) => v.snap.alarms.some((a) => !a.acknowledged) },
  { mask: 0x0010, name: 'moduleAlarm', description: 'an alarm on a module is active', test: (v) => v.snap.alarms.some((a) => a.entity.kind === 'module') },
  { mask: 0x0020, name: 'stringAlarm', description: 'an alarm on a string is active', test: (v) => v.snap.alarms.some((a) => a.entity.kind === 'string') },
  { mask: 0x0040, name: 'upsAlarm', description: 'an alarm on the UPS is active', test: (v) => v.snap.alarms.some((a) => a.entity.kind === 'ups') },
  { mask: 0x0080, name: 'sensorAlarm', description: 'an alarm on a sensor is active', test: (v) => v.snap.alarms.some((a) => a.entity.kind === 'sensor') },
  { mask: 0x0100, name: 'inputAlarm', description: 'a digital input is in its alarm position', test: (v) => v.snap.alarms.some((a) => a.entity.kind === 'input') },
  { mask: 0x0200, name: 'busFailure', description: 'the battery bus does not answer at all', test: (v) => hasKind(v, 'bus-failure') },
];

const systemBlock: RegisterBlock = {
  id: 'system', title: 'System (BACS-compatible)', base: 1000, stride: 10, maxInstances: 1, instance: null, count: () => 1,
  description: 'Addresses 1000..1004 follow the BACS layout integrators already know; 1005..1009 are Kirchhoff additions.',
  fields: [
    field(0, 'generalStatus', 'bits16', 1, '', 'General status flags (BACS bit list, plus stale/failed data in the two top bits)', (v) => packBits(GENERAL_STATUS_BITS, v), { bits: docBits(GENERAL_STATUS_BITS) }),
    field(1, 'batteryStatus', 'bits16', 1, '', 'Battery status flags (Kirchhoff bit list)', (v) => packBits(BATTERY_STATUS_BITS, v), { bits: docBits(BATTERY_STATUS_BITS) }),
    field(2, 'alarmFlags', 'bits16', 1, '', 'Alarm flags (Kirchhoff bit list)', (v) => packBits(ALARM_FLAG_BITS, v), { bits: docBits(ALARM_FLAG_BITS) }),
    field(3, 'stringCount', 'uint16', 1, '', 'Number of strings', (v) => v.snap.strings.length),
    field(4, 'moduleCount', 'uint16', 1, '', 'Number of modules', (v) => v.snap.modules.length),
    field(5, 'activeAlarms', 'uint16', 1, '', 'Number of active alarms', (v) => v.snap.alarms.length),
    field(6, 'staleModules', 'uint16', 1, '', 'Modules with at least one stale reading', (v) => v.snap.modules.filter((m) => moduleQuality(m, 'stale')).length),
    field(7, 'lostModules', 'uint16', 1, '', 'Modules that do not answer', (v) => v.snap.modules.filter((m) => m.communication === 'lost').length),
    field(8, 'mapVersion', 'uint16', 1, '', 'Version of this register map', () => MAP_VERSION),
  ],
};

const stringAt = (v: SiteView, n: number): StringState | undefined => v.snap.strings[n - 1];

const bacsStringsBlock: RegisterBlock = {
  id: 'bacs-strings', title: 'Strings (BACS-compatible)', base: 1010, stride: 5, maxInstances: MAX_STRINGS, instance: 'string', count: () => MAX_STRINGS,
  description: 'String n at 1010 + 5(n-1): strings 1..10 at the BACS addresses 1010..1059, strings 11..16 continue the same formula at 1060..1089. ' +
    'All 16 instances are always in the map; strings the site does not have read 0.',
  fields: [
    field(0, 'dcCurrent', 'int16', 0.1, 'A', 'DC current, positive = charging', (v, n) => (stringAt(v, n) ? valueOf(stringAt(v, n)!.dcCurrentA) : 0)),
    field(1, 'sumVoltage', 'uint16', 0.1, 'V', 'Sum of the block voltages', (v, n) => (stringAt(v, n) ? valueOf(stringAt(v, n)!.sumVoltageV) : 0)),
    field(2, 'averageVoltage', 'uint16', 0.001, 'V', 'Average block voltage (the balancing target)', (v, n) => (stringAt(v, n) ? valueOf(stringAt(v, n)!.targetVoltageV) : 0)),
    field(3, 'acCurrent', 'uint16', 0.1, 'A', 'AC (ripple) current, RMS', (v, n) => (stringAt(v, n) ? valueOf(stringAt(v, n)!.rippleCurrentA) : 0)),
  ],
};

// ---- Kirchhoff blocks -------------------------------------------------------------------------

/** Wire codes of the charge mode, frozen: 3 was `idle` before `rest` replaced it with the same meaning (charger off). */
export const CHARGE_MODE_CODES: Readonly<Record<ChargeMode, number>> = { unknown: 0, float: 1, boost: 2, rest: 3, discharge: 4, recharge: 5 };
const CHARGE_MODE_ENUM = enumOf(CHARGE_MODE_CODES);

/** Wire codes of the state-of-health method, frozen (the same numbers as the MIB's BmsSohMethod). */
export const SOH_METHOD_CODES: Readonly<Record<SohMethod, number>> = { 'capacity-test': 1, discharge: 2, resistance: 3, unknown: 4 };
const SOH_METHOD_ENUM = enumOf(SOH_METHOD_CODES);

const STRING_STATUS_BITS: readonly BitSpec<{ s: StringState; modules: readonly ModuleState[] }>[] = [
  { mask: 0x01, name: 'stale', description: 'a reading of the string is stale', test: ({ s }) => [s.dcCurrentA, s.sumVoltageV, s.rippleCurrentA, s.socPercent].some((m) => m.quality === 'stale') },
  { mask: 0x02, name: 'failed', description: 'the sum voltage is not available (a module reading is missing)', test: ({ s }) => s.sumVoltageV.quality === 'failed' },
  { mask: 0x04, name: 'moduleLost', description: 'a module of the string does not answer', test: ({ modules }) => modules.some((m) => m.communication === 'lost') },
  { mask: 0x08, name: 'fuseBlown', description: 'a module fuse of the string is blown', test: ({ modules }) => modules.some((m) => m.fuse === 'blown') },
  { mask: 0x10, name: 'equalizing', description: 'a module of the string has its bypass on', test: ({ modules }) => modules.some((m) => m.equalize.on) },
  { mask: 0x20, name: 'balancingStalled', description: 'no block balances although the string floats out of balance (open battery breaker, or self-discharge beating the charger; docs/health.md)', test: ({ s }) => s.balancingStalled },
];
const STRING_ALARM_BITS = alarmBits([
  [0x01, 'string-imbalance', 'block voltages deviate from the target'],
  [0x02, 'string-current-high', 'DC current above threshold'],
  [0x04, 'string-current-low', 'DC current below threshold'],
  [0x08, 'string-ripple-high', 'ripple current above threshold'],
  [0x10, 'string-ground-fault', 'ground-fault (differential) current'],
  [0x20, 'thermal-runaway', 'thermal runaway'],
]);

const ownString = (read: (s: StringState, v: SiteView, n: number) => number | null): Reader => (v, n) => read(v.snap.strings[n - 1], v, n);
const modulesOf = (v: SiteView, s: StringState) => v.snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);

const stringBlock: RegisterBlock = {
  id: 'strings', title: 'Strings', base: 2000, stride: 20, maxInstances: MAX_STRINGS, instance: 'string', count: (s) => s.strings.length,
  description: 'String n at 2000 + 20(n-1), for the strings the site has.',
  fields: [
    field(0, 'status', 'bits16', 1, '', 'String status', ownString((s, v) => packBits(STRING_STATUS_BITS, { s, modules: modulesOf(v, s) })), { bits: docBits(STRING_STATUS_BITS) }),
    field(1, 'alarms', 'bits16', 1, '', 'Active alarms of the string', ownString((_s, v, n) => packBits(STRING_ALARM_BITS, alarmsOf(v, keys.string(n)))), { bits: docBits(STRING_ALARM_BITS) }),
    field(2, 'targetVoltage', 'uint16', 0.001, 'V', 'Target voltage (mean block voltage)', ownString((s) => valueOf(s.targetVoltageV))),
    field(3, 'soc', 'uint16', 0.1, '%', 'State of charge', ownString((s) => valueOf(s.socPercent))),
    field(4, 'autonomy', 'uint16', 1, 'min', 'Estimated autonomy', ownString((s) => valueOf(s.autonomyMin))),
    field(5, 'chargeMode', 'enum16', 1, '', 'Charge mode', ownString((s) => CHARGE_MODE_ENUM.code(s.chargeMode)), { values: CHARGE_MODE_ENUM.docs }),
    field(6, 'groundFaultCurrent', 'uint16', 0.001, 'A', 'Ground-fault current |positive - negative|', ownString((s) => valueOf(s.groundFaultCurrentA))),
    field(7, 'dcCurrent', 'int16', 0.1, 'A', 'DC current, positive = charging', ownString((s) => valueOf(s.dcCurrentA))),
    field(8, 'sumVoltage', 'uint16', 0.1, 'V', 'Sum of the block voltages', ownString((s) => valueOf(s.sumVoltageV))),
    field(9, 'rippleCurrent', 'uint16', 0.1, 'A', 'AC ripple current, RMS', ownString((s) => valueOf(s.rippleCurrentA))),
    field(10, 'spread', 'uint16', 0.001, 'V', 'Largest |block voltage - target|', ownString((s) => valueOf(s.spreadV))),
    field(11, 'power', 'int16', 100, 'W', 'Power (sum voltage x DC current), positive = charging', ownString((s) => valueOf(s.powerW))),
    field(12, 'moduleCount', 'uint16', 1, '', 'Modules in the string', ownString((s) => s.moduleCount)),
    field(13, 'firstModule', 'uint16', 1, '', 'Global number of the string\'s first module', ownString((s) => s.firstGlobal)),
    field(14, 'capacity', 'uint16', 1, 'Ah', 'Nominal capacity (C10)', ownString((s) => s.capacityAh)),
    field(15, 'differentialPositive', 'int16', 0.001, 'A', 'Differential sensor, positive line', ownString((s) => valueOf(s.differentialPositiveA))),
    field(16, 'differentialNegative', 'int16', 0.001, 'A', 'Differential sensor, negative line', ownString((s) => valueOf(s.differentialNegativeA))),
    field(17, 'meanSoh', 'uint16', 0.1, '%', 'Mean state of health of the string\'s blocks (docs/health.md)', ownString((s) => s.meanSohPercent)),
    field(18, 'minSoh', 'uint16', 0.1, '%', 'Lowest state of health of the string\'s blocks', ownString((s) => s.minSohPercent)),
    field(19, 'remainingCapacity', 'uint16', 0.1, 'Ah', 'Remaining capacity of the string: its weakest block\'s (C10 at 25 degC)', ownString((s) => s.remainingCapacityAh)),
  ],
};

const MODULE_STATUS_BITS: readonly BitSpec<ModuleState>[] = [
  { mask: 0x01, name: 'stale', description: 'a reading is stale: the last value is shown', test: (m) => moduleQuality(m, 'stale') },
  { mask: 0x02, name: 'failed', description: 'a reading is missing: shown as not available', test: (m) => moduleQuality(m, 'failed') },
  { mask: 0x04, name: 'lost', description: 'the module does not answer on the battery bus', test: (m) => m.communication === 'lost' },
  { mask: 0x08, name: 'fuseBlown', description: 'a measuring-cable fuse is blown', test: (m) => m.fuse === 'blown' },
  { mask: 0x10, name: 'equalizing', description: 'the bypass (equalizing) is on', test: (m) => m.equalize.on },
  { mask: 0x20, name: 'communicationUnknown', description: 'the module has not been polled yet', test: (m) => m.communication === 'unknown' },
  { mask: 0x40, name: 'fuseUnknown', description: 'the fuse state is not known yet', test: (m) => m.fuse === 'unknown' },
];
const MODULE_ALARM_BITS = alarmBits([
  [0x01, 'module-voltage-high', 'block voltage above threshold'],
  [0x02, 'module-voltage-low', 'block voltage below threshold'],
  [0x04, 'module-temperature-high', 'temperature above threshold'],
  [0x08, 'module-temperature-low', 'temperature below threshold'],
  [0x10, 'module-resistance-high', 'Ri above threshold'],
  [0x20, 'module-lost', 'module does not answer'],
  [0x40, 'module-fuse-blown', 'fuse blown'],
]);

const mod = (read: (m: ModuleState, v: SiteView) => number | null): Reader => (v, g) => read(v.snap.modules[g - 1], v);

const moduleBlock: RegisterBlock = {
  id: 'modules', title: 'Modules', base: 10000, stride: 10, maxInstances: MAX_MODULES, instance: 'module', count: (s) => s.modules.length,
  description: 'Module with global number g (1..512, in string order) at 10000 + 10(g-1).',
  fields: [
    field(0, 'voltage', 'uint16', 0.001, 'V', 'Block voltage', mod((m) => valueOf(m.voltageV))),
    field(1, 'temperature', 'int16', 0.1, 'degC', 'Block surface temperature', mod((m) => valueOf(m.temperatureC))),
    field(2, 'resistance', 'uint16', 0.01, 'mOhm', 'Internal resistance Ri', mod((m) => { const r = valueOf(m.resistanceOhm); return r === null ? null : r * 1000; })),
    field(3, 'soc', 'uint16', 0.1, '%', 'State of charge', mod((m) => valueOf(m.socPercent))),
    field(4, 'equalizeDuty', 'uint16', 1, '%', 'Bypass duty cycle commanded', mod((m) => m.equalize.dutyPercent)),
    field(5, 'status', 'bits16', 1, '', 'Module status', mod((m) => packBits(MODULE_STATUS_BITS, m)), { bits: docBits(MODULE_STATUS_BITS) }),
    field(6, 'alarms', 'bits16', 1, '', 'Active alarms of the module', mod((m, v) => packBits(MODULE_ALARM_BITS, alarmsOf(v, keys.module(m.global)))), { bits: docBits(MODULE_ALARM_BITS) }),
    field(7, 'balancingActivity', 'uint16', 1, '%', 'Share of recent time the bypass was on', mod((m) => m.balancingActivityPercent)),
    field(8, 'string', 'uint16', 1, '', 'String number', mod((m) => m.string)),
    field(9, 'module', 'uint16', 1, '', 'Module number within the string', mod((m) => m.module)),
  ],
};

const moduleHealthBlock: RegisterBlock = {
  id: 'module-health', title: 'Module health', base: 27000, stride: 8, maxInstances: MAX_MODULES, instance: 'module', count: (s) => s.modules.length,
  description: 'Health of module g (docs/health.md) at 27000 + 8(g-1); updated once a minute and after each capacity test.',
  fields: [
    field(0, 'soh', 'uint16', 0.1, '%', 'State of health: capacity over the rating, or from the Ri increase (see sohMethod)', mod((m) => m.sohPercent)),
    field(1, 'sohMethod', 'enum16', 1, '', 'Where the state of health comes from', mod((m) => SOH_METHOD_ENUM.code(m.sohMethod)), { values: SOH_METHOD_ENUM.docs }),
    field(2, 'remainingCapacity', 'uint16', 0.1, 'Ah', 'Remaining capacity (C10 at 25 degC)', mod((m) => m.remainingCapacityAh)),
    field(3, 'capacityFade', 'int16', 0.1, '%', 'Capacity fade: (rated - remaining) / rated', mod((m) => m.capacityFadePercent)),
    field(4, 'resistanceIncrease', 'int16', 0.1, '%', 'Ri (float readings) over its baseline', mod((m) => m.resistanceIncreasePercent)),
    field(5, 'endOfLife', 'uint32', 1, 's', 'Expected end of life (the Ri trend reaching the end-of-life limit), seconds since 1970 UTC', mod((m) => (m.endOfLifeAtMs === null ? null : Math.round(m.endOfLifeAtMs / 1000)))),
  ],
};

// RFC 1628's numbers (core's code tables).
const BATTERY_STATUS_ENUM = enumOf(UPS_BATTERY_STATUS_CODES);
const OUTPUT_SOURCE_ENUM = enumOf(UPS_OUTPUT_SOURCE_CODES);
const TEST_RESULT_ENUM = enumOf(UPS_TEST_RESULT_CODES);
const UPS_STATUS_BITS: readonly BitSpec<UpsState>[] = [
  { mask: 0x01, name: 'stale', description: 'UPS values are stale: the last values are shown', test: (u) => u.quality === 'stale' },
  { mask: 0x02, name: 'failed', description: 'the UPS has not been read (values not valid)', test: (u) => u.quality === 'failed' },
  { mask: 0x04, name: 'onBattery', description: 'output source is battery', test: (u) => u.output.source === 'battery' },
  { mask: 0x08, name: 'onBypass', description: 'output source is bypass', test: (u) => u.output.source === 'bypass' },
  { mask: 0x10, name: 'testInProgress', description: 'a battery test is running', test: (u) => u.test.resultsSummary === 'inProgress' },
];
const UPS_ALARM_BITS = alarmBits([
  [0x01, 'ups-on-battery', 'on battery'],
  [0x02, 'ups-battery-low', 'battery low'],
  [0x04, 'ups-battery-depleted', 'battery depleted'],
  [0x08, 'ups-test-failed', 'battery test failed'],
  [0x10, 'ups-test-in-progress', 'battery test in progress'],
  [0x20, 'ups-communication-lost', 'UPS does not answer'],
]);

/** UPS values are only valid once read: before that (quality failed) they read as not available. */
const ups = (read: (u: UpsState) => number | null | undefined): Reader => (v) => {
  const u = v.snap.ups!;
  if (u.quality === 'failed') return null;
  const value = read(u);
  return value === undefined ? null : value;
};

function upsLineFields(base: number, group: 'input' | 'output' | 'bypass'): RegisterField[] {
  const out: RegisterField[] = [];
  for (let l = 1; l <= UPS_LINES; l++) {
    const at = (i: number) => base + (group === 'bypass' ? 4 : 5) * (l - 1) + i;
    const line = (u: UpsState) => u[group].lines[l - 1] as unknown as Record<string, number> | undefined;
    const g = `${group}Line${l}`;
    if (group === 'input') out.push(field(at(0), `${g}Frequency`, 'uint16', 0.1, 'Hz', `Input line ${l} frequency`, ups((u) => line(u)?.frequencyHz)));
    out.push(field(at(group === 'input' ? 1 : 0), `${g}Voltage`, 'uint16', 1, 'V', `${group} line ${l} voltage (RFC 1628 ups${group[0].toUpperCase() + group.slice(1)}Voltage)`, ups((u) => line(u)?.voltageV)));
    out.push(field(at(group === 'input' ? 2 : 1), `${g}Current`, 'uint16', 0.1, 'A', `${group} line ${l} current`, ups((u) => line(u)?.currentA)));
    out.push(field(at(group === 'input' ? 3 : 2), `${g}Power`, 'uint32', 1, 'W', `${group} line ${l} ${group === 'input' ? 'true ' : ''}power`, ups((u) => line(u)?.[group === 'input' ? 'truePowerW' : 'powerW'])));
    if (group === 'output') out.push(field(at(4), `${g}Load`, 'uint16', 1, '%', `Output line ${l} load`, ups((u) => line(u)?.percentLoad)));
  }
  return out;
}

const upsBlock: RegisterBlock = {
  id: 'ups', title: 'UPS (RFC 1628 values)', base: 3000, stride: 64, maxInstances: 1, instance: null, count: (s) => (s.ups ? 1 : 0),
  description: 'The UPS in the groups of RFC 1628 (UPS-MIB); in the map only when the site has a UPS. Lines 1..3 per group.',
  fields: [
    field(0, 'status', 'bits16', 1, '', 'UPS status', (v) => packBits(UPS_STATUS_BITS, v.snap.ups!), { bits: docBits(UPS_STATUS_BITS) }),
    field(1, 'alarms', 'bits16', 1, '', 'Active UPS alarms', (v) => packBits(UPS_ALARM_BITS, alarmsOf(v, keys.ups())), { bits: docBits(UPS_ALARM_BITS) }),
    field(2, 'batteryStatus', 'enum16', 1, '', 'upsBatteryStatus', ups((u) => BATTERY_STATUS_ENUM.code(u.battery.status)), { values: BATTERY_STATUS_ENUM.docs }),
    field(3, 'secondsOnBattery', 'uint32', 1, 's', 'upsSecondsOnBattery', ups((u) => u.battery.secondsOnBattery)),
    field(5, 'estimatedMinutesRemaining', 'uint16', 1, 'min', 'upsEstimatedMinutesRemaining', ups((u) => u.battery.estimatedMinutesRemaining)),
    field(6, 'estimatedChargeRemaining', 'uint16', 1, '%', 'upsEstimatedChargeRemaining', ups((u) => u.battery.estimatedChargeRemainingPercent)),
    field(7, 'batteryVoltage', 'uint16', 0.1, 'V', 'upsBatteryVoltage', ups((u) => u.battery.voltageV)),
    field(8, 'batteryCurrent', 'int16', 0.1, 'A', 'upsBatteryCurrent', ups((u) => u.battery.currentA)),
    field(9, 'batteryTemperature', 'int16', 0.1, 'degC', 'upsBatteryTemperature', ups((u) => u.battery.temperatureC)),
    field(10, 'inputLineBads', 'uint32', 1, '', 'upsInputLineBads', ups((u) => u.input.lineBads)),
    field(12, 'inputNumLines', 'uint16', 1, '', 'upsInputNumLines', ups((u) => u.input.lines.length)),
    field(13, 'outputSource', 'enum16', 1, '', 'upsOutputSource', ups((u) => OUTPUT_SOURCE_ENUM.code(u.output.source)), { values: OUTPUT_SOURCE_ENUM.docs }),
    field(14, 'outputFrequency', 'uint16', 0.1, 'Hz', 'upsOutputFrequency', ups((u) => u.output.frequencyHz)),
    field(15, 'outputNumLines', 'uint16', 1, '', 'upsOutputNumLines', ups((u) => u.output.lines.length)),
    field(16, 'bypassFrequency', 'uint16', 0.1, 'Hz', 'upsBypassFrequency', ups((u) => u.bypass.frequencyHz)),
    field(17, 'bypassNumLines', 'uint16', 1, '', 'upsBypassNumLines', ups((u) => u.bypass.lines.length)),
    field(18, 'testResultsSummary', 'enum16', 1, '', 'upsTestResultsSummary', ups((u) => TEST_RESULT_ENUM.code(u.test.resultsSummary)), { values: TEST_RESULT_ENUM.docs }),
    ...upsLineFields(20, 'input'),
    ...upsLineFields(35, 'output'),
    ...upsLineFields(50, 'bypass'),
  ],
};

const SENSOR_KIND_ENUM = enumOf(SENSOR_KIND_CODES);
const SENSOR_ALARM_BITS = alarmBits([
  [0x01, 'sensor-high', 'value above threshold'],
  [0x02, 'sensor-low', 'value below threshold'],
  [0x04, 'sensor-failed', 'sensor delivers no values'],
]);
const sensorBlock: RegisterBlock = {
  id: 'sensors', title: 'Sensors', base: 4000, stride: 4, maxInstances: MAX_SENSORS, instance: 'sensor', count: (s) => s.sensors.length,
  description: 'Sensor n (1..64) at 4000 + 4(n-1); the value is in the sensor\'s own unit (degC, %RH, %LEL, A, V) as configured.',
  fields: [
    field(0, 'value', 'int16', 0.1, 'sensor unit', 'Sensor value', (v, n) => valueOf(v.snap.sensors[n - 1].reading)),
    field(1, 'status', 'bits16', 1, '', 'Sensor status', (v, n) => { const q = v.snap.sensors[n - 1].reading.quality; return (q === 'stale' ? 1 : 0) | (q === 'failed' ? 2 : 0); },
      { bits: [{ mask: 0x1, name: 'stale', description: 'the last value is shown' }, { mask: 0x2, name: 'failed', description: 'no valid value' }] }),
    field(2, 'alarms', 'bits16', 1, '', 'Active alarms of the sensor', (v, n) => packBits(SENSOR_ALARM_BITS, alarmsOf(v, keys.sensor(n))), { bits: docBits(SENSOR_ALARM_BITS) }),
    field(3, 'kind', 'enum16', 1, '', 'Sensor kind', (v, n) => SENSOR_KIND_ENUM.code(v.snap.sensors[n - 1].kind), { values: SENSOR_KIND_ENUM.docs }),
  ],
};

// ---- writable holding registers ---------------------------------------------------------------

/** Wire codes of the Ri threshold mode, frozen. */
export const RI_MODE_CODES: Readonly<Record<ResistanceMode, number>> = { absolute: 0, 'string-mean': 1, baseline: 2 };
const RI_MODE_ENUM = enumOf(RI_MODE_CODES);
/** Register offset of each limit within a threshold block. */
const THRESHOLD_LEVELS = { warnHigh: 0, alarmHigh: 1, warnLow: 2, alarmLow: 3 } as const;
type ThresholdLevel = keyof typeof THRESHOLD_LEVELS;

function invalid(message: string): never {
  throw new CommandError('invalid', message);
}

/**
 * A threshold as registers. `toField` converts a model value into the register's unit (and
 * `fromField` back); `key` is a fixed threshold or a sensor's (per instance).
 */
function thresholdBlock(spec: {
  id: string; title: string; base: number; scale: number; unit: string; maxInstances: number; instance: string | null;
  count: (s: SiteSnapshot) => number; key: (n: number) => ThresholdKey; description: string; resistance?: boolean;
}): RegisterBlock {
  const get = (v: SiteView, n: number): Threshold & { mode?: string } | undefined => {
    const key = spec.key(n);
    return (key.startsWith('sensors.') ? v.snap.thresholds.sensors[key.slice(8)] : (v.snap.thresholds as unknown as Record<string, Threshold>)[key]);
  };
  // Ri limits are in Ohm in the model for the absolute mode, in percent otherwise.
  const riAbsolute = (v: SiteView, n: number) => spec.resistance && (get(v, n)?.mode ?? 'absolute') === 'absolute';
  const toField = (v: SiteView, n: number, x: number) => (riAbsolute(v, n) ? x * 1000 : x);
  const fromField = (v: SiteView, n: number, x: number, mode: string | undefined) => (spec.resistance && (mode ?? get(v, n)?.mode) === 'absolute' ? x / 1000 : x);
  const levelField = (offset: number, name: ThresholdLevel) =>
    field(offset, name, 'int16', spec.scale, spec.unit, `${name}; not available (-32768) = no limit`, (v, n) => { const x = get(v, n)?.[name]; return x == null ? null : toField(v, n, x); }, { writable: true });
  return {
    id: spec.id, title: spec.title, base: spec.base, stride: 10, maxInstances: spec.maxInstances, instance: spec.instance, count: spec.count,
    description: `${spec.description} Writable when writes are enabled; the registers of one write that belong to one threshold are applied as one change.`,
    fields: [
      ...(Object.keys(THRESHOLD_LEVELS) as ThresholdLevel[]).map((name) => levelField(THRESHOLD_LEVELS[name], name)),
      field(4, 'hysteresis', 'int16', spec.scale, spec.unit, 'Hysteresis: a raised level clears once back past its limit by this much', (v, n) => { const x = get(v, n)?.hysteresis; return x == null ? null : toField(v, n, x); }, { writable: true }),
      field(5, 'delay', 'uint16', 1, 's', 'Raise delay', (v, n) => { const x = get(v, n)?.delayMs; return x == null ? null : x / 1000; }, { writable: true }),
      ...(spec.resistance ? [field(6, 'mode', 'enum16', 1, '', 'How Ri is compared (and the unit of the limits: mOhm for absolute, % above the reference otherwise)', (v, n) => RI_MODE_ENUM.code((get(v, n)?.mode ?? 'absolute') as never), { writable: true, values: RI_MODE_ENUM.docs })] : []),
    ],
    toCommands: (n, written, v) => {
      const threshold: Record<string, number | string | null> = {};
      let mode: string | undefined;
      if (written.has('mode')) {
        mode = RI_MODE_ENUM.name(written.get('mode') ?? -1);
        if (!mode) invalid(`mode must be one of ${RI_MODE_ENUM.docs.map((d) => `${d.value} (${d.name})`).join(', ')}`);
        threshold.mode = mode;
      }
      for (const [name, x] of written) {
        if (name === 'mode') continue;
        if (name === 'delay') threshold.delayMs = x === null ? invalid('delay must be a number of seconds') : x * 1000;
        else threshold[name] = x === null ? (name === 'hysteresis' ? invalid('hysteresis needs a value') : null) : fromField(v, n, x, mode);
      }
      return [{ type: 'set-threshold', key: spec.key(n), threshold } as Command];
    },
  };
}

const FIXED_THRESHOLDS: readonly { key: ThresholdKey; base: number; title: string; scale: number; unit: string; resistance?: boolean }[] = [
  { key: 'moduleVoltage', base: 5000, title: 'Block voltage', scale: 0.001, unit: 'V' },
  { key: 'moduleTemperature', base: 5010, title: 'Block temperature', scale: 0.1, unit: 'degC' },
  { key: 'moduleResistance', base: 5020, title: 'Block Ri', scale: 0.01, unit: 'mOhm or %', resistance: true },
  { key: 'stringImbalance', base: 5030, title: 'String imbalance (largest deviation from target)', scale: 0.001, unit: 'V' },
  { key: 'stringCurrent', base: 5040, title: 'String DC current', scale: 0.1, unit: 'A' },
  { key: 'stringRipple', base: 5050, title: 'String ripple current', scale: 0.1, unit: 'A' },
  { key: 'stringGroundFault', base: 5060, title: 'String ground-fault current', scale: 0.001, unit: 'A' },
];

const thresholdBlocks = FIXED_THRESHOLDS.map((t) => thresholdBlock({
  id: `threshold-${t.key}`, title: `Threshold: ${t.title}`, base: t.base, scale: t.scale, unit: t.unit, maxInstances: 1, instance: null,
  count: () => 1, key: () => t.key, resistance: t.resistance, description: `thresholds.${t.key}.`,
}));

const sensorThresholdBlock = thresholdBlock({
  id: 'threshold-sensors', title: 'Threshold: sensors', base: 5100, scale: 0.1, unit: 'sensor unit', maxInstances: MAX_SENSORS, instance: 'sensor',
  count: (s) => s.sensors.length, key: (n) => `sensors.${n}`, description: 'Sensor n at 5100 + 10(n-1): thresholds.sensors.n.',
});

const relayCommandBlock: RegisterBlock = {
  id: 'relay-commands', title: 'Relay commands', base: 6000, stride: 1, maxInstances: MAX_RELAYS, instance: 'relay', count: (s) => s.relays.length,
  description: 'Relay n at 6000 + (n-1), the same outputs as coils 0..: reads 1 when energized; writing 1 or 0 asks the gateway to switch it (when writes are enabled).',
  fields: [field(0, 'on', 'uint16', 1, '', 'Relay energized (1) or not (0); other values are refused with exception 03', (v, n) => (v.snap.relays[n - 1].on ? 1 : 0), { writable: true })],
  toCommands: (n, written) => {
    const x = written.get('on');
    if (x !== 0 && x !== 1) invalid(`relay ${n}: write 0 or 1, got ${x}`);
    return [{ type: 'set-relay', relay: n, on: x === 1 }];
  },
};

// ---- 32-bit float mirrors (high word first) -----------------------------------------------------

function floats(names: readonly (readonly [string, string, string, Reader])[]): RegisterField[] {
  return names.map(([name, unit, description, read], i) => field(2 * i, name, 'float32', 1, unit, description, read));
}

const stringFloatBlock: RegisterBlock = {
  id: 'strings-float', title: 'Strings, float mirror', base: 20000, stride: 20, maxInstances: MAX_STRINGS, instance: 'string', count: (s) => s.strings.length,
  description: 'String n at 20000 + 20(n-1): IEEE 754 single precision, high word first; NaN when not available.',
  fields: floats([
    ['dcCurrent', 'A', 'DC current, positive = charging', ownString((s) => valueOf(s.dcCurrentA))],
    ['sumVoltage', 'V', 'Sum of the block voltages', ownString((s) => valueOf(s.sumVoltageV))],
    ['targetVoltage', 'V', 'Target (mean block) voltage', ownString((s) => valueOf(s.targetVoltageV))],
    ['soc', '%', 'State of charge', ownString((s) => valueOf(s.socPercent))],
    ['autonomy', 'min', 'Estimated autonomy', ownString((s) => valueOf(s.autonomyMin))],
    ['groundFaultCurrent', 'A', 'Ground-fault current', ownString((s) => valueOf(s.groundFaultCurrentA))],
    ['rippleCurrent', 'A', 'Ripple current', ownString((s) => valueOf(s.rippleCurrentA))],
    ['spread', 'V', 'Largest |block voltage - target|', ownString((s) => valueOf(s.spreadV))],
    ['power', 'W', 'Power, positive = charging', ownString((s) => valueOf(s.powerW))],
  ]),
};

const moduleFloatBlock: RegisterBlock = {
  id: 'modules-float', title: 'Modules, float mirror', base: 21000, stride: 8, maxInstances: MAX_MODULES, instance: 'module', count: (s) => s.modules.length,
  description: 'Module g at 21000 + 8(g-1): IEEE 754 single precision, high word first; NaN when not available.',
  fields: floats([
    ['voltage', 'V', 'Block voltage', mod((m) => valueOf(m.voltageV))],
    ['temperature', 'degC', 'Block temperature', mod((m) => valueOf(m.temperatureC))],
    ['resistance', 'mOhm', 'Internal resistance Ri', mod((m) => { const r = valueOf(m.resistanceOhm); return r === null ? null : r * 1000; })],
    ['soc', '%', 'State of charge', mod((m) => valueOf(m.socPercent))],
  ]),
};

const upsFloatBlock: RegisterBlock = {
  id: 'ups-float', title: 'UPS, float mirror', base: 26000, stride: 16, maxInstances: 1, instance: null, count: (s) => (s.ups ? 1 : 0),
  description: 'IEEE 754 single precision, high word first; NaN when not available.',
  fields: floats([
    ['batteryVoltage', 'V', 'upsBatteryVoltage', ups((u) => u.battery.voltageV)],
    ['batteryCurrent', 'A', 'upsBatteryCurrent', ups((u) => u.battery.currentA)],
    ['batteryTemperature', 'degC', 'upsBatteryTemperature', ups((u) => u.battery.temperatureC)],
    ['estimatedMinutesRemaining', 'min', 'upsEstimatedMinutesRemaining', ups((u) => u.battery.estimatedMinutesRemaining)],
    ['estimatedChargeRemaining', '%', 'upsEstimatedChargeRemaining', ups((u) => u.battery.estimatedChargeRemainingPercent)],
    ['outputFrequency', 'Hz', 'upsOutputFrequency', ups((u) => u.output.frequencyHz)],
    ['inputFrequency', 'Hz', 'Input line 1 frequency', ups((u) => u.input.lines[0]?.frequencyHz)],
  ]),
};

const sensorFloatBlock: RegisterBlock = {
  id: 'sensors-float', title: 'Sensors, float mirror', base: 26100, stride: 2, maxInstances: MAX_SENSORS, instance: 'sensor', count: (s) => s.sensors.length,
  description: 'Sensor n at 26100 + 2(n-1), in the sensor\'s unit: IEEE 754 single precision, high word first; NaN when not available.',
  fields: floats([['value', 'sensor unit', 'Sensor value', (v, n) => valueOf(v.snap.sensors[n - 1].reading)]]),
};

// ---- bits ---------------------------------------------------------------------------------------

const relayCoils: BitBlock = {
  id: 'relays', title: 'Relay outputs', base: 0, maxInstances: MAX_RELAYS, instance: 'relay', count: (s) => s.relays.length,
  description: 'Coil n-1 = relay n: 1 when energized. Writing (FC5, FC15) asks the gateway to switch it, when writes are enabled.',
  read: (v, n) => v.snap.relays[n - 1].on,
  toCommand: (n, on) => ({ type: 'set-relay', relay: n, on }),
};

const inputBits: BitBlock = {
  id: 'inputs', title: 'Digital inputs', base: 0, maxInstances: MAX_INPUTS, instance: 'input', count: (s) => s.inputs.length,
  description: 'Discrete input n-1 = digital input n: 1 when the contact is in its alarm position.',
  read: (v, n) => v.snap.inputs[n - 1].active,
};

const generalStatusBits: BitBlock = {
  id: 'general-status', title: 'General status bits', base: 1000, maxInstances: 16, instance: 'bit', count: () => 16,
  description: 'Discrete input 1000 + b = bit b of register 1000 (general status flags).',
  names: Array.from({ length: 16 }, (_, bit) => GENERAL_STATUS_BITS.find((s) => s.mask === 1 << bit)?.name ?? 'unused'),
  read: (v, n) => (packBits(GENERAL_STATUS_BITS, v) & (1 << (n - 1))) !== 0,
};

/** Alarm kind k (core's wire code) is bit k; a code no kind has (a removed kind's) reads 0. */
const ALARM_KIND_BIT_COUNT = Math.max(...Object.values<number>(ALARM_KIND_CODES));
const alarmKindBits: BitBlock = {
  id: 'alarm-kinds', title: 'Alarm kinds', base: 1100, maxInstances: ALARM_KIND_BIT_COUNT, instance: 'kind', count: () => ALARM_KIND_BIT_COUNT,
  description: 'Discrete input 1100 + k: 1 while an alarm of kind k (any entity, any severity) is active.',
  names: Array.from({ length: ALARM_KIND_BIT_COUNT }, (_, i) => ALARM_KIND_BY_CODE.get(i + 1) ?? 'unused'),
  read: (v, n) => { const kind = ALARM_KIND_BY_CODE.get(n); return kind !== undefined && v.activeKinds.has(kind); },
};

export const REGISTER_MAP: RegisterMap = {
  registers: [
    systemBlock, bacsStringsBlock, stringBlock, upsBlock, sensorBlock, ...thresholdBlocks, sensorThresholdBlock, relayCommandBlock,
    moduleBlock, stringFloatBlock, moduleFloatBlock, upsFloatBlock, sensorFloatBlock, moduleHealthBlock,
  ],
  coils: [relayCoils],
  discreteInputs: [inputBits, generalStatusBits, alarmKindBits],
};
