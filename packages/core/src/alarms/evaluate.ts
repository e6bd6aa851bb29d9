// Site-wide alarm evaluation as a pure function: snapshot + thresholds + previous level states
// -> the conditions active now and the next level states. The alarm table turns these into alarms.
import { entityId, EntityRef, Measurement, ModuleState, SiteSnapshot } from '../model';
import { MODULE_TYPES, ModuleType } from '../module-types';
import { moduleLabel, stringLabel } from '../topology';
import { evaluateLevel, Level, LevelState, NORMAL, ResistanceMode, resistanceForMode, Threshold } from './thresholds';
import type { AlarmCondition, AlarmKind, Severity } from './types';

export type LevelStates = ReadonlyMap<string, LevelState>;

export interface Evaluation {
  readonly states: Map<string, LevelState>;
  readonly conditions: AlarmCondition[];
}

const SEVERITY_OF: Record<Exclude<Level, 'normal'>, Severity> = { warning: 'warning', alarm: 'alarm' };

/** A measurement's value if it may be judged: failed readings are not (loss has its own alarm). */
function usable(m: Measurement): number | null {
  return m.quality === 'failed' ? null : m.value;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 3 : 2);
}

const MODULE_VOLTAGE_KINDS = { high: 'module-voltage-high', low: 'module-voltage-low' } as const;
const MODULE_TEMPERATURE_KINDS = { high: 'module-temperature-high', low: 'module-temperature-low' } as const;
const MODULE_RESISTANCE_KINDS = { high: 'module-resistance-high', low: 'module-resistance-high' } as const;

/** Boost charges at 2.40 V per cell instead of float's 2.27 V: the high limits move up by the difference. */
const BOOST_ALLOWANCE_PER_CELL_V = 0.13;

/**
 * The block-voltage limits for a string's charge mode: in a boost the high limits move up by the
 * boost allowance; in a discharge the low limits wait for the UPS low-battery point (every block
 * falls together under load: the string's autonomy and the UPS say when that matters, not N
 * module alarms); in a recharge they wait until the string is full again.
 */
function moduleVoltageFor(t: Threshold, mode: string, type: ModuleType, snap: SiteSnapshot): Threshold {
  if (mode === 'boost') {
    const up = BOOST_ALLOWANCE_PER_CELL_V * (MODULE_TYPES[type].blockNominalV / 2);
    const shift = (x: number | null | undefined) => (x === null || x === undefined ? x : x + up);
    return { ...t, warnHigh: shift(t.warnHigh), alarmHigh: shift(t.alarmHigh) };
  }
  if (mode === 'recharge') return { ...t, warnLow: null, alarmLow: null };
  if (mode === 'discharge') {
    const status = snap.ups?.battery.status;
    if (status !== 'low' && status !== 'depleted') return { ...t, warnLow: null, alarmLow: null };
  }
  return t;
}

/**
 * Where half or more of a string's blocks (at least two) raise the same module alarm, the cause is
 * the string (charger, room, load), not the blocks: one string alarm replaces them.
 */
function oneForTheString(moduleConditions: AlarmCondition[], string: number, modules: number): AlarmCondition[] {
  const groups = new Map<string, AlarmCondition[]>();
  for (const c of moduleConditions) {
    const key = `${c.kind}:${c.severity}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: AlarmCondition[] = [];
  for (const group of groups.values()) {
    const c = group[0];
    const stringWide = c.kind !== 'module-lost' && c.kind !== 'module-fuse-blown' && group.length >= 2 && group.length * 2 >= modules;
    if (!stringWide) {
      out.push(...group);
      continue;
    }
    const values = group.map((g) => g.value).filter((v): v is number => v !== null);
    const worst = values.length ? (c.kind.endsWith('-low') ? Math.min(...values) : Math.max(...values)) : null;
    out.push({
      kind: c.kind, severity: c.severity, entity: { kind: 'string', string },
      message: `${stringLabel(string)}: ${group.length} of ${modules} blocks ${c.kind.endsWith('-low') ? 'below' : 'above'} the ${c.severity} limit${worst === null ? '' : ` (worst ${fmt(worst)})`}, e.g. ${c.message}`,
      value: worst, limit: c.limit,
    });
  }
  return out;
}

/**
 * When every module of every string is lost (each unanswered for the bus's communication-loss
 * time), the cause is the bus (cable, converter, port, power of the modules), not the modules:
 * one bus-failure alarm replaces the module-lost alarm of each, up to 512, and their actions.
 * It clears with the first module that answers again; modules still silent then are lost one by one.
 */
function busFailure(snap: SiteSnapshot, conditions: AlarmCondition[]): void {
  const modules = snap.modules;
  if (!modules.length || !modules.every((m) => m.communication === 'lost')) return;
  const kept = conditions.filter((c) => c.kind !== 'module-lost');
  conditions.splice(0, conditions.length, ...kept);
  const strings = snap.strings.length;
  conditions.push({
    kind: 'bus-failure', severity: 'alarm', entity: { kind: 'site' },
    message: `Battery bus silent: none of the ${modules.length} modules in ${strings} string${strings === 1 ? '' : 's'} answers`,
    value: null, limit: null,
  });
}

/** What a module's alarms are called and keyed by: the same on every evaluation, so made once per module. */
interface ModuleNames {
  readonly label: string;
  readonly voltageKey: string;
  readonly temperatureKey: string;
  readonly resistanceKey: string;
  readonly voltageWhat: string;
  readonly temperatureWhat: string;
  readonly riWhat: Readonly<Record<ResistanceMode, string>>;
}
// Formatting these for all 512 modules on every evaluation was a third of its time.
const moduleNamesCache = new Map<number, ModuleNames>();

function moduleNames(string: number, module: number): ModuleNames {
  const cacheKey = string * 65_536 + module;
  let names = moduleNamesCache.get(cacheKey);
  if (!names) {
    const label = moduleLabel(string, module);
    const id = entityId({ kind: 'module', string, module, global: 0 });
    names = {
      label,
      voltageKey: `moduleVoltage@${id}`, temperatureKey: `moduleTemperature@${id}`, resistanceKey: `moduleResistance@${id}`,
      voltageWhat: `${label} voltage`, temperatureWhat: `${label} temperature`,
      riWhat: { absolute: `${label} Ri`, baseline: `${label} Ri vs baseline`, 'string-mean': `${label} Ri vs string mean` },
    };
    moduleNamesCache.set(cacheKey, names);
  }
  return names;
}

export function evaluateSite(snap: SiteSnapshot, prev: LevelStates, nowMs: number): Evaluation {
  const states = new Map<string, LevelState>();
  const conditions: AlarmCondition[] = [];
  const t = snap.thresholds;

  /** `key` with the entity's id is the level state's key; with `stateKeyMade`, `key` is that already (moduleNames). */
  const level = (
    key: string, value: number | null, threshold: Threshold | undefined, entity: EntityRef,
    kinds: { high: AlarmKind; low: AlarmKind }, what: string, unit: string, stateKeyMade = false,
  ): void => {
    if (!threshold) return;
    const stateKey = stateKeyMade ? key : `${key}@${entityId(entity)}`;
    const next = evaluateLevel(value, threshold, prev.get(stateKey) ?? NORMAL, nowMs);
    if (next !== NORMAL) states.set(stateKey, next);
    if (next.level === 'normal' || !next.direction) return;
    const high = next.direction === 'high';
    const limit = (high ? (next.level === 'alarm' ? threshold.alarmHigh : threshold.warnHigh) : next.level === 'alarm' ? threshold.alarmLow : threshold.warnLow) ?? null;
    conditions.push({
      kind: high ? kinds.high : kinds.low,
      severity: SEVERITY_OF[next.level],
      entity,
      message: `${what} ${value === null ? 'n/a' : fmt(value)}${unit} ${high ? 'above' : 'below'} ${next.level} limit ${limit === null ? '' : fmt(limit)}${unit}`,
      value,
      limit,
    });
  };
  const flag = (kind: AlarmKind, severity: Severity, entity: EntityRef, message: string): void => {
    conditions.push({ kind, severity, entity, message, value: null, limit: null });
  };

  for (const s of snap.strings) {
    const entity: EntityRef = { kind: 'string', string: s.string };
    const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
    const ri = mods.map((m) => usable(m.resistanceOhm)).filter((v): v is number => v !== null);
    const meanRi = ri.length ? ri.reduce((a, b) => a + b, 0) / ri.length : null;
    const before = conditions.length;
    // A string that is discharging, or recharging (charger on, not yet full again), is judged on
    // its own terms: blocks fall and rise together, the float-current and imbalance limits are float's.
    const mode: string = s.chargeMode;
    const soc = usable(s.socPercent);
    const recharging = mode === 'recharge' || ((mode === 'float' || mode === 'boost') && soc !== null && soc < 100);
    const mv = moduleVoltageFor(t.moduleVoltage, recharging ? 'recharge' : mode, s.moduleType, snap);
    for (const m of mods) evaluateModule(m, meanRi, mv);
    conditions.splice(before, conditions.length - before, ...oneForTheString(conditions.slice(before), s.string, mods.length));
    const sl = stringLabel(s.string);
    // In a boost the string current outgrows what the modules' bypasses can move, so the spread is that
    // of an unbalanced string (about 0.2 V over 20 blocks): a property of the boost, not a fault.
    if (mode !== 'discharge' && mode !== 'boost' && !recharging) {
      level('stringImbalance', usable(s.spreadV), t.stringImbalance, entity, { high: 'string-imbalance', low: 'string-imbalance' }, `${sl} voltage spread`, ' V');
    }
    if (mode === 'float' && !recharging) {
      level('stringCurrent', usable(s.dcCurrentA), t.stringCurrent, entity, { high: 'string-current-high', low: 'string-current-low' }, `${sl} float current`, ' A');
    }
    level('stringRipple', usable(s.rippleCurrentA), t.stringRipple, entity, { high: 'string-ripple-high', low: 'string-ripple-high' }, `${sl} ripple current`, ' A');
    level('stringGroundFault', usable(s.groundFaultCurrentA), t.stringGroundFault, entity, { high: 'string-ground-fault', low: 'string-ground-fault' }, `${sl} ground-fault current`, ' A');
  }

  function evaluateModule(m: ModuleState, meanRi: number | null, moduleVoltage: Threshold): void {
    const entity: EntityRef = { kind: 'module', string: m.string, module: m.module, global: m.global };
    const names = moduleNames(m.string, m.module);
    const label = names.label;
    if (m.communication === 'lost') flag('module-lost', 'alarm', entity, `${label} does not answer on the battery bus`);
    if (m.fuse === 'blown') flag('module-fuse-blown', 'alarm', entity, `${label} fuse blown`);
    level(names.voltageKey, usable(m.voltageV), moduleVoltage, entity, MODULE_VOLTAGE_KINDS, names.voltageWhat, ' V', true);
    level(names.temperatureKey, usable(m.temperatureC), t.moduleTemperature, entity, MODULE_TEMPERATURE_KINDS, names.temperatureWhat, ' degC', true);
    const r = t.moduleResistance;
    const riValue = resistanceForMode(usable(m.resistanceOhm), r.mode, meanRi, m.resistanceBaselineOhm);
    level(names.resistanceKey, riValue, r, entity, MODULE_RESISTANCE_KINDS, names.riWhat[r.mode], r.mode === 'absolute' ? ' Ohm' : ' %', true);
  }

  busFailure(snap, conditions);

  if (!snap.balancing.enabled) flag('balancing-disabled', 'alarm', { kind: 'site' }, `Balancing disabled: ${snap.balancing.disabledReason ?? 'unknown reason'}`);

  for (const sensor of snap.sensors) {
    const entity: EntityRef = { kind: 'sensor', id: sensor.id };
    if (sensor.reading.quality === 'failed' && sensor.reading.atMs > 0) flag('sensor-failed', 'warning', entity, `Sensor ${sensor.name} delivers no values`);
    level('sensor', usable(sensor.reading), t.sensors[String(sensor.id)], entity, { high: 'sensor-high', low: 'sensor-low' }, sensor.name, sensor.unit ? ` ${sensor.unit}` : '');
  }

  for (const input of snap.inputs) {
    if (input.active && input.alarmSeverity) flag('input-active', input.alarmSeverity, { kind: 'input', id: input.id }, `Input ${input.name} active`);
  }

  const ups = snap.ups;
  if (ups) {
    const entity: EntityRef = { kind: 'ups' };
    // Never read yet (atMs 0) is not a loss: the first poll decides.
    if (ups.quality === 'failed' && ups.atMs > 0) flag('ups-communication-lost', 'alarm', entity, `UPS ${ups.ident.name} does not answer`);
    if (ups.output.source === 'battery') flag('ups-on-battery', 'alarm', entity, `UPS ${ups.ident.name} on battery, ${ups.battery.estimatedMinutesRemaining} min remaining`);
    if (ups.battery.status === 'low') flag('ups-battery-low', 'alarm', entity, `UPS ${ups.ident.name} battery low`);
    if (ups.battery.status === 'depleted') flag('ups-battery-depleted', 'critical', entity, `UPS ${ups.ident.name} battery depleted`);
    if (ups.test.resultsSummary === 'doneError') flag('ups-test-failed', 'warning', entity, `UPS ${ups.ident.name} battery test failed: ${ups.test.resultsDetail}`);
    if (ups.test.resultsSummary === 'inProgress') flag('ups-test-in-progress', 'warning', entity, `UPS ${ups.ident.name} test in progress`);
  }

  return { states, conditions };
}
