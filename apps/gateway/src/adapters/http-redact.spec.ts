// GET /api/config shows admins the configuration without a single secret in it.
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { redacted } from '@kirchhoff/http';

describe('the configuration as /api/config shows it', () => {
  const secrets = ['mqtt-pass-4711', 'hook-token-4711', 'smtp-pass-4711', 'T0KENPATH4711', 'urlpass4711', 'hmac-key-0123456789abcdef'];
  const config = finishConfig(applySets(demoConfig(), [
    `mqtt.url=mqtts://gw:${secrets[4]}@broker.example.com:8883`, `mqtt.password=${secrets[0]}`, 'mqtt.username=gw',
    `rccmd.hmacKey=${secrets[5]}`,
    `actions.webhooks={chat: {url: "https://chat.example.com/hooks/${secrets[3]}", token: ${secrets[1]}}}`,
    `actions.email={oncall: {host: mail.example.com, username: k, password: ${secrets[2]}, from: k@example.com, to: [o@example.com]}}`,
  ]));
  const text = JSON.stringify(redacted(config));

  it('holds no password, token, key, hash, community or credential in a URL', () => {
    for (const s of secrets) expect(JSON.stringify(config)).toContain(s);
    for (const s of [...secrets, 'kirchhoff-demo-auth', 'kirchhoff-demo-priv', '"public"', '$scrypt$']) expect(text).not.toContain(s);
  });

  it('keeps what is not secret, and says that a secret is set', () => {
    const r = redacted(config) as typeof config;
    expect(r.mqtt.url).toBe('mqtts://broker.example.com:8883/(hidden)');
    expect(r.mqtt.username).toBe('gw');
    expect(r.mqtt.password).toBe('(set)');
    expect(r.snmp.communities).toEqual([{ name: '(set)', access: 'read-only' }]);
    expect(r.http.users.map((u) => [u.name, u.role, u.passwordHash])).toEqual([['admin', 'admin', '(set)'], ['operator', 'operator', '(set)'], ['viewer', 'viewer', '(set)']]);
    expect(r.site).toEqual(config.site);
    expect(r.thresholds).toEqual(config.thresholds);
  });
});
