// SNMP (@kirchhoff/snmp) in the gateway: the `snmp` configuration section and its wiring.
import { createSnmpAgent, isDefaultPassword, NotificationReceiver, UserOption } from '@kirchhoff/snmp';
import { arr, bool, int, obj, str } from '../config/schema-dsl';
import { hostKey, LOOPBACK, portKey } from '../config/common';
import type { Infer } from '../config/schema-dsl';
import { defineAdapter, type SecurityNotice } from './types';
import { SOFTWARE_VERSION } from '../version';

export const SNMP_SCHEMA = obj('SNMP agent and traps (@kirchhoff/snmp): RFC 1628 UPS-MIB, KIRCHHOFF-BMS-MIB, MIB-II system.', {
  enabled: bool('Serve SNMP.', false),
  writes: bool('Accept SETs (UPS test, thresholds, relays) through the command interface; needs a read-write community or user too.', false),
  host: hostKey('Address to listen on.'),
  port: portKey('UDP port (the standard 161 needs root).', 161),
  engineId: str('snmpEngineID as hex (5..32 bytes); empty = from stateFile, else derived from host, site name and port.', { default: '', pattern: /^([0-9a-fA-F]{10,64})?$/, patternDoc: 'empty, or 10..64 hex digits' }),
  stateFile: str('JSON file keeping the engine id and boot counter across restarts; empty = none.', { default: '' }),
  enterpriseNumber: int('Private Enterprise Number under which KIRCHHOFF-BMS-MIB, its notifications and sysObjectID are served. 32473 is reserved for documentation (RFC 5612): set the number IANA assigned to your organisation, and the `kirchhoff OBJECT IDENTIFIER ::= { enterprises N }` line of the MIB file to match.', { min: 1, max: 4_294_967_295, default: 32473 }),
  notificationIntervalMs: int('At most one notification per receiver in this time (RFC 1628: 5 s); alarms wait ahead of warnings, and thermal-runaway, ground-fault and critical notifications go out at once.', { min: 1000, max: 600_000, default: 5000, unit: 'ms' }),
  communities: arr('SNMP v2c communities; none = v2c off. A default such as public is warned about at start-up.', obj('A community', {
    name: str('Community string.'),
    access: str('Access.', { enum: ['read-only', 'read-write'], default: 'read-only' }),
  }), { default: [] }),
  users: arr('SNMP v3 USM users (the recommended mode); none = v3 off.', obj('A user', {
    name: str('Security name.'),
    securityLevel: str('authPriv (recommended), authNoPriv, or noAuthNoPriv (warned about).', { enum: ['authPriv', 'authNoPriv', 'noAuthNoPriv'], default: 'authPriv' }),
    authProtocol: str('Authentication (HMAC-SHA, RFC 3414/7860).', { enum: ['sha', 'sha224', 'sha256', 'sha384', 'sha512'], default: 'sha256' }),
    authKey: str('Authentication pass phrase.', { default: '', pattern: /^(.{8,})?$/, patternDoc: 'at least 8 characters' }),
    privProtocol: str('Privacy (aes = AES-128; aes256b/aes256r = AES-256 with the Blumenthal/Reeder key extension).', { enum: ['aes', 'aes256b', 'aes256r'], default: 'aes' }),
    privKey: str('Privacy pass phrase.', { default: '', pattern: /^(.{8,})?$/, patternDoc: 'at least 8 characters' }),
    access: str('Access.', { enum: ['read-only', 'read-write'], default: 'read-only' }),
  }), { default: [] }),
  traps: arr('Trap and inform receivers.', obj('A receiver', {
    host: str('Receiver address.'),
    port: portKey('Receiver UDP port.', 162),
    version: str('v2c or v3.', { enum: ['v2c', 'v3'], default: 'v3' }),
    community: str('v2c community.', { default: '' }),
    user: str('v3: the name of one of snmp.users (the receiver needs it under this agent\'s engine id for traps).', { default: '' }),
    inform: bool('Send informs (acknowledged, retried) instead of traps.', false),
  }), { default: [] }),
});

export type SnmpConfig = Infer<typeof SNMP_SCHEMA>;
export type SnmpUserConfig = SnmpConfig['users'][number];
/** The site's names, served as sysName, sysLocation and sysContact. */
export interface SiteNames { readonly name: string; readonly location: string; readonly contact: string }

function snmpUser(u: SnmpUserConfig): Omit<UserOption, 'access' | 'view'> {
  return {
    name: u.name,
    securityLevel: u.securityLevel,
    ...(u.securityLevel !== 'noAuthNoPriv' ? { auth: { protocol: u.authProtocol, password: u.authKey } } : {}),
    ...(u.securityLevel === 'authPriv' ? { priv: { protocol: u.privProtocol, password: u.privKey } } : {}),
  };
}

const WELL_KNOWN_COMMUNITIES = ['public', 'private', 'community', 'admin', 'snmp'];

function snmpNotices(c: SnmpConfig): SecurityNotice[] {
  const out: SecurityNotice[] = [];
  if (!c.enabled) return out;
  for (const community of c.communities) {
    const known = WELL_KNOWN_COMMUNITIES.includes(community.name.toLowerCase());
    out.push({
      id: 'snmp-v2c', severity: known || community.access === 'read-write' ? 'critical' : 'warning', key: 'snmp.communities',
      message: `SNMP v2c community ${known ? `"${community.name}" (a well-known default)` : 'configured'} with ${community.access} access: v2c sends the community in clear text and cannot authenticate. Prefer SNMP v3 users (snmp.users, authPriv).`,
    });
  }
  // The example configuration ships placeholder keys: a site that copied it must not run on them unnoticed.
  for (const u of c.users) {
    const keys = [u.securityLevel !== 'noAuthNoPriv' && isDefaultPassword(u.authKey, u.name) ? 'authKey' : '', u.securityLevel === 'authPriv' && isDefaultPassword(u.privKey, u.name) ? 'privKey' : ''].filter(Boolean);
    if (keys.length) {
      out.push({ id: 'snmp-default-key', severity: 'critical', key: 'snmp.users', message: `SNMP v3 user ${u.name} uses a default, published or placeholder ${keys.join(' and ')}: anyone who read the documentation can read${u.access === 'read-write' ? ' and change' : ''} this site. Set your own keys in snmp.users.` });
    }
  }
  for (const u of c.users.filter((x) => x.securityLevel === 'noAuthNoPriv')) {
    out.push({ id: 'snmp-noauth', severity: 'warning', key: 'snmp.users', message: `SNMP v3 user ${u.name} is noAuthNoPriv: no authentication, no privacy.` });
  }
  return out;
}

export const snmpAdapter = defineAdapter<'snmp', typeof SNMP_SCHEMA, { readonly root: { readonly site: SiteNames } }>({
  key: 'snmp',
  schema: SNMP_SCHEMA,
  demo: {
    enabled: true, host: LOOPBACK, port: 1161,
    communities: [{ name: 'public', access: 'read-only' }],
    // The README gives these keys; the agent warns about them (and about `public`) at start-up.
    users: [{ name: 'demo', securityLevel: 'authPriv', authProtocol: 'sha', authKey: 'kirchhoff-demo-auth', privProtocol: 'aes', privKey: 'kirchhoff-demo-priv', access: 'read-only' }],
  },
  notices: snmpNotices,
  writes: (c) => (c.enabled && c.writes ? { snmp: 'all' } : {}),
  services: (c) => [{ name: 'SNMP agent', endpoint: `udp ${c.host}:${c.port}`, enabled: c.enabled }],
  portKey: (c) => ({ key: 'snmp.port', port: c.port }),
  listens: (c) => (c.enabled ? [{ key: 'snmp.port', proto: 'udp', host: c.host, port: c.port }] : []),
  async start({ config: c, root, site, commands, logger, problems }) {
    if (!c.enabled) return null;
    const receivers: NotificationReceiver[] = c.traps.map((t) => ({
      host: t.host,
      port: t.port,
      type: t.inform ? 'inform' : 'trap',
      ...(t.version === 'v2c' ? { version: '2c' as const, community: t.community } : { version: '3' as const, user: snmpUser(c.users.find((u) => u.name === t.user)!) }),
    }));
    const agent = await createSnmpAgent(site, {
      port: c.port,
      address: c.host,
      communities: c.communities,
      users: c.users.map((u) => ({ ...snmpUser(u), access: u.access })),
      commands: c.writes ? commands : null,
      ...(c.engineId ? { engineId: c.engineId } : {}),
      ...(c.stateFile ? { stateFile: c.stateFile } : {}),
      receivers,
      notificationIntervalMs: c.notificationIntervalMs,
      enterpriseNumber: c.enterpriseNumber,
      agentVersion: `Kirchhoff ${SOFTWARE_VERSION}`,
      system: { name: root.site.name, location: root.site.location, contact: root.site.contact },
      logger,
      problems,
    });
    return { services: [{ name: 'SNMP agent', endpoint: `udp ${c.host}:${agent.port}` }], close: () => agent.close() };
  },
});
