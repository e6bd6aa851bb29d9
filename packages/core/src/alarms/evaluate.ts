// Site-wide alarm evaluation as a pure function: snapshot + thresholds + previous level states
// -> the conditions active now and the next level states. The alarm table turns these into alarms.
import { entityId, EntityRef, Measurement, ModuleState, SiteSnapshot } from '../model';
import { moduleLabel, stringLabel } from '../topology';
import { evaluateLevel, Level, LevelState, NORMAL, resistanceForMode, Threshold } from './thresholds';
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

export function evaluateSite(snap: SiteSnapshot, prev: LevelStates, nowMs: number): Evaluation {
  const states = new Map<string, LevelState>();
  const conditions: AlarmCondition[] = [];
  const t = snap.thresholds;

  const level = (
    key: string, value: number | null, threshold: Threshold | undefined, entity: EntityRef,
    kinds: { high: AlarmKind; low: AlarmKind }, what: string, unit: string,
  ): void => {
    if (!threshold) return;
    const stateKey = `${key}@${entityId(entity)}`;
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
    for (const m of mods) evaluateModule(m, meanRi);
    const sl = stringLabel(s.string);
    level('stringImbalance', usable(s.spreadV), t.stringImbalance, entity, { high: 'string-imbalance', low: 'string-imbalance' }, `${sl} voltage spread`, ' V');
    if (s.chargeMode === 'float') {
      level('stringCurrent', usable(s.dcCurrentA), t.stringCurrent, entity, { high: 'string-current-high', low: 'string-current-low' }, `${sl} float current`, ' A');
    }
    level('stringRipple', usable(s.rippleCurrentA), t.stringRipple, entity, { high: 'string-ripple-high', low: 'string-ripple-high' }, `${sl} ripple current`, ' A');
    level('stringGroundFault', usable(s.groundFaultCurrentA), t.stringGroundFault, entity, { high: 'string-ground-fault', low: 'string-ground-fault' }, `${sl} ground-fault current`, ' A');
  }

  function evaluateModule(m: ModuleState, meanRi: number | null): void {
    const entity: EntityRef = { kind: 'module', string: m.string, module: m.module, global: m.global };
    const label = moduleLabel(m.string, m.module);
    if (m.communication === 'lost') flag('module-lost', 'alarm', entity, `${label} does not answer on the battery bus`);
    if (m.fuse === 'blown') flag('module-fuse-blown', 'alarm', entity, `${label} fuse blown`);
    level('moduleVoltage', usable(m.voltageV), t.moduleVoltage, entity, { high: 'module-voltage-high', low: 'module-voltage-low' }, `${label} voltage`, ' V');
    level('moduleTemperature', usable(m.temperatureC), t.moduleTemperature, entity, { high: 'module-temperature-high', low: 'module-temperature-low' }, `${label} temperature`, ' degC');
    const r = t.moduleResistance;
    const riValue = resistanceForMode(usable(m.resistanceOhm), r.mode, meanRi, m.resistanceBaselineOhm);
    const riWhat = r.mode === 'absolute' ? `${label} Ri` : `${label} Ri vs ${r.mode === 'baseline' ? 'baseline' : 'string mean'}`;
    level('moduleResistance', riValue, r, entity, { high: 'module-resistance-high', low: 'module-resistance-high' }, riWhat, r.mode === 'absolute' ? ' Ohm' : ' %');
  }

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
