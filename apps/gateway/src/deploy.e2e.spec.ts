// The deployment kit (issue 16.8) as a site engineer uses it: deploy/install.sh installs the
// gateway from tarballs packed in this repository (staged with DESTDIR, so no user or systemctl),
// the installed `kirchhoff` checks the shipped production example with its secrets as systemd
// credentials, and systemd itself verifies the hardened unit and rates its exposure. A developer's
// view of the same tarballs (issue 16.6): every TypeScript example in the packages' READMEs
// compiles against them and runs, in a private network namespace (the examples name real hosts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, hasTool, run } from '@kirchhoff/test-support';
import { DEMO_NUT_USER } from './adapters/nut';

const REPO = join(__dirname, '..', '..', '..');

describeWithTools(['systemd-analyze', 'openssl'], 'deployment kit', () => {
  let stage: string;
  const installed = (p: string) => join(stage, p);

  beforeAll(async () => {
    stage = mkdtempSync(join(tmpdir(), 'kirchhoff-install-'));
    // npm compiles better-sqlite3 for the install: minutes on a busy 2-core machine (11 min was
    // seen beside three busy loops), so the limit is only a hang guard.
    const r = await run('bash', [join(REPO, 'deploy', 'install.sh')], { env: { ...process.env, DESTDIR: stage }, timeoutMs: 1_800_000 });
    if (r.code !== 0) throw new Error(`install.sh failed (${r.code}): ${r.stderr}${r.stdout}`);
  }, 1_800_000);

  afterAll(() => {
    if (stage) rmSync(stage, { recursive: true, force: true });
  });

  it('installs the gateway, its configuration and secrets directory with the right modes, and a unit', () => {
    const version = execFileSync(installed('opt/kirchhoff/bin/kirchhoff'), ['--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe(`kirchhoff ${JSON.parse(readFileSync(join(REPO, 'apps', 'gateway', 'package.json'), 'utf8')).version}`);
    expect(statSync(installed('etc/kirchhoff/site.yaml')).mode & 0o777).toBe(0o640);
    expect(statSync(installed('etc/kirchhoff/secrets')).mode & 0o777).toBe(0o700);
    expect(readFileSync(installed('etc/kirchhoff/site.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'apps', 'gateway', 'examples', 'production.yaml'), 'utf8'));
    expect(readFileSync(installed('etc/systemd/system/kirchhoff.service'), 'utf8')).toBe(readFileSync(join(REPO, 'deploy', 'kirchhoff.service'), 'utf8'));
    // Only what runs is installed: no test helpers, no dev dependencies.
    expect(() => statSync(installed('opt/kirchhoff/node_modules/@kirchhoff/test-support'))).toThrow();
    expect(() => statSync(installed('opt/kirchhoff/node_modules/jest'))).toThrow();
  });

  it('the installed gateway passes the production example with its secrets as systemd credentials, and refuses it without them', async () => {
    const tls = installed('etc/kirchhoff/tls');
    mkdirSync(tls);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, 'gateway.key'), '-out', join(tls, 'gateway.crt'), '-days', '2', '-subj', '/CN=bms-gateway'], { stdio: 'ignore' });
    const creds = mkdtempSync(join(tmpdir(), 'kirchhoff-credentials-'));
    for (const name of ['http-admin', 'http-operator', 'nut-upsmon']) writeFileSync(join(creds, name), `${DEMO_NUT_USER.passwordHash}\n`);
    for (const name of ['ups-snmp-auth', 'ups-snmp-priv', 'snmp-auth', 'snmp-priv']) writeFileSync(join(creds, name), `a-long-${name}-phrase\n`);
    // The example names /etc/kirchhoff: here that is the staged copy.
    const site = join(stage, 'site.yaml');
    writeFileSync(site, readFileSync(installed('etc/kirchhoff/site.yaml'), 'utf8').replaceAll('/etc/kirchhoff/', `${installed('etc/kirchhoff')}/`));
    const check = (env: NodeJS.ProcessEnv) => run(installed('opt/kirchhoff/bin/kirchhoff'), ['config', 'check', site], { env, timeoutMs: 60_000 });
    const ok = await check({ ...process.env, CREDENTIALS_DIRECTORY: creds });
    expect({ code: ok.code, out: ok.stdout.trim(), err: ok.stderr }).toEqual({ code: 0, out: `${site}: valid: 2 strings, 40 modules; services on: modbus, snmp, nut, http`, err: '' });
    const { CREDENTIALS_DIRECTORY: _none, ...noCredentials } = process.env;
    const refused = await check(noCredentials);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ups\.snmp\.authKey \(line \d+\): \$\{credential:ups-snmp-auth\}: no systemd credentials/);
  });

  it('systemd verifies the unit and rates its exposure OK (at most 2.5 of 10)', async () => {
    // The unit as installed, pointed at the staged files.
    const unit = join(stage, 'kirchhoff.service');
    writeFileSync(unit, readFileSync(installed('etc/systemd/system/kirchhoff.service'), 'utf8').replaceAll('/opt/kirchhoff/', `${installed('opt/kirchhoff')}/`).replaceAll('/etc/kirchhoff/', `${installed('etc/kirchhoff')}/`));
    const verify = await run('systemd-analyze', ['verify', '--man=no', unit], { timeoutMs: 60_000 });
    expect({ code: verify.code, out: verify.stdout + verify.stderr }).toEqual({ code: 0, out: '' });
    const security = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit], { timeoutMs: 60_000 });
    const level = Number(/Overall exposure level for kirchhoff\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2.5);
    expect(security.stdout).toMatch(/✓ NoNewPrivileges=/);
    expect(security.stdout).toMatch(/✓ ProtectSystem=\s/);
  });

  it('every TypeScript example in the packages\' READMEs compiles against the installed tarballs and runs', async () => {
    const dir = installed('opt/kirchhoff/examples');
    mkdirSync(dir);
    const examples: { name: string; file: string }[] = [];
    for (const pkg of ['core', 'history', 'http', 'modbus', 'snmp', 'bacnet', 'mqtt', 'rccmd', 'nut']) {
      const blocks = [...readFileSync(join(REPO, 'packages', pkg, 'README.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
      blocks.forEach((code, i) => {
        const name = `${pkg}-${i + 1}`;
        // Paths a real host has; here they point into the staged tree.
        writeFileSync(join(dir, `${name}.mts`), code.replaceAll('/var/lib/kirchhoff/', `${dir}/`));
        examples.push({ name, file: join(dir, `${name}.mjs`) });
      });
    }
    expect(examples.length).toBeGreaterThanOrEqual(7);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] },
      include: ['*.mts'],
    }));
    const tsc = await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { timeoutMs: 300_000 });
    expect({ code: tsc.code, errors: tsc.stdout + tsc.stderr }).toEqual({ code: 0, errors: '' });
    if (!hasTool('unshare')) return;
    // What the examples read: TLS files in the working directory, secrets from the environment.
    for (const f of ['ca.pem', 'room1.crt']) writeFileSync(join(dir, f), readFileSync(installed('etc/kirchhoff/tls/gateway.crt')));
    writeFileSync(join(dir, 'room1.key'), readFileSync(installed('etc/kirchhoff/tls/gateway.key')));
    const env = { ...process.env, RCCMD_KEY: 'an-example-hmac-key-0123456789', NUT_PW: 'example', MQTT_PASSWORD: 'example' };
    const failed: string[] = [];
    for (const ex of examples) {
      // Each runs for 3 s with only a loopback interface: it must not throw, whatever it waits for.
      const r = await run('unshare', ['-n', 'sh', '-c', `ip link set lo up && timeout -s INT 3 node ${ex.file}; test $? -eq 0 -o $? -eq 124 -o $? -eq 130`], { cwd: dir, env, timeoutMs: 60_000 });
      if (r.code !== 0 || /Error|Unhandled/.test(r.stderr)) failed.push(`${ex.name}: exit ${r.code}: ${r.stderr.slice(0, 600)}`);
    }
    expect(failed).toEqual([]);
  }, 600_000);
});
