// The command responder (RFC 3413 section 3.2): answers GET, GETNEXT and GETBULK from the OID
// index within the principal's view, and applies SETs through the command interface, all or
// nothing. It sees decoded PDUs and returns encoded response PDUs: no message, no security, no I/O.
import { COMMAND_ERRORS, Command, CommandError, CommandInterface, RateLimitedLog, SiteSnapshot, Threshold, ThresholdKey, thresholdProblems } from '@kirchhoff/core';
import { Tag } from './ber';
import { ErrorStatus, Pdu, PduType, SnmpValue, encodePduRaw, encodeVarBind } from './message';
import { OidIndex, Oid, compareOid, startsWith } from './oid-index';
import type { Access, SnmpLogger } from './options';
import type { SnmpCounters } from './system-mib';

/** Largest number of varbinds one GETBULK answer carries, whatever the request asks. */
export const MAX_BULK_VARBINDS = 512;

/** Who sent a request: a v2c community or a v3 user, with its access and view. */
export interface Principal {
  readonly name: string;
  readonly access: Access;
  /** OID subtrees it sees; null = everything. */
  readonly view: readonly Oid[] | null;
}

/** What the responder knows about a request besides its PDU. */
export interface RequestInfo {
  readonly principal: Principal;
  /** For log lines: `v2c community read-only`, `v3 user ops`. */
  readonly who: string;
  /** `address:port` of the manager. */
  readonly remote: string;
  /** Bytes the varbinds of a GETBULK answer may take. */
  readonly maxVarbindBytes: number;
}

/** The PDU types this application registers for (RFC 3413 3.2). */
export const RESPONDER_PDU_TYPES: ReadonlySet<number> = new Set([PduType.GetRequest, PduType.GetNextRequest, PduType.GetBulkRequest, PduType.SetRequest]);

export interface CommandResponderOptions {
  /** The OID index over the snapshot this request reads (rebuilt by the agent when rows come or go). */
  readonly index: () => OidIndex;
  /** The snapshot the index was built from (thresholds for SET consistency checks). */
  readonly snapshot: () => SiteSnapshot;
  readonly commands: CommandInterface | null;
  readonly counters: SnmpCounters;
  readonly log: RateLimitedLog;
  readonly logger: SnmpLogger;
}

export class CommandResponder {
  constructor(private readonly o: CommandResponderOptions) {}

  /** The response PDU to a request PDU of one of RESPONDER_PDU_TYPES. */
  async respond(pdu: Pdu, request: RequestInfo): Promise<Buffer> {
    if (pdu.type !== PduType.SetRequest) return this.read(pdu, request.principal, request.maxVarbindBytes);
    try {
      return await this.write(pdu, request);
    } catch (e) {
      this.o.logger.error(`SNMP SET from ${request.remote} failed: ${String(e)}`);
      return encodePduRaw(PduType.Response, pdu.requestId, ErrorStatus.genErr, 1, pdu.varbinds.map(encodeVarBind));
    }
  }

  /** GET, GETNEXT or GETBULK (RFC 3416 4.2.1 to 4.2.3). */
  read(pdu: Pdu, p: Principal, maxVarbindBytes: number): Buffer {
    const index = this.o.index();
    const out: Buffer[] = [];
    const end = (oid: Oid): Buffer => encodeVarBind({ oid, value: { tag: Tag.EndOfMibView, value: null } });
    if (pdu.type === PduType.GetRequest) {
      for (const vb of pdu.varbinds) out.push(encodeVarBind({ oid: vb.oid, value: get(index, vb.oid, p) }));
    } else if (pdu.type === PduType.GetNextRequest) {
      for (const vb of pdu.varbinds) {
        const n = next(index, vb.oid, p);
        out.push(n ? encodeVarBind(n) : end(vb.oid));
      }
    } else {
      const nonRepeaters = Math.max(0, Math.min(pdu.errorStatus, pdu.varbinds.length));
      const maxRepetitions = Math.max(0, pdu.errorIndex);
      let size = 0;
      const add = (b: Buffer): boolean => {
        if (out.length && (size + b.length > maxVarbindBytes || out.length >= MAX_BULK_VARBINDS)) return false;
        out.push(b);
        size += b.length;
        return true;
      };
      for (let i = 0; i < nonRepeaters; i++) {
        const n = next(index, pdu.varbinds[i].oid, p);
        if (!add(n ? encodeVarBind(n) : end(pdu.varbinds[i].oid))) break;
      }
      const cursors = pdu.varbinds.slice(nonRepeaters).map((vb) => ({ oid: vb.oid, ended: false }));
      outer: for (let r = 0; r < maxRepetitions && cursors.length; r++) {
        for (const c of cursors) {
          let b: Buffer;
          if (c.ended) b = end(c.oid);
          else {
            const n = next(index, c.oid, p);
            if (n) {
              c.oid = n.oid;
              b = encodeVarBind(n);
            } else {
              c.ended = true;
              b = end(c.oid);
            }
          }
          if (!add(b)) break outer;
        }
        if (cursors.every((c) => c.ended)) break;
      }
    }
    return encodePduRaw(PduType.Response, pdu.requestId, 0, 0, out);
  }

  /** SET (RFC 3416 4.2.5): every varbind checked before any is applied. */
  private async write(pdu: Pdu, request: RequestInfo): Promise<Buffer> {
    const { principal: p, who, remote } = request;
    const index = this.o.index();
    const echo = pdu.varbinds.map(encodeVarBind);
    const fail = (status: number, i: number) => encodePduRaw(PduType.Response, pdu.requestId, status, i + 1, echo);
    if (p.access !== 'read-write') {
      this.o.counters.inBadCommunityUses++;
      this.o.log.warn('ro', `SNMP: SET from ${hostOf(remote)} refused: ${who} is read-only`);
      return fail(ErrorStatus.noAccess, 0);
    }
    const commandInterface = this.o.commands;
    const origin = { protocol: 'snmp' as const, principal: p.name, remote };
    const ctx = { varbinds: pdu.varbinds, origin };
    const applies: (() => void)[] = [];
    const commands: { command: Command; at: number }[] = [];
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const vb = pdu.varbinds[i];
      if (!inView(vb.oid, p)) return fail(ErrorStatus.noAccess, i);
      const leaf = index.exact(vb.oid);
      if (!leaf || leaf.read() === undefined) return fail(index.hasObjectFor(vb.oid) ? ErrorStatus.noCreation : ErrorStatus.notWritable, i);
      if (!leaf.write) return fail(ErrorStatus.notWritable, i);
      const check = leaf.write(vb.value, ctx);
      if ('error' in check) return fail(check.error, i);
      if (check.apply) applies.push(check.apply);
      if (check.command) {
        // Several columns of one threshold row become one command, checked as a whole.
        const c = check.command;
        const same = c.type === 'set-threshold' ? commands.find((x) => x.command.type === 'set-threshold' && x.command.key === c.key) : undefined;
        if (same && same.command.type === 'set-threshold' && c.type === 'set-threshold') {
          same.command = { ...same.command, threshold: { ...same.command.threshold, ...c.threshold } };
        } else commands.push({ command: c, at: i });
      }
    }
    if (commands.length && !commandInterface) return fail(ErrorStatus.notWritable, commands[0].at);
    for (const { command, at } of commands) {
      if (command.type === 'set-threshold') {
        const current = thresholdOf(this.o.snapshot(), command.key);
        if (thresholdProblems({ ...(current ?? { hysteresis: 0, delayMs: 0 }), ...command.threshold }).length) return fail(ErrorStatus.inconsistentValue, at);
      }
      try {
        commandInterface!.validate(command);
      } catch (e) {
        return fail(e instanceof CommandError ? COMMAND_ERRORS[e.code].snmpCheckStatus : ErrorStatus.wrongValue, at);
      }
    }
    for (const apply of applies) apply();
    for (const { command, at } of commands) {
      try {
        await commandInterface!.submit(command, origin);
      } catch (e) {
        this.o.logger.warn(`SNMP SET from ${hostOf(remote)} (${who}): ${command.type} failed: ${(e as Error).message}`);
        return fail(e instanceof CommandError ? COMMAND_ERRORS[e.code].snmpCommitStatus : ErrorStatus.commitFailed, at);
      }
    }
    return encodePduRaw(PduType.Response, pdu.requestId, 0, 0, echo);
  }
}

function inView(oid: Oid, p: Principal): boolean {
  return !p.view || p.view.some((v) => startsWith(oid, v));
}

/** The first readable leaf after `oid` in the principal's view, or null at the end of the MIB. */
function next(index: OidIndex, oid: Oid, p: Principal): { oid: Oid; value: SnmpValue } | null {
  let i = index.lowerBound(oid);
  const leaves = index.leaves;
  if (i < leaves.length && compareOid(leaves[i].oid, oid) === 0) i++;
  for (; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (!inView(leaf.oid, p)) {
      // Jump to the next view subtree instead of stepping through everything outside it.
      const ahead = p.view!.filter((v) => compareOid(v, leaf.oid) > 0).sort(compareOid)[0];
      if (!ahead) return null;
      i = index.lowerBound(ahead) - 1;
      continue;
    }
    const value = leaf.read();
    if (value !== undefined) return { oid: leaf.oid, value };
  }
  return null;
}

function get(index: OidIndex, oid: Oid, p: Principal): SnmpValue {
  if (!inView(oid, p)) return { tag: Tag.NoSuchObject, value: null };
  const leaf = index.exact(oid);
  const value = leaf?.read();
  if (value !== undefined) return value;
  return index.hasObjectFor(oid) ? { tag: Tag.NoSuchInstance, value: null } : { tag: Tag.NoSuchObject, value: null };
}

function thresholdOf(snap: SiteSnapshot, key: ThresholdKey): Threshold | undefined {
  if (key.startsWith('sensors.')) return snap.thresholds.sensors[key.slice('sensors.'.length)];
  return (snap.thresholds as unknown as Record<string, Threshold>)[key];
}

/** The address part of `address:port` (IPv6 addresses keep their colons). */
function hostOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  return i > 0 ? remote.slice(0, i) : remote;
}
