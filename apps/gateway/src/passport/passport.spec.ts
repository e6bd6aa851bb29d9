// The passport export against the vendored Battery Pass 1.2.0 schemas: every value it gives is
// valid, every required field it leaves out is named in `missing` with the reason, and what it
// gives comes from the life records, the configuration and the log (never a default it made up).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '@kirchhoff/history';
import { configuredIdentities, type LifeStringConfig, type PassportConfig } from '../services/life/config';
import { run } from '../cli';
import type { BlockHealth, HealthSnapshot } from '../engine/health';
import { buildPassport, type PassportDocument, type PassportInput } from './passport';
import { checkPassport } from './validate.test-support';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const STRING: LifeStringConfig = {
  modules: 4, moduleType: 'C20', capacityAh: 100,
  battery: {}, blocks: { serials: [], commissioningResistancesOhm: [], positions: {} },
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
    stateOfCharge: null, negativeEvents: [], alarmLogSinceMs: null, health: null, ...extra,
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
    expect(doc.missing).toContainEqual({ field: 'generalProductInformation.batteryMass', reason: 'not configured: set strings.0.battery.massKg' });
    expect(doc.missing).toContainEqual({ field: 'performanceAndDurability.batteryCondition.remainingCapacity', reason: expect.stringContaining('no health figures in this database') });
    expect(doc.missing).toContainEqual({ field: 'generalProductInformation.manufacturingDate', reason: 'not known: set strings.0.battery.manufactureDate, or enter it with PATCH /api/strings/1/life' });
    expect(doc.sources['performanceAndDurability.batteryTechicalProperties.nominalVoltage']).toBe('life record of string 1 (derived from the configuration) (V)');
    expect(doc.blocks.map((b) => [b.label, b.current?.identity.nominalVoltageV, b.replaced.length])).toEqual([['S01-M01', 12, 0], ['S01-M02', 12, 0], ['S01-M03', 12, 0], ['S01-M04', 12, 0]]);
  });

  it('fully configured: the general product information is complete and valid; what remains missing cannot be known', () => {
    const configured: LifeStringConfig = {
      ...STRING,
      battery: { manufacturer: 'Acme Batteries GmbH', model: 'UPS-Battery 48', serial: 'SYS-1', manufactureDate: '2024-03', commissioningDate: '2024-05-14', productIdentifier: 'ACME-UPS48-SYS-1', passportIdentifier: 'urn:acme:sys1', massKg: 4 * 31.5, expectedLifetimeYears: 12, minimumVoltageV: 42, maximumVoltageV: 57.6, ratedMaximumPowerW: 12_000 },
      blocks: { manufacturer: 'Acme Batteries GmbH', model: 'AB12-100', chemistry: 'lead-acid VRLA AGM', manufactureDate: '2024-03', serials: ['B1', 'B2', 'B3', 'B4'], commissioningResistancesOhm: [], positions: {} },
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
    // What nobody entered for a block is named (here the configuration gave no commissioning date; the new block has the replacement's).
    expect(doc.blocks.map((b) => b.unknown)).toEqual([['commissioningDate', 'commissioningResistanceOhm'], ['commissioningDate', 'commissioningResistanceOhm'], ['commissioningResistanceOhm'], ['commissioningDate', 'commissioningResistanceOhm']]);
  });

  it('fills the condition from the health figures: the weakest block for the string\'s capacity, per-block Ri, the data model\'s units', () => {
    db.applyConfiguredIdentity(configuredIdentities([STRING]), NOW - 1000);
    const block = (module: number, remainingAh: number, riIncrease: number | null, hours: number, deep = 0): BlockHealth => ({
      string: 1, module, global: module, sohPercent: remainingAh, sohMethod: 'capacity-test', ratedCapacityAh: 100, remainingCapacityAh: remainingAh,
      capacityFadePercent: 100 - remainingAh, firstMeasuredCapacityAh: 100, capacityMeasuredAtMs: NOW - 7_200_000, capacityTestId: 1,
      resistance: { baselineOhm: 0.004, baselineSource: 'measured', baselineAtMs: NOW - 86_400_000, latestOhm: riIncrease === null ? null : 0.004 * (1 + riIncrease / 100), increasePercent: riIncrease, endOfLifeLimitPercent: 50, trend: null },
      throughput: { dischargedAh: 80 + module, chargedAh: 85, dischargedWh: 1000, chargedWh: 1100, equivalentFullCycles: 2.6 },
      roundTripEfficiencyPercent: 85, firstRoundTripEfficiencyPercent: 90, powerFadePercent: null, selfDischargePercentPerDay: module === 1 ? 0.1 : null,
      temperature: { meanC: 24, hoursAboveLimit: hours, limitC: 35, hoursBelowLowLimit: module === 4 ? 0.25 : 0, lowLimitC: 5, hoursAboveLimitCharging: hours / 2, hoursBelowLowLimitCharging: 0, expectedLifeYears: 10, designLifeYears: 10 },
      deepDischarges: deep, lastDeepDischargeAtMs: deep ? NOW - 3_600_000 : null, meanBalancingActivityPercent: 10,
    });
    const health: HealthSnapshot = {
      atMs: NOW - 60_000, test: null,
      blocks: [block(1, 97, 10, 0), block(2, 91.5, 20, 1.5, 2), block(3, 96, null, 0), block(4, 98, 5, 0)],
      strings: [{ string: 1, currentSharePercent: 100, roundTripEfficiencyPercent: 84.6, balancingDiagnosis: null }],
    };
    const doc = buildPassport(input(db, { health }));
    expectValid(doc);
    const c = doc.performanceAndDurability.batteryCondition as Record<string, unknown>;
    const at = '2026-12-07T11:59:00Z';
    // Block 2 is the weakest: 91.5 Ah of 100 (8.5 % fade) x 48 V = 4.392 kWh; 4 x 1 kWh discharged; mean 82.5 Ah; 2 whole cycles.
    expect(c).toMatchObject({
      energyThroughput: 4, capacityThroughput: { capacityThroughputValue: 82.5, lastUpdate: at }, numberOfFullCycles: { numberOfFullCyclesValue: 2, lastUpdate: at },
      capacityFade: { capacityFadeValue: 8.5, lastUpdate: '2026-12-07T10:00:00Z' }, remainingCapacity: { remainingCapacityValue: 4.392, lastUpdate: '2026-12-07T10:00:00Z' },
      temperatureInformation: { timeExtremeHighTemp: 90, timeExtremeLowTemp: 15, timeExtremeHighTempCharging: 45, timeExtremeLowTempCharging: 0, lastUpdate: at },
      // 1 - 85 / 90; block 3 has no later Ri reading, so the string's power fade is not known.
      roundTripEfficiencyFade: 5.6,
      internalResistanceIncrease: [10, 20, 5].map((v) => ({ internalResistanceIncreaseValue: v, lastUpdate: at, batteryComponent: 'module' })),
      currentSelfDischargingRate: { currentSelfDischargingRateEntity: 0.1, lastUpdate: at },
      remainingRoundTripEnergyEfficiency: { remainingRoundTripEnergyEfficiencyValue: 84.6, lastUpdate: at },
      negativeEvents: [{ negativeEvent: 'deep discharge: S01-M02 2 times (the last at this time)', lastUpdate: '2026-12-07T11:00:00Z' }],
    });
    expect(doc.performanceAndDurability.batteryTechicalProperties).toMatchObject({ initialInternalResistance: [1, 2, 3, 4].map(() => ({ ohmicResistance: 0.004, batteryComponent: 'module' })) });
    expect(doc.missing.map((m) => m.field)).toEqual(expect.arrayContaining(['performanceAndDurability.batteryCondition.powerFade', 'performanceAndDurability.batteryCondition.evolutionOfSelfDischarge']));
    expect([doc.healthAt, doc.blocks[1].health?.sohPercent]).toEqual([at, 91.5]);

    // One block without a measured capacity: the string's capacity is not known (never the others' figure).
    const partial = buildPassport(input(db, { health: { ...health, blocks: [...health.blocks.slice(0, 3), { ...block(4, 98, 5, 0), remainingCapacityAh: null, capacityFadePercent: null }] } }));
    expectValid(partial);
    expect(partial.missing).toContainEqual({ field: 'performanceAndDurability.batteryCondition.remainingCapacity', reason: expect.stringContaining('no capacity measured yet for 1 of 4 blocks') });
    // Every block with its Ri baseline and a later reading: the string's Ri is their sum, its power goes as 1 / Ri.
    const aged = buildPassport(input(db, { health: { ...health, blocks: health.blocks.map((h) => ({ ...h, resistance: { ...h.resistance, latestOhm: 0.005, increasePercent: 25 } })) } }));
    expectValid(aged);
    expect((aged.performanceAndDurability.batteryCondition as { powerFade: number }).powerFade).toBe(20);
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
    // A third string from an earlier configuration is not exported once the site has two.
    db.setPassportInfo('string/3', NOW - 86_400_000, { name: 'C', modules: 2, moduleType: 'C20', capacityAh: 100, battery: {} });
    db.setPassportInfo('site', NOW, { site: { name: 'CLI site' }, passport: FULL_PASSPORT, strings: 2 });
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
    // Without a kept copy of the figures, the health engine's kept state gives them (blocks 1-4 are string 1's).
    const blank = { dischargedAh: 0, dischargedWh: 0, chargedAh: 0, chargedWh: 0 };
    db.setEngineState('health', NOW - 600_000, {
      version: 1, atMs: NOW - 600_000, strings: [{}, {}],
      blocks: [{ ...blank, dischargedAh: 50, dischargedWh: 600 }, blank, blank, { ...blank, dischargedAh: 30, dischargedWh: 360 }, blank, blank],
    });
    expect(await run(['passport', '--db', join(dir, 'h.db'), '--out', out, '--string', '1'], io)).toBe(0);
    const fromState = JSON.parse(readFileSync(join(out, 'passport-string-1.json'), 'utf8')) as PassportDocument;
    expectValid(fromState);
    expect([fromState.healthAt, fromState.performanceAndDurability.batteryCondition]).toEqual(['2026-12-07T11:50:00Z', expect.objectContaining({
      energyThroughput: 0.96, capacityThroughput: { capacityThroughputValue: 20, lastUpdate: '2026-12-07T11:50:00Z' },
    })]);
    expect(await run(['passport', '--db', join(dir, 'h.db'), '--out', out, '--string', '3'], io)).toBe(1);
    expect(lines.pop()).toBe(`kirchhoff passport: string 3 is not in ${join(dir, 'h.db')} (it knows 1, 2)`);
    expect(await run(['passport', '--db', join(dir, 'h.db')], io)).toBe(2);
    expect(lines.pop()).toContain('--out DIR is required');
  });
});
