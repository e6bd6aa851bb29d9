// The `actions` configuration section (alarm-to-action rules and their syslog, email and webhook
// destinations) and how it becomes rules and destinations at start-up.
import { ALARM_KIND_NAMES, KirchhoffError, SEVERITIES } from '@kirchhoff/core';
import type { AlarmKind, Severity } from '@kirchhoff/core';
import { arr, bool, int, map, obj, str } from '../../config/schema-dsl';
import { readKeyFile } from '../../config/files';
import type { ConfigProblem } from '../../config/schema-dsl';
import type { Notifier } from './notification';
import type { ActionRule } from './rules';
import { SMTP_SECURITIES, SmtpSecurity, EmailNotifier } from './smtp';
import { SYSLOG_FACILITY_NAMES, SYSLOG_TRANSPORTS, SyslogFacility, SyslogNotifier, SyslogTransport } from './syslog';
import { redactUrl, WebhookNotifier } from './webhook';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_DOC = 'destination names (1..64 of A-Z a-z 0-9 _ -)';
const HOST = /^[0-9A-Za-z.:_-]+$/;
const ADDRESS = /^[^\s<>@",;]+@[^\s<>@",;]+$/;
const file = (doc: string) => str(`${doc} (PEM file); empty = none.`, { default: '' });

export const ACTIONS_SCHEMA = obj('Alarm-to-action rules: relay outputs, syslog (RFC 5424 over UDP, TCP, TLS), email (SMTP) and webhooks (HTTP POST JSON) per alarm kind and severity, with delays and repeats. SNMP traps, MQTT alarm events and RCCMD jobs are configured in their own sections. Every action and its result is kept in a record (HTTP API, data logger) and logged.', {
  enabled: bool('Run the rules.', false),
  recordSize: int('Actions kept in the in-memory record, newest last.', { min: 10, max: 100_000, default: 1000 }),
  syslog: map('Syslog servers, by a name the rules use.', NAME, NAME_DOC, obj('A syslog server', {
    transport: str('udp (RFC 5426), tcp (octet counting, RFC 6587) or tls (RFC 5425).', { enum: SYSLOG_TRANSPORTS, default: 'udp' }),
    host: str('Server address or name.', { pattern: HOST, patternDoc: 'an IP address or host name' }),
    port: int('Server port; 0 = 514 for udp and tcp, 6514 for tls.', { min: 0, max: 65535, default: 0 }),
    facility: str('Facility of the messages.', { enum: SYSLOG_FACILITY_NAMES, default: 'local0' }),
    hostname: str('HOSTNAME field; empty = this machine\'s name.', { default: '', pattern: /^[\x21-\x7e]{0,255}$/, patternDoc: 'up to 255 printable ASCII characters without spaces' }),
    appName: str('APP-NAME field.', { default: 'kirchhoff', pattern: /^[\x21-\x7e]{1,48}$/, patternDoc: '1..48 printable ASCII characters without spaces' }),
    timeoutMs: int('Connection time limit (tcp, tls).', { min: 100, max: 120_000, default: 5000, unit: 'ms' }),
    tls: obj('transport tls: how the server is checked, and a client certificate if it asks for one.', {
      ca: file('CA that signed the server certificate; empty = the system CAs'),
      cert: file('Client certificate'),
      key: file('Client key'),
      serverName: str('Name the server certificate must carry; empty = host.', { default: '' }),
      verify: bool('Check the server certificate (turn off only to try things out).', true),
    }),
  })),
  email: map('Mail servers and recipient lists, by a name the rules use.', NAME, NAME_DOC, obj('A mail destination', {
    host: str('SMTP server address or name.', { pattern: HOST, patternDoc: 'an IP address or host name' }),
    port: int('SMTP port; 0 = 587 for starttls, 465 for tls, 25 for none.', { min: 0, max: 65535, default: 0 }),
    security: str('starttls (RFC 3207, never falls back to plain text), tls (implicit TLS, RFC 8314) or none (trusted networks only; no AUTH).', { enum: SMTP_SECURITIES, default: 'starttls' }),
    username: str('AUTH user name (PLAIN or LOGIN, whichever the server offers); empty = no AUTH.', { default: '' }),
    password: str('AUTH password (never logged).', { default: '' }),
    from: str('Sender address.', { pattern: ADDRESS, patternDoc: 'a mail address such as kirchhoff@example.com' }),
    to: arr('Recipients.', str('A recipient', { pattern: ADDRESS, patternDoc: 'a mail address such as ops@example.com' }), { minItems: 1, maxItems: 100 }),
    heloName: str('EHLO name; empty = this machine\'s name.', { default: '', pattern: /^[A-Za-z0-9.-]{0,255}$/, patternDoc: 'a host name' }),
    timeoutMs: int('Time limit for each step of the conversation.', { min: 100, max: 300_000, default: 15_000, unit: 'ms' }),
    retries: int('Tries again after a temporary failure (4xx reply, lost connection).', { min: 0, max: 10, default: 2 }),
    retryDelayMs: int('Wait before the first retry; doubles with each.', { min: 0, max: 600_000, default: 5000, unit: 'ms' }),
    tls: obj('How the server certificate is checked.', {
      ca: file('CA that signed the server certificate; empty = the system CAs'),
      serverName: str('Name the server certificate must carry; empty = host.', { default: '' }),
      verify: bool('Check the server certificate (turn off only to try things out).', true),
    }),
  })),
  webhooks: map('HTTP(S) endpoints that receive each alarm event as a JSON POST, by a name the rules use.', NAME, NAME_DOC, obj('A webhook', {
    url: str('http:// or https:// URL (only its origin is logged: paths often carry secrets).', { pattern: /^https?:\/\/[^\s]+$/, patternDoc: 'an http:// or https:// URL' }),
    token: str('Sent as Authorization: Bearer <token> (never logged); empty = none.', { default: '' }),
    headers: map('Extra request headers (values never logged).', /^[A-Za-z0-9-]{1,64}$/, 'header names', str('Header value.', { pattern: /^[^\r\n]*$/, patternDoc: 'a text on one line' })),
    timeoutMs: int('Time limit per attempt (connect, send, complete answer).', { min: 100, max: 120_000, default: 5000, unit: 'ms' }),
    retries: int('Tries again after 5xx, 408, 429, a timeout or a network failure.', { min: 0, max: 10, default: 2 }),
    retryDelayMs: int('Wait before the first retry; doubles with each.', { min: 0, max: 600_000, default: 1000, unit: 'ms' }),
    tls: obj('https: how the server certificate is checked.', {
      ca: file('CA that signed the server certificate; empty = the system CAs'),
      verify: bool('Check the server certificate (turn off only to try things out).', true),
    }),
  })),
  rules: arr('What to do when an alarm is raised: each rule matching an alarm acts on it.', obj('A rule', {
    name: str('Name in logs and in the action record.', { pattern: NAME, patternDoc: '1..64 of A-Z a-z 0-9 _ -' }),
    kinds: arr('Alarm kinds this rule is for; empty = every kind.', str('An alarm kind', { enum: ALARM_KIND_NAMES }), { default: [] }),
    severities: arr('Severities this rule is for; empty = every severity.', str('A severity', { enum: SEVERITIES }), { default: [] }),
    delayS: int('The alarm must still be active this long before the rule acts; a clear before cancels.', { min: 0, max: 86_400, default: 0, unit: 's' }),
    repeatEveryS: int('Notify again this often while the alarm is active and not acknowledged; 0 = once.', { min: 0, max: 86_400, default: 0, unit: 's' }),
    repeatMax: int('At most this many repeats; 0 = until the alarm clears or is acknowledged.', { min: 0, max: 10_000, default: 0 }),
    onClear: bool('Notify once more when the alarm clears (if the rule acted on it).', true),
    relays: arr('Relay outputs to set while the alarm is active (through the command interface).', obj('A relay action', {
      relay: int('Relay id (1-based, as in relays).', { min: 1, max: 64 }),
      state: str('The state while the alarm is active.', { enum: ['on', 'off'], default: 'on' }),
      release: bool('Return to the other state when no alarm holds the relay any more.', true),
    }), { default: [] }),
    syslog: arr('Syslog servers to notify (names from actions.syslog).', str('A name', { pattern: NAME, patternDoc: NAME_DOC }), { default: [] }),
    email: arr('Mail destinations to notify (names from actions.email).', str('A name', { pattern: NAME, patternDoc: NAME_DOC }), { default: [] }),
    webhooks: arr('Webhooks to notify (names from actions.webhooks).', str('A name', { pattern: NAME, patternDoc: NAME_DOC }), { default: [] }),
  }), { default: [] }),
});

export interface SyslogDestinationConfig {
  transport: SyslogTransport; host: string; port: number; facility: SyslogFacility; hostname: string; appName: string; timeoutMs: number;
  tls: { ca: string; cert: string; key: string; serverName: string; verify: boolean };
}
export interface EmailDestinationConfig {
  host: string; port: number; security: SmtpSecurity; username: string; password: string; from: string; to: string[]; heloName: string;
  timeoutMs: number; retries: number; retryDelayMs: number; tls: { ca: string; serverName: string; verify: boolean };
}
export interface WebhookDestinationConfig {
  url: string; token: string; headers: Record<string, string>; timeoutMs: number; retries: number; retryDelayMs: number;
  tls: { ca: string; verify: boolean };
}
export interface ActionRuleConfig {
  name: string; kinds: AlarmKind[]; severities: Severity[]; delayS: number; repeatEveryS: number; repeatMax: number; onClear: boolean;
  relays: { relay: number; state: 'on' | 'off'; release: boolean }[];
  syslog: string[]; email: string[]; webhooks: string[];
}
export interface ActionsConfig {
  enabled: boolean; recordSize: number;
  syslog: Record<string, SyslogDestinationConfig>;
  email: Record<string, EmailDestinationConfig>;
  webhooks: Record<string, WebhookDestinationConfig>;
  rules: ActionRuleConfig[];
}

/** Checks that span keys: destination names the rules use, relay ids, unique rule names. */
export function actionsProblems(c: ActionsConfig, relayCount: number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  c.rules.forEach((r, i) => {
    const at = `actions.rules.${i}`;
    if (seen.has(r.name)) problems.push({ path: `${at}.name`, message: `${JSON.stringify(r.name)} is used by an earlier rule: rule names must be unique` });
    seen.add(r.name);
    for (const [list, defined] of [['syslog', c.syslog], ['email', c.email], ['webhooks', c.webhooks]] as const) {
      r[list].forEach((name, j) => {
        if (!(name in defined)) problems.push({ path: `${at}.${list}.${j}`, message: `${JSON.stringify(name)} is not valid: expected one of actions.${list} (${Object.keys(defined).join(', ') || 'none defined'})` });
      });
    }
    r.relays.forEach((a, j) => {
      if (a.relay > relayCount) problems.push({ path: `${at}.relays.${j}.relay`, message: `${a.relay} is not valid: expected a relay id from 1 to ${relayCount} (relays has ${relayCount})` });
    });
    if (!r.relays.length && !r.syslog.length && !r.email.length && !r.webhooks.length) problems.push({ path: at, message: 'does nothing: give at least one of relays, syslog, email, webhooks' });
  });
  for (const [name, e] of Object.entries(c.email)) {
    if (e.username && e.security === 'none') problems.push({ path: `actions.email.${name}.security`, message: 'none would send the SMTP password unencrypted: expected starttls or tls when username is set' });
  }
  return problems;
}

const readPem = (path: string, key: string): string | undefined => readKeyFile(key, path, true);

/** The destinations the rules use (each built once) and the rules. */
export function buildActions(c: ActionsConfig, relayCount: number): { rules: ActionRule[]; notifiers: Notifier[] } {
  const problems = actionsProblems(c, relayCount);
  if (problems.length) throw new KirchhoffError('config.actions', problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  const notifiers = new Map<string, Notifier>();
  const get = (list: 'syslog' | 'email' | 'webhooks', name: string): Notifier => {
    const id = `${list}:${name}`;
    let n = notifiers.get(id);
    if (n) return n;
    const at = `actions.${list}.${name}`;
    if (list === 'syslog') {
      const s = c.syslog[name];
      n = new SyslogNotifier({
        name, transport: s.transport, host: s.host, port: s.port, facility: s.facility, hostname: s.hostname, appName: s.appName, timeoutMs: s.timeoutMs,
        tls: { ca: readPem(s.tls.ca, `${at}.tls.ca`), cert: readPem(s.tls.cert, `${at}.tls.cert`), key: readPem(s.tls.key, `${at}.tls.key`), serverName: s.tls.serverName, rejectUnauthorized: s.tls.verify },
      });
    } else if (list === 'email') {
      const e = c.email[name];
      n = new EmailNotifier({
        name, host: e.host, port: e.port, security: e.security, username: e.username, password: e.password, from: e.from, to: e.to,
        heloName: e.heloName, timeoutMs: e.timeoutMs, retries: e.retries, retryDelayMs: e.retryDelayMs,
        tls: { ca: readPem(e.tls.ca, `${at}.tls.ca`), serverName: e.tls.serverName, rejectUnauthorized: e.tls.verify },
      });
    } else {
      const w = c.webhooks[name];
      n = new WebhookNotifier({
        name, url: w.url, token: w.token, headers: w.headers, timeoutMs: w.timeoutMs, retries: w.retries, retryDelayMs: w.retryDelayMs,
        tls: { ca: readPem(w.tls.ca, `${at}.tls.ca`), rejectUnauthorized: w.tls.verify },
      });
    }
    notifiers.set(id, n);
    return n;
  };
  const rules = c.rules.map((r): ActionRule => ({
    name: r.name, kinds: r.kinds, severities: r.severities,
    delayMs: r.delayS * 1000, repeatEveryMs: r.repeatEveryS * 1000, repeatMax: r.repeatMax, onClear: r.onClear,
    relays: r.relays.map((a) => ({ relay: a.relay, on: a.state === 'on', release: a.release })),
    notifiers: [...r.syslog.map((n) => get('syslog', n)), ...r.email.map((n) => get('email', n)), ...r.webhooks.map((n) => get('webhooks', n))],
  }));
  return { rules, notifiers: [...notifiers.values()] };
}

/**
 * The section with every secret replaced by `(set)`, for showing the configuration (HTTP API,
 * logs): SMTP passwords, webhook tokens and header values, and webhook URL paths and queries.
 */
export function redactActionsConfig(c: ActionsConfig): ActionsConfig {
  const hide = (v: string) => (v ? '(set)' : '');
  return {
    ...c,
    email: Object.fromEntries(Object.entries(c.email).map(([k, e]) => [k, { ...e, password: hide(e.password) }])),
    webhooks: Object.fromEntries(Object.entries(c.webhooks).map(([k, w]) => [k, {
      ...w, url: redactUrl(w.url), token: hide(w.token), headers: Object.fromEntries(Object.keys(w.headers).map((h) => [h, '(set)'])),
    }])),
  };
}
