// The agent's own objects: the MIB-II system group and snmp group (RFC 3418), snmpEngine
// (RFC 3411), snmpMPDStats (RFC 3412), snmpUnknownContexts (RFC 3413) and usmStats (RFC 3414).
import { Tag } from './ber';
import type { SnmpValue } from './message';
import { Leaf, Oid, counter, int, oidValue, str, ticks } from './oid-index';
import { USM_STATS_OID, UsmStat, UsmStatName } from './usm';

export const SYSTEM = [1, 3, 6, 1, 2, 1, 1];
export const SNMP_GROUP = [1, 3, 6, 1, 2, 1, 11];
export const SNMP_ENGINE = [1, 3, 6, 1, 6, 3, 10, 2, 1];
export const MPD_STATS = [1, 3, 6, 1, 6, 3, 11, 2, 1];
export const SNMP_UNKNOWN_CONTEXTS = [1, 3, 6, 1, 6, 3, 12, 1, 5, 0];
/** snmpEngineMaxMessageSize: the largest UDP payload over IPv4. */
export const ENGINE_MAX_MESSAGE_SIZE = 65507;

/** RFC 3418 snmp group, RFC 3412 snmpMPDStats and RFC 3414 usmStats counters. */
export interface SnmpCounters {
  inPkts: number;
  outPkts: number;
  inBadVersions: number;
  inBadCommunityNames: number;
  inBadCommunityUses: number;
  inASNParseErrs: number;
  silentDrops: number;
  unknownSecurityModels: number;
  invalidMsgs: number;
  unknownPDUHandlers: number;
  unknownContexts: number;
  usm: Record<UsmStatName, number>;
}

export function newCounters(): SnmpCounters {
  return {
    inPkts: 0, outPkts: 0, inBadVersions: 0, inBadCommunityNames: 0, inBadCommunityUses: 0, inASNParseErrs: 0, silentDrops: 0,
    unknownSecurityModels: 0, invalidMsgs: 0, unknownPDUHandlers: 0, unknownContexts: 0,
    usm: { unsupportedSecLevels: 0, notInTimeWindows: 0, unknownUserNames: 0, unknownEngineIDs: 0, wrongDigests: 0, decryptionErrors: 0 },
  };
}

export interface SystemMibSource {
  /** sysDescr, sysContact, sysName, sysLocation; the site's info fills what is absent. */
  readonly system: { readonly descr?: string; readonly contact?: string; readonly name?: string; readonly location?: string };
  readonly site: () => { readonly name: string; readonly contact: string; readonly location: string };
  readonly agentVersion: string;
  readonly sysObjectId: Oid;
  readonly counters: SnmpCounters;
  readonly engineId: Buffer;
  readonly engineBoots: number;
  uptimeTicks(): number;
  engineTime(): number;
}

export function systemLeaves(s: SystemMibSource): Leaf[] {
  const o = s.system;
  const c = s.counters;
  const scalar = (base: number[], sub: number, read: () => SnmpValue): Leaf => ({ oid: [...base, sub, 0], objectLength: base.length + 1, read });
  return [
    scalar(SYSTEM, 1, () => str(o.descr ?? `Kirchhoff battery management gateway: ${s.site().name} (${s.agentVersion})`)),
    scalar(SYSTEM, 2, () => oidValue(s.sysObjectId)),
    scalar(SYSTEM, 3, () => ticks(s.uptimeTicks())),
    scalar(SYSTEM, 4, () => str(o.contact ?? s.site().contact)),
    scalar(SYSTEM, 5, () => str(o.name ?? s.site().name)),
    scalar(SYSTEM, 6, () => str(o.location ?? s.site().location)),
    scalar(SYSTEM, 7, () => int(72)),
    scalar(SNMP_GROUP, 1, () => counter(c.inPkts)),
    scalar(SNMP_GROUP, 2, () => counter(c.outPkts)),
    scalar(SNMP_GROUP, 3, () => counter(c.inBadVersions)),
    scalar(SNMP_GROUP, 4, () => counter(c.inBadCommunityNames)),
    scalar(SNMP_GROUP, 5, () => counter(c.inBadCommunityUses)),
    scalar(SNMP_GROUP, 6, () => counter(c.inASNParseErrs)),
    scalar(SNMP_GROUP, 30, () => int(2)),
    scalar(SNMP_GROUP, 31, () => counter(c.silentDrops)),
    scalar(SNMP_GROUP, 32, () => counter(0)),
    scalar(SNMP_ENGINE, 1, () => ({ tag: Tag.OctetString, value: s.engineId })),
    scalar(SNMP_ENGINE, 2, () => int(s.engineBoots)),
    scalar(SNMP_ENGINE, 3, () => int(s.engineTime())),
    scalar(SNMP_ENGINE, 4, () => int(ENGINE_MAX_MESSAGE_SIZE)),
    scalar(MPD_STATS, 1, () => counter(c.unknownSecurityModels)),
    scalar(MPD_STATS, 2, () => counter(c.invalidMsgs)),
    scalar(MPD_STATS, 3, () => counter(c.unknownPDUHandlers)),
    { oid: SNMP_UNKNOWN_CONTEXTS, objectLength: SNMP_UNKNOWN_CONTEXTS.length - 1, read: () => counter(c.unknownContexts) },
    ...(Object.keys(UsmStat) as UsmStatName[]).map((k) => scalar(USM_STATS_OID, UsmStat[k], () => counter(c.usm[k]))),
  ];
}
