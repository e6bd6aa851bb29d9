// RFC 1628 UPS-MIB (mib-2 33) over the site's UPS: every group, scaled as the RFC says
// (0.1 V, 0.1 A, 0.1 Hz), the alarm table from the site's alarms, and upsTest with its spin lock.
import type { Command, CommandType, UpsControlPatch, UpsSettingsPatch, UpsState, UpsTestId } from '@kirchhoff/core';
import { ErrorStatus } from './message';
import { Tag } from './ber';
import { Leaf, Oid, WriteCheck, compareOid, gauge, int, integerOf, oidValue, str, stringOf, ticks, counter } from './oid-index';
import type { MibContext } from './context';
import type { SnmpValue } from './message';

export const UPS_MIB = [1, 3, 6, 1, 2, 1, 33] as const;
export const UPS_OBJECTS = [...UPS_MIB, 1];
export const UPS_TRAPS = [...UPS_MIB, 2];
export const UPS_WELL_KNOWN_ALARMS = [...UPS_OBJECTS, 6, 3];
export const UPS_WELL_KNOWN_TESTS = [...UPS_OBJECTS, 7, 7];

export const upsOid = (...sub: number[]): number[] => [...UPS_OBJECTS, ...sub];

const BATTERY_STATUS = { unknown: 1, normal: 2, low: 3, depleted: 4 } as const;
const OUTPUT_SOURCE = { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 } as const;
const TEST_RESULT = { donePass: 1, doneWarning: 2, doneError: 3, aborted: 4, inProgress: 5, noTestsInitiated: 6 } as const;
const TEST_ID: Record<UpsTestId, number> = { none: 1, abort: 2, general: 3, quick: 4, deep: 5 };
const TEST_COMMAND: Record<number, 'abort' | 'general' | 'quick' | 'deep'> = { 2: 'abort', 3: 'general', 4: 'quick', 5: 'deep' };
const AUDIBLE = { disabled: 1, enabled: 2, muted: 3 } as const;

export const upsTestSpinLockOid = upsOid(7, 2, 0);

const tenths = (v: number) => Math.round(v * 10);

/** The UPS-MIB leaves for the current shape (line counts, alarm rows). */
export function upsMibLeaves(ctx: MibContext): Leaf[] {
  const ups0 = ctx.snap.ups;
  if (!ups0) return [];
  const ups = (): UpsState => ctx.snap.ups!;
  const leaves: Leaf[] = [];
  const scalar = (sub: number[], read: (u: UpsState) => SnmpValue, write?: Leaf['write']) =>
    leaves.push({ oid: [...upsOid(...sub), 0], objectLength: UPS_OBJECTS.length + sub.length, read: () => (ctx.snap.ups ? read(ups()) : undefined), write });
  const column = (sub: number[], index: number, read: (u: UpsState) => SnmpValue | undefined) =>
    leaves.push({ oid: [...upsOid(...sub), index], objectLength: UPS_OBJECTS.length + sub.length, read: () => (ctx.snap.ups ? read(ups()) : undefined) });

  // upsIdent
  scalar([1, 1], (u) => str(u.ident.manufacturer, 31));
  scalar([1, 2], (u) => str(u.ident.model, 63));
  scalar([1, 3], (u) => str(u.ident.upsSoftwareVersion, 63));
  // RFC 1628: the version of the agent serving the MIB, which is this one (the UPS's own card, if
  // any, is only a source).
  scalar([1, 4], () => str(ctx.agentVersion, 63));
  scalar([1, 5], (u) => str(u.ident.name, 63), settingsWrite(ctx, 'name', textValue(63)));
  scalar([1, 6], (u) => str(u.ident.attachedDevices, 63), settingsWrite(ctx, 'attachedDevices', textValue(63)));
  // upsBattery
  scalar([2, 1], (u) => int(BATTERY_STATUS[u.battery.status]));
  scalar([2, 2], (u) => int(u.battery.secondsOnBattery));
  scalar([2, 3], (u) => int(u.battery.estimatedMinutesRemaining));
  scalar([2, 4], (u) => int(u.battery.estimatedChargeRemainingPercent));
  scalar([2, 5], (u) => int(tenths(u.battery.voltageV)));
  scalar([2, 6], (u) => int(tenths(u.battery.currentA)));
  scalar([2, 7], (u) => int(u.battery.temperatureC));
  // upsInput
  scalar([3, 1], (u) => counter(u.input.lineBads));
  scalar([3, 2], (u) => int(u.input.lines.length));
  ups0.input.lines.forEach((_l, i) => {
    const line = (u: UpsState) => u.input.lines[i];
    column([3, 3, 1, 1], i + 1, (u) => (line(u) ? int(i + 1) : undefined));
    column([3, 3, 1, 2], i + 1, (u) => (line(u) ? int(tenths(line(u).frequencyHz)) : undefined));
    column([3, 3, 1, 3], i + 1, (u) => (line(u) ? int(line(u).voltageV) : undefined));
    column([3, 3, 1, 4], i + 1, (u) => (line(u) ? int(tenths(line(u).currentA)) : undefined));
    column([3, 3, 1, 5], i + 1, (u) => (line(u) ? int(line(u).truePowerW) : undefined));
  });
  // upsOutput
  scalar([4, 1], (u) => int(OUTPUT_SOURCE[u.output.source]));
  scalar([4, 2], (u) => int(tenths(u.output.frequencyHz)));
  scalar([4, 3], (u) => int(u.output.lines.length));
  ups0.output.lines.forEach((_l, i) => {
    const line = (u: UpsState) => u.output.lines[i];
    column([4, 4, 1, 1], i + 1, (u) => (line(u) ? int(i + 1) : undefined));
    column([4, 4, 1, 2], i + 1, (u) => (line(u) ? int(line(u).voltageV) : undefined));
    column([4, 4, 1, 3], i + 1, (u) => (line(u) ? int(tenths(line(u).currentA)) : undefined));
    column([4, 4, 1, 4], i + 1, (u) => (line(u) ? int(line(u).powerW) : undefined));
    column([4, 4, 1, 5], i + 1, (u) => (line(u) ? int(line(u).percentLoad) : undefined));
  });
  // upsBypass
  scalar([5, 1], (u) => int(tenths(u.bypass.frequencyHz)));
  scalar([5, 2], (u) => int(u.bypass.lines.length));
  ups0.bypass.lines.forEach((_l, i) => {
    const line = (u: UpsState) => u.bypass.lines[i];
    column([5, 3, 1, 1], i + 1, (u) => (line(u) ? int(i + 1) : undefined));
    column([5, 3, 1, 2], i + 1, (u) => (line(u) ? int(line(u).voltageV) : undefined));
    column([5, 3, 1, 3], i + 1, (u) => (line(u) ? int(tenths(line(u).currentA)) : undefined));
    column([5, 3, 1, 4], i + 1, (u) => (line(u) ? int(line(u).powerW) : undefined));
  });
  // upsAlarm: rows kept by the agent (ids that increase, time of detection)
  scalar([6, 1], () => gauge(ctx.upsAlarms().length));
  for (const row of ctx.upsAlarms()) {
    const current = () => ctx.upsAlarms().find((r) => r.id === row.id);
    column([6, 2, 1, 1], row.id, () => (current() ? int(row.id) : undefined));
    column([6, 2, 1, 2], row.id, () => (current() ? oidValue([...UPS_WELL_KNOWN_ALARMS, row.descr]) : undefined));
    column([6, 2, 1, 3], row.id, () => (current() ? ticks(row.timeTicks) : undefined));
  }
  // upsTest
  scalar([7, 1], (u) => oidValue([...UPS_WELL_KNOWN_TESTS, TEST_ID[u.test.id]]), (v, set) => writeTestId(ctx, v, set));
  scalar([7, 2], () => int(ctx.testSpinLock), (v) => writeSpinLock(ctx, v));
  scalar([7, 3], (u) => int(TEST_RESULT[u.test.resultsSummary]));
  scalar([7, 4], (u) => str(u.test.resultsDetail, 255));
  scalar([7, 5], (u) => ticks(u.test.startTimeMs ? ctx.ticksAt(u.test.startTimeMs) : 0));
  scalar([7, 6], (u) => int(u.test.elapsedS * 100));
  // upsControl: writes become one `ups-control` command each, through the command interface.
  scalar([8, 1], (u) => int(u.control.shutdownType === 'output' ? 1 : 2), controlWrite(ctx, 'shutdownType', enumValue({ 1: 'output', 2: 'system' })));
  scalar([8, 2], (u) => int(u.control.shutdownAfterDelayS), controlWrite(ctx, 'shutdownAfterDelayS', intValue(-1, 2147483647)));
  scalar([8, 3], (u) => int(u.control.startupAfterDelayS), controlWrite(ctx, 'startupAfterDelayS', intValue(-1, 2147483647)));
  scalar([8, 4], (u) => int(u.control.rebootWithDurationS), controlWrite(ctx, 'rebootWithDurationS', intValue(-1, 300)));
  scalar([8, 5], (u) => int(u.control.autoRestart ? 1 : 2), controlWrite(ctx, 'autoRestart', enumValue({ 1: true, 2: false })));
  // upsConfig: read-write except OutputVA and OutputPower (RFC 1628), as `ups-settings` commands.
  scalar([9, 1], (u) => int(u.config.inputVoltageV), settingsWrite(ctx, 'inputVoltageV', intValue(0, 2147483647)));
  scalar([9, 2], (u) => int(tenths(u.config.inputFrequencyHz)), settingsWrite(ctx, 'inputFrequencyHz', intValue(0, 2147483647, 10)));
  scalar([9, 3], (u) => int(u.config.outputVoltageV), settingsWrite(ctx, 'outputVoltageV', intValue(0, 2147483647)));
  scalar([9, 4], (u) => int(tenths(u.config.outputFrequencyHz)), settingsWrite(ctx, 'outputFrequencyHz', intValue(0, 2147483647, 10)));
  scalar([9, 5], (u) => int(u.config.outputVA));
  scalar([9, 6], (u) => int(u.config.outputPowerW));
  scalar([9, 7], (u) => int(u.config.lowBattTimeMin), settingsWrite(ctx, 'lowBattTimeMin', intValue(0, 2147483647)));
  scalar([9, 8], (u) => int(AUDIBLE[u.config.audibleStatus]), settingsWrite(ctx, 'audibleStatus', enumValue({ 1: 'disabled', 2: 'enabled', 3: 'muted' })));
  scalar([9, 9], (u) => int(u.config.lowVoltageTransferPointV), settingsWrite(ctx, 'lowVoltageTransferPointV', intValue(0, 2147483647)));
  scalar([9, 10], (u) => int(u.config.highVoltageTransferPointV), settingsWrite(ctx, 'highVoltageTransferPointV', intValue(0, 2147483647)));
  return leaves;
}

/** Decodes a SET value for one object: the JS value, or the SNMP error status. */
type Decode<T> = (v: SnmpValue) => { value: T } | { error: number };

const intValue = (lo: number, hi: number, divisor = 1): Decode<number> => (v) => {
  const n = integerOf(v);
  if (n === undefined) return { error: ErrorStatus.wrongType };
  return n < lo || n > hi ? { error: ErrorStatus.wrongValue } : { value: n / divisor };
};
const enumValue = <T>(values: Record<number, T>): Decode<T> => (v) => {
  const n = integerOf(v);
  if (n === undefined) return { error: ErrorStatus.wrongType };
  return n in values ? { value: values[n] } : { error: ErrorStatus.wrongValue };
};
const textValue = (max: number): Decode<string> => (v) => {
  const t = stringOf(v);
  if (t === undefined) return { error: ErrorStatus.wrongType };
  return Buffer.byteLength(t) > max ? { error: ErrorStatus.wrongLength } : { value: t };
};

function commandWrite<T>(ctx: MibContext, type: CommandType, decode: Decode<T>, command: (value: T) => Command): Leaf['write'] {
  return (v) => {
    if (!ctx.canWrite(type)) return { error: ErrorStatus.notWritable };
    const d = decode(v);
    return 'error' in d ? d : { command: command(d.value) };
  };
}
const controlWrite = <K extends keyof UpsControlPatch>(ctx: MibContext, field: K, decode: Decode<NonNullable<UpsControlPatch[K]>>) =>
  commandWrite(ctx, 'ups-control', decode, (value) => ({ type: 'ups-control', control: { [field]: value } as UpsControlPatch }));
const settingsWrite = <K extends keyof UpsSettingsPatch>(ctx: MibContext, field: K, decode: Decode<NonNullable<UpsSettingsPatch[K]>>) =>
  commandWrite(ctx, 'ups-settings', decode, (value) => ({ type: 'ups-settings', settings: { [field]: value } as UpsSettingsPatch }));

/** TestAndIncr (RFC 2579): a SET must carry the current value; the agent then increments it. */
function writeSpinLock(ctx: MibContext, v: SnmpValue): WriteCheck {
  if (!ctx.canWrite('ups-test')) return { error: ErrorStatus.notWritable };
  const n = integerOf(v);
  if (n === undefined) return { error: ErrorStatus.wrongType };
  if (n < 0 || n > 2147483647) return { error: ErrorStatus.wrongValue };
  if (n !== ctx.testSpinLock) return { error: ErrorStatus.inconsistentValue };
  return { apply: () => (ctx.testSpinLock = ctx.testSpinLock >= 2147483647 ? 0 : ctx.testSpinLock + 1) };
}

/** upsTestId: only with upsTestSpinLock in the same SET (RFC 1628), through the command interface. */
function writeTestId(ctx: MibContext, v: SnmpValue, set: { varbinds: readonly { oid: Oid; value: SnmpValue }[]; origin: unknown }): WriteCheck {
  if (!ctx.canWrite('ups-test')) return { error: ErrorStatus.notWritable };
  if (v.tag !== Tag.Oid) return { error: ErrorStatus.wrongType };
  const o = v.value;
  const base = UPS_WELL_KNOWN_TESTS;
  if (o.length !== base.length + 1 || compareOid(o.slice(0, base.length), base) !== 0 || !TEST_COMMAND[o[base.length]]) return { error: ErrorStatus.wrongValue };
  if (!set.varbinds.some((vb) => compareOid(vb.oid, upsTestSpinLockOid) === 0)) return { error: ErrorStatus.inconsistentValue };
  const test = TEST_COMMAND[o[base.length]];
  if (ctx.snap.ups?.test.resultsSummary === 'inProgress' && test !== 'abort') return { error: ErrorStatus.inconsistentValue };
  return { command: { type: 'ups-test', test } };
}

/** Varbinds of upsTrapTestCompleted: the six upsTest objects. */
export function upsTestVarbindOids(): number[][] {
  return [1, 2, 3, 4, 5, 6].map((n) => [...upsOid(7, n), 0]);
}
