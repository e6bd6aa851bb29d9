// RFC 1628 UPS-MIB (mib-2 33) over the site's UPS: every group, scaled as the RFC says
// (0.1 V, 0.1 A, 0.1 Hz), the alarm table from the site's alarms, and upsTest with its spin lock.
import { UPS_TEST_ID_CODES, codeNames, type Command, type CommandType, type UpsState } from '@kirchhoff/core';
import { ErrorStatus } from './message';
import { Tag } from './ber';
import { Leaf, Oid, WriteCheck, compareOid, gauge, int, integerOf, oidValue, str, stringOf, ticks, counter } from './oid-index';
import type { MibContext } from './context';
import type { SnmpValue } from './message';
import {
  UPS_MIB_SCALARS, UPS_MIB_TABLES, UPS_OBJECTS, UPS_WELL_KNOWN_ALARMS, UPS_WELL_KNOWN_TESTS, UpsMibScalar, fieldOf, patchKey, toWire, upsOid,
} from './rfc1628';

export { UPS_MIB, UPS_OBJECTS, UPS_TRAPS, UPS_WELL_KNOWN_ALARMS, UPS_WELL_KNOWN_TESTS, upsOid } from './rfc1628';

/** The tests a SET of upsTestId can start (every well-known test but upsTestNoTestsInitiated). */
const TEST_COMMAND = codeNames(UPS_TEST_ID_CODES);
const testCommand = (arc: number) => { const t = TEST_COMMAND.get(arc); return t === undefined || t === 'none' ? undefined : t; };

export const upsTestSpinLockOid = upsOid(7, 2, 0);

/** The SNMP value of a table object's wire number or text. */
function snmpValue(o: UpsMibScalar, wire: number | string): SnmpValue {
  switch (o.syntax) {
    case 'DisplayString': return str(String(wire), o.size);
    case 'Counter32': return counter(Number(wire));
    case 'TimeTicks': return ticks(Number(wire));
    case 'OBJECT IDENTIFIER': return oidValue([...UPS_WELL_KNOWN_TESTS, Number(wire)]);
    default: return int(Number(wire));
  }
}

/** The UPS-MIB leaves for the current shape (line counts, alarm rows), from the RFC 1628 table. */
export function upsMibLeaves(ctx: MibContext): Leaf[] {
  const ups0 = ctx.snap.ups;
  if (!ups0) return [];
  const ups = (): UpsState => ctx.snap.ups!;
  const leaves: Leaf[] = [];
  const scalar = (sub: readonly number[], read: (u: UpsState) => SnmpValue, write?: Leaf['write']) =>
    leaves.push({ oid: [...upsOid(...sub), 0], objectLength: UPS_OBJECTS.length + sub.length, read: () => (ctx.snap.ups ? read(ups()) : undefined), write });
  const column = (sub: readonly number[], index: number, read: (u: UpsState) => SnmpValue | undefined) =>
    leaves.push({ oid: [...upsOid(...sub), index], objectLength: UPS_OBJECTS.length + sub.length, read: () => (ctx.snap.ups ? read(ups()) : undefined) });

  for (const o of UPS_MIB_SCALARS) {
    switch (o.name) {
      // RFC 1628: the version of the agent serving the MIB, which is this one (the UPS's own card, if
      // any, is only a source).
      case 'upsIdentAgentSoftwareVersion': scalar(o.sub, () => snmpValue(o, ctx.agentVersion)); break;
      case 'upsTestId': scalar(o.sub, (u) => snmpValue(o, toWire(o, u.test.id)), (v, set) => writeTestId(ctx, v, set)); break;
      case 'upsTestSpinLock': scalar(o.sub, () => int(ctx.testSpinLock), (v) => writeSpinLock(ctx, v)); break;
      case 'upsTestStartTime': scalar(o.sub, (u) => ticks(u.test.startTimeMs ? ctx.ticksAt(u.test.startTimeMs) : 0)); break;
      default:
        if (o.lines) scalar(o.sub, (u) => int(u[o.lines!].lines.length));
        else scalar(o.sub, (u) => snmpValue(o, toWire(o, fieldOf(u, o.field!))), o.write ? commandWrite(ctx, o) : undefined);
    }
  }
  for (const t of UPS_MIB_TABLES) {
    ups0[t.group].lines.forEach((_l, i) => {
      const line = (u: UpsState) => u[t.group].lines[i] as unknown as Record<string, number> | undefined;
      for (const c of t.columns) {
        column([...t.entry, c.column], i + 1, (u) => (!line(u) ? undefined : c.field ? int(toWire(c, line(u)![c.field]) as number) : int(i + 1)));
      }
    });
  }
  // upsAlarm: rows kept by the agent (ids that increase, time of detection)
  scalar([6, 1], () => gauge(ctx.upsAlarms().length));
  for (const row of ctx.upsAlarms()) {
    const current = () => ctx.upsAlarms().find((r) => r.id === row.id);
    column([6, 2, 1, 1], row.id, () => (current() ? int(row.id) : undefined));
    column([6, 2, 1, 2], row.id, () => (current() ? oidValue([...UPS_WELL_KNOWN_ALARMS, row.descr]) : undefined));
    column([6, 2, 1, 3], row.id, () => (current() ? ticks(row.timeTicks) : undefined));
  }
  return leaves;
}

/** A SET of a writable table object: its value checked against the table, then one command. */
function commandWrite(ctx: MibContext, o: UpsMibScalar): Leaf['write'] {
  const type: CommandType = o.write!.command;
  return (v) => {
    if (!ctx.canWrite(type)) return { error: ErrorStatus.notWritable };
    let value: string | number | boolean;
    if (o.syntax === 'DisplayString') {
      const t = stringOf(v);
      if (t === undefined) return { error: ErrorStatus.wrongType };
      if (Buffer.byteLength(t) > (o.size ?? 255)) return { error: ErrorStatus.wrongLength };
      value = t;
    } else {
      const n = integerOf(v);
      if (n === undefined) return { error: ErrorStatus.wrongType };
      if (o.codes) {
        const code = o.codes.find(([, c]) => c === n);
        if (!code) return { error: ErrorStatus.wrongValue };
        value = code[0];
      } else {
        const [lo, hi] = o.write!.range ?? [-2147483648, 2147483647];
        if (n < lo || n > hi) return { error: ErrorStatus.wrongValue };
        value = n / (o.divisor ?? 1);
      }
    }
    const patch = { [patchKey(o)]: value };
    const command: Command = type === 'ups-control' ? { type, control: patch } : { type: 'ups-settings', settings: patch };
    return { command };
  };
}

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
  if (o.length !== base.length + 1 || compareOid(o.slice(0, base.length), base) !== 0 || !testCommand(o[base.length])) return { error: ErrorStatus.wrongValue };
  if (!set.varbinds.some((vb) => compareOid(vb.oid, upsTestSpinLockOid) === 0)) return { error: ErrorStatus.inconsistentValue };
  const test = testCommand(o[base.length])!;
  if (ctx.snap.ups?.test.resultsSummary === 'inProgress' && test !== 'abort') return { error: ErrorStatus.inconsistentValue };
  return { command: { type: 'ups-test', test } };
}

/** Varbinds of upsTrapTestCompleted: the six upsTest objects. */
export function upsTestVarbindOids(): number[][] {
  return [1, 2, 3, 4, 5, 6].map((n) => [...upsOid(7, n), 0]);
}
