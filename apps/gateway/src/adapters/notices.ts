// Security notices: the weaknesses of the running configuration, in words an operator can act on.
// Logged loudly at start-up and served at /api/security (and with every login).
import { httpNotices, type SecurityNotice } from '@kirchhoff/http';
import type { GatewayConfig } from '../config/types';
import { unauthenticatedJobs } from './rccmd';
import { mqttNotices } from './mqtt';
import { isDefaultPassword } from '@kirchhoff/snmp';
import { nutNotices } from './nut';

export type { SecurityNotice };

const WELL_KNOWN_COMMUNITIES = ['public', 'private', 'community', 'admin', 'snmp'];

export function securityNotices(config: GatewayConfig, defaultPasswordUsers: readonly string[], tls: boolean): SecurityNotice[] {
  const out: SecurityNotice[] = [];
  out.push(...httpNotices(defaultPasswordUsers, tls));
  if (config.snmp.enabled) {
    for (const c of config.snmp.communities) {
      const known = WELL_KNOWN_COMMUNITIES.includes(c.name.toLowerCase());
      out.push({
        id: 'snmp-v2c', severity: known || c.access === 'read-write' ? 'critical' : 'warning', key: 'snmp.communities',
        message: `SNMP v2c community ${known ? `"${c.name}" (a well-known default)` : 'configured'} with ${c.access} access: v2c sends the community in clear text and cannot authenticate. Prefer SNMP v3 users (snmp.users, authPriv).`,
      });
    }
    // The example configuration ships placeholder keys: a site that copied it must not run on them unnoticed.
    for (const u of config.snmp.users) {
      const keys = [u.securityLevel !== 'noAuthNoPriv' && isDefaultPassword(u.authKey, u.name) ? 'authKey' : '', u.securityLevel === 'authPriv' && isDefaultPassword(u.privKey, u.name) ? 'privKey' : ''].filter(Boolean);
      if (keys.length) {
        out.push({ id: 'snmp-default-key', severity: 'critical', key: 'snmp.users', message: `SNMP v3 user ${u.name} uses a default, published or placeholder ${keys.join(' and ')}: anyone who read the documentation can read${u.access === 'read-write' ? ' and change' : ''} this site. Set your own keys in snmp.users.` });
      }
    }
    for (const u of config.snmp.users.filter((x) => x.securityLevel === 'noAuthNoPriv')) {
      out.push({ id: 'snmp-noauth', severity: 'warning', key: 'snmp.users', message: `SNMP v3 user ${u.name} is noAuthNoPriv: no authentication, no privacy.` });
    }
  }
  if (config.rccmd.enabled) {
    const open = unauthenticatedJobs(config.rccmd);
    if (open.length) {
      out.push({ id: 'rccmd-unauthenticated', severity: 'critical', key: 'rccmd.hmacKey', message: `Unauthenticated RCCMD messages: ${open.join(', ')}. Anyone on the network can forge such messages. Set rccmd.hmacKey (and at the listeners), or use transport tls.` });
    }
  }
  if (config.modbus.enabled && config.modbus.writes) {
    out.push({ id: 'modbus-writes', severity: 'warning', key: 'modbus.writes', message: `Modbus writes are on: Modbus has no authentication, anyone who reaches the port can change thresholds and relays${config.modbus.tcp.allow.length ? ` (limited to ${config.modbus.tcp.allow.join(', ')})` : ''}.` });
  }
  out.push(...mqttNotices(config));
  out.push(...nutNotices(config));
  if (config.bacnet.enabled && config.bacnet.writes) {
    out.push({ id: 'bacnet-writes', severity: 'warning', key: 'bacnet.writes', message: 'BACnet writes are on: BACnet/IP has no authentication, anyone who reaches the port can write.' });
  }
  return out;
}
