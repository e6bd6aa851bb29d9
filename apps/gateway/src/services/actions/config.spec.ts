// The actions section: defaults, what validation says about bad values, the checks across keys,
// the redacted view, and a service that is off unless enabled.
import { CommandInterface } from '@kirchhoff/core';
import { ConfigError, finishConfig } from '../../config/load';
import { buildSite } from '../../gateway';
import { memoryLogger } from '../../log';
import { actionsProblems, redactActionsConfig } from './config';
import { actionsService } from '.';

const config = (actions: unknown) => finishConfig({ source: 'test', lines: new Map(), data: { strings: [{ modules: 4 }], relays: [{ name: 'Beacon' }], actions } });
const problems = (actions: unknown) => {
  try {
    config(actions);
    return [];
  } catch (e) {
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
};

const FULL = {
  enabled: true,
  syslog: { noc: { host: 'logs.example.com' } },
  email: { oncall: { host: 'mail.example.com', username: 'gw', password: 'pw-secret', from: 'gw@example.com', to: ['ops@example.com'] } },
  webhooks: { chat: { url: 'https://chat.example.com/hooks/T1/secret?x=1', token: 'tok-secret', headers: { 'X-Key': 'hdr-secret' } } },
  rules: [{ name: 'all', relays: [{ relay: 1 }], syslog: ['noc'], email: ['oncall'], webhooks: ['chat'] }],
};

describe('actions configuration', () => {
  it('is off and empty by default; the service then starts nothing', async () => {
    const c = config(undefined);
    expect(c.actions).toEqual({ enabled: false, recordSize: 1000, syslog: {}, email: {}, webhooks: {}, rules: [] });
    const site = buildSite(c);
    expect(await actionsService.start({ config: c, site, commands: new CommandInterface(site, null), logger: memoryLogger() })).toBeNull();
  });

  it('fills the defaults of destinations and rules', () => {
    const a = config(FULL).actions;
    expect(a.syslog.noc).toEqual({ transport: 'udp', host: 'logs.example.com', port: 0, facility: 'local0', hostname: '', appName: 'kirchhoff', timeoutMs: 5000, tls: { ca: '', cert: '', key: '', serverName: '', verify: true } });
    expect(a.email.oncall).toMatchObject({ port: 0, security: 'starttls', timeoutMs: 15_000, retries: 2, retryDelayMs: 5000, tls: { ca: '', serverName: '', verify: true } });
    expect(a.webhooks.chat).toMatchObject({ timeoutMs: 5000, retries: 2, retryDelayMs: 1000 });
    expect(a.rules[0]).toEqual({ name: 'all', kinds: [], severities: [], delayS: 0, repeatEveryS: 0, repeatMax: 0, onClear: true, relays: [{ relay: 1, state: 'on', release: true }], syslog: ['noc'], email: ['oncall'], webhooks: ['chat'] });
    expect(actionsProblems(a, 1)).toEqual([]);
  });

  it('names the key, the bad value and what is valid', () => {
    expect(problems({ syslog: { noc: { host: 'x', transport: 'tpc' } }, rules: [{ name: 'r', kinds: ['thermal'], severities: ['fatal'], delayS: -1 }] })).toEqual([
      'actions.syslog.noc.transport: "tpc" is not valid: expected one of udp, tcp, tls (did you mean tcp?)',
      expect.stringMatching(/^actions\.rules\.0\.kinds\.0: "thermal" is not valid: expected one of module-voltage-high, /),
      'actions.rules.0.severities.0: "fatal" is not valid: expected one of warning, alarm, critical',
      'actions.rules.0.delayS: -1 is not valid: expected a whole number from 0 to 86400 (s) (out of range)',
    ]);
    expect(problems({ email: { x: { host: 'h', from: 'not an address', to: [] } } })).toEqual([
      'actions.email.x.from: "not an address" is not valid: expected a mail address such as kirchhoff@example.com',
      'actions.email.x.to: has 0 items: expected a list of 1..100 items',
    ]);
    expect(problems({ webhooks: { 'bad name': { url: 'ftp://x' } } })).toEqual(['actions.webhooks.bad name: key "bad name" is not valid: expected destination names (1..64 of A-Z a-z 0-9 _ -)']);
  });

  it('checks the names rules use, relay ids, empty rules, duplicates and passwords without TLS, when the configuration loads', () => {
    expect(problems({
      syslog: { noc: { host: 'h' } },
      email: { plain: { host: 'h', security: 'none', username: 'u', password: 'p', from: 'a@b.c', to: ['d@e.f'] } },
      rules: [
        { name: 'r', syslog: ['nocc'], relays: [{ relay: 3 }] },
        { name: 'r' },
      ],
    })).toEqual([
      'actions.rules.0.syslog.0: "nocc" is not valid: expected one of actions.syslog (noc)',
      'actions.rules.0.relays.0.relay: 3 is not valid: expected a relay id from 1 to 1 (relays has 1)',
      'actions.rules.1.name: "r" is used by an earlier rule: rule names must be unique',
      'actions.rules.1: does nothing: give at least one of relays, syslog, email, webhooks',
      'actions.email.plain.security: none would send the SMTP password unencrypted: expected starttls or tls when username is set',
    ]);
  });

  it('refuses a rule naming a destination that does not exist, at load and at start', async () => {
    expect(problems({ enabled: true, rules: [{ name: 'r', webhooks: ['chat'] }] })).toEqual(['actions.rules.0.webhooks.0: "chat" is not valid: expected one of actions.webhooks (none defined)']);
    // A library user who builds the configuration without finishConfig is stopped at start.
    const c = config({ enabled: true });
    const bad = { ...c, actions: { ...c.actions, rules: [{ ...c.actions.rules[0], name: 'r', kinds: [], severities: [], relays: [], syslog: [], email: [], webhooks: ['chat'] }] } } as typeof c;
    const site = buildSite(c);
    await expect(actionsService.start({ config: bad, site, commands: new CommandInterface(site, null), logger: memoryLogger() }))
      .rejects.toThrow('actions.rules.0.webhooks.0: "chat" is not valid: expected one of actions.webhooks (none defined)');
    expect(actionsProblems(bad.actions, 1)).toHaveLength(1);
  });

  it('hides passwords, tokens, header values and webhook paths in the redacted view', () => {
    const a = config(FULL).actions;
    const shown = JSON.stringify(redactActionsConfig(a));
    for (const secret of ['pw-secret', 'tok-secret', 'hdr-secret', 'secret?x=1', 'T1']) expect(shown).not.toContain(secret);
    expect(redactActionsConfig(a).webhooks.chat).toMatchObject({ url: 'https://chat.example.com/…', token: '(set)', headers: { 'X-Key': '(set)' } });
    expect(redactActionsConfig(a).email.oncall.password).toBe('(set)');
    expect(a.email.oncall.password).toBe('pw-secret');
  });
});
