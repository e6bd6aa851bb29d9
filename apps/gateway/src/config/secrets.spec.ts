// Secrets outside the YAML (issue 16.8): ${env:NAME}, ${file:/path} and systemd credentials.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, finishConfig, parseConfigText } from './load';

const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-secrets-'));
writeFileSync(join(dir, 'hmac'), 'from-a-file-0123456789\n');
const creds = join(dir, 'credentials');
mkdirSync(creds);
writeFileSync(join(creds, 'snmp-auth'), 'credential-auth-key');

const YAML = [
  'strings: [{ modules: 20 }]',
  'rccmd: { hmacKey: "${file:' + join(dir, 'hmac') + '}" }',
  'snmp:',
  '  communities: [{ name: "${env:KIRCHHOFF_COMMUNITY}" }]',
  '  users: [{ name: ops, securityLevel: authNoPriv, authKey: "${credential:snmp-auth}" }]',
].join('\n');

const problems = (text: string, env: NodeJS.ProcessEnv) => {
  try {
    parseConfigText(text, 'site.yaml', env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
};

describe('secrets from the environment, files and systemd credentials', () => {
  it('replace a value that is exactly a reference, and the configuration validates with them', () => {
    const raw = parseConfigText(YAML, 'site.yaml', { KIRCHHOFF_COMMUNITY: 'n0t-public', CREDENTIALS_DIRECTORY: creds });
    const c = finishConfig(raw);
    expect(c.rccmd.hmacKey).toBe('from-a-file-0123456789');
    expect(c.snmp.communities[0].name).toBe('n0t-public');
    expect(c.snmp.users[0].authKey).toBe('credential-auth-key');
  });

  it('leave other strings alone, including a reference inside a longer text', () => {
    const raw = parseConfigText('site: { name: "cost ${env:HOME} EUR" }\n', 'site.yaml', { HOME: '/root' });
    expect(raw.data).toEqual({ site: { name: 'cost ${env:HOME} EUR' } });
  });

  it('name the key, its line and what is missing, never a secret', () => {
    expect(problems(YAML, {})).toEqual([
      'snmp.communities.0.name (line 4): ${env:KIRCHHOFF_COMMUNITY}: the environment variable KIRCHHOFF_COMMUNITY is not set',
      'snmp.users.0.authKey (line 5): ${credential:snmp-auth}: no systemd credentials (CREDENTIALS_DIRECTORY is not set: start the gateway from a unit with LoadCredential=snmp-auth:/path)',
    ]);
    expect(problems('rccmd: { hmacKey: "${file:/nonexistent/hmac}" }\n', {})).toEqual(['rccmd.hmacKey (line 1): ${file:/nonexistent/hmac}: cannot read /nonexistent/hmac (ENOENT)']);
    expect(problems('rccmd: { hmacKey: "${credential:../hmac}" }\n', { CREDENTIALS_DIRECTORY: creds })).toEqual(['rccmd.hmacKey (line 1): ${credential:../hmac}: a credential name cannot contain /']);
  });
});
