// JSON Schema pieces of the HTTP API: request schemas (validated) and response schemas (for the
// OpenAPI document only; responses are the site model's own JSON).
import { ALARM_KIND_NAMES, CHARGE_MODES, COMMAND_TYPES, MODULE_ACTIONS, RELAY_FUNCTIONS, RESISTANCE_MODES, SENSOR_KINDS, SEVERITIES, SOC_METHODS, SOH_METHODS, THRESHOLD_KINDS, UPS_TESTS } from '@kirchhoff/core';

export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null' | readonly ('string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array')[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly minProperties?: number;
  readonly items?: JsonSchema;
  readonly enum?: readonly (string | number | boolean | null)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly default?: string | number | boolean;
  readonly $ref?: string;
  readonly oneOf?: readonly JsonSchema[];
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const o = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties), description?: string): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false, ...(description ? { description } : {}) });
const int = (minimum: number, maximum: number, description?: string): JsonSchema => ({ type: 'integer', minimum, maximum, ...(description ? { description } : {}) });
const s = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({ type: 'string', description, ...extra });
const n = (description: string): JsonSchema => ({ type: 'number', description });
const nn = (description: string): JsonSchema => ({ type: ['number', 'null'], description });
const b = (description: string): JsonSchema => ({ type: 'boolean', description });
const list = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });

// --- path and query parameters -------------------------------------------------------------
export const P = {
  string: int(1, 16, 'String number 1..16.'),
  module: int(1, 512, 'Module number within its string, 1..N.'),
  global: int(1, 512, 'Global module number 1..512, in string order.'),
  id: int(1, 64, 'Id (1-based, in configuration order).'),
  alarmId: int(1, 2 ** 53 - 1, 'Alarm id (from /api/alarms).'),
  thresholdKey: s(`Threshold: ${THRESHOLD_KINDS.join(', ')}, or sensors.N.`, { pattern: `^(${THRESHOLD_KINDS.join('|')}|sensors\\.[1-9][0-9]*)$` }),
};
export const params = (p: Record<string, JsonSchema>): JsonSchema => o(p);
export const TIME = s('A time: ISO 8601 (2026-01-31T12:00:00Z) or milliseconds since 1970.', { pattern: '^([0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?)$' });

// --- request bodies -------------------------------------------------------------------------
const limit = (d: string): JsonSchema => ({ type: ['number', 'null'], description: d });
export const THRESHOLD_PATCH: JsonSchema = {
  type: 'object', additionalProperties: false, minProperties: 1,
  description: 'Fields to change; absent fields keep their value, null removes a limit.',
  properties: {
    warnHigh: limit('Warning above this value.'), alarmHigh: limit('Alarm above this value.'),
    warnLow: limit('Warning below this value.'), alarmLow: limit('Alarm below this value.'),
    hysteresis: { type: 'number', minimum: 0, description: 'A raised level clears only this far back inside its limit.' },
    delayMs: int(0, 86_400_000, 'The condition must hold this long before it is raised, ms.'),
    mode: s('moduleResistance only: how Ri is compared.', { enum: RESISTANCE_MODES }),
  },
};
export const LOGIN = o({ username: s('User name.', { minLength: 1, maxLength: 64 }), password: s('Password.', { minLength: 1, maxLength: 1024 }) });
export const RELAY_SET = o({ on: b('true = energize the relay.') });
export const NUT_FSD = o({ on: b('true = set forced shutdown, false = clear it.') });
export const UPS_TEST = o({ test: s('Battery test to start, or abort.', { enum: UPS_TESTS }) });
export const MODULE_ACTION = o({ action: s('What the module should do.', { enum: MODULE_ACTIONS }) });
export const UPS_CONTROL = {
  type: 'object', additionalProperties: false, minProperties: 1, description: 'RFC 1628 upsControl values to set.',
  properties: {
    shutdownType: s('output or system.', { enum: ['output', 'system'] }),
    shutdownAfterDelayS: int(-1, 2147483647, 'Seconds; 0 = now, -1 = abort a pending shutdown.'),
    startupAfterDelayS: int(-1, 2147483647, 'Seconds; -1 = abort.'),
    rebootWithDurationS: int(-1, 300, 'Seconds; -1 = abort.'),
    autoRestart: b('Restart when mains returns.'),
  },
} as const satisfies JsonSchema;
export const UPS_SETTINGS = {
  type: 'object', additionalProperties: false, minProperties: 1, description: 'RFC 1628 upsIdent/upsConfig values to set.',
  properties: {
    name: s('upsIdentName.', { maxLength: 63 }), attachedDevices: s('upsIdentAttachedDevices.', { maxLength: 63 }),
    inputVoltageV: int(0, 2147483647), inputFrequencyHz: { type: 'number', minimum: 0, maximum: 214748364.7 },
    outputVoltageV: int(0, 2147483647), outputFrequencyHz: { type: 'number', minimum: 0, maximum: 214748364.7 },
    lowBattTimeMin: int(0, 2147483647), audibleStatus: s('Alarm sounder.', { enum: ['disabled', 'enabled', 'muted'] }),
    lowVoltageTransferPointV: int(0, 2147483647), highVoltageTransferPointV: int(0, 2147483647),
  },
} as const satisfies JsonSchema;
export const COMMAND: JsonSchema = {
  type: 'object', required: ['type'],
  description: 'Any command of the core command interface, as JSON: {type: "set-relay", relay: 2, on: true}, {type: "set-threshold", key, threshold}, {type: "module", action, string, module}, {type: "ups-test", test}, {type: "ups-control", control}, {type: "ups-settings", settings}, {type: "acknowledge-alarm", alarmId}. The core validates the fields and names a bad one.',
  properties: { type: s('Command type.', { enum: COMMAND_TYPES }) },
};

// --- responses (OpenAPI components) ----------------------------------------------------------
const quality = s('fresh, stale (old value kept) or failed (no value).', { enum: ['fresh', 'stale', 'failed'] });
const measurement = o({ value: nn('Last value, SI unit as in the field name; null when none.'), atMs: n('When read, ms since 1970; 0 = never.'), quality: ref('Quality') });
const entityRef: JsonSchema = { type: 'object', description: 'What an alarm or change is about: {kind: site|string|module|ups|sensor|input|relay, string?, module?, global?, id?}.' };
const m = ref('Measurement');

export const COMPONENTS: Record<string, JsonSchema> = {
  Error: o({ error: o({ code: s('Stable code: invalid, unauthorized, forbidden, not-found, ...'), message: s('What is wrong, for people.'), field: s('The request field it is about (body, query or path), when one is.') }, ['code', 'message']) }),
  Quality: quality,
  Measurement: measurement,
  Module: o({
    string: n('String number.'), module: n('Module number in its string.'), global: n('Global module number.'), label: s('S02-M07'), type: s('Module type.'),
    voltageV: m, temperatureC: m, resistanceOhm: m, socPercent: m,
    socMethod: s('How SoC was estimated: float (full at float), rest (time at rest, charger off), discharge (coulomb counting, also in recharge), unknown.', { enum: SOC_METHODS }),
    equalize: o({ on: b('Bypass on.'), dutyPercent: n('Bypass duty cycle 0..100.') }),
    balancingActivityPercent: n('Share of recent time the bypass was on.'),
    fuse: s('Fuse.', { enum: ['ok', 'blown', 'unknown'] }), communication: s('Bus communication.', { enum: ['ok', 'lost', 'unknown'] }),
    resistanceBaselineOhm: nn('Ri at commissioning.'),
    sohPercent: nn('State of health, percent (docs/health.md); null when unknown. Updated once a minute and after a capacity test.'),
    sohMethod: s('Where sohPercent comes from: capacity-test, discharge (a real one to the end voltage), resistance (the Ri increase; an indication), unknown.', { enum: SOH_METHODS }),
    remainingCapacityAh: nn('Capacity the block still has (C10 at 25 degC), Ah.'),
    capacityFadePercent: nn('(rated - remaining) / rated, percent.'),
    resistanceIncreasePercent: nn('Ri (float readings) over its baseline, percent.'),
    endOfLifeAtMs: nn('When the Ri trend reaches the end-of-life limit, ms since 1970; null while Ri does not rise.'),
  }),
  String: o({
    string: n('String number.'), label: s('S02'), name: s('Display name.'), moduleType: s('Module type.'), moduleCount: n('Modules.'), firstGlobal: n('Global number of module 1.'),
    capacityAh: nn('Nominal capacity.'), sumVoltageV: m, targetVoltageV: m, spreadV: m, dcCurrentA: m, rippleCurrentA: m, differentialPositiveA: m, differentialNegativeA: m,
    groundFaultCurrentA: m, chargeMode: s('Charge mode: float, boost, recharge, rest (charger off), discharge, unknown.', { enum: CHARGE_MODES }), socPercent: m, autonomyMin: m, powerW: m,
    meanSohPercent: nn('Mean state of health of the string\'s blocks, percent.'), minSohPercent: nn('Lowest state of health of its blocks, percent.'),
    remainingCapacityAh: nn('What the series string can still deliver: its weakest block\'s remaining capacity, Ah.'),
    balancingStalled: b('The "0 % balancing while the charger runs" diagnosis holds (GET /api/battery/health says why).'),
  }),
  StringWithModules: { type: 'object', description: 'A String with its modules: {...String, modules: Module[]}.' },
  Sensor: o({ id: n('Id.'), name: s('Name.'), kind: s('Kind.', { enum: SENSOR_KINDS }), unit: s('Unit of the value.'), reading: m }),
  Input: o({ id: n('Id.'), name: s('Name.'), active: b('In its alarm position.'), alarmSeverity: { type: ['string', 'null'], enum: [...SEVERITIES, null] }, atMs: n('When read.'), quality }),
  Relay: o({ id: n('Id.'), name: s('Name.'), function: s('What it is wired to.', { enum: RELAY_FUNCTIONS }), on: b('Energized.'), atMs: n('When it last changed.') }),
  Alarm: o({
    id: n('Never reused.'), key: s('kind:severity@entity, the same across raises.'), origin: s('Evaluator.'), kind: s('Alarm kind.', { enum: ALARM_KIND_NAMES }),
    severity: s('Severity.', { enum: SEVERITIES }), entity: entityRef, message: s('For people.'), value: nn('Value that raised it.'), limit: nn('Limit crossed.'),
    raisedAtMs: n('Raised at.'), clearedAtMs: nn('Cleared at; null while active.'), acknowledged: { type: ['object', 'null'], description: '{by, atMs} or null.' },
  }),
  AlarmHistoryEntry: o({
    atMs: n('When.'), action: s('raised, cleared or acknowledged.'), alarmId: nn('Alarm id.'), kind: { type: ['string', 'null'], description: 'Alarm kind.' },
    severity: s('Severity, or info.', { enum: [...SEVERITIES, 'info'] }), entity: { type: ['string', 'null'], description: 'Entity id: string/1/module/7, ups, ...' },
    message: s('For people.'), detail: { type: ['object', 'null'], description: 'value, limit, acknowledged, ...' },
  }),
  Ups: { type: 'object', description: 'The UPS in the groups of RFC 1628: ident, battery, input, output, bypass, test, control, config, atMs, quality.' },
  Snapshot: { type: 'object', description: 'The whole site at one version: version, atMs, startedAtMs, info, strings[], modules[] (global order), ups, sensors[], inputs[], relays[], alarms[] (active), thresholds, bus, balancing.' },
  Thresholds: { type: 'object', description: 'Per kind {warnHigh, alarmHigh, warnLow, alarmLow, hysteresis, delayMs} (moduleResistance also mode); sensors per id.' },
  CommandResult: o({ ok: { type: 'boolean', enum: [true] }, message: s('What was done.') }),
  Session: o({ token: s('Bearer token (also set as the kirchhoff_session cookie).'), expiresAtMs: n('Expiry if unused.'), user: o({ name: s('Name.'), role: s('Role.', { enum: ['viewer', 'operator', 'admin'] }) }), notices: list(ref('Notice')) }),
  BatteryHealth: o({
    atMs: n('When, ms since 1970.'), blocks: list(ref('BlockHealth'), 'Every block, in global order.'),
    strings: list(o({
      string: n('String number.'), currentSharePercent: nn('Share of all strings\' discharge current in the last discharge, percent.'),
      roundTripEfficiencyPercent: nn('Energy out over energy in of the last discharge/recharge cycle.'),
      balancingDiagnosis: { type: ['object', 'null'], description: '{message, sinceHours}: floating out of balance with no block balancing (open breaker, or self-discharge beating the charger); null when fine.' },
    })),
    test: { oneOf: [ref('RunningTest'), { type: 'null' }] },
  }),
  BlockHealth: {
    type: 'object', description: 'One block\'s health record (docs/health.md).',
    properties: {
      string: n('String number.'), module: n('Module number in its string.'), global: n('Global module number.'),
      sohPercent: nn('State of health: capacity over the rated capacity, or from the Ri increase when no capacity was measured.'),
      sohMethod: s('Where sohPercent comes from.', { enum: ['capacity-test', 'discharge', 'resistance', 'unknown'] }),
      ratedCapacityAh: n('Rated (C10) capacity.'), remainingCapacityAh: nn('Capacity the block still has, C10 at 25 degC.'),
      capacityFadePercent: nn('(rated - remaining) / rated.'), firstMeasuredCapacityAh: nn('Capacity at the first test or deep discharge.'),
      capacityMeasuredAtMs: nn('When the capacity was last measured.'), capacityTestId: nn('Record that measured it.'),
      resistance: { type: 'object', description: '{baselineOhm, baselineSource (config|measured|model), baselineAtMs, latestOhm, increasePercent, endOfLifeLimitPercent, trend: {percentPerYear, endOfLifeAtMs, points, spanDays} | null}.' },
      throughput: { type: 'object', description: '{dischargedAh, chargedAh, dischargedWh, chargedWh, equivalentFullCycles}.' },
      roundTripEfficiencyPercent: nn('Last full discharge/recharge cycle.'), firstRoundTripEfficiencyPercent: nn('First cycle recorded.'),
      powerFadePercent: nn('1 - baseline / latest Ri.'), selfDischargePercentPerDay: nn('Measured in a rest phase.'),
      temperature: { type: 'object', description: '{meanC, hoursAboveLimit, limitC, hoursBelowLowLimit, lowLimitC, hoursAboveLimitCharging, hoursBelowLowLimitCharging, expectedLifeYears, designLifeYears}.' },
      deepDischarges: n('Discharges that took the block below the deep-discharge voltage.'), lastDeepDischargeAtMs: nn('When the last one began.'),
      meanBalancingActivityPercent: nn('Time-weighted mean of the balancing activity.'),
    },
  },
  RunningTest: o({
    trigger: s('Who started it.', { enum: ['api', 'scheduler', 'mains-failure', 'simulator'] }), startMs: n('Started (or armed) at.'),
    strings: list(n('String.')), state: s('waiting for the discharge, or recording.', { enum: ['waiting', 'running'] }), by: { type: ['string', 'null'], description: 'User or job.' },
    deliveredAh: list(o({ string: n('String.'), ah: n('Ah so far.') })),
  }),
  CapacityTestSummary: {
    type: 'object', description: 'A test record in a list: {id, trigger, startMs, endMs, end, endVoltsPerCell, by, strings: [{string, deliveredAh, durationS, meanCurrentA, collapsedEarly, meanCapacityPercent}]}.',
  },
  CapacityTestRecord: {
    type: 'object', description: 'A whole test record: {id, trigger, startMs, endMs, end (end-voltage|time-limit|discharge-stopped|aborted), endVoltsPerCell, by, strings: [{string, ratedCapacityAh, cells, endVoltageV, meanCurrentA, deliveredAh, durationS, blocks: [{module, global, deliveredAh, deliveredWh, timeToEndVoltageS, capacityAtRateAh, capacityMethod, atLeastAh, capacityC10At25Ah, capacityPercent, meanTemperatureC, endVoltageV, collapsedEarly}], endOfDischarge: {meanV, medianV, ranking: [{module, voltageV, belowMeanV, timeToEndVoltageS}], collapsedEarly}}]}.',
  },
  TestSample: o({
    atMs: n('When.'), string: n('String.'), currentA: nn('String current (negative = discharge).'),
    voltagesV: list({ type: ['number', 'null'] }, 'Block voltages, module 1 first.'), temperaturesC: list({ type: ['number', 'null'] }, 'Block temperatures.'),
  }),
  Notice: o({ id: s('default-password, plain-http, snmp-v2c, rccmd-unauthenticated, ...'), severity: s('Severity.', { enum: ['warning', 'critical'] }), key: s('Configuration key to change.'), message: s('What to do.') }),
};
