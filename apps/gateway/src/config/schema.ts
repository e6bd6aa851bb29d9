// The gateway's configuration schema. Every network service is off unless turned on here;
// `--demo` turns them all on at unprivileged ports (see demo-config.ts).
import { MODULE_TYPE_NAMES, RESISTANCE_MODES, RELAY_FUNCTIONS, SENSOR_KINDS, SEVERITIES, MAX_MODULES, MAX_STRINGS, defaultThresholds, type ThresholdSet } from '@kirchhoff/core';
import { LOG_LEVELS } from '../log';
import { DEFAULT_DEADBAND_V, DEFAULT_MAX_BYPASS_TEMPERATURE_C } from '../engine/balancing';
import { arr, bool, int, map, num, obj, ObjectNode, SchemaNode, str } from './schema-dsl';
import { ADAPTERS } from '../adapters';
import { HISTORY_SCHEMA } from '../services/history/config';
import { SCHEDULE_SCHEMA } from '../services/scheduler/config';
import { MODBUS_SENSORS_SCHEMA, UPS_SCHEMA } from '../services/sources/config';
import { ACTIONS_SCHEMA } from '../services/actions/config';
import { CHARGE_MODE_DEFAULTS } from '../engine/charge-mode';
import { PASSPORT_SCHEMA, STRING_BATTERY_SCHEMA, STRING_BLOCKS_SCHEMA } from '../services/life/config';

type ThresholdKind = Exclude<keyof ThresholdSet, 'sensors'>;
const THRESHOLD_DEFAULTS = defaultThresholds();
/** A kind's limits; each says the built-in value that applies when it is not given (sensors have none). */
const threshold = (doc: string, unit: string, extra: Record<string, SchemaNode> = {}, kind?: ThresholdKind) => {
  const d = (kind ? THRESHOLD_DEFAULTS[kind] : {}) as Record<string, number | null | undefined>;
  const note = (f: string) => {
    if (!kind) return '';
    const v = d[f];
    if (v === undefined || v === null) return ' Not given: not checked.';
    const scaled = f === 'delayMs' ? ''
      : kind === 'moduleVoltage' || kind === 'stringImbalance' ? ' (12 V blocks; scaled per cell to the first string\'s module type)'
      : kind === 'stringCurrent' || kind === 'stringRipple' ? ' (100 Ah; scaled to the first string\'s capacity)' : '';
    return ` Not given: ${v}${scaled}.`;
  };
  return obj(doc, {
    ...extra,
    warnHigh: num(`Warning above this value.${note('warnHigh')}`, { nullable: true, optional: true, unit }),
    alarmHigh: num(`Alarm above this value.${note('alarmHigh')}`, { nullable: true, optional: true, unit }),
    warnLow: num(`Warning below this value.${note('warnLow')}`, { nullable: true, optional: true, unit }),
    alarmLow: num(`Alarm below this value.${note('alarmLow')}`, { nullable: true, optional: true, unit }),
    hysteresis: num(`A raised level clears only this far back inside its limit.${note('hysteresis')}`, { min: 0, optional: true, unit }),
    delayMs: int(`The condition must hold this long before it is raised.${note('delayMs')}`, { min: 0, max: 86_400_000, optional: true, unit: 'ms' }),
  }, true);
};

type Sections<L extends readonly { readonly key: string; readonly schema: ObjectNode }[]> = { readonly [A in L[number] as A['key']]: A['schema'] };

/** Each adapter's section under its key, in list order. */
function adapterSections<const L extends readonly { readonly key: string; readonly schema: ObjectNode }[]>(list: L): Sections<L> {
  // Object.fromEntries forgets which key holds which schema; the list says it.
  return Object.fromEntries(list.map((a) => [a.key, a.schema])) as Sections<L>;
}

export const CONFIG_SCHEMA = obj('Kirchhoff gateway configuration', {
  site: obj('What the site is called (shown in every protocol: sysName, BACnet device name, MQTT topics).', {
    name: str('Site name.', { default: 'Kirchhoff site' }),
    location: str('Where it is (SNMP sysLocation).', { default: '' }),
    contact: str('Who to call (SNMP sysContact).', { default: '' }),
  }),
  strings: arr('The battery strings, in order (string 1 first). Modules are numbered 1..512 across them.', obj('A string', {
    name: str('Display name.', { optional: true }),
    modules: int('Blocks (modules) in series.', { min: 1, max: MAX_MODULES }),
    moduleType: str('Measuring module type.', { enum: MODULE_TYPE_NAMES, default: 'C20' }),
    capacityAh: num('Nominal capacity.', { min: 1, max: 20_000, default: 100, unit: 'Ah' }),
    battery: STRING_BATTERY_SCHEMA,
    blocks: STRING_BLOCKS_SCHEMA,
  }), { minItems: 1, maxItems: MAX_STRINGS }),
  bus: obj('The battery bus: one serial port, the gateway is the only master.', {
    port: str('Serial device of the bus converter, e.g. /dev/ttyUSB0. Empty in the demo (simulated modules).', { default: '' }),
    baudRate: int('Bus speed.', { oneOf: [9600, 19200, 38400, 57600, 115200], default: 115200, unit: 'baud' }),
    pollIntervalMs: int('Measurement cycle period.', { min: 100, max: 600_000, default: 1000, unit: 'ms' }),
    resistanceIntervalS: int('Internal-resistance (Ri) cycle period.', { min: 60, max: 30 * 86_400, default: 86_400, unit: 's' }),
    timeoutMs: int('Per-request answer timeout.', { min: 5, max: 5000, default: 50, unit: 'ms' }),
    retries: int('Retries per request before it counts as a miss.', { min: 0, max: 10, default: 2 }),
    lostAfterMisses: int('Missed cycles before a module is reported lost.', { min: 1, max: 100, default: 3 }),
  }),
  balancing: obj('Passive balancing (equalizing) in float charge.', {
    enabled: bool('Balance strings in float.', true),
    deadbandV: num('Blocks within this of the string mean count as balanced and are driven no further (the ±10 mV specification, less measuring error).', { min: 0.001, max: 0.1, default: DEFAULT_DEADBAND_V, unit: 'V' }),
    maxTemperatureC: num('A module this hot has its bypass off; from 5 K below it the bypass current is derated linearly (modules cut their own bypass at 55 degC).', { min: 20, max: 80, default: DEFAULT_MAX_BYPASS_TEMPERATURE_C, unit: 'degC' }),
  }),
  health: obj('Battery health (docs/health.md): capacity tests and discharges analysed per block, state of health, Ri baseline and trend, life.', {
    testEndVoltsPerCell: num('A block\'s discharge ends at this voltage under load per cell; a test ends when the string\'s median block gets there (IEC 60896-11: 1.75 V at the 10-hour rate).', { min: 1.5, max: 2.0, default: 1.75, unit: 'V' }),
    testMaxHours: num('A capacity test stops after this long in any case.', { min: 0.1, max: 48, default: 12, unit: 'h' }),
    collapsedEarlyFraction: num('A block that reaches the end voltage before this share of the string\'s median block capacity collapsed early (the end-of-discharge analysis names it).', { min: 0.3, max: 0.99, default: 0.8 }),
    riEndOfLifePercent: num('Ri this far above the baseline is the end of a block\'s life: the Ri trend projects the date it gets there.', { min: 5, max: 500, default: 50, unit: '%' }),
    designLifeYears: num('Design life of the blocks at lifeReferenceC (Eurobat class: 3-5, 6-9, 10-12, 12+ years).', { min: 1, max: 30, default: 10, unit: 'years' }),
    lifeReferenceC: num('Temperature the design life is stated at (Eurobat: 20 degC; some datasheets 25 degC).', { min: 15, max: 30, default: 20, unit: 'degC' }),
    lifeHalvingK: num('Expected life halves per this many kelvin of mean temperature above lifeReferenceC (Arrhenius rule of thumb: 8-10 K).', { min: 5, max: 20, default: 10, unit: 'K' }),
    highTemperatureC: num('Time a block spends above this temperature is counted (all of it, and while charging).', { min: 20, max: 70, default: 35, unit: 'degC' }),
    lowTemperatureC: num('Time a block spends below this temperature is counted (all of it, and while charging).', { min: -40, max: 20, default: 0, unit: 'degC' }),
  }),
  chargeMode: obj('Charge-mode detection (float, boost, recharge, rest = charger off, discharge): the string voltage per cell against the charger\'s temperature-compensated float and boost voltages, the UPS status (on battery = discharge), and the string current as confirmation. Every engine and protocol uses the mode.', {
    floatVoltsPerCell: num('Charger float voltage per cell at 25 degC (VRLA 2.25-2.30, vented 2.20-2.25, NiCd 1.40).', { min: 1.2, max: 2.6, default: CHARGE_MODE_DEFAULTS.floatVoltsPerCell, unit: 'V' }),
    boostVoltsPerCell: num('Charger boost voltage per cell at 25 degC; above the midpoint of float and boost is boost. Must be above floatVoltsPerCell.', { min: 1.2, max: 2.8, default: CHARGE_MODE_DEFAULTS.boostVoltsPerCell, unit: 'V' }),
    temperatureCoefficientVPerCellK: num('Temperature compensation of float and boost per cell and kelvin (VRLA datasheets: -2 to -5 mV; 0 when the charger does not compensate).', { min: -0.01, max: 0, default: CHARGE_MODE_DEFAULTS.temperatureCoefficientVPerCellK, unit: 'V/K' }),
    floatBandVPerCell: num('The charger holds float while the voltage per cell is at most this far below the compensated float voltage; below it the string rests, recharges or discharges.', { min: 0.005, max: 0.2, default: CHARGE_MODE_DEFAULTS.floatBandVPerCell, unit: 'V' }),
    currentOffsetA: num('What the string current sensor may read at zero current (offset plus noise; a Hall sensor reads tens of mA, more for large ranges). A current within this is no current.', { min: 0, max: 50, default: CHARGE_MODE_DEFAULTS.currentOffsetA, unit: 'A' }),
    rechargeCurrentAPerAh: num('A charge current above currentOffsetA plus this per Ah of capacity is a recharge, not float (VRLA float current is 0.5-2 mA/Ah).', { min: 0.001, max: 0.1, default: CHARGE_MODE_DEFAULTS.rechargeCurrentAPerAh, unit: 'A/Ah' }),
    dischargeCurrentAPerAh: num('A discharge current beyond currentOffsetA plus this per Ah of capacity is a discharge (the UPS status says so first when it is known).', { min: 0, max: 0.1, default: CHARGE_MODE_DEFAULTS.dischargeCurrentAPerAh, unit: 'A/Ah' }),
  }),
  runaway: obj('Thermal-runaway protection: each block judged on its own readings against its string; breakers tripped and latched until an operator switches the trip relay off.', {
    enabled: bool('Detect thermal runaway.', true),
    breakerRelay: int('Relay (1-based) of one site breaker that opens every string; 0 = none (see breakers for one per string).', { min: 0, max: 64, default: 0 }),
    breakers: arr('Battery breakers, each with its trip relay, the strings it opens and its status contact.', obj('A breaker', {
      relay: int('Relay (1-based) wired to the trip coil.', { min: 1, max: 64 }),
      strings: arr('Strings it disconnects; empty = every string (a site breaker).', int('A string number.', { min: 1, max: MAX_STRINGS }), { default: [] }),
      statusInput: int('Digital input (1-based) wired to the breaker\'s auxiliary contact; 0 = not verified.', { min: 0, max: 64, default: 0 }),
      inputActiveMeans: str('What an active status input means.', { enum: ['closed', 'open'], default: 'closed' }),
    }), { maxItems: 17, default: [] }),
    breakerConfirmS: int('A tripped breaker whose status input still reads closed after this long raises a critical breaker-failed alarm.', { min: 1, max: 600, default: 10, unit: 's' }),
    riseRateCPerHour: num('A block rising this much faster than its string\'s median block counts as rising (IEEE 1491 trend monitoring; a runaway block rises alone).', { min: 0.1, max: 100, default: 3, unit: 'degC/h' }),
    rateWindowS: int('Window over which rise rates are measured.', { min: 60, max: 7200, default: 900, unit: 's' }),
    differenceC: num('A block this far above its string\'s median temperature counts as hot.', { min: 1, max: 50, default: 5, unit: 'degC' }),
    aboveAmbientC: num('A block this far above the room (the first temperature sensor) counts as hot (VRLA manufacturers: a unit must not exceed ambient by more than 10 K).', { min: 1, max: 50, default: 10, unit: 'degC' }),
    floatCurrentRisePercent: num('Float current counts as rising this far above its settled-float baseline (temperature-compensated, doubling per 10 K).', { min: 5, max: 1000, default: 50, unit: '%' }),
    floatCurrentRiseA: num('... and at least this many amperes above it.', { min: 0.001, max: 100, default: 0.05, unit: 'A' }),
    settleS: int('Float counts as settled (the baseline is learned) after this long in float with the current below settledCurrentAPerAh.', { min: 60, max: 86_400, default: 1800, unit: 's' }),
    settledCurrentAPerAh: num('Float current per Ah at 25 degC (temperature-compensated, doubling per 10 K) below which a recharge has tapered off into settled float.', { min: 0.0001, max: 0.05, default: 0.002, unit: 'A/Ah' }),
    floatCurrentLimitAPerAh: num('String-wide float-current trip, per Ah at 25 degC (temperature-compensated): a full string (float settled, or a discharge\'s charge returned x1.2) on charge taking more is running away, whatever the charge mode reads (normal VRLA float is 0.5-1 mA/Ah, doubling at end of life; boost is exempt).', { min: 0.001, max: 0.1, default: 0.01, unit: 'A/Ah' }),
    tripTemperatureC: num('Absolute block temperature trip in any charge mode (VRLA must not be charged above 50 degC).', { min: 30, max: 80, default: 50, unit: 'degC' }),
    delayS: int('A condition must hold this long before the alarm and the trip (readings are also median-filtered over three cycles).', { min: 0, max: 3600, default: 60, unit: 's' }),
  }),
  ups: UPS_SCHEMA,
  sensors: arr('Environment sensors (ids are 1-based, in this order).', obj('A sensor', {
    name: str('Display name.'),
    kind: str('What it measures.', { enum: SENSOR_KINDS }),
    unit: str('Unit, when not the kind\'s default (degC, %RH, %LEL, A, V).', { optional: true }),
  }), { maxItems: 64, default: [] }),
  modbusSensors: MODBUS_SENSORS_SCHEMA,
  inputs: arr('Potential-free digital inputs (ids are 1-based, in this order).', obj('An input', {
    name: str('Display name.'),
    alarm: str('Severity of the alarm while the input is active; none = informational.', { enum: ['none', ...SEVERITIES], default: 'none' }),
  }), { maxItems: 64, default: [] }),
  relays: arr('Relay outputs (ids are 1-based, in this order).', obj('A relay', {
    name: str('Display name.'),
    function: str('What it is wired to.', { enum: RELAY_FUNCTIONS, default: 'general' }),
  }), { maxItems: 64, default: [] }),
  thresholds: obj('Alarm thresholds per measurement kind. A limit that is not given takes the built-in value its row states; null switches that limit off. Sensors have no built-in limits.', {
    moduleVoltage: threshold('Block voltage.', 'V', {}, 'moduleVoltage'),
    moduleTemperature: threshold('Block surface temperature.', 'degC', {}, 'moduleTemperature'),
    moduleResistance: threshold('Block Ri: absolute in ohm, or percent above the string mean or the commissioning baseline.', 'ohm or %', {
      mode: str(`How Ri is compared. Not given: ${THRESHOLD_DEFAULTS.moduleResistance.mode}.`, { enum: RESISTANCE_MODES, optional: true }),
    }, 'moduleResistance'),
    stringImbalance: threshold('Largest |block voltage - target| in a string.', 'V', {}, 'stringImbalance'),
    stringCurrent: threshold('String DC current in float (float current too high).', 'A', {}, 'stringCurrent'),
    stringRipple: threshold('String AC ripple current.', 'A', {}, 'stringRipple'),
    stringGroundFault: threshold('Differential (ground-fault) current.', 'A', {}, 'stringGroundFault'),
    sensors: map('Per sensor id.', /^[1-9]\d*$/, 'sensor ids (1, 2, ...)', threshold('A sensor\'s thresholds, in its unit.', 'sensor unit')),
  }),
  ...adapterSections(ADAPTERS),
  actions: ACTIONS_SCHEMA,
  history: HISTORY_SCHEMA,
  passport: PASSPORT_SCHEMA,
  schedule: SCHEDULE_SCHEMA,
  log: obj('Logging.', {
    level: str('Least severe level written.', { enum: LOG_LEVELS, default: 'info' }),
    format: str('json (one object per line) or pretty; auto = pretty on a terminal. Under systemd (stderr is the journal) every line starts with its syslog priority, so journalctl -p err finds the errors; an error keeps its causes and its stack (errorStack).', { enum: ['auto', 'json', 'pretty'], default: 'auto' }),
  }),
  demo: obj('Simulated site (set by --demo).', {
    enabled: bool('Simulate modules, UPS and sensors instead of reading hardware.', false),
    seed: int('Random seed of the simulated spread.', { min: 0, max: 2 ** 31 - 1, default: 1 }),
  }),
});
