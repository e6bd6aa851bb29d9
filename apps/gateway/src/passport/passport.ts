// The battery passport of one string (Battery Pass consortium data model 1.2.0): the aspects
// GeneralProductInformation, PerformanceAndDurability and Circularity filled from what the data
// logger holds (life records, passport configuration, logged SoC, the alarm log). A field the
// gateway cannot know is left out and named in `missing` with the reason, never made up.
// docs/passport.md describes every field and its source.
import { IDENTITY_FIELDS, lifeLabel, STRING_POSITION, type HistoryReader, type Identity, type LifeRecord } from '@kirchhoff/history';
import type { PassportConfig, StringBatteryConfig } from '../services/life/config';
import { PASSPORT_HEALTH_KEY, PASSPORT_SITE_KEY, passportStringKey } from '../services/life/records';
import { HealthEngine, type BlockHealth, type BlockInfo, type HealthOptions, type HealthPersistedState, type HealthSnapshot, type RatedString } from '../engine/health';
import { HEALTH_STATE_KEY } from '../engine/health-service';
import { SOFTWARE_VERSION } from '../version';

export const DATA_MODEL = {
  name: 'Battery Pass data model',
  version: '1.2.0',
  aspects: {
    generalProductInformation: 'urn:samm:io.BatteryPass.GeneralProductInformation:1.2.0#GeneralProductInformation',
    performanceAndDurability: 'urn:samm:io.BatteryPass.Performance:1.2.0#PerformanceAndDurability',
    circularity: 'urn:samm:io.BatteryPass.Circularity:1.2.0#Circularity',
  },
} as const;
export type AspectName = keyof typeof DATA_MODEL.aspects;

/** Alarm kinds that count as negative events (abuse a battery keeps the marks of). */
export const NEGATIVE_EVENT_KINDS = ['thermal-runaway', 'module-temperature-high', 'module-voltage-low', 'module-voltage-high', 'string-ground-fault', 'ups-battery-depleted'] as const;

const HEALTH = 'no health figures in this database: a gateway keeps them there every hour and when it stops (health engine: the battery bus or the demo)';
const DATASHEET = 'a manufacturer datasheet or type-test value: the gateway has no configuration key for it';
const EV_ONLY = 'defined for electric-vehicle batteries (UN GTR No. 22 usable battery energy): not applicable to a stationary battery';
const MANUFACTURER = 'manufacturer data (material and supply chain): not held by the gateway';
const configure = (key: string) => `not configured: set ${key}`;
/** A field of the string's life record: the configuration or the HTTP API. */
const enter = (key: string, n: number) => `not known: set ${key}, or enter it with PATCH /api/strings/${n}/life`;

export interface PassportSiteInfo {
  readonly site?: { readonly name?: string; readonly location?: string; readonly contact?: string };
  readonly passport?: Partial<PassportConfig>;
  readonly healthOptions?: HealthOptions;
  /** How many strings the configuration had when the gateway last started. */
  readonly strings?: number;
}
export interface PassportStringInfo {
  readonly name?: string | null;
  readonly modules?: number;
  readonly moduleType?: string;
  readonly capacityAh?: number;
  readonly battery?: StringBatteryConfig;
}

export interface PassportInput {
  readonly string: number;
  readonly nowMs: number;
  /** This string's life records, past ones too. */
  readonly records: readonly LifeRecord[];
  readonly site: PassportSiteInfo;
  readonly stringInfo: PassportStringInfo;
  readonly stateOfCharge: { readonly percent: number; readonly atMs: number } | null;
  readonly negativeEvents: readonly { readonly atMs: number; readonly text: string }[];
  /** Since when the alarm log reaches back (null: empty log). */
  readonly alarmLogSinceMs: number | null;
  /** The health figures (docs/health.md): live in the gateway, as last kept in the database for the CLI; null when there are none. */
  readonly health: HealthSnapshot | null;
}

export interface MissingField {
  /** Dotted path in this document: `generalProductInformation.batteryMass`. */
  readonly field: string;
  readonly reason: string;
}

export interface PassportBlock {
  readonly position: number;
  readonly label: string;
  readonly current: LifeRecord | null;
  /** Blocks that stood at this position before, oldest first. */
  readonly replaced: readonly LifeRecord[];
  /** Identity fields the block in service has no value for. */
  readonly unknown: readonly string[];
  /** The block's health figures (docs/health.md), as of `healthAt`. */
  readonly health: BlockHealth | null;
}

export interface PassportDocument {
  readonly kirchhoffPassport: 1;
  readonly dataModel: typeof DATA_MODEL;
  readonly generator: string;
  readonly generatedAt: string;
  readonly site: string | null;
  readonly string: number;
  readonly stringName: string | null;
  readonly generalProductInformation: Record<string, unknown>;
  readonly performanceAndDurability: Record<string, unknown>;
  readonly circularity: Record<string, unknown>;
  /** Fields of the data model the export leaves out, each with the reason. */
  readonly missing: readonly MissingField[];
  /** Where each value given came from. */
  readonly sources: Readonly<Record<string, string>>;
  /** When the health figures were computed (null: none). */
  readonly healthAt: string | null;
  readonly blocks: readonly PassportBlock[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** A date or month of a life record as the data model's date-time (a month is its first day, 00:00 UTC). */
export const dateTime = (date: string) => `${date.length === 7 ? `${date}-01` : date}T00:00:00Z`;

class Builder {
  readonly doc: Record<string, Record<string, unknown>> = { generalProductInformation: {}, performanceAndDurability: {}, circularity: {} };
  readonly missing: MissingField[] = [];
  readonly sources: Record<string, string> = {};

  set(path: string, value: unknown, source: string): void {
    const parts = path.split('.');
    let at: Record<string, unknown> = this.doc;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = value;
    this.sources[path] = source;
  }
  miss(path: string, reason: string): void {
    this.missing.push({ field: path, reason });
  }
  /** Sets the value when there is one, else names it missing. */
  maybe(path: string, value: unknown, source: string, reason: string): void {
    if (value === undefined || value === null || value === '') this.miss(path, reason);
    else this.set(path, value, source);
  }
}

function recordSource(r: LifeRecord | null, field: keyof Identity, what: string): string {
  const s = r?.sources[field];
  const how = s === 'config' ? 'configuration' : s === 'derived' ? 'derived from the configuration' : s === 'api' ? 'entered over the HTTP API' : s === 'inherited' ? 'kept from the replaced block' : s === 'replacement' ? 'the replacement date' : 'unknown';
  return `life record of ${what} (${how})`;
}

interface Contact { name?: string; identifier?: string; street?: string; postalCode?: string; country?: string; web?: string }

function contact(b: Builder, path: string, c: Contact | undefined, key: string, fallbackName?: { value: string; source: string }): void {
  const name = c?.name ?? fallbackName?.value;
  const any = name || c?.identifier || c?.street || c?.postalCode || c?.country || c?.web;
  if (!any) {
    b.miss(path, configure(key));
    return;
  }
  b.maybe(`${path}.contactName`, name, c?.name ? `configuration ${key}.name` : fallbackName?.source ?? '', configure(`${key}.name`));
  b.maybe(`${path}.identifier`, c?.identifier, `configuration ${key}.identifier`, configure(`${key}.identifier`));
  address(b, `${path}.postalAddress`, c, key);
  if (c?.web) b.set(`${path}.webAddress`, c.web, `configuration ${key}.web`);
}

function address(b: Builder, path: string, c: { street?: string; postalCode?: string; country?: string } | undefined, key: string): void {
  if (!c?.street && !c?.postalCode && !c?.country) {
    b.miss(path, configure(`${key}.street, ${key}.postalCode and ${key}.country`));
    return;
  }
  b.maybe(`${path}.addressCountry`, c.country, `configuration ${key}.country`, configure(`${key}.country`));
  b.maybe(`${path}.postalCode`, c.postalCode, `configuration ${key}.postalCode`, configure(`${key}.postalCode`));
  b.maybe(`${path}.streetAddress`, c.street, `configuration ${key}.street`, configure(`${key}.street`));
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);
const round = (x: number, digits: number) => +x.toFixed(digits);

/** batteryCondition from the health figures of the string's blocks (docs/passport.md says how each is aggregated). */
function condition(b: Builder, C: string, input: PassportInput, blocks: readonly BlockHealth[], nominalV: number | undefined, at: string | null): void {
  const fields = ['energyThroughput', 'capacityThroughput', 'numberOfFullCycles', 'capacityFade', 'remainingCapacity', 'temperatureInformation', 'internalResistanceIncrease', 'currentSelfDischargingRate', 'remainingRoundTripEnergyEfficiency', 'powerFade', 'roundTripEfficiencyFade'];
  if (!input.health || !blocks.length || !at) {
    for (const f of fields) b.miss(`${C}.${f}`, HEALTH);
    b.miss(`${C}.evolutionOfSelfDischarge`, 'needs the initial self-discharge rate (datasheet), which the gateway has no key for');
    return;
  }
  const src = (what: string) => `health figures of the string's ${blocks.length} blocks as of ${at}: ${what}`;
  // Series string: the same charge passes every block; its energy is the sum of the blocks'.
  b.set(`${C}.energyThroughput`, round(blocks.reduce((a, h) => a + h.throughput.dischargedWh, 0) / 1000, 3), src('energy discharged over the record, the sum of the blocks\' (kWh)'));
  b.set(`${C}.capacityThroughput`, { capacityThroughputValue: round(mean(blocks.map((h) => h.throughput.dischargedAh))!, 2), lastUpdate: at }, src('charge discharged over the record, the blocks\' mean (Ah)'));
  b.set(`${C}.numberOfFullCycles`, { numberOfFullCyclesValue: Math.floor(mean(blocks.map((h) => h.throughput.equivalentFullCycles))!), lastUpdate: at }, src('equivalent full cycles (discharged Ah over the rated capacity), the blocks\' mean, whole cycles'));
  // A series string delivers until its weakest block is empty: the string's capacity is that block's.
  const measured = blocks.filter((h) => h.remainingCapacityAh !== null && h.capacityFadePercent !== null);
  if (measured.length === blocks.length) {
    const weakest = measured.reduce((w, h) => (h.remainingCapacityAh! < w.remainingCapacityAh! ? h : w));
    const when = iso(weakest.capacityMeasuredAtMs ?? input.health.atMs);
    b.set(`${C}.capacityFade`, { capacityFadeValue: round(weakest.capacityFadePercent!, 1), lastUpdate: when }, src(`capacity fade of the weakest block (${lifeLabel(input.string, weakest.module)}), which limits the string (%)`));
    if (nominalV !== undefined) {
      b.set(`${C}.remainingCapacity`, { remainingCapacityValue: round(weakest.remainingCapacityAh! * nominalV / 1000, 3), lastUpdate: when }, src(`remaining capacity of the weakest block (${round(weakest.remainingCapacityAh!, 1)} Ah) x the string's nominal voltage, in kWh as the data model types it`));
    } else {
      b.miss(`${C}.remainingCapacity`, 'the data model gives it in kWh: needs the string\'s nominal voltage');
    }
  } else {
    const reason = `no capacity measured yet for ${blocks.length - measured.length} of ${blocks.length} blocks: a capacity test or a discharge to the end voltage measures it (docs/health.md)`;
    b.miss(`${C}.capacityFade`, reason);
    b.miss(`${C}.remainingCapacity`, reason);
  }
  // Per field the block that spent the most time there (the battery was there as long as that block).
  const most = (key: 'hoursAboveLimit' | 'hoursBelowLowLimit' | 'hoursAboveLimitCharging' | 'hoursBelowLowLimitCharging') => blocks.reduce((w, h) => (h.temperature[key] > w.temperature[key] ? h : w));
  const T = `${C}.temperatureInformation`;
  for (const [field, key, what] of [
    ['timeExtremeHighTemp', 'hoursAboveLimit', 'above'], ['timeExtremeLowTemp', 'hoursBelowLowLimit', 'below'],
    ['timeExtremeHighTempCharging', 'hoursAboveLimitCharging', 'above'], ['timeExtremeLowTempCharging', 'hoursBelowLowLimitCharging', 'below'],
  ] as const) {
    const h = most(key);
    const limit = what === 'above' ? `${h.temperature.limitC} degC (health.highTemperatureC)` : `${h.temperature.lowLimitC} degC (health.lowTemperatureC)`;
    b.set(`${T}.${field}`, round(h.temperature[key] * 60, 1), src(`minutes ${what} ${limit}${key.endsWith('Charging') ? ' while the string was charged' : ''}, of the block that spent the most (${lifeLabel(input.string, h.module)})`));
  }
  b.set(`${T}.lastUpdate`, at, src('when the figures were computed'));
  // Series string: its Ri is the sum of the blocks'; the power it can deliver goes as 1 / Ri.
  if (blocks.every((h) => h.resistance.baselineOhm !== null && h.resistance.latestOhm !== null)) {
    const base = blocks.reduce((a, h) => a + h.resistance.baselineOhm!, 0);
    const now = blocks.reduce((a, h) => a + h.resistance.latestOhm!, 0);
    b.set(`${C}.powerFade`, round((1 - base / now) * 100, 1), src('1 - (sum of the blocks\' Ri baselines) / (sum of their latest Ri): the string\'s deliverable power goes as 1 / Ri (%)'));
  } else {
    b.miss(`${C}.powerFade`, 'from the Ri: needs every block\'s Ri baseline and a later reading');
  }
  const rtePairs = blocks.filter((h) => h.roundTripEfficiencyPercent !== null && h.firstRoundTripEfficiencyPercent !== null);
  if (rtePairs.length) {
    const first = mean(rtePairs.map((h) => h.firstRoundTripEfficiencyPercent!))!;
    const last = mean(rtePairs.map((h) => h.roundTripEfficiencyPercent!))!;
    b.set(`${C}.roundTripEfficiencyFade`, round((1 - last / first) * 100, 1), src(`(1 - RTE now / RTE of the first recorded cycle), the blocks' means (${rtePairs.length} blocks) (%)`));
  } else {
    b.miss(`${C}.roundTripEfficiencyFade`, 'no full discharge and recharge recorded yet (the first one is the reference)');
  }
  const ri = blocks.filter((h) => h.resistance.increasePercent !== null);
  if (ri.length) b.set(`${C}.internalResistanceIncrease`, ri.map((h) => ({ internalResistanceIncreaseValue: round(h.resistance.increasePercent!, 1), lastUpdate: at, batteryComponent: 'module' })), src(`Ri over its baseline per block (blocks ${ri.map((h) => h.module).join(', ')}), (R - R_baseline) / R_baseline (%)`));
  else b.miss(`${C}.internalResistanceIncrease`, 'no block has an Ri baseline and a later reading yet');
  const sd = blocks.map((h) => h.selfDischargePercentPerDay).filter((x): x is number => x !== null);
  if (sd.length) b.set(`${C}.currentSelfDischargingRate`, { currentSelfDischargingRateEntity: round(mean(sd)!, 3), lastUpdate: at }, src(`self-discharge measured at rest, the mean of ${sd.length} blocks, percent of capacity per day (the data model states no time base)`));
  else b.miss(`${C}.currentSelfDischargingRate`, 'not measured yet: it is measured in rest phases (charger off)');
  b.miss(`${C}.evolutionOfSelfDischarge`, 'needs the initial self-discharge rate (datasheet), which the gateway has no key for');
  const rte = input.health.strings.find((x) => x.string === input.string)?.roundTripEfficiencyPercent ?? null;
  if (rte !== null) b.set(`${C}.remainingRoundTripEnergyEfficiency`, { remainingRoundTripEnergyEfficiencyValue: round(rte, 1), lastUpdate: at }, src('energy out over energy in of the string\'s last full discharge and recharge (%)'));
  else b.miss(`${C}.remainingRoundTripEnergyEfficiency`, 'no full discharge and recharge of the string recorded yet');
}

/** Builds the passport document of one string; pure (the caller gathers the input). */
export function buildPassport(input: PassportInput): PassportDocument {
  const b = new Builder();
  const n = input.string;
  const k = n - 1;
  const cfg = input.site.passport ?? {};
  const battery = input.stringInfo.battery ?? {};
  const stringRecord = input.records.find((r) => r.position === STRING_POSITION && r.endedAtMs === null) ?? null;
  const id = stringRecord?.identity ?? {};
  const what = `string ${n}`;
  const nowIso = iso(input.nowMs);

  // --- GeneralProductInformation ------------------------------------------------------------
  const G = 'generalProductInformation';
  b.maybe(`${G}.productIdentifier`, battery.productIdentifier, `configuration strings.${k}.battery.productIdentifier`, configure(`strings.${k}.battery.productIdentifier`));
  b.maybe(`${G}.batteryPassportIdentifier`, battery.passportIdentifier, `configuration strings.${k}.battery.passportIdentifier`, configure(`strings.${k}.battery.passportIdentifier`));
  b.maybe(`${G}.batteryCategory`, cfg.category, 'configuration passport.category', configure('passport.category'));
  contact(b, `${G}.manufacturerInformation`, cfg.manufacturer, 'passport.manufacturer', id.manufacturer ? { value: id.manufacturer, source: recordSource(stringRecord, 'manufacturer', what) } : undefined);
  b.maybe(`${G}.manufacturingDate`, id.manufactureDate && dateTime(id.manufactureDate), recordSource(stringRecord, 'manufactureDate', what), enter(`strings.${k}.battery.manufactureDate`, n));
  b.maybe(`${G}.batteryStatus`, cfg.status, 'configuration passport.status', configure('passport.status'));
  b.maybe(`${G}.batteryMass`, battery.massKg, `configuration strings.${k}.battery.massKg (kg)`, configure(`strings.${k}.battery.massKg`));
  address(b, `${G}.manufacturingPlace`, cfg.manufacturingPlace, 'passport.manufacturingPlace');
  contact(b, `${G}.operatorInformation`, cfg.operator, 'passport.operator');
  b.maybe(`${G}.puttingIntoService`, id.commissioningDate && dateTime(id.commissioningDate), recordSource(stringRecord, 'commissioningDate', what), enter(`strings.${k}.battery.commissioningDate`, n));
  b.maybe(`${G}.warrentyPeriod`, cfg.warrantyPeriod, 'configuration passport.warrantyPeriod', configure('passport.warrantyPeriod'));

  // --- PerformanceAndDurability: technical properties ---------------------------------------
  const T = 'performanceAndDurability.batteryTechicalProperties';
  b.miss(`${T}.originalPowerCapability`, DATASHEET);
  b.maybe(`${T}.ratedMaximumPower`, battery.ratedMaximumPowerW !== undefined ? battery.ratedMaximumPowerW / 1000 : undefined, `configuration strings.${k}.battery.ratedMaximumPowerW (kW)`, configure(`strings.${k}.battery.ratedMaximumPowerW`));
  b.miss(`${T}.powerCapabilityRatio`, DATASHEET);
  if (id.ratedCapacityAh !== undefined && id.nominalVoltageV !== undefined) {
    b.set(`${T}.ratedEnergy`, +(id.ratedCapacityAh * id.nominalVoltageV / 1000).toFixed(3), `rated capacity x nominal voltage of ${what} (kWh)`);
  } else {
    b.miss(`${T}.ratedEnergy`, 'needs the rated capacity and the nominal voltage of the string');
  }
  b.maybe(`${T}.expectedNumberOfCycles`, battery.expectedNumberOfCycles, `configuration strings.${k}.battery.expectedNumberOfCycles`, configure(`strings.${k}.battery.expectedNumberOfCycles`));
  b.miss(`${T}.initialSelfDischarge`, DATASHEET);
  b.miss(`${T}.roundtripEfficiency`, DATASHEET);
  b.maybe(`${T}.ratedCapacity`, id.ratedCapacityAh, `${recordSource(stringRecord, 'ratedCapacityAh', what)} (Ah)`, enter(`strings.${k}.battery.ratedCapacityAh`, n));
  const blocksHealth = (input.health?.blocks ?? []).filter((h) => h.string === n).sort((x, y) => x.module - y.module);
  const healthAt = input.health ? iso(input.health.atMs) : null;
  const initialRi = blocksHealth.filter((h) => h.resistance.baselineOhm !== null);
  if (!input.health) b.miss(`${T}.initialInternalResistance`, HEALTH);
  else if (!initialRi.length) b.miss(`${T}.initialInternalResistance`, 'no block has an Ri baseline yet (captured from the first stable float readings)');
  else b.set(`${T}.initialInternalResistance`, initialRi.map((h) => ({ ohmicResistance: h.resistance.baselineOhm, batteryComponent: 'module' })), `health figures: Ri baseline of blocks ${initialRi.map((h) => h.module).join(', ')} (ohm)`);
  b.maybe(`${T}.expectedLifetime`, battery.expectedLifetimeYears, `configuration strings.${k}.battery.expectedLifetimeYears (years)`, configure(`strings.${k}.battery.expectedLifetimeYears`));
  b.maybe(`${T}.nominalVoltage`, id.nominalVoltageV, `${recordSource(stringRecord, 'nominalVoltageV', what)} (V)`, enter(`strings.${k}.battery.nominalVoltageV`, n));
  b.maybe(`${T}.minimumVoltage`, battery.minimumVoltageV, `configuration strings.${k}.battery.minimumVoltageV (V)`, configure(`strings.${k}.battery.minimumVoltageV`));
  b.maybe(`${T}.maximumVoltage`, battery.maximumVoltageV, `configuration strings.${k}.battery.maximumVoltageV (V)`, configure(`strings.${k}.battery.maximumVoltageV`));
  b.miss(`${T}.capacityThresholdForExhaustion`, 'a share of the state of certified energy (SOCE) of electric-vehicle batteries: not applicable to a stationary battery');
  b.miss(`${T}.lifetimeReferenceTest`, DATASHEET);
  b.miss(`${T}.cRateLifeCycleTest`, DATASHEET);
  b.miss(`${T}.temperatureRangeIdleState`, DATASHEET);

  // --- PerformanceAndDurability: condition ---------------------------------------------------
  const C = 'performanceAndDurability.batteryCondition';
  condition(b, C, input, blocksHealth, id.nominalVoltageV, healthAt);
  b.miss(`${C}.stateOfCertifiedEnergy`, EV_ONLY);
  b.miss(`${C}.remainingEnergy`, EV_ONLY);
  b.miss(`${C}.remainingPowerCapability`, 'needs power-capability tests at 80 % and 20 % SoC, which the gateway does not run');
  b.miss(`${C}.roundTripEfficiencyat50PerCentCycleLife`, DATASHEET);
  const since = input.alarmLogSinceMs === null ? 'the alarm log is empty' : `since ${iso(input.alarmLogSinceMs)}`;
  const deep = blocksHealth.filter((h) => h.deepDischarges > 0 && h.lastDeepDischargeAtMs !== null)
    .map((h) => ({ atMs: h.lastDeepDischargeAtMs!, text: `deep discharge: ${lifeLabel(n, h.module)} ${h.deepDischarges} time${h.deepDischarges === 1 ? '' : 's'} (the last at this time)` }));
  b.set(`${C}.negativeEvents`, [...input.negativeEvents, ...deep].sort((x, y) => x.atMs - y.atMs).map((e) => ({ negativeEvent: e.text, lastUpdate: iso(e.atMs) })),
    `the gateway's alarm log (${since}): raised alarms of severity alarm or critical of kinds ${NEGATIVE_EVENT_KINDS.join(', ')} on the string, its blocks or the UPS battery; and the deep discharges the health figures counted per block`);
  if (input.stateOfCharge) {
    b.set(`${C}.stateOfCharge`, { stateOfChargeValue: +input.stateOfCharge.percent.toFixed(1), lastUpdate: iso(input.stateOfCharge.atMs) }, `the data logger: last fresh sample of string/${n} socPercent (%)`);
  } else {
    b.miss(`${C}.stateOfCharge`, `no fresh string/${n} socPercent sample in the data logger in the last 24 hours`);
  }

  // --- Circularity ----------------------------------------------------------------------------
  const R = 'circularity';
  const documents = cfg.documents ?? [];
  if (documents.length) b.set(`${R}.dismantlingAndRemovalInformation`, documents.map((d) => ({ documentType: d.type, mimeType: d.mimeType, documentURL: d.url })), 'configuration passport.documents');
  else b.miss(`${R}.dismantlingAndRemovalInformation`, configure('passport.documents'));
  b.miss(`${R}.sparePartSources`, MANUFACTURER);
  b.miss(`${R}.recycledContent`, MANUFACTURER);
  b.miss(`${R}.renewableContent`, MANUFACTURER);
  const agents = cfg.extinguishingAgents ?? [];
  if (cfg.safetyInstructions || agents.length) {
    b.maybe(`${R}.safetyMeasures.safetyInstructions`, cfg.safetyInstructions, 'configuration passport.safetyInstructions', configure('passport.safetyInstructions'));
    if (agents.length) b.set(`${R}.safetyMeasures.extinguishingAgent`, agents, 'configuration passport.extinguishingAgents');
    else b.miss(`${R}.safetyMeasures.extinguishingAgent`, configure('passport.extinguishingAgents'));
  } else {
    b.miss(`${R}.safetyMeasures`, configure('passport.safetyInstructions and passport.extinguishingAgents'));
  }
  if (cfg.wastePrevention || cfg.separateCollection || cfg.informationOnCollection) {
    b.maybe(`${R}.endOfLifeInformation.wastePrevention`, cfg.wastePrevention, 'configuration passport.wastePrevention', configure('passport.wastePrevention'));
    b.maybe(`${R}.endOfLifeInformation.separateCollection`, cfg.separateCollection, 'configuration passport.separateCollection', configure('passport.separateCollection'));
    b.maybe(`${R}.endOfLifeInformation.informationOnCollection`, cfg.informationOnCollection, 'configuration passport.informationOnCollection', configure('passport.informationOnCollection'));
  } else {
    b.miss(`${R}.endOfLifeInformation`, configure('passport.wastePrevention, passport.separateCollection and passport.informationOnCollection'));
  }

  // --- blocks ---------------------------------------------------------------------------------
  const positions = new Set<number>();
  for (const r of input.records) if (r.position !== STRING_POSITION) positions.add(r.position);
  for (let p = 1; p <= (input.stringInfo.modules ?? 0); p++) positions.add(p);
  const blocks: PassportBlock[] = [...positions].sort((x, y) => x - y).map((position) => {
    const here = input.records.filter((r) => r.position === position);
    const current = here.find((r) => r.endedAtMs === null) ?? null;
    return {
      position, label: lifeLabel(n, position), current,
      replaced: here.filter((r) => r.endedAtMs !== null),
      unknown: IDENTITY_FIELDS.filter((f) => current?.identity[f] === undefined),
      health: blocksHealth.find((h) => h.module === position) ?? null,
    };
  });
  return {
    kirchhoffPassport: 1,
    dataModel: DATA_MODEL,
    generator: `kirchhoff ${SOFTWARE_VERSION}`,
    generatedAt: nowIso,
    site: input.site.site?.name ?? null,
    string: n,
    stringName: input.stringInfo.name ?? null,
    generalProductInformation: b.doc.generalProductInformation,
    performanceAndDurability: b.doc.performanceAndDurability,
    circularity: b.doc.circularity,
    missing: b.missing,
    sources: b.sources,
    healthAt,
    blocks,
  };
}

const DAY_MS = 86_400_000;

/** Strings the database knows (from the passport data the gateway kept, else the life records). */
export async function passportStrings(reader: HistoryReader): Promise<number[]> {
  const info = await reader.passportInfo();
  const fromInfo = Object.keys(info).map((key) => /^string\/(\d+)$/.exec(key)?.[1]).filter((x): x is string => !!x).map(Number);
  const fromRecords = (await reader.lifeRecords()).map((r) => r.string);
  // Strings a later configuration no longer has are not the site's any more.
  const count = (info[PASSPORT_SITE_KEY] as PassportSiteInfo | undefined)?.strings;
  return [...new Set([...fromInfo, ...fromRecords])].filter((n) => count === undefined || n <= count).sort((a, b) => a - b);
}

/**
 * Without a copy of the figures (a gateway that never stopped cleanly nor ran an hour since), the
 * health engine's state the logger keeps gives them (HealthEngine.blocksFromState): per block, without
 * the self-discharge and the per-string figures, which are not in it.
 */
async function healthFromState(reader: HistoryReader, info: Record<string, unknown>): Promise<HealthSnapshot | null> {
  const state = (await reader.engineState(HEALTH_STATE_KEY).catch(() => null)) as HealthPersistedState | null;
  if (!state) return null;
  const strings: RatedString[] = [];
  const count = (info[PASSPORT_SITE_KEY] as PassportSiteInfo | undefined)?.strings ?? Infinity;
  for (let n = 1; n <= count && info[passportStringKey(n)]; n++) {
    const s = info[passportStringKey(n)] as PassportStringInfo;
    if (!s.modules || !s.moduleType) return null;
    strings.push({ moduleCount: s.modules, capacityAh: s.capacityAh ?? null, moduleType: s.moduleType as RatedString['moduleType'] });
  }
  const rated = new Map<number, BlockInfo>();
  let first = 1;
  for (const [i, s] of strings.entries()) {
    for (const r of await reader.lifeRecords({ string: i + 1, current: true })) {
      if (r.position !== STRING_POSITION && r.position <= s.moduleCount && r.identity.ratedCapacityAh !== undefined && r.sources.ratedCapacityAh !== 'derived') rated.set(first + r.position - 1, { ratedCapacityAh: r.identity.ratedCapacityAh });
    }
    first += s.moduleCount;
  }
  const blocks = HealthEngine.blocksFromState(state, strings, (info[PASSPORT_SITE_KEY] as PassportSiteInfo | undefined)?.healthOptions ?? {}, rated);
  return blocks ? { atMs: state.atMs, blocks, strings: [], test: null } : null;
}

/**
 * The health figures a data logger file holds: the copy the gateway kept at its last stop (or hourly),
 * else the figures rebuilt from the health engine's kept state; null when it holds neither.
 */
export async function healthFromDatabase(reader: HistoryReader, info?: Record<string, unknown>): Promise<HealthSnapshot | null> {
  const i = info ?? await reader.passportInfo();
  return (i[PASSPORT_HEALTH_KEY] as HealthSnapshot | undefined) ?? healthFromState(reader, i);
}

/** Gathers what the data logger holds about one string and builds its passport. */
export async function passportForString(reader: HistoryReader, string: number, nowMs: number, liveHealth: HealthSnapshot | null = null): Promise<PassportDocument> {
  const [records, info] = await Promise.all([reader.lifeRecords({ string }), reader.passportInfo()]);
  const soc = await reader.measurements({ entity: `string/${string}`, field: 'socPercent', fromMs: nowMs - DAY_MS, toMs: nowMs + 1, resolution: 'raw', limit: 100_000 });
  const last = [...soc.points].reverse().find((p) => p.quality === 'fresh' && p.value !== null);
  const alarms = [
    ...(await reader.events({ category: 'alarm', entity: `string/${string}`, limit: 100_000 })),
    ...(await reader.events({ category: 'alarm', entity: `string/${string}/*`, limit: 100_000 })),
    ...(await reader.events({ category: 'alarm', entity: 'ups', alarmKind: 'ups-battery-depleted', limit: 100_000 })),
  ];
  const negative = alarms
    .filter((e) => e.action === 'raised' && (e.severity === 'alarm' || e.severity === 'critical') && (NEGATIVE_EVENT_KINDS as readonly string[]).includes(e.alarmKind ?? ''))
    .sort((a, b) => a.atMs - b.atMs || a.id - b.id)
    .map((e) => ({ atMs: e.atMs, text: `${e.alarmKind}: ${e.message}` }));
  const first = await reader.events({ category: 'alarm', order: 'asc', limit: 1 });
  return buildPassport({
    string, nowMs, records,
    site: (info[PASSPORT_SITE_KEY] ?? {}) as PassportSiteInfo,
    stringInfo: (info[passportStringKey(string)] ?? {}) as PassportStringInfo,
    stateOfCharge: last ? { percent: last.value!, atMs: last.atMs } : null,
    negativeEvents: negative,
    alarmLogSinceMs: first.length ? first[0].atMs : null,
    health: liveHealth ?? await healthFromDatabase(reader, info),
  });
}
