// NUT (@kirchhoff/nut) in the gateway: the `nut` configuration section, users checked like the
// HTTP users (scrypt hashes), STARTTLS with the HTTP certificate, and the FSD rules.
import { ALARM_KIND_NAMES } from '@kirchhoff/core';
import { createNutServer, watchFsdRules, type NutServer, type NutUser } from '@kirchhoff/nut';
import { arr, bool, type Infer, int, obj, str } from '../config/schema-dsl';
import { hostKey, LOOPBACK, portKey } from '../config/common';
import { readKeyFile } from '../config/files';
import { PASSWORD_HASH_DOC, PASSWORD_HASH_PATTERN, serialPasswordChecker, verifyPassword } from '@kirchhoff/http';
import { defineAdapter, type SecurityNotice } from './types';
import type { SiteNames } from './snmp';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const NAME_DOC = '1..64 of A-Z a-z 0-9 . _ -';

/** The demo's NUT user: the name and password Synology DSM uses for a remote NUT server (it cannot be changed there). */
export const DEMO_NUT_USER = { name: 'monuser', password: 'secret', passwordHash: '$scrypt$ln=15,r=8,p=1$0laa3ord5wM+8OGuKMocCA$YUK81TeR6O2xzdlrXRuc14x10gflw6INZ4xcjHUr1Tg' } as const;

export const NUT_SCHEMA = obj('NUT server (@kirchhoff/nut): the upsd network protocol, so upsmon, Synology, QNAP, TrueNAS, Proxmox and Home Assistant shut down on the gateway\'s battery data. How to point them at it: docs/nut.md.', {
  enabled: bool('Serve NUT.', false),
  host: hostKey('Address to listen on.'),
  port: portKey('TCP port (NUT\'s standard: 3493).', 3493),
  upsName: str('The NUT name of the site (clients monitor NAME@gateway).', { default: 'kirchhoff', pattern: NAME, patternDoc: NAME_DOC }),
  strings: bool('Also serve each battery string as NAME-string<N>, with its own charge, runtime and LB.', false),
  users: arr('Who may log in (upsd.users). upsmon primary may LOGIN, PRIMARY and FSD; secondary may LOGIN; actions and instcmds allow SET VAR and INSTCMD when nut.writes is on.', obj('A user', {
    name: str('User name.', { pattern: NAME, patternDoc: NAME_DOC }),
    passwordHash: str('The password as a scrypt hash; never the password itself.', { pattern: PASSWORD_HASH_PATTERN, patternDoc: PASSWORD_HASH_DOC }),
    upsmon: str('upsmon role.', { enum: ['primary', 'secondary', 'none'], default: 'secondary' }),
    actions: arr('SET (SET VAR) and FSD.', str('An action', { enum: ['SET', 'FSD'] }), { default: [] }),
    instcmds: arr('Instant commands allowed (test.battery.start.quick, beeper.mute, ...), or all.', str('A command', { pattern: /^(all|[a-z0-9.]{1,64})$/, patternDoc: 'all, or a NUT command name' }), { default: [] }),
  }), { default: [], maxItems: 256 }),
  writes: bool('Take SET VAR and INSTCMD (UPS tests, beeper, transfer points) through the command interface, for users allowed them.', false),
  lowBattery: obj('When a NUT UPS reports LB (low battery) while on battery: at or below either limit, from the strings\' own runtime and charge.', {
    runtimeS: int('Remaining runtime.', { min: 0, max: 86_400, default: 300, unit: 's' }),
    chargePercent: int('Remaining charge.', { min: 0, max: 100, default: 20, unit: '%' }),
  }),
  batteryDate: str('battery.date (when the batteries were installed), YYYY/MM/DD; empty = not shown.', { default: '', pattern: /^(\d{4}\/\d{2}\/\d{2})?$/, patternDoc: 'empty or YYYY/MM/DD' }),
  starttls: bool('Offer STARTTLS with the HTTP certificate (http.tls.cert and http.tls.key).', false),
  fsd: obj('When the gateway sets forced shutdown (FSD) itself: every upsmon then shuts its host down. It stays set until an operator clears it (POST /api/nut/fsd).', {
    alarmKinds: arr('Alarm kinds that set FSD once active for delayS (e.g. thermal-runaway).', str('An alarm kind', { enum: ALARM_KIND_NAMES }), { default: [] }),
    delayS: int('How long such an alarm must stay active first.', { min: 0, max: 86_400, default: 0, unit: 's' }),
    onBatteryAfterS: int('Set FSD after this long on battery; 0 = never.', { min: 0, max: 86_400, default: 0, unit: 's' }),
  }),
  maxConnections: int('Connections at once; when full, the longest idle one is closed for a new one.', { min: 1, max: 100_000, default: 256 }),
  maxConnectionsPerAddress: int('Connections at once from one address (the longest idle of that address gives way).', { min: 1, max: 100_000, default: 32 }),
  idleTimeoutS: int('A silent connection is closed after this long (upsmon polls every 5 s).', { min: 1, max: 86_400, default: 300, unit: 's' }),
});

export type NutConfig = Infer<typeof NUT_SCHEMA>;
export type NutUserConfig = NutConfig['users'][number];

/** What the NUT configuration weakens, for the start-up log and /api/security. */
export function nutNotices(c: NutConfig): SecurityNotice[] {
  const out: SecurityNotice[] = [];
  if (!c.enabled) return out;
  const demo = c.users.filter((u) => u.passwordHash === DEMO_NUT_USER.passwordHash).map((u) => u.name);
  if (demo.length) {
    out.push({ id: 'nut-default-password', severity: 'critical', key: 'nut.users', message: `NUT user ${demo.join(', ')} has the documented demo password (${DEMO_NUT_USER.password}): anyone who reaches the NUT port can log in as a upsmon client. Set a new hash (kirchhoff hash-password); Synology DSM needs monuser/secret, so keep that user secondary and the port reachable only from the NAS.` });
  }
  if (c.host !== '127.0.0.1' && c.host !== '::1') {
    out.push({ id: 'nut-plain', severity: 'warning', key: 'nut.starttls', message: `NUT listens on ${c.host}${c.starttls ? ' with STARTTLS offered, not required' : ' without TLS'}: NUT passwords cross the network readable unless clients use STARTTLS. Limit the port to the hosts that shut down on it.` });
  }
  return out;
}

/** The command types NUT's SET VAR and INSTCMD become, when nut.writes is on. */
export const NUT_COMMAND_TYPES = ['ups-test', 'ups-settings', 'ups-control'] as const;

/** Wrong passwords within NUT_FAILURE_WINDOW_MS after which further ones are refused unchecked, as http's login limit. */
export const NUT_MAX_FAILURES = { perAddress: 10, perUser: 30 } as const;
export const NUT_FAILURE_WINDOW_MS = 300_000;
/** Password checks run one at a time (each is ~100 ms and 32 MiB of scrypt); beyond this many waiting, refused. */
const MAX_WAITING_CHECKS = 8;

/**
 * NUT's password check: one scrypt at a time, an unknown name costing the same scrypt as a wrong
 * password, and a limit on wrong passwords per client address and per user name, counted before
 * the check so parallel attempts meet it like sequential ones. upsd has no "try later": a refused
 * attempt is ACCESS-DENIED, as a wrong password is, and costs nothing.
 */
export function nutAuthenticator(
  users: readonly NutUserConfig[], clock: () => number = Date.now,
  verify: (password: string, hash: string) => Promise<boolean> = verifyPassword,
): (name: string, password: string, remote: string) => Promise<NutUser | null> {
  const failures = new Map<string, number[]>();
  const checkPassword = serialPasswordChecker(MAX_WAITING_CHECKS, verify);
  const recent = (key: string, now: number): number[] => {
    const list = (failures.get(key) ?? []).filter((t) => t > now - NUT_FAILURE_WINDOW_MS);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  return async (name, password, remote) => {
    const colon = remote.lastIndexOf(':');
    const keys = [`address\u0000${colon > 0 ? remote.slice(0, colon) : remote}`, `user\u0000${name}`];
    const now = clock();
    if (recent(keys[0], now).length >= NUT_MAX_FAILURES.perAddress || recent(keys[1], now).length >= NUT_MAX_FAILURES.perUser) return null;
    const u = users.find((x) => x.name === name);
    const check = checkPassword(password, u?.passwordHash);
    if (!check) return null;
    for (const k of keys) failures.set(k, [...recent(k, now), now]);
    if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    if (!(await check) || !u) return null;
    for (const k of keys) {
      const list = failures.get(k);
      const i = list?.indexOf(now) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    }
    return { name: u.name, upsmon: u.upsmon === 'none' ? null : u.upsmon, actions: u.actions, instcmds: u.instcmds.includes('all') ? 'all' : u.instcmds };
  };
}

/** Besides its own section: the site's name (the UPS description) and the HTTP certificate (STARTTLS). */
export interface NutNeeds {
  readonly root: { readonly site: SiteNames; readonly http: { readonly tls: { readonly cert: string; readonly key: string } } };
}

export const nutAdapter = defineAdapter<'nut', typeof NUT_SCHEMA, NutNeeds, { readonly nut: NutServer }>({
  key: 'nut',
  schema: NUT_SCHEMA,
  // NUT on loopback with Synology's fixed remote-NUT user (monuser/secret, documented and warned about).
  demo: { enabled: true, host: LOOPBACK, port: 13493, strings: true, users: [{ name: DEMO_NUT_USER.name, passwordHash: DEMO_NUT_USER.passwordHash, upsmon: 'secondary' }] },
  notices: nutNotices,
  writes: (c) => (c.enabled && c.writes ? { nut: NUT_COMMAND_TYPES } : {}),
  services: (c) => [{ name: 'NUT', endpoint: `tcp ${c.host}:${c.port}`, enabled: c.enabled }],
  portKey: (c) => ({ key: 'nut.port', port: c.port }),
  listens: (c) => (c.enabled ? [{ key: 'nut.port', proto: 'tcp', host: c.host, port: c.port }] : []),
  async start({ config: c, root, site, commands, logger, problems }) {
    if (!c.enabled) return null;
    let tls: { cert: string; key: string } | null = null;
    if (c.starttls) {
      tls = { cert: readKeyFile('http.tls.cert', root.http.tls.cert), key: readKeyFile('http.tls.key', root.http.tls.key) };
    }
    const server: NutServer = await createNutServer(site, {
      host: c.host, port: c.port, upsName: c.upsName, description: `${root.site.name}: UPS and battery`, strings: c.strings,
      authenticate: nutAuthenticator(c.users), commands: c.writes ? commands : null, lowBattery: c.lowBattery, batteryDate: c.batteryDate, tls,
      maxConnections: c.maxConnections, maxConnectionsPerAddress: c.maxConnectionsPerAddress, idleTimeoutS: c.idleTimeoutS, logger, problems,
    });
    const stopRules = watchFsdRules(site, c.fsd, (reason) => server.setFsd(null, `rule (${reason})`));
    return {
      services: [{ name: 'NUT', endpoint: `tcp ${c.host}:${server.port}` }],
      clients: () => ({ 'nut-connections': server.connections() }),
      provides: { nut: server },
      async close() {
        stopRules();
        await server.close();
      },
    };
  },
});
