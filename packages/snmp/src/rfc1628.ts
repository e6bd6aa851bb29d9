// RFC 1628 (UPS-MIB) written once, as a declarative table after NUT's drivers/ietf-mib.c: each object's
// OID under upsObjects, the UpsState field it carries, its scale and its enumeration. The agent serves
// it (ups-mib.ts) and the gateway's SNMP UPS source reads a UPS card with it (upsStateFromWire,
// upsSetValues): the same numbers in both directions.
import type { DeepPartial, UpsControlPatch, UpsSettingsPatch, UpsState } from '@kirchhoff/core';
import { UPS_BATTERY_STATUS_CODES, UPS_OUTPUT_SOURCE_CODES, UPS_TEST_ID_CODES, UPS_TEST_RESULT_CODES } from '@kirchhoff/core';

export const UPS_MIB = [1, 3, 6, 1, 2, 1, 33] as const;
export const UPS_OBJECTS = [...UPS_MIB, 1];
export const UPS_TRAPS = [...UPS_MIB, 2];
export const UPS_WELL_KNOWN_ALARMS = [...UPS_OBJECTS, 6, 3];
export const UPS_WELL_KNOWN_TESTS = [...UPS_OBJECTS, 7, 7];

export const upsOid = (...sub: number[]): number[] => [...UPS_OBJECTS, ...sub];

export type UpsMibSyntax = 'INTEGER' | 'Counter32' | 'TimeTicks' | 'DisplayString' | 'OBJECT IDENTIFIER';
type Group = Exclude<keyof UpsState, 'atMs' | 'quality'>;
/** A scalar field of UpsState, `group.field`. */
export type UpsField = { [G in Group]: `${G}.${Exclude<keyof UpsState[G], 'lines'> & string}` }[Group];
/** An enumeration: the model's value and its number on the wire. */
export type WireCodes = readonly (readonly [string | boolean, number])[];

export interface UpsMibScalar {
  /** The RFC's descriptor. */
  readonly name: string;
  /** Sub-identifiers under upsObjects (1.3.6.1.2.1.33.1); the instance is .0. */
  readonly sub: readonly number[];
  readonly syntax: UpsMibSyntax;
  /** The field it carries; absent where the value is the agent's own (line counts, the spin lock). */
  readonly field?: UpsField;
  /** The number of rows of this group's line table. */
  readonly lines?: 'input' | 'output' | 'bypass';
  /** Wire = model x divisor (0.1 V on the wire: divisor 10). */
  readonly divisor?: number;
  readonly codes?: WireCodes;
  /** What an unknown number from a UPS card reads as. */
  readonly fallback?: string;
  /** Largest DisplayString, bytes. */
  readonly size?: number;
  /** RFC 1628 read-write: the command a SET becomes (the patch key is the field's name) and the wire range it accepts. */
  readonly write?: { readonly command: 'ups-settings' | 'ups-control'; readonly range?: readonly [number, number] };
}

const codes = <K extends string>(c: Readonly<Record<K, number>>): WireCodes => Object.entries<number>(c);
const MAX = 2147483647;
const settings = (range?: readonly [number, number]) => ({ command: 'ups-settings' as const, range });
const control = (range?: readonly [number, number]) => ({ command: 'ups-control' as const, range });

export const UPS_MIB_SCALARS: readonly UpsMibScalar[] = [
  { name: 'upsIdentManufacturer', sub: [1, 1], syntax: 'DisplayString', size: 31, field: 'ident.manufacturer' },
  { name: 'upsIdentModel', sub: [1, 2], syntax: 'DisplayString', size: 63, field: 'ident.model' },
  { name: 'upsIdentUPSSoftwareVersion', sub: [1, 3], syntax: 'DisplayString', size: 63, field: 'ident.upsSoftwareVersion' },
  { name: 'upsIdentAgentSoftwareVersion', sub: [1, 4], syntax: 'DisplayString', size: 63, field: 'ident.agentSoftwareVersion' },
  { name: 'upsIdentName', sub: [1, 5], syntax: 'DisplayString', size: 63, field: 'ident.name', write: settings() },
  { name: 'upsIdentAttachedDevices', sub: [1, 6], syntax: 'DisplayString', size: 63, field: 'ident.attachedDevices', write: settings() },
  { name: 'upsBatteryStatus', sub: [2, 1], syntax: 'INTEGER', field: 'battery.status', codes: codes(UPS_BATTERY_STATUS_CODES), fallback: 'unknown' },
  { name: 'upsSecondsOnBattery', sub: [2, 2], syntax: 'INTEGER', field: 'battery.secondsOnBattery' },
  { name: 'upsEstimatedMinutesRemaining', sub: [2, 3], syntax: 'INTEGER', field: 'battery.estimatedMinutesRemaining' },
  { name: 'upsEstimatedChargeRemaining', sub: [2, 4], syntax: 'INTEGER', field: 'battery.estimatedChargeRemainingPercent' },
  { name: 'upsBatteryVoltage', sub: [2, 5], syntax: 'INTEGER', field: 'battery.voltageV', divisor: 10 },
  { name: 'upsBatteryCurrent', sub: [2, 6], syntax: 'INTEGER', field: 'battery.currentA', divisor: 10 },
  { name: 'upsBatteryTemperature', sub: [2, 7], syntax: 'INTEGER', field: 'battery.temperatureC' },
  { name: 'upsInputLineBads', sub: [3, 1], syntax: 'Counter32', field: 'input.lineBads' },
  { name: 'upsInputNumLines', sub: [3, 2], syntax: 'INTEGER', lines: 'input' },
  { name: 'upsOutputSource', sub: [4, 1], syntax: 'INTEGER', field: 'output.source', codes: codes(UPS_OUTPUT_SOURCE_CODES), fallback: 'other' },
  { name: 'upsOutputFrequency', sub: [4, 2], syntax: 'INTEGER', field: 'output.frequencyHz', divisor: 10 },
  { name: 'upsOutputNumLines', sub: [4, 3], syntax: 'INTEGER', lines: 'output' },
  { name: 'upsBypassFrequency', sub: [5, 1], syntax: 'INTEGER', field: 'bypass.frequencyHz', divisor: 10 },
  { name: 'upsBypassNumLines', sub: [5, 2], syntax: 'INTEGER', lines: 'bypass' },
  // upsAlarm (6) is the agent's own table of the site's alarms.
  // upsTestId is an OID: upsWellKnownTests followed by the code.
  { name: 'upsTestId', sub: [7, 1], syntax: 'OBJECT IDENTIFIER', field: 'test.id', codes: codes(UPS_TEST_ID_CODES), fallback: 'none' },
  { name: 'upsTestSpinLock', sub: [7, 2], syntax: 'INTEGER' },
  { name: 'upsTestResultsSummary', sub: [7, 3], syntax: 'INTEGER', field: 'test.resultsSummary', codes: codes(UPS_TEST_RESULT_CODES), fallback: 'noTestsInitiated' },
  { name: 'upsTestResultsDetail', sub: [7, 4], syntax: 'DisplayString', size: 255, field: 'test.resultsDetail' },
  // A TimeStamp (sysUpTime of the agent at the start): only the agent can say it.
  { name: 'upsTestStartTime', sub: [7, 5], syntax: 'TimeTicks', field: 'test.startTimeMs' },
  { name: 'upsTestElapsedTime', sub: [7, 6], syntax: 'INTEGER', field: 'test.elapsedS', divisor: 100 },
  { name: 'upsShutdownType', sub: [8, 1], syntax: 'INTEGER', field: 'control.shutdownType', codes: [['output', 1], ['system', 2]], write: control() },
  { name: 'upsShutdownAfterDelay', sub: [8, 2], syntax: 'INTEGER', field: 'control.shutdownAfterDelayS', write: control([-1, MAX]) },
  { name: 'upsStartupAfterDelay', sub: [8, 3], syntax: 'INTEGER', field: 'control.startupAfterDelayS', write: control([-1, MAX]) },
  { name: 'upsRebootWithDuration', sub: [8, 4], syntax: 'INTEGER', field: 'control.rebootWithDurationS', write: control([-1, 300]) },
  { name: 'upsAutoRestart', sub: [8, 5], syntax: 'INTEGER', field: 'control.autoRestart', codes: [[true, 1], [false, 2]], write: control() },
  { name: 'upsConfigInputVoltage', sub: [9, 1], syntax: 'INTEGER', field: 'config.inputVoltageV', write: settings([0, MAX]) },
  { name: 'upsConfigInputFreq', sub: [9, 2], syntax: 'INTEGER', field: 'config.inputFrequencyHz', divisor: 10, write: settings([0, MAX]) },
  { name: 'upsConfigOutputVoltage', sub: [9, 3], syntax: 'INTEGER', field: 'config.outputVoltageV', write: settings([0, MAX]) },
  { name: 'upsConfigOutputFreq', sub: [9, 4], syntax: 'INTEGER', field: 'config.outputFrequencyHz', divisor: 10, write: settings([0, MAX]) },
  { name: 'upsConfigOutputVA', sub: [9, 5], syntax: 'INTEGER', field: 'config.outputVA' },
  { name: 'upsConfigOutputPower', sub: [9, 6], syntax: 'INTEGER', field: 'config.outputPowerW' },
  { name: 'upsConfigLowBattTime', sub: [9, 7], syntax: 'INTEGER', field: 'config.lowBattTimeMin', write: settings([0, MAX]) },
  { name: 'upsConfigAudibleStatus', sub: [9, 8], syntax: 'INTEGER', field: 'config.audibleStatus', codes: [['disabled', 1], ['enabled', 2], ['muted', 3]], write: settings() },
  { name: 'upsConfigLowVoltageTransferPoint', sub: [9, 9], syntax: 'INTEGER', field: 'config.lowVoltageTransferPointV', write: settings([0, MAX]) },
  { name: 'upsConfigHighVoltageTransferPoint', sub: [9, 10], syntax: 'INTEGER', field: 'config.highVoltageTransferPointV', write: settings([0, MAX]) },
];

export interface UpsMibColumn {
  readonly name: string;
  readonly column: number;
  /** The line's field; absent for the index column (the line number). */
  readonly field?: string;
  readonly divisor?: number;
}

export interface UpsMibTable {
  readonly name: string;
  readonly group: 'input' | 'output' | 'bypass';
  /** The entry's sub-identifiers under upsObjects; a cell is entry.column.line. */
  readonly entry: readonly number[];
  readonly columns: readonly UpsMibColumn[];
}

export const UPS_MIB_TABLES: readonly UpsMibTable[] = [
  {
    name: 'upsInputTable', group: 'input', entry: [3, 3, 1],
    columns: [
      { name: 'upsInputLineIndex', column: 1 },
      { name: 'upsInputFrequency', column: 2, field: 'frequencyHz', divisor: 10 },
      { name: 'upsInputVoltage', column: 3, field: 'voltageV' },
      { name: 'upsInputCurrent', column: 4, field: 'currentA', divisor: 10 },
      { name: 'upsInputTruePower', column: 5, field: 'truePowerW' },
    ],
  },
  {
    name: 'upsOutputTable', group: 'output', entry: [4, 4, 1],
    columns: [
      { name: 'upsOutputLineIndex', column: 1 },
      { name: 'upsOutputVoltage', column: 2, field: 'voltageV' },
      { name: 'upsOutputCurrent', column: 3, field: 'currentA', divisor: 10 },
      { name: 'upsOutputPower', column: 4, field: 'powerW' },
      { name: 'upsOutputPercentLoad', column: 5, field: 'percentLoad' },
    ],
  },
  {
    name: 'upsBypassTable', group: 'bypass', entry: [5, 3, 1],
    columns: [
      { name: 'upsBypassLineIndex', column: 1 },
      { name: 'upsBypassVoltage', column: 2, field: 'voltageV' },
      { name: 'upsBypassCurrent', column: 3, field: 'currentA', divisor: 10 },
      { name: 'upsBypassPower', column: 4, field: 'powerW' },
    ],
  },
];

export const upsScalar = (name: string): UpsMibScalar => {
  const o = UPS_MIB_SCALARS.find((s) => s.name === name);
  if (!o) throw new Error(`no UPS-MIB scalar ${name}`);
  return o;
};

type ModelValue = string | number | boolean;

/** The model's value of a field. */
export function fieldOf(u: UpsState, field: UpsField): ModelValue {
  const [group, key] = field.split('.') as [Group, string];
  return (u[group] as unknown as Record<string, ModelValue>)[key];
}

/** The patch key a writable object's SET changes (the field's name). */
export const patchKey = (o: UpsMibScalar): string => o.field!.split('.')[1];

/** Model value -> number or text on the wire. */
export function toWire(o: { readonly codes?: WireCodes; readonly divisor?: number }, value: ModelValue): number | string {
  if (o.codes) return o.codes.find(([v]) => v === value)?.[1] ?? 0;
  if (typeof value === 'string') return value;
  return Math.round(Number(value) * (o.divisor ?? 1));
}

/** Number or text on the wire -> model value; undefined for a number the enumeration does not have (and no fallback). */
export function fromWire(o: { readonly codes?: WireCodes; readonly divisor?: number; readonly fallback?: string; readonly syntax?: UpsMibSyntax }, wire: number | string): ModelValue | undefined {
  if (o.codes) return o.codes.find(([, n]) => n === Number(wire))?.[0] ?? o.fallback;
  if (o.syntax === 'DisplayString') return String(wire);
  return typeof wire === 'number' ? wire / (o.divisor ?? 1) : undefined;
}

/** Rows of a line table as read from a card: line index -> column -> number. */
export type UpsLineRows = ReadonlyMap<number, ReadonlyMap<number, number>>;

/**
 * What a UPS card's answers say about the UPS: scalars by RFC name (an OBJECT IDENTIFIER as its
 * dotted text), line tables by group. Objects the card did not answer are left out of the patch.
 */
export function upsStateFromWire(scalars: ReadonlyMap<string, number | string>, lines: Readonly<Record<'input' | 'output' | 'bypass', UpsLineRows>>): DeepPartial<UpsState> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const o of UPS_MIB_SCALARS) {
    let wire = scalars.get(o.name);
    // upsTestStartTime is the card's own sysUpTime: meaningless here.
    if (!o.field || wire === undefined || o.syntax === 'TimeTicks') continue;
    if (o.syntax === 'OBJECT IDENTIFIER') {
      const prefix = `${UPS_WELL_KNOWN_TESTS.join('.')}.`;
      wire = typeof wire === 'string' && wire.startsWith(prefix) ? Number(wire.slice(prefix.length)) : -1;
    }
    const value = fromWire(o, wire);
    if (value === undefined) continue;
    const [group, key] = o.field.split('.');
    (out[group] ??= {})[key] = value;
  }
  for (const t of UPS_MIB_TABLES) {
    const rows = [...lines[t.group].keys()].sort((a, b) => a - b).map((i) => lines[t.group].get(i)!);
    (out[t.group] ??= {}).lines = rows.map((r) => Object.fromEntries(t.columns.filter((c) => c.field).map((c) => [c.field, (r.get(c.column) ?? 0) / (c.divisor ?? 1)])));
  }
  return out as DeepPartial<UpsState>;
}

/** The SETs that carry a control or settings patch to a UPS card, in table order. */
export function upsSetValues(command: 'ups-control' | 'ups-settings', patch: UpsControlPatch | UpsSettingsPatch): { oid: number[]; syntax: UpsMibSyntax; value: number | string }[] {
  const values = patch as Record<string, ModelValue | undefined>;
  return UPS_MIB_SCALARS.filter((o) => o.write?.command === command && values[patchKey(o)] !== undefined)
    .map((o) => ({ oid: [...upsOid(...o.sub), 0], syntax: o.syntax, value: toWire(o, values[patchKey(o)]!) }));
}
