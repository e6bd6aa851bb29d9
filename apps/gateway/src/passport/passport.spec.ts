// The passport export against the vendored Battery Pass 1.2.0 schemas: every value it gives is
// valid, every required field it leaves out is named in `missing` with the reason, and what it
// gives comes from the life records, the configuration and the log (never a default it made up).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '../services/history/db';
import { configuredIdentities, type LifeStringConfig, type PassportConfig } from '../services/life/config';
import { run } from '../cli';
import { buildPassport, type PassportDocument, type PassportInput } from './passport';
import { checkPassport } from './validate.test-support';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const STRING: LifeStringConfig = {
  modules: 4, moduleType: 'C20', capacityAh: 100,
  battery: {}, blocks: { serials: [], positions: {} },
};
const FULL_PASSPORT: PassportConfig = {
  category: 'industrial', status: 'Original',
  manufacturer: { name: 'Acme Batteries GmbH', identifier: 'DE-ACME-0001', street: 'Werkstrasse 1', postalCode: '12345', country: 'DE', web: 'https://acme.example/' },
  manufacturingPlace: { street: 'Werkstrasse 1', postalCode: '12345', country: 'DE' },
  operator: { name: 'Data Centre Operator Ltd', identifier: 'GB-DCO-7', street: '1 Server Road', postalCode: 'AB1 2CD', country: 'GB' },
  warrantyPeriod: '--06',
  safetyInstructions: 'https://acme.example/safety.pdf', extinguishingAgents: ['A', 'B'],
  wastePrevention: 'https://acme.example/eol', separateCollection: 'https://acme.example/collect', informationOnCollection: 'https://acme.example/recycling',
  documents: [{ type: 'DismantlingManual', mimeType: 'application/pdf', url: 'https://acme.example/dismantling.pdf' }],
};

function input(db: HistoryDb, extra: Partial<PassportInput> = {}): PassportInput {
  return {
    string: 1, nowMs: NOW, records: db.lifeRecords({ string: 1 }),
    site: { site: { name: 'Test site' }, passport: { manufacturer: {}, manufacturingPlace: {}, operator: {}, extinguishingAgents: [], documents: [] } },
    stringInfo: { name: 'String 1', modules: 4, moduleType: 'C20', capacityAh: 100, battery: {} },
    stateOfCharge: null, negativeEvents: [], alarmLogSinceMs: null, ...extra,
  };
}

function expectValid(doc: PassportDocument): void {
  const report = checkPassport(doc);
  expect({ violations: report.violations, unexplained: report.unexplained, missingButPresent: report.missingButPresent }).toEqual({ violations: [], unexplained: [], missingButPresent: [] });
}

describe('battery passport export', () => {
  let dir: string;
  let db: HistoryDb;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-passport-'));
    db = new HistoryDb(join(dir, 'h.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with nothing but the string\'s size configured: only what follows from it, the rest named missing with the key to set', () => {
    db.applyConfiguredIdentity(configuredIdentities([STRING]), NOW - 1000);
    const doc = buildPassport(input(db, { stateOfCharge: { percent: 99.04, atMs: NOW - 5000 } }));
    expectValid(doc);
    // 4 x 12 V x 100 Ah: 48 V, 100 Ah, 4.8 kWh (the data model's units: V, Ah, kWh).
    expect(doc.performanceAndDurability).toEqual({
      batteryTechicalProperties: { ratedCapacity: 100, nominalVoltage: 48, ratedEnergy: 4.8 },
      batteryCondition: { negativeEvents: [], stateOfCharge: { stateOfChargeValue: 99, lastUpdate: '2026-12-07T11:59:55Z' } },
    });
    expect(doc.generalProductInformation).toEqual({});
    expect(doc.missing).toContainEqual({ field: 'generalProductInformation.batteryMass', reason: 'not configured: set strings.0.battery.massKg (or enter it over the API where it is identity)' });
    expect(doc.missing).toContainEqual({ field: 'performanceAndDurability.batteryCondition.remainingCapacity', reason: expect.stringContaining('not computed by this gateway yet') });
    expect(doc.sources['performanceAndDurability.batteryTechicalProperties.nominalVoltage']).toBe('life record of string 1 (derived from the configuration) (V)');
    expect(doc.blocks.map((b) => [b.label, b.current?.identity.nominalVoltageV, b.replaced.length])).toEqual([['S01-M01', 12, 0], ['S01-M02', 12, 0], ['S01-M03', 12, 0], ['S01-M04', 12, 0]]);
  });

  it('fully configured: the general product information is complete and valid; what remains missing cannot be known', () => {
    const configured: LifeStringConfig = {
      ...STRING,
      battery: { manufacturer: 'Acme Batteries GmbH', model: 'UPS-Battery 48', serial: 'SYS-1', manufactureDate: '2024-03', commissioningDate: '2024-05-14', productIdentifier: 'ACME-UPS48-SYS-1', passportIdentifier: 'urn:acme:sys1', massKg: 4 * 31.5, expectedLifetimeYears: 12, minimumVoltageV: 42, maximumVoltageV: 57.6, ratedMaximumPowerW: 12_000 },
      blocks: { manufacturer: 'Acme Batteries GmbH', model: 'AB12-100', chemistry: 'lead-acid VRLA AGM', manufactureDate: '2024-03', serials: ['B1', 'B2', 'B3', 'B4'], positions: {} },
    };
    db.applyConfiguredIdentity(configuredIdentities([configured]), NOW - 1000);
    db.replaceBlock(1, 3, { serial: 'B9', manufactureDate: '2025-10' }, NOW - 500);
    const doc = buildPassport(input(db, {
      site: { site: { name: 'Test site' }, passport: FULL_PASSPORT },
      stringInfo: { name: 'String 1', modules: 4, moduleType: 'C20', capacityAh: 100, battery: configured.battery },
      negativeEvents: [{ atMs: NOW - 3_600_000, text: 'module-temperature-high: S01-M02 temperature 46.0 degC above 45 degC' }],
      alarmLogSinceMs: NOW - 86_400_000,
    }));
    expectValid(doc);
    expect(checkPassport(doc).requiredAbsent.filter((p) => p.startsWith('generalProductInformation'))).toEqual([]);
    expect(doc.generalProductInformation).toMatchObject({
      productIdentifier: 'ACME-UPS48-SYS-1', batteryPassportIdentifier: 'urn:acme:sys1', batteryCategory: 'industrial', batteryStatus: 'Original', batteryMass: 126,
      manufacturingDate: '2024-03-01T00:00:00Z', puttingIntoService: '2024-05-14T00:00:00Z', warrentyPeriod: '--06',
      manufacturerInformation: { contactName: 'Acme Batteries GmbH', identifier: 'DE-ACME-0001', postalAddress: { addressCountry: 'DE', postalCode: '12345', streetAddress: 'Werkstrasse 1' }, webAddress: 'https://acme.example/' },
    });
    expect(doc.performanceAndDurability.batteryTechicalProperties).toMatchObject({ ratedMaximumPower: 12, expectedLifetime: 12, minimumVoltage: 42, maximumVoltage: 57.6 });
    expect(doc.performanceAndDurability.batteryCondition).toMatchObject({ negativeEvents: [{ negativeEvent: 'module-temperature-high: S01-M02 temperature 46.0 degC above 45 degC', lastUpdate: '2026-12-07T11:00:00Z' }] });
    expect(doc.circularity).toMatchObject({ safetyMeasures: { safetyInstructions: 'https://acme.example/safety.pdf', extinguishingAgent: ['A', 'B'] }, endOfLifeInformation: { wastePrevention: 'https://acme.example/eol' } });
    // Not in the gateway's reach at all: manufacturer material data, EV-only figures, datasheet tests.
    expect(doc.missing.map((m) => m.field)).toEqual(expect.arrayContaining(['circularity.recycledContent', 'performanceAndDurability.batteryCondition.stateOfCertifiedEnergy', 'performanceAndDurability.batteryTechicalProperties.roundtripEfficiency']));
    // The replaced block keeps its record beside the one in service.
    const b3 = doc.blocks[2];
    expect([b3.current?.identity.serial, b3.replaced.map((r) => r.identity.serial)]).toEqual(['B9', ['B3']]);
  });

  it('the check is real: a wrong value or an unnamed gap fails it', () => {
    db.applyConfiguredIdentity(configuredIdentities([STRING]), NOW - 1000);
    const doc = buildPassport(input(db));
    const wrongType = { ...doc, generalProductInformation: { ...doc.generalProductInformation, batteryMass: 'heavy' } };
    expect(checkPassport(wrongType).violations).toEqual(['generalProductInformation.batteryMass: must be number']);
    const wrongEnum = { ...doc, generalProductInformation: { batteryCategory: 'household' } };
    expect(checkPassport(wrongEnum).violations).toEqual(['generalProductInformation.batteryCategory: must be equal to one of the allowed values']);
    const unnamed = { ...doc, missing: doc.missing.filter((m) => m.field !== 'generalProductInformation.batteryMass') };
    expect(checkPassport(unnamed).unexplained).toEqual(['generalProductInformation.batteryMass']);
  });

  it('kirchhoff passport writes one valid document per string from a database file', async () => {
    db.applyConfiguredIdentity(configuredIdentities([STRING, { ...STRING, modules: 2 }]), NOW - 1000);
    db.setPassportInfo('site', NOW, { site: { name: 'CLI site' }, passport: FULL_PASSPORT });
    db.setPassportInfo('string/1', NOW, { name: 'A', modules: 4, moduleType: 'C20', capacityAh: 100, battery: { massKg: 126 } });
    db.setPassportInfo('string/2', NOW, { name: 'B', modules: 2, moduleType: 'C20', capacityAh: 100, battery: {} });
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const out = join(dir, 'out');
    expect(await run(['passport', '--db', join(dir, 'h.db'), '--out', out], io)).toBe(0);
    for (const n of [1, 2]) {
      const doc = JSON.parse(readFileSync(join(out, `passport-string-${n}.json`), 'utf8')) as PassportDocument;
      expectValid(doc);
      expect([doc.site, doc.string, doc.stringName, doc.blocks.length]).toEqual(['CLI site', n, n === 1 ? 'A' : 'B', n === 1 ? 4 : 2]);
    }
    expect(lines.join('\n')).toContain('passport-string-2.json');
    expect(await run(['passport', '--db', join(dir, 'h.db'), '--out', out, '--string', '3'], io)).toBe(1);
    expect(lines.pop()).toBe(`kirchhoff passport: string 3 is not in ${join(dir, 'h.db')} (it knows 1, 2)`);
    expect(await run(['passport', '--db', join(dir, 'h.db')], io)).toBe(2);
    expect(lines.pop()).toContain('--out DIR is required');
  });
});
