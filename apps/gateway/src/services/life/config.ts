// Configuration of block and string identity (the life records) and of the battery passport data
// the gateway cannot measure: `strings[].battery`, `strings[].blocks` and the `passport` section.
import { MODULE_TYPES, type ModuleType } from '@kirchhoff/core';
import { arr, int, map, num, obj, str, type SchemaNode } from '../../config/schema-dsl';
import type { ConfigProblem } from '../../config/schema-dsl';
import { STRING_POSITION, type ConfiguredIdentity, type Identity, type IdentityField } from '@kirchhoff/history';

const DATE = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;
const URL_PATTERN = /^https?:\/\/[^\s]+$/;
const date = (doc: string) => str(doc, { optional: true, pattern: DATE, patternDoc: 'a date YYYY-MM-DD or a month YYYY-MM' });
const text = (doc: string) => str(doc, { optional: true });
const url = (doc: string) => str(doc, { optional: true, pattern: URL_PATTERN, patternDoc: 'an http(s) URL' });

/** The identity keys a string (as a battery) and a block share; serial is per item. */
const identityKeys = (what: string): Record<string, SchemaNode> => ({
  manufacturer: text(`${what} manufacturer.`),
  model: text(`${what} model (type designation).`),
  chemistry: text('Chemistry as the datasheet names it (lead-acid VRLA AGM, vented lead-acid, NiCd, LFP).'),
  ratedCapacityAh: num(`${what} rated capacity. Not given: the string's capacityAh.`, { min: 0.1, max: 100_000, optional: true, unit: 'Ah' }),
  nominalVoltageV: num(`${what} nominal voltage. Not given: from moduleType (C20: 12 V blocks${what === 'The battery\'s' ? ', times the modules' : ''}).`, { min: 0.1, max: 2000, optional: true, unit: 'V' }),
  manufactureDate: date(`${what} manufacture date (the label often gives a month).`),
  commissioningDate: date(`${what} commissioning date (put into service).`),
});

export const STRING_BATTERY_SCHEMA = obj('The string as one battery: the subject of its battery passport. Kept as the string\'s life record (position 0).', {
  ...identityKeys('The battery\'s'),
  serial: text('The battery\'s serial number (of the installed system).'),
  productIdentifier: text('Passport: the unique product identifier (Art. 77(3)).'),
  passportIdentifier: str('Passport: the battery passport identifier.', { optional: true, pattern: /^urn:[a-z0-9]+:[a-z0-9]+$/, patternDoc: 'a URN urn:NAMESPACE:ID (lower-case letters and digits)' }),
  massKg: num('Passport: mass of the battery (all its blocks).', { min: 0.1, max: 1_000_000, optional: true, unit: 'kg' }),
  expectedLifetimeYears: num('Passport: expected lifetime in calendar years (the design life, e.g. 10 for a Eurobat "long life" VRLA block).', { min: 1, max: 100, optional: true, unit: 'years' }),
  expectedNumberOfCycles: int('Passport: expected lifetime in charge-discharge cycles (datasheet).', { min: 1, max: 1_000_000, optional: true }),
  minimumVoltageV: num('Passport: minimum voltage the battery is rated for (datasheet end-of-discharge voltage times cells).', { min: 0.1, max: 2000, optional: true, unit: 'V' }),
  maximumVoltageV: num('Passport: maximum voltage the battery is rated for.', { min: 0.1, max: 2000, optional: true, unit: 'V' }),
  ratedMaximumPowerW: num('Passport: maximum permitted power the battery is rated for.', { min: 1, max: 1e9, optional: true, unit: 'W' }),
});

export const STRING_BLOCKS_SCHEMA = obj('The blocks of the string: what they share, and per position what differs (serial numbers, a block replaced earlier). Kept as life records.', {
  ...identityKeys('The blocks\''),
  serials: arr('Serial numbers by position (the first is block 1).', str('A serial number.'), { maxItems: 512, default: [] }),
  commissioningResistancesOhm: arr('Ri of each block measured at commissioning, by position (the commissioning report): the health engine\'s Ri baseline, instead of the first float readings.', num('Ri in ohms.', { min: 0.00001, max: 1 }), { maxItems: 512, default: [] }),
  positions: map('Per block position: what differs from the shared keys.', /^[1-9]\d{0,2}$/, 'block positions (1, 2, ...)', obj('One block', {
    ...identityKeys('The block\'s'),
    serial: text('The block\'s serial number.'),
    commissioningResistanceOhm: num('The block\'s Ri measured at commissioning.', { min: 0.00001, max: 1, optional: true, unit: 'ohm' }),
  })),
});

const contact = (doc: string) => obj(doc, {
  name: text('Name, trade name or mark.'),
  identifier: text('Unique operator identifier, where there is one.'),
  street: text('Street address.'),
  postalCode: text('Postal code.'),
  country: text('Country.'),
  web: url('Web address.'),
});

export const PASSPORT_SCHEMA = obj('Battery passport data the gateway cannot measure (Battery Pass data model 1.2.0; `kirchhoff passport`, docs/passport.md). Fields not given are listed as missing in the export, never made up.', {
  category: str('Battery category.', { enum: ['industrial', 'stationary', 'lmt', 'ev'], optional: true }),
  status: str('Lifecycle status of the batteries.', { enum: ['Original', 'Repurposed', 'Reused', 'Remanufactured', 'Waste'], optional: true }),
  manufacturer: contact('The batteries\' manufacturer.'),
  manufacturingPlace: obj('Where the batteries were made.', { street: text('Street address.'), postalCode: text('Postal code.'), country: text('Country.') }),
  operator: contact('The economic operator (who placed the battery on the market or put it into service).'),
  warrantyPeriod: str('Commercial warranty period as the data model 1.2.0 types it (an xsd:gMonth).', { optional: true, pattern: /^--(0[1-9]|1[0-2])$/, patternDoc: 'a month --MM (the data model\'s type)' }),
  safetyInstructions: url('Safety instructions (handling, waste batteries).'),
  extinguishingAgents: arr('Usable extinguishing agents (classes of extinguishers, A, B, C, D, K).', str('An agent.'), { maxItems: 16, default: [] }),
  wastePrevention: url('End of life: waste prevention information.'),
  separateCollection: url('End of life: separate collection information.'),
  informationOnCollection: url('End of life: collection and recycling information.'),
  documents: arr('Dismantling and removal documents.', obj('A document', {
    type: str('Kind of document.', { enum: ['BillOfMaterial', 'Model3D', 'DismantlingManual', 'RemovalManual', 'OtherManual', 'Drawing'] }),
    mimeType: str('Media type, e.g. application/pdf.', { default: 'application/pdf' }),
    url: str('Where it is.', { pattern: URL_PATTERN, patternDoc: 'an http(s) URL' }),
  }), { maxItems: 32, default: [] }),
});

export interface IdentityConfig {
  manufacturer?: string; model?: string; chemistry?: string; ratedCapacityAh?: number; nominalVoltageV?: number; manufactureDate?: string; commissioningDate?: string;
}
export interface StringBatteryConfig extends IdentityConfig {
  serial?: string; productIdentifier?: string; passportIdentifier?: string; massKg?: number; expectedLifetimeYears?: number; expectedNumberOfCycles?: number;
  minimumVoltageV?: number; maximumVoltageV?: number; ratedMaximumPowerW?: number;
}
export interface StringBlocksConfig extends IdentityConfig {
  serials: string[];
  commissioningResistancesOhm: number[];
  positions: Record<string, IdentityConfig & { serial?: string; commissioningResistanceOhm?: number }>;
}
interface ContactConfig { name?: string; identifier?: string; street?: string; postalCode?: string; country?: string; web?: string }
export interface PassportConfig {
  category?: 'industrial' | 'stationary' | 'lmt' | 'ev';
  status?: 'Original' | 'Repurposed' | 'Reused' | 'Remanufactured' | 'Waste';
  manufacturer: ContactConfig;
  manufacturingPlace: { street?: string; postalCode?: string; country?: string };
  operator: ContactConfig;
  warrantyPeriod?: string;
  safetyInstructions?: string;
  extinguishingAgents: string[];
  wastePrevention?: string;
  separateCollection?: string;
  informationOnCollection?: string;
  documents: { type: string; mimeType: string; url: string }[];
}

/** What life.ts needs of a string's configuration. */
export interface LifeStringConfig {
  modules: number;
  moduleType: ModuleType;
  capacityAh: number;
  battery: StringBatteryConfig;
  blocks: StringBlocksConfig;
}

const IDENTITY_KEYS: readonly (keyof IdentityConfig)[] = ['manufacturer', 'model', 'chemistry', 'ratedCapacityAh', 'nominalVoltageV', 'manufactureDate', 'commissioningDate'];

/** Cross-key checks: serials and positions name blocks that exist. */
export function lifeProblems(strings: readonly LifeStringConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  strings.forEach((s, i) => {
    if (s.blocks.serials.length > s.modules) problems.push({ path: `strings.${i}.blocks.serials`, message: `has ${s.blocks.serials.length} serial numbers: expected at most one per block (strings.${i}.modules is ${s.modules})` });
    if (s.blocks.commissioningResistancesOhm.length > s.modules) problems.push({ path: `strings.${i}.blocks.commissioningResistancesOhm`, message: `has ${s.blocks.commissioningResistancesOhm.length} values: expected at most one per block (strings.${i}.modules is ${s.modules})` });
    for (const key of Object.keys(s.blocks.positions)) {
      if (Number(key) > s.modules) problems.push({ path: `strings.${i}.blocks.positions.${key}`, message: `block ${key} does not exist: expected a position from 1 to ${s.modules} (strings.${i}.modules)` });
    }
    const serial = s.blocks.serials.map((x, j) => s.blocks.positions[String(j + 1)]?.serial ?? x);
    const seen = new Map<string, number>();
    serial.forEach((x, j) => {
      if (seen.has(x)) problems.push({ path: `strings.${i}.blocks.serials.${j}`, message: `${JSON.stringify(x)} is not valid: block ${seen.get(x)! + 1} has the same serial number (expected one per block)` });
      else seen.set(x, j);
    });
  });
  return problems;
}

/** Every position's identity as the configuration states or implies it (position 0 = the string). */
export function configuredIdentities(strings: readonly LifeStringConfig[]): ConfiguredIdentity[] {
  const out: ConfiguredIdentity[] = [];
  strings.forEach((s, i) => {
    const n = i + 1;
    const blockV = MODULE_TYPES[s.moduleType].blockNominalV;
    const pick = (from: IdentityConfig & { serial?: string; commissioningResistanceOhm?: number }, into: Identity, sources: Partial<Record<IdentityField, 'config' | 'derived'>>) => {
      for (const k of [...IDENTITY_KEYS, 'serial', 'commissioningResistanceOhm'] as const) {
        const v = from[k];
        if (v !== undefined) {
          (into as Record<string, unknown>)[k] = v;
          sources[k] = 'config';
        }
      }
    };
    const battery: Identity = { ratedCapacityAh: s.capacityAh, nominalVoltageV: blockV * s.modules };
    const batterySources: Partial<Record<IdentityField, 'config' | 'derived'>> = { ratedCapacityAh: 'derived', nominalVoltageV: 'derived' };
    pick(s.battery, battery, batterySources);
    out.push({ string: n, position: STRING_POSITION, identity: battery, sources: batterySources });
    for (let p = 1; p <= s.modules; p++) {
      const identity: Identity = { ratedCapacityAh: s.capacityAh, nominalVoltageV: blockV };
      const sources: Partial<Record<IdentityField, 'config' | 'derived'>> = { ratedCapacityAh: 'derived', nominalVoltageV: 'derived' };
      const { serials: _s, commissioningResistancesOhm: ri, positions, ...shared } = s.blocks;
      pick(shared, identity, sources);
      if (s.blocks.serials[p - 1] !== undefined) pick({ serial: s.blocks.serials[p - 1] }, identity, sources);
      if (ri[p - 1] !== undefined) pick({ commissioningResistanceOhm: ri[p - 1] }, identity, sources);
      if (positions[String(p)]) pick(positions[String(p)], identity, sources);
      out.push({ string: n, position: p, identity, sources });
    }
  });
  return out;
}
