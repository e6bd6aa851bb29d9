// The demo gateway's NUT server with Debian's nut-client: upsc reads the site's own values, a real
// upsmon logged in with the demo user shuts its host down when the simulated mains failure takes
// the strings below the LB limit, and an operator's FSD through the HTTP API (audited) reaches it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run, startUpsmon, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { parseFault } from '../demo/faults';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { DEMO_NUT_USER } from './nut';

const EPHEMERAL = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'rccmd.enabled=false', 'actions.enabled=false',
  'history.enabled=false', 'schedule.enabled=false', 'http.port=0', 'http.host=127.0.0.1', 'nut.port=0'];

describeWithTools(['upsc', 'upsmon'], 'gateway --demo: NUT server', () => {
  jest.setTimeout(120_000);
  let gw: Gateway | null = null;
  let upsmon: ReturnType<typeof startUpsmon> | null = null;
  const endpoint = (name: string) => gw!.services.find((s) => s.name === name)!.endpoint.split(' ')[1];
  const upsc = async (what: string) => (await run('upsc', [`kirchhoff@${endpoint('NUT')}`, what])).stdout.trim();
  afterEach(async () => {
    await upsmon?.stop();
    upsmon = null;
    await gw?.stop();
    gw = null;
  });

  it('serves the site on the demo\'s NUT port with the strings\' own charge, and warns about the demo user', async () => {
    expect(finishConfig(demoConfig()).nut).toMatchObject({ enabled: true, host: '127.0.0.1', port: 13493 });
    const logger = memoryLogger('info');
    gw = await startGateway(finishConfig(applySets(demoConfig(), EPHEMERAL)), { logger, cycleMs: 3_600_000 });
    const snap = gw.site.snapshot();
    const weakest = Math.min(...snap.strings.map((s) => s.socPercent.value!));
    expect(await upsc('battery.charge')).toBe(weakest.toFixed(0));
    expect(await upsc('ups.status')).toMatch(/^OL/);
    expect((await run('upsc', ['-l', endpoint('NUT')])).stdout.trim().split('\n')).toEqual(['kirchhoff', 'kirchhoff-string1', 'kirchhoff-string2']);
    const base = `http://${endpoint('HTTP API')}`;
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: DEMO_HTTP_USERS.find((u) => u.name === 'viewer')!.password }) });
    const { notices } = (await login.json()) as { notices: { id: string; key: string }[] };
    expect(notices).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'nut-default-password', key: 'nut.users' })]));
  });

  it('a upsmon logged in as the demo user shuts its host down when the mains failure takes the runtime below the LB limit', async () => {
    // LB at 10 h of runtime: the first minute on battery is already below it.
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, 'nut.lowBattery.runtimeS=36000']));
    gw = await startGateway(config, { logger: memoryLogger(), faults: [parseFault('ups-on-battery@3')] });
    upsmon = startUpsmon(`kirchhoff@${endpoint('NUT')}`, DEMO_NUT_USER.name, DEMO_NUT_USER.password);
    await waitFor(async () => (await upsc('ups.status')).startsWith('OB'), 30_000, 'the site on battery');
    await waitFor(() => existsSync(upsmon!.shutdownFile), 30_000, 'the SHUTDOWNCMD');
    expect(upsmon.output()).toMatch(/on battery[\s\S]*battery is low/);
  });

  it('an operator sets FSD through the HTTP API (a viewer may not), every upsmon shuts down, the audit names the operator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-nut-'));
    const sets = [...EPHEMERAL.filter((s) => s !== 'history.enabled=false'), `history.path=${join(dir, 'h.db')}`];
    gw = await startGateway(finishConfig(applySets(demoConfig(), sets)), { logger: memoryLogger(), cycleMs: 3_600_000 });
    upsmon = startUpsmon(`kirchhoff@${endpoint('NUT')}`, DEMO_NUT_USER.name, DEMO_NUT_USER.password);
    const base = `http://${endpoint('HTTP API')}`;
    const token = async (name: string) => {
      const r = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, password: DEMO_HTTP_USERS.find((u) => u.name === name)!.password }) });
      return ((await r.json()) as { token: string }).token;
    };
    const fsd = async (who: string, on: boolean) => fetch(`${base}/api/nut/fsd`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(who)}` }, body: JSON.stringify({ on }) });
    await waitFor(async () => (await run('upsc', [`kirchhoff@${endpoint('NUT')}`, 'ups.status'])).code === 0, 10_000, 'NUT answering');
    expect((await fsd('viewer', true)).status).toBe(403);
    expect(await upsc('ups.status')).toBe('OL');
    expect((await fsd('operator', true)).status).toBe(200);
    expect(await upsc('ups.status')).toBe('OL FSD');
    await waitFor(() => existsSync(upsmon!.shutdownFile), 30_000, 'the SHUTDOWNCMD');
    const state = await fetch(`${base}/api/nut`, { headers: { authorization: `Bearer ${await token('viewer')}` } });
    expect(((await state.json()) as { ups: { name: string; fsd: boolean }[] }).ups).toEqual([
      { name: 'kirchhoff', fsd: true }, { name: 'kirchhoff-string1', fsd: true }, { name: 'kirchhoff-string2', fsd: true },
    ]);
    expect((await fsd('operator', false)).status).toBe(200);
    expect(await upsc('ups.status')).toBe('OL');
    const audit = await fetch(`${base}/api/audit?kind=command`, { headers: { authorization: `Bearer ${await token('viewer')}` } });
    const rows = ((await audit.json()) as { action: string; principal: string; detail: unknown }[]).filter((r) => r.action === 'nut-fsd');
    expect(rows.map((r) => [r.principal, r.detail])).toEqual(expect.arrayContaining([['operator', { on: true }], ['operator', { on: false }]]));
    await gw.stop();
    gw = null;
    rmSync(dir, { recursive: true, force: true });
  });
});
