// Life records and the battery passport through the composed demo gateway: identity from the
// configuration and over the HTTP API (audited, checked), a block replacement, a restart that keeps
// every record, then `kirchhoff passport` from the database file, validated against the schemas.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { run } from '../cli';
import { waitFor } from '@kirchhoff/test-support';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import type { LifeRecord } from '@kirchhoff/history';
import type { PassportDocument } from './passport';
import { checkPassport } from './validate.test-support';

const QUIET = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'mqtt.broker.enabled=false', 'nut.enabled=false', 'nut.port=0',
  'rccmd.enabled=false', 'actions.enabled=false', 'schedule.enabled=false', 'http.port=0', 'http.host=127.0.0.1'];

describe('life records and the passport in the demo gateway', () => {
  let dir: string;
  let gw: Gateway | null = null;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-passport-e2e-'));
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps identity entered over the API and a replacement across a restart, and exports a valid passport from the database', async () => {
    const db = join(dir, 'history.db');
    const config = finishConfig(applySets(demoConfig({ strings: 1, modules: 4 }), [
      ...QUIET, `history.path=${db}`, 'history.flushIntervalMs=100', 'history.rates.strings=1',
      'strings.0.blocks={manufacturer: Acme Batteries GmbH, model: AB12-100, chemistry: lead-acid VRLA AGM, manufactureDate: 2024-03, ratedCapacityAh: 110, serials: [B1, B2, B3, B4], commissioningResistancesOhm: [0.0051, 0.0052, 0.0053]}',
      'strings.0.battery={productIdentifier: ACME-UPS48-1, massKg: 126}',
      'passport={category: industrial, status: Original, manufacturer: {name: Acme Batteries GmbH, identifier: DE-ACME-1, street: Werkstrasse 1, postalCode: "12345", country: DE}}',
    ]));
    const start = async () => {
      gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 200 });
      const base = `http://${gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(' ').pop()!.replace(/^https?:\/\//, '')}`;
      const login = async (i: number) => ((await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: DEMO_HTTP_USERS[i].name, password: DEMO_HTTP_USERS[i].password }) })).json()) as { token: string }).token;
      const operator = await login(1);
      const call = async (method: string, path: string, body?: unknown, token = operator) => {
        const r = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      };
      return { call, login };
    };

    let api = await start();
    // From the configuration: the string (position 0) and four blocks with their serials.
    const first = (await api.call('GET', '/api/strings/1/life')).body.records as LifeRecord[];
    expect(first.map((r) => [r.position, r.identity.serial ?? null, r.sources.serial ?? null])).toEqual([[0, null, null], [1, 'B1', 'config'], [2, 'B2', 'config'], [3, 'B3', 'config'], [4, 'B4', 'config']]);

    // Over the API: the battery's dates, a correction of block 2, a refused value, a replacement.
    expect((await api.call('PATCH', '/api/strings/1/life', { manufactureDate: '2024-03', commissioningDate: '2024-05-14', manufacturer: 'Acme Batteries GmbH' })).status).toBe(200);
    expect((await api.call('PATCH', '/api/strings/1/modules/2/life', { commissioningDate: '2024-05-15' })).body.identity).toMatchObject({ serial: 'B2', commissioningDate: '2024-05-15' });
    const refused = await api.call('PATCH', '/api/strings/1/modules/2/life', { manufactureDate: '2024-02-30' });
    expect(refused).toEqual({ status: 400, body: { error: { code: 'invalid', message: 'manufactureDate: "2024-02-30" is not valid: expected a date YYYY-MM-DD or a month YYYY-MM', field: 'manufactureDate' } } });
    expect((await api.call('PATCH', '/api/strings/1/modules/9/life', { serial: 'X' })).status).toBe(404);
    const replaced = await api.call('POST', '/api/strings/1/modules/3/replacement', { serial: 'B9', manufactureDate: '2025-10', reason: 'low capacity in the discharge test' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ ended: { label: 'S01-M03', identity: { serial: 'B3' }, endReason: 'low capacity in the discharge test' }, started: { identity: { serial: 'B9', model: 'AB12-100' } } });
    // The new block's health record starts over: no Ri baseline yet, while the others keep theirs
    // (the configured commissioning Ri takes effect at the engines' next step after the start).
    const passport = async () => (await api.call('GET', '/api/strings/1/passport')).body as unknown as PassportDocument;
    await waitFor(async () => (await passport()).blocks[0].health?.resistance.baselineSource === 'config', 20_000, 'the configured Ri baseline in the health engine');
    const live = await passport();
    expect(live.blocks.map((b) => b.health?.resistance.baselineOhm !== null)).toEqual([true, true, false, true]);
    // Blocks 1 and 2 have their commissioning Ri as the baseline; block 4 had none configured (the demo model's).
    expect(live.blocks.map((b) => [b.health?.resistance.baselineSource, b.health?.resistance.baselineOhm])).toEqual([
      ['config', 0.0051], ['config', 0.0052], [null, null], ['model', expect.any(Number)]]);
    // The health engine rates each block by its life record (110 Ah configured), the new block by what it inherited.
    expect(live.blocks.map((b) => b.health?.ratedCapacityAh)).toEqual([110, 110, 110, 110]);
    const viewer = await api.login(2);
    expect((await api.call('POST', '/api/strings/1/modules/3/replacement', { serial: 'B10' }, viewer)).status).toBe(403);

    // Audited like every write (any outcome), the replacement also in the event log.
    const audit = (await api.call('GET', '/api/audit?kind=config&order=asc')).body as unknown as { action: string; outcome: string; principal: string }[];
    expect(audit.map((a) => [a.action, a.outcome, a.principal])).toEqual([
      ['life-record string/1', 'ok', 'operator'], ['life-record string/1/module/2', 'ok', 'operator'], ['life-record string/1/module/2', 'rejected', 'operator'],
      ['block-replacement string/1/module/3', 'ok', 'operator'],
    ]);
    const events = (await api.call('GET', '/api/events?category=battery&order=asc')).body as unknown as { action: string; message: string }[];
    expect(events.at(-1)).toMatchObject({ action: 'block-replaced', message: 'S01-M03 replaced: serial B3 -> B9 (low capacity in the discharge test)' });

    // The API's passport of the running gateway is valid too.
    expect(checkPassport((await api.call('GET', '/api/strings/1/passport')).body as unknown as PassportDocument)).toMatchObject({ violations: [], unexplained: [], missingButPresent: [] });

    // Restart with the same configuration: every record is kept, nothing from the API overwritten.
    await gw!.stop();
    gw = null;
    api = await start();
    const after = (await api.call('GET', '/api/strings/1/life')).body.records as LifeRecord[];
    expect(after.map((r) => [r.position, r.identity.serial ?? null, r.endedAtMs === null])).toEqual([[0, null, true], [1, 'B1', true], [2, 'B2', true], [3, 'B3', false], [3, 'B9', true], [4, 'B4', true]]);
    expect(after[0].identity).toMatchObject({ manufactureDate: '2024-03', commissioningDate: '2024-05-14' });
    expect(after[2].identity.commissioningDate).toBe('2024-05-15');
    await gw!.stop();
    gw = null;

    // The CLI from the database file alone.
    const out = join(dir, 'passports');
    const io = { out: () => {}, err: () => {} };
    expect(await run(['passport', '--db', db, '--out', out, '--string', '1'], io)).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'passport-string-1.json'), 'utf8')) as PassportDocument;
    expect(checkPassport(doc)).toMatchObject({ violations: [], unexplained: [], missingButPresent: [] });
    expect(doc.generalProductInformation).toMatchObject({
      productIdentifier: 'ACME-UPS48-1', batteryCategory: 'industrial', batteryStatus: 'Original', batteryMass: 126,
      manufacturingDate: '2024-03-01T00:00:00Z', puttingIntoService: '2024-05-14T00:00:00Z',
      manufacturerInformation: { contactName: 'Acme Batteries GmbH', identifier: 'DE-ACME-1' },
    });
    expect(doc.sources['generalProductInformation.puttingIntoService']).toBe('life record of string 1 (entered over the HTTP API)');
    // 4 x 12 V x 100 Ah, and the demo's string SoC as the logger sampled it.
    expect(doc.performanceAndDurability.batteryTechicalProperties).toMatchObject({ ratedCapacity: 100, nominalVoltage: 48, ratedEnergy: 4.8 });
    expect((doc.performanceAndDurability.batteryCondition as { stateOfCharge: { stateOfChargeValue: number } }).stateOfCharge.stateOfChargeValue).toBeGreaterThan(0);
    expect(doc.blocks[2]).toMatchObject({ label: 'S01-M03', current: { identity: { serial: 'B9' } }, replaced: [{ identity: { serial: 'B3' } }] });
    expect(doc.missing.map((m) => m.field)).toContain('generalProductInformation.operatorInformation');
    // The health figures as the gateway kept them when it stopped.
    expect(doc.healthAt).not.toBeNull();
    expect(doc.performanceAndDurability.batteryCondition).toMatchObject({ energyThroughput: expect.any(Number), numberOfFullCycles: { numberOfFullCyclesValue: expect.any(Number) } });
    expect(doc.blocks.map((b) => b.health?.module)).toEqual([1, 2, 3, 4]);
  }, 60_000);
});
