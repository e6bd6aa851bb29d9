// The site model: one writer (the gateway, or a library user's own data source) changes it in
// transactions; readers take frozen snapshots or subscribe to the change feed. No I/O here.
import { KirchhoffError } from './errors';
import { ChangeEvent, ChangeFeed, ChangeListener, FieldValue, ValueChange } from './feed';
import { MODULE_TYPES } from './module-types';
import { Topology, StringLayout, moduleLabel, stringLabel } from './topology';
import {
  BalancingState, BusCounters, CommunicationState, DigitalInputState, EntityRef, EqualizeState, FuseState, Measurement,
  ModuleState, NO_MEASUREMENT, Quality, RelayFunction, RelayState, SensorKind, SensorState, SENSOR_UNITS, SiteInfo,
  SiteSnapshot, SocMethod, SohMethod, StringState, ChargeMode, UpsState,
} from './model';
import { AlarmTable, AlarmChange } from './alarms/table';
import type { Alarm, AlarmCondition, Severity } from './alarms/types';
import { defaultThresholds, Threshold, ThresholdKey, ThresholdSet, thresholdProblems, THRESHOLD_KINDS } from './alarms/thresholds';
import { evaluateSite, LevelStates } from './alarms/evaluate';
import { defaultUps } from './ups';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly (infer _U)[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface SensorDefinition {
  readonly name: string;
  readonly kind: SensorKind;
  /** Defaults to the kind's unit (degC, %RH, %LEL, A, V). */
  readonly unit?: string;
}
export interface InputDefinition {
  readonly name: string;
  readonly alarmSeverity?: Severity | null;
}
export interface RelayDefinition {
  readonly name: string;
  readonly function?: RelayFunction;
}

export interface SiteOptions {
  readonly info?: Partial<SiteInfo>;
  readonly strings: readonly StringLayout[];
  /** A UPS is present when given (true = with default identity). */
  readonly ups?: boolean | DeepPartial<UpsState>;
  readonly sensors?: readonly SensorDefinition[];
  readonly inputs?: readonly InputDefinition[];
  readonly relays?: readonly RelayDefinition[];
  readonly thresholds?: ThresholdSet;
  readonly alarmHistoryLimit?: number;
  /** Wall clock, ms; a simulation passes its virtual clock. */
  readonly clock?: () => number;
  /** Called when a change-feed listener throws; defaults to writing to stderr. */
  readonly onListenerError?: (error: unknown, event: ChangeEvent) => void;
}

export interface ModuleReadings {
  readonly voltageV?: number | null;
  readonly temperatureC?: number | null;
  readonly resistanceOhm?: number | null;
  readonly socPercent?: number | null;
}
export interface ModulePatch {
  readonly socMethod?: SocMethod;
  readonly equalize?: EqualizeState;
  readonly balancingActivityPercent?: number;
  readonly fuse?: FuseState;
  readonly communication?: CommunicationState;
  readonly resistanceBaselineOhm?: number | null;
  readonly sohPercent?: number | null;
  readonly sohMethod?: SohMethod;
  readonly remainingCapacityAh?: number | null;
  readonly capacityFadePercent?: number | null;
  readonly resistanceIncreasePercent?: number | null;
  readonly endOfLifeAtMs?: number | null;
}
export interface StringPatch {
  readonly dcCurrentA?: number | null;
  readonly rippleCurrentA?: number | null;
  readonly differentialPositiveA?: number | null;
  readonly differentialNegativeA?: number | null;
  readonly socPercent?: number | null;
  readonly autonomyMin?: number | null;
  readonly chargeMode?: ChargeMode;
  readonly meanSohPercent?: number | null;
  readonly minSohPercent?: number | null;
  readonly remainingCapacityAh?: number | null;
  readonly balancingStalled?: boolean;
}

export class SiteError extends KirchhoffError {}

const MODULE_MEASUREMENTS = ['voltageV', 'temperatureC', 'resistanceOhm', 'socPercent'] as const;
const STRING_HEALTH = ['meanSohPercent', 'minSohPercent', 'remainingCapacityAh', 'balancingStalled'] as const;
const STRING_MEASUREMENTS = ['dcCurrentA', 'rippleCurrentA', 'differentialPositiveA', 'differentialNegativeA', 'socPercent', 'autonomyMin'] as const;

/** Writes to the site inside `site.update()`; every change is recorded for the feed. */
export interface SiteTransaction {
  readonly atMs: number;
  /** Fresh readings of a module (global number); null marks a reading that failed. */
  moduleReadings(global: number, readings: ModuleReadings, atMs?: number): void;
  /** Sets the quality of all of a module's measurements, keeping the values (stale, failed). */
  moduleQuality(global: number, quality: Quality): void;
  module(global: number, patch: ModulePatch): void;
  string(string: number, patch: StringPatch, atMs?: number): void;
  ups(patch: DeepPartial<UpsState>): void;
  sensor(id: number, value: number | null, atMs?: number): void;
  input(id: number, active: boolean, atMs?: number): void;
  relay(id: number, on: boolean, atMs?: number): void;
  bus(patch: Partial<BusCounters>): void;
  balancing(patch: Partial<BalancingState>): void;
}

function fresh(value: number | null, atMs: number): Measurement {
  return value === null || !Number.isFinite(value) ? { value: null, atMs, quality: 'failed' } : { value, atMs, quality: 'fresh' };
}

function worst(a: Quality, b: Quality): Quality {
  return a === 'failed' || b === 'failed' ? 'failed' : a === 'stale' || b === 'stale' ? 'stale' : 'fresh';
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** A flat object (a measurement, an equalize state), frozen in place: the model replaces these on every write, never changes them. */
function frozenFlat<T extends object>(o: T): T {
  return Object.isFrozen(o) ? o : Object.freeze(o);
}

/** The snapshot copy of an entity whose nested values are all flat and replaced on write: shallow, sharing them frozen. */
function frozenShallow<T extends object>(o: T): T {
  const copy = Object.assign({}, o);
  for (const k in copy) {
    const v = copy[k];
    if (v !== null && typeof v === 'object') deepFreeze(v);
  }
  return Object.freeze(copy);
}

// Written out field by field for the two long lists: Object.freeze({ ...m }) costs ~5 us a module in
// V8 (the spread's map has no cached frozen transition), this ~0.1 us. The return type makes a
// field added to the model without a line here a compile error.
function frozenModule(m: ModuleState): ModuleState {
  return Object.freeze({
    string: m.string, module: m.module, global: m.global, label: m.label, type: m.type,
    voltageV: frozenFlat(m.voltageV), temperatureC: frozenFlat(m.temperatureC),
    resistanceOhm: frozenFlat(m.resistanceOhm), socPercent: frozenFlat(m.socPercent),
    socMethod: m.socMethod, equalize: frozenFlat(m.equalize), balancingActivityPercent: m.balancingActivityPercent,
    fuse: m.fuse, communication: m.communication, resistanceBaselineOhm: m.resistanceBaselineOhm,
    sohPercent: m.sohPercent, sohMethod: m.sohMethod, remainingCapacityAh: m.remainingCapacityAh,
    capacityFadePercent: m.capacityFadePercent, resistanceIncreasePercent: m.resistanceIncreasePercent, endOfLifeAtMs: m.endOfLifeAtMs,
  });
}

function frozenString(s: StringState): StringState {
  return Object.freeze({
    string: s.string, label: s.label, name: s.name, moduleType: s.moduleType, moduleCount: s.moduleCount,
    firstGlobal: s.firstGlobal, capacityAh: s.capacityAh,
    sumVoltageV: frozenFlat(s.sumVoltageV), targetVoltageV: frozenFlat(s.targetVoltageV), spreadV: frozenFlat(s.spreadV),
    dcCurrentA: frozenFlat(s.dcCurrentA), rippleCurrentA: frozenFlat(s.rippleCurrentA),
    differentialPositiveA: frozenFlat(s.differentialPositiveA), differentialNegativeA: frozenFlat(s.differentialNegativeA),
    groundFaultCurrentA: frozenFlat(s.groundFaultCurrentA), chargeMode: s.chargeMode,
    socPercent: frozenFlat(s.socPercent), autonomyMin: frozenFlat(s.autonomyMin), powerW: frozenFlat(s.powerW),
    meanSohPercent: s.meanSohPercent, minSohPercent: s.minSohPercent, remainingCapacityAh: s.remainingCapacityAh, balancingStalled: s.balancingStalled,
  });
}

/**
 * The frozen copies of a list of entities (modules, strings, sensors, inputs, relays) that
 * snapshots are made of. A snapshot copies again only the entities written since the last one and
 * shares the others with it: with 512 modules, a full copy per read was most of a simulation's time.
 * The copy is shallow: the nested values of these entities (measurements, equalize) are replaced
 * on every write, never changed in place, so the copy shares them, frozen.
 */
class FrozenList<T extends object> {
  private readonly copies: (T | undefined)[];
  private list: readonly T[] | null = null;

  constructor(private readonly source: readonly T[], private readonly copy: (item: T) => T = frozenShallow) {
    this.copies = new Array<T | undefined>(source.length);
  }

  /** The entity at `index` was written: the next snapshot copies it again. */
  touch(index: number): void {
    this.copies[index] = undefined;
    this.list = null;
  }

  get(): readonly T[] {
    if (!this.list) {
      for (let i = 0; i < this.source.length; i++) {
        if (this.copies[i] === undefined) this.copies[i] = this.copy(this.source[i]);
      }
      this.list = Object.freeze(this.copies.slice() as T[]);
    }
    return this.list;
  }
}

/** A frozen deep copy of a part of the model that is changed in place (UPS, thresholds...), made again only after a write. */
class FrozenPart<T> {
  private copy: T | undefined;

  constructor(private readonly source: () => T) {}

  touch(): void {
    this.copy = undefined;
  }

  get(): T {
    if (this.copy === undefined) this.copy = deepFreeze(structuredClone(this.source()));
    return this.copy;
  }
}

export class Site {
  readonly topology: Topology;
  readonly startedAtMs: number;
  private readonly clock: () => number;
  private readonly feed: ChangeFeed;
  private readonly alarmTable: AlarmTable;
  private levelStates: LevelStates = new Map();
  private version = 0;
  private atMs: number;
  private cached: SiteSnapshot | null = null;
  private inTransaction = false;

  private info: Mutable<SiteInfo>;
  private strings: Mutable<StringState>[];
  private modules: Mutable<ModuleState>[];
  private upsState: Mutable<UpsState> | null;
  private sensors: Mutable<SensorState>[];
  private inputs: Mutable<DigitalInputState>[];
  private relays: Mutable<RelayState>[];
  private thresholds: Mutable<ThresholdSet>;
  private busCounters: Mutable<BusCounters> = { requests: 0, timeouts: 0, crcErrors: 0, retries: 0, dropped: 0, lastCycleMs: 0 };
  private balancingState: Mutable<BalancingState> = { enabled: true, disabledReason: null };
  // What snapshots are made of: each part copied again only after it was written.
  private readonly frozen: {
    readonly strings: FrozenList<StringState>;
    readonly modules: FrozenList<ModuleState>;
    readonly sensors: FrozenList<SensorState>;
    readonly inputs: FrozenList<DigitalInputState>;
    readonly relays: FrozenList<RelayState>;
    readonly info: FrozenPart<SiteInfo>;
    readonly ups: FrozenPart<UpsState | null>;
    readonly alarms: FrozenPart<Alarm[]>;
    readonly thresholds: FrozenPart<ThresholdSet>;
    readonly bus: FrozenPart<BusCounters>;
    readonly balancing: FrozenPart<BalancingState>;
  };

  constructor(options: SiteOptions) {
    this.topology = new Topology(options.strings);
    this.clock = options.clock ?? Date.now;
    this.startedAtMs = this.clock();
    this.atMs = this.startedAtMs;
    this.feed = new ChangeFeed(options.onListenerError ?? ((e) => process.stderr.write(`kirchhoff: change-feed listener failed: ${String(e)}\n`)));
    this.alarmTable = new AlarmTable(options.alarmHistoryLimit);
    this.info = { name: 'Kirchhoff site', location: '', contact: '', ...options.info };
    this.thresholds = structuredClone(options.thresholds ?? defaultThresholds()) as Mutable<ThresholdSet>;

    this.strings = options.strings.map((s, i) => ({
      string: i + 1,
      label: stringLabel(i + 1),
      name: s.name ?? `String ${i + 1}`,
      moduleType: s.moduleType,
      moduleCount: s.modules,
      firstGlobal: this.topology.firstGlobalOf(i + 1),
      capacityAh: s.capacityAh ?? null,
      sumVoltageV: NO_MEASUREMENT, targetVoltageV: NO_MEASUREMENT, spreadV: NO_MEASUREMENT,
      dcCurrentA: NO_MEASUREMENT, rippleCurrentA: NO_MEASUREMENT,
      differentialPositiveA: NO_MEASUREMENT, differentialNegativeA: NO_MEASUREMENT, groundFaultCurrentA: NO_MEASUREMENT,
      chargeMode: 'unknown', socPercent: NO_MEASUREMENT, autonomyMin: NO_MEASUREMENT, powerW: NO_MEASUREMENT,
      meanSohPercent: null, minSohPercent: null, remainingCapacityAh: null, balancingStalled: false,
    }));
    // A literal, not a spread of the address: V8 then gives all modules one shape, and reading them stays fast.
    this.modules = [...this.topology.addresses()].map((a) => ({
      string: a.string, module: a.module, global: a.global,
      label: moduleLabel(a.string, a.module),
      type: options.strings[a.string - 1].moduleType,
      voltageV: NO_MEASUREMENT, temperatureC: NO_MEASUREMENT, resistanceOhm: NO_MEASUREMENT, socPercent: NO_MEASUREMENT,
      socMethod: 'unknown',
      equalize: { on: false, dutyPercent: 0 },
      balancingActivityPercent: 0,
      fuse: 'unknown',
      communication: 'unknown',
      resistanceBaselineOhm: null,
      sohPercent: null, sohMethod: 'unknown', remainingCapacityAh: null, capacityFadePercent: null, resistanceIncreasePercent: null, endOfLifeAtMs: null,
    }));
    this.upsState = options.ups ? (merge(defaultUps(), options.ups === true ? {} : options.ups) as Mutable<UpsState>) : null;
    this.sensors = (options.sensors ?? []).map((s, i) => ({ id: i + 1, name: s.name, kind: s.kind, unit: s.unit ?? SENSOR_UNITS[s.kind], reading: NO_MEASUREMENT }));
    this.inputs = (options.inputs ?? []).map((d, i) => ({ id: i + 1, name: d.name, active: false, alarmSeverity: d.alarmSeverity ?? null, atMs: 0, quality: 'failed' }));
    this.relays = (options.relays ?? []).map((r, i) => ({ id: i + 1, name: r.name, function: r.function ?? 'general', on: false, atMs: this.startedAtMs }));
    this.frozen = {
      strings: new FrozenList<StringState>(this.strings, frozenString),
      modules: new FrozenList<ModuleState>(this.modules, frozenModule),
      sensors: new FrozenList<SensorState>(this.sensors),
      inputs: new FrozenList<DigitalInputState>(this.inputs),
      relays: new FrozenList<RelayState>(this.relays),
      info: new FrozenPart<SiteInfo>(() => this.info),
      ups: new FrozenPart<UpsState | null>(() => this.upsState),
      alarms: new FrozenPart<Alarm[]>(() => this.alarmTable.active()),
      thresholds: new FrozenPart<ThresholdSet>(() => this.thresholds),
      bus: new FrozenPart<BusCounters>(() => this.busCounters),
      balancing: new FrozenPart<BalancingState>(() => this.balancingState),
    };
  }

  now(): number {
    return this.clock();
  }

  /**
   * A consistent frozen view; the same object until the next change. Parts not written since the
   * previous snapshot (a module, a string, the UPS...) are the previous snapshot's frozen objects.
   */
  snapshot(): SiteSnapshot {
    if (!this.cached) {
      const f = this.frozen;
      this.cached = Object.freeze({
        version: this.version,
        atMs: this.atMs,
        startedAtMs: this.startedAtMs,
        info: f.info.get(),
        strings: f.strings.get(),
        modules: f.modules.get(),
        ups: f.ups.get(),
        sensors: f.sensors.get(),
        inputs: f.inputs.get(),
        relays: f.relays.get(),
        alarms: f.alarms.get(),
        thresholds: f.thresholds.get(),
        bus: f.bus.get(),
        balancing: f.balancing.get(),
      }) as SiteSnapshot;
    }
    return this.cached;
  }

  subscribe(listener: ChangeListener): () => void {
    return this.feed.subscribe(listener);
  }

  /** Applies the writes of `fn` as one change: one version, one `values` event. */
  update(fn: (tx: SiteTransaction) => void, atMs: number = this.clock()): void {
    if (this.inTransaction) throw new SiteError('site.nested-update', 'site.update() may not be nested');
    this.inTransaction = true;
    const changes: ValueChange[] = [];
    const touchedStrings = new Set<number>();
    let touchedOther = false;
    try {
      fn(this.transaction(atMs, changes, touchedStrings, () => (touchedOther = true)));
      for (const s of touchedStrings) this.deriveString(s, atMs, changes);
    } finally {
      this.inTransaction = false;
    }
    if (changes.length === 0 && !touchedOther) return;
    this.atMs = atMs;
    this.bump();
    if (changes.length) this.feed.emit({ type: 'values', version: this.version, atMs, changes });
  }

  /** Evaluates thresholds and state-derived alarms, raising and clearing as needed. */
  evaluateAlarms(nowMs: number = this.clock()): AlarmChange[] {
    const { states, conditions } = evaluateSite(this.snapshot(), this.levelStates, nowMs);
    this.levelStates = states;
    return this.reconcileAlarms('thresholds', conditions, nowMs);
  }

  /** Makes the active alarms of one origin (an evaluator of the caller's) equal `conditions`. */
  reconcileAlarms(origin: string, conditions: readonly AlarmCondition[], nowMs: number = this.clock()): AlarmChange[] {
    const changes = this.alarmTable.reconcile(origin, conditions, nowMs);
    this.publishAlarms(changes);
    return changes;
  }

  acknowledgeAlarm(id: number, by: string, nowMs: number = this.clock()): Alarm {
    const change = this.alarmTable.acknowledge(id, by, nowMs);
    if (!change) throw new SiteError('alarm.not-found', `no active alarm with id ${id}`);
    this.publishAlarms([change]);
    return change.alarm;
  }

  alarmHistory(): Alarm[] {
    return this.alarmTable.history();
  }

  setThreshold(key: ThresholdKey, patch: Partial<Threshold> & { mode?: string }): Threshold {
    const current = this.thresholdRef(key);
    const next = { ...(current ?? { hysteresis: 0, delayMs: 0 }), ...patch } as Threshold;
    const problems = thresholdProblems(next);
    if (problems.length) throw new SiteError('threshold.invalid', `thresholds.${key}: ${problems.join('; ')}`);
    if (key.startsWith('sensors.')) (this.thresholds.sensors as Record<string, Threshold>)[key.slice('sensors.'.length)] = next;
    else (this.thresholds as Record<string, unknown>)[key] = next;
    this.frozen.thresholds.touch();
    this.bump();
    this.feed.emit({ type: 'thresholds', version: this.version, key, threshold: next });
    return next;
  }

  isThresholdKey(key: string): key is ThresholdKey {
    if ((THRESHOLD_KINDS as readonly string[]).includes(key)) return true;
    const m = /^sensors\.(\d+)$/.exec(key);
    return !!m && Number(m[1]) >= 1 && Number(m[1]) <= this.sensors.length;
  }

  /** For the command interface's audit trail. */
  emit(event: ChangeEvent): void {
    this.feed.emit(event);
  }

  get currentVersion(): number {
    return this.version;
  }

  private thresholdRef(key: ThresholdKey): Threshold | undefined {
    if (key.startsWith('sensors.')) return this.thresholds.sensors[key.slice('sensors.'.length)];
    return (this.thresholds as unknown as Record<string, Threshold>)[key];
  }

  private bump(): void {
    this.version++;
    this.cached = null;
  }

  private publishAlarms(changes: readonly AlarmChange[]): void {
    if (!changes.length) return;
    this.frozen.alarms.touch();
    this.bump();
    for (const c of changes) this.feed.emit({ type: 'alarm', version: this.version, action: c.action, alarm: c.alarm });
  }

  private transaction(txAt: number, changes: ValueChange[], touched: Set<number>, other: () => void): SiteTransaction {
    const record = (entity: EntityRef, field: string, value: FieldValue, quality: Quality, at: number) => changes.push({ entity, field, value, quality, atMs: at });
    // `entity` is a module's when it is one: its reference is made only for a change (most
    // readings repeat the last value), not for every write of 512 modules on every cycle.
    const entityOf = (entity: EntityRef | ModuleState): EntityRef => ('kind' in entity ? entity : ref(entity));
    const setMeasurement = (owner: Record<string, unknown>, field: string, next: Measurement, entity: EntityRef | ModuleState) => {
      const prev = owner[field] as Measurement;
      owner[field] = next;
      if (prev.value !== next.value || prev.quality !== next.quality) record(entityOf(entity), field, next.value, next.quality, next.atMs);
    };
    /** True when the value changed. */
    const setPlain = (owner: Record<string, unknown>, field: string, value: FieldValue, entity: EntityRef | ModuleState, quality: Quality = 'fresh', path = field): boolean => {
      if (owner[field] === value) return false;
      owner[field] = value;
      record(entityOf(entity), path, value, quality, txAt);
      return true;
    };
    const moduleAt = (global: number) => {
      const m = this.modules[global - 1];
      if (!m || !Number.isInteger(global)) throw new SiteError('site.unknown-module', `no module with global number ${global} (1..${this.modules.length})`);
      return m;
    };
    const { frozen } = this;
    const ref = (m: ModuleState): EntityRef => ({ kind: 'module', string: m.string, module: m.module, global: m.global });
    const byId = <T extends { id: number }>(list: T[], id: number, what: string): T => {
      const item = list[id - 1];
      if (!item) throw new SiteError(`site.unknown-${what}`, `no ${what} with id ${id} (1..${list.length})`);
      return item;
    };

    return {
      atMs: txAt,
      moduleReadings: (global, readings, at = txAt) => {
        const m = moduleAt(global);
        for (const f of MODULE_MEASUREMENTS) {
          const v = readings[f];
          if (v !== undefined) setMeasurement(m as unknown as Record<string, unknown>, f, fresh(v, at), m);
        }
        frozen.modules.touch(global - 1);
        touched.add(m.string);
      },
      moduleQuality: (global, quality) => {
        const m = moduleAt(global);
        for (const f of MODULE_MEASUREMENTS) {
          const prev = m[f];
          if (prev.atMs === 0 && prev.value === null) continue;
          setMeasurement(m as unknown as Record<string, unknown>, f, { value: prev.value, atMs: prev.atMs, quality }, m);
        }
        frozen.modules.touch(global - 1);
        touched.add(m.string);
      },
      module: (global, patch) => {
        const m = moduleAt(global) as unknown as Record<string, unknown> & Mutable<ModuleState>;
        for (const k in patch) {
          const v = patch[k as keyof ModulePatch];
          if (v === undefined) continue;
          if (k === 'equalize') {
            const e = v as EqualizeState;
            if (m.equalize.on !== e.on || m.equalize.dutyPercent !== e.dutyPercent) {
              m.equalize = { on: e.on, dutyPercent: e.dutyPercent };
              record(ref(m), 'equalize.on', e.on, 'fresh', txAt);
              record(ref(m), 'equalize.dutyPercent', e.dutyPercent, 'fresh', txAt);
              frozen.modules.touch(global - 1);
            }
          } else if (setPlain(m, k, v as FieldValue, m)) frozen.modules.touch(global - 1);
        }
      },
      string: (n, patch, at = txAt) => {
        const s = this.strings[n - 1] as unknown as Record<string, unknown> & StringState;
        if (!s) throw new SiteError('site.unknown-string', `no string ${n} (1..${this.strings.length})`);
        const entity: EntityRef = { kind: 'string', string: n };
        for (const f of STRING_MEASUREMENTS) {
          const v = patch[f];
          if (v !== undefined) setMeasurement(s, f, fresh(v, at), entity);
        }
        if (patch.chargeMode !== undefined) setPlain(s, 'chargeMode', patch.chargeMode, entity);
        for (const f of STRING_HEALTH) {
          const v = patch[f];
          if (v !== undefined) setPlain(s, f, v, entity);
        }
        frozen.strings.touch(n - 1);
        touched.add(n);
      },
      ups: (patch) => {
        if (!this.upsState) throw new SiteError('site.no-ups', 'this site has no UPS');
        const before = flatten(this.upsState);
        merge(this.upsState, patch);
        frozen.ups.touch();
        if (patch.quality === undefined) this.upsState.quality = 'fresh';
        this.upsState.atMs = txAt;
        const after = flatten(this.upsState);
        for (const [k, v] of after) {
          if (k !== 'atMs' && before.get(k) !== v) record({ kind: 'ups' }, k, v, this.upsState.quality, txAt);
        }
      },
      sensor: (id, value, at = txAt) => {
        const s = byId(this.sensors, id, 'sensor');
        setMeasurement(s as unknown as Record<string, unknown>, 'reading', fresh(value, at), { kind: 'sensor', id });
        frozen.sensors.touch(id - 1);
      },
      input: (id, active, at = txAt) => {
        const d = byId(this.inputs, id, 'input');
        frozen.inputs.touch(id - 1);
        d.atMs = at;
        const wasFailed = d.quality !== 'fresh';
        d.quality = 'fresh';
        if (d.active !== active || wasFailed) {
          d.active = active;
          record({ kind: 'input', id }, 'active', active, 'fresh', at);
        }
      },
      relay: (id, on, at = txAt) => {
        const r = byId(this.relays, id, 'relay');
        if (r.on !== on) {
          r.on = on;
          r.atMs = at;
          frozen.relays.touch(id - 1);
          record({ kind: 'relay', id }, 'on', on, 'fresh', at);
        }
      },
      bus: (patch) => {
        Object.assign(this.busCounters, patch);
        frozen.bus.touch();
        other();
      },
      balancing: (patch) => {
        const before = { ...this.balancingState };
        Object.assign(this.balancingState, patch);
        frozen.balancing.touch();
        if (before.enabled !== this.balancingState.enabled) record({ kind: 'site' }, 'balancing.enabled', this.balancingState.enabled, 'fresh', txAt);
        other();
      },
    };
  }

  /** Sum, target (mean), spread, ground fault and power of a string, from its modules. */
  private deriveString(n: number, atMs: number, changes: ValueChange[]): void {
    const s = this.strings[n - 1];
    this.frozen.strings.touch(n - 1);
    const entity: EntityRef = { kind: 'string', string: n };
    let sum = 0;
    let count = 0;
    let quality: Quality = 'fresh';
    let valuedQuality: Quality = 'fresh';
    let freshSum = 0;
    let freshCount = 0;
    const mods = this.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
    for (const m of mods) {
      quality = worst(quality, m.voltageV.quality);
      if (m.voltageV.value !== null) {
        sum += m.voltageV.value;
        count++;
        valuedQuality = worst(valuedQuality, m.voltageV.quality);
        if (m.voltageV.quality === 'fresh') {
          freshSum += m.voltageV.value;
          freshCount++;
        }
      }
    }
    const set = (field: 'sumVoltageV' | 'targetVoltageV' | 'spreadV' | 'groundFaultCurrentA' | 'powerW', value: number | null, q: Quality) => {
      const next: Measurement = value === null ? { value: null, atMs, quality: 'failed' } : { value, atMs, quality: q };
      const prev = s[field];
      s[field] = next;
      if (prev.value !== next.value || prev.quality !== next.quality) changes.push({ entity, field, value: next.value, quality: next.quality, atMs });
    };
    const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
    set('sumVoltageV', count === mods.length ? round(sum, 3) : null, quality);
    // A lost module or a blown fuse leaves its own block unknown, not the string: the target (mean)
    // and spread come from the blocks measured this cycle, and stay fresh while any block is.
    const byFresh = freshCount > 0;
    const target = byFresh ? freshSum / freshCount : count ? sum / count : null;
    const targetQuality = byFresh ? 'fresh' : valuedQuality;
    set('targetVoltageV', target === null ? null : round(target, 4), targetQuality);
    let spread: number | null = null;
    if (target !== null) {
      spread = 0;
      for (const m of mods) {
        if (m.voltageV.value !== null && (!byFresh || m.voltageV.quality === 'fresh')) spread = Math.max(spread, Math.abs(m.voltageV.value - target));
      }
    }
    set('spreadV', spread === null ? null : round(spread, 4), targetQuality);
    const pos = s.differentialPositiveA;
    const neg = s.differentialNegativeA;
    set('groundFaultCurrentA', pos.value !== null && neg.value !== null ? round(Math.abs(pos.value - neg.value), 4) : null, worst(pos.quality, neg.quality));
    const i = s.dcCurrentA;
    set('powerW', count === mods.length && i.value !== null ? round(sum * i.value, 1) : null, worst(quality, i.quality));
  }
}

/** Copies `patch` into `target` recursively (arrays and primitives replace); returns target. */
function merge<T extends object>(target: T, patch: object): T {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const t = (target as Record<string, unknown>)[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)) merge(t as object, v);
    else (target as Record<string, unknown>)[k] = Array.isArray(v) ? structuredClone(v) : v;
  }
  return target;
}

/** Flattens an object into path -> primitive, arrays by index (`input.lines.0.voltageV`). */
function flatten(o: object, prefix = '', out = new Map<string, FieldValue>()): Map<string, FieldValue> {
  for (const [k, v] of Object.entries(o)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v as object, path, out);
    else out.set(path, v as FieldValue);
  }
  return out;
}

export { MODULE_TYPES };
