// createSnmpAgent's options: listener, v2c communities and v3 users with their views, engine
// identity, notification receivers. Validated at start-up with messages a user can act on.
import { stderrLogger as prefixedStderrLogger, type Clock, type CommandInterface, type Logger, type ProblemLog } from '@kirchhoff/core';
import { AUTH_PROTOCOLS, AuthProtocol, PRIV_PROTOCOLS, PrivProtocol, SecurityLevel } from './usm';
import type { NotificationReceiver } from './notifications';
import { SnmpConfigError } from './engine';
import { parseOid } from './oid-index';

export type Access = 'read-only' | 'read-write';

/** Core's logger (the name is kept for the package's users). */
export type SnmpLogger = Logger;

export interface CommunityOption {
  readonly name: string;
  /** Default read-only. */
  readonly access?: Access;
  /** OID subtrees this community sees (default: everything). */
  readonly view?: readonly string[];
}

export interface UserOption {
  readonly name: string;
  /** Required, so noAuthNoPriv is never the accidental default. */
  readonly securityLevel: SecurityLevel;
  readonly auth?: { readonly protocol: AuthProtocol; readonly password: string };
  readonly priv?: { readonly protocol: PrivProtocol; readonly password: string };
  readonly access?: Access;
  readonly view?: readonly string[];
}

export interface SnmpAgentOptions {
  /** UDP port (default 161, which needs privileges: the gateway's demo uses 1161). */
  readonly port?: number;
  /** Default 0.0.0.0. */
  readonly address?: string;
  /** v2c communities; v2c is off when empty. */
  readonly communities?: readonly CommunityOption[];
  /** v3 USM users; v3 is off when empty. */
  readonly users?: readonly UserOption[];
  /** Writes (UPS test, thresholds, relays) go through it; without it every object is read-only. */
  readonly commands?: CommandInterface | null;
  /** snmpEngineID as hex; else the one in `stateFile`, else derived from the site name and port. */
  readonly engineId?: string;
  /** JSON file keeping the engine id and boots counter across restarts. */
  readonly stateFile?: string;
  readonly receivers?: readonly NotificationReceiver[];
  /** Minimum time between two notifications to one receiver (RFC 1628: 5 s). */
  readonly notificationIntervalMs?: number;
  /** upsTrapOnBattery repeat period while on battery (RFC 1628: one minute). */
  readonly onBatteryRepeatMs?: number;
  /** MIB-II system group values (defaults from the site info). */
  readonly system?: { readonly descr?: string; readonly contact?: string; readonly name?: string; readonly location?: string };
  /**
   * Private Enterprise Number of the BMS MIB, its notifications and sysObjectID. Default 32473
   * (RFC 5612, reserved for documentation): set the number IANA assigned to your organisation.
   */
  readonly enterpriseNumber?: number;
  /** upsIdentAgentSoftwareVersion and the end of sysDescr. Default `Kirchhoff <this package's version>`. */
  readonly agentVersion?: string;
  /** Largest response the agent builds for v2c (v3 uses the manager's msgMaxSize). Default 1472. */
  readonly maxMessageSize?: number;
  readonly logger?: SnmpLogger;
  /** sysUpTime and snmpEngineTime count on it (tests, simulations). Default: the process's monotonic clock. */
  readonly clock?: Clock;
  /** Counts hostile input (for /metrics) and limits its lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
}

/** Communities and passwords found in tutorials, defaults and this project's demo. */
export const DEFAULT_COMMUNITIES = ['public', 'private', 'community', 'snmp', 'admin', 'manager', 'secret'];
export const DEFAULT_PASSWORDS = ['password', 'maplesyrup', 'authpassword', 'privpassword', '12345678', 'public12', 'kirchhoff-demo-auth', 'kirchhoff-demo-priv',
  // The placeholders of the shipped example configuration (apps/gateway/examples/site.yaml).
  'change-this-auth-phrase', 'change-this-priv-phrase'];

/** A default, published or placeholder (`change-this...`, `changeme`) v3 key, or the user's own name. */
export function isDefaultPassword(password: string, userName: string): boolean {
  const pw = password.toLowerCase();
  return DEFAULT_PASSWORDS.includes(pw) || /^change[-_ ]?(this|me)/.test(pw) || pw === userName.toLowerCase();
}

export const stderrLogger: SnmpLogger = prefixedStderrLogger('snmp');

export function validateOptions(o: SnmpAgentOptions): void {
  const fail = (key: string, msg: string): never => {
    throw new SnmpConfigError(`snmp.${key}`, msg);
  };
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) fail('port', `snmp.port must be 0..65535, got ${o.port}`);
  if (o.enterpriseNumber !== undefined && (!Number.isInteger(o.enterpriseNumber) || o.enterpriseNumber < 1 || o.enterpriseNumber > 4294967295)) {
    fail('enterpriseNumber', `snmp.enterpriseNumber must be a Private Enterprise Number 1..4294967295, got ${o.enterpriseNumber}`);
  }
  const views = (v: readonly string[] | undefined, where: string) => {
    for (const s of v ?? []) {
      try {
        parseOid(s);
      } catch {
        fail('view', `${where}.view: ${JSON.stringify(s)} is not a numeric OID such as 1.3.6.1.2.1.33`);
      }
    }
  };
  (o.communities ?? []).forEach((c, i) => {
    if (typeof c.name !== 'string' || c.name.length === 0) fail('communities', `snmp.communities[${i}].name must be a non-empty string`);
    if (c.access && c.access !== 'read-only' && c.access !== 'read-write') fail('communities', `snmp.communities[${i}].access must be read-only or read-write`);
    views(c.view, `snmp.communities[${i}]`);
  });
  const names = new Set<string>();
  (o.users ?? []).forEach((u, i) => {
    const at = `snmp.users[${i}]`;
    if (!u.name || Buffer.byteLength(u.name) > 32) fail('users', `${at}.name must be 1..32 bytes`);
    if (names.has(u.name)) fail('users', `${at}: user ${u.name} is defined twice`);
    names.add(u.name);
    if (!['noAuthNoPriv', 'authNoPriv', 'authPriv'].includes(u.securityLevel)) fail('users', `${at}.securityLevel must be noAuthNoPriv, authNoPriv or authPriv`);
    if (u.securityLevel !== 'noAuthNoPriv') {
      if (!u.auth || !AUTH_PROTOCOLS.includes(u.auth.protocol)) fail('users', `${at}.auth.protocol must be one of ${AUTH_PROTOCOLS.join(', ')} for ${u.securityLevel}`);
      if (typeof u.auth!.password !== 'string' || u.auth!.password.length < 8) fail('users', `${at}.auth.password must have at least 8 characters (RFC 3414)`);
    }
    if (u.securityLevel === 'authPriv') {
      if (!u.priv || !PRIV_PROTOCOLS.includes(u.priv.protocol)) fail('users', `${at}.priv.protocol must be one of ${PRIV_PROTOCOLS.join(', ')} for authPriv`);
      if (typeof u.priv!.password !== 'string' || u.priv!.password.length < 8) fail('users', `${at}.priv.password must have at least 8 characters (RFC 3414)`);
    }
    if (u.access && u.access !== 'read-only' && u.access !== 'read-write') fail('users', `${at}.access must be read-only or read-write`);
    views(u.view, at);
  });
  (o.receivers ?? []).forEach((r, i) => {
    const at = `snmp.receivers[${i}]`;
    if (!r.host) fail('receivers', `${at}.host is required`);
    if (r.version !== '2c' && r.version !== '3') fail('receivers', `${at}.version must be "2c" or "3"`);
    if (r.version === '2c' && !r.community) fail('receivers', `${at}.community is required for v2c`);
    if (r.version === '3' && !r.user) fail('receivers', `${at}.user is required for v3`);
    if (r.type && r.type !== 'trap' && r.type !== 'inform') fail('receivers', `${at}.type must be trap or inform`);
  });
}

/** The loud start-up warnings: default communities and passwords, unauthenticated access. */
export function securityWarnings(o: SnmpAgentOptions): string[] {
  const out: string[] = [];
  for (const c of o.communities ?? []) {
    if (DEFAULT_COMMUNITIES.includes(c.name.toLowerCase())) {
      out.push(`SNMP community "${c.name}" (${c.access ?? 'read-only'}) is a well-known default: anyone on the network can ${c.access === 'read-write' ? 'change this site' : 'read this site'}. Configure a secret community or use SNMPv3 users.`);
    }
  }
  for (const u of o.users ?? []) {
    if (u.securityLevel === 'noAuthNoPriv') out.push(`SNMPv3 user "${u.name}" has no authentication (noAuthNoPriv): anyone who knows the name gets ${u.access ?? 'read-only'} access.`);
    for (const [what, pw] of [['auth', u.auth?.password], ['priv', u.priv?.password]] as const) {
      if (pw && isDefaultPassword(pw, u.name)) {
        out.push(`SNMPv3 user "${u.name}" uses a default or published ${what} password: change it before connecting this gateway to a network.`);
      }
    }
  }
  return out;
}
