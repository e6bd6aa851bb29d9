// The site model's data: what a snapshot holds. SI numbers with the unit in the name; every
// reading carries its time and quality so protocols can show staleness instead of old values.
import type { ModuleType } from './module-types';
import type { Alarm, Severity } from './alarms/types';
import type { ThresholdSet } from './alarms/thresholds';
import { namesByCode } from './codes';

export type Quality = 'fresh' | 'stale' | 'failed';

export interface Measurement {
  /** The last value read, or null when none was ever read. */
  readonly value: number | null;
  /** When the value was read (ms since the epoch); 0 when never. */
  readonly atMs: number;
  readonly quality: Quality;
}

export const NO_MEASUREMENT: Measurement = Object.freeze({ value: null, atMs: 0, quality: 'failed' });

/** How a block's SoC was estimated: full at float, time at rest (charger off), coulomb counting (discharge and recharge). */
export type SocMethod = 'float' | 'rest' | 'discharge' | 'unknown';
export const SOC_METHODS: readonly SocMethod[] = ['float', 'rest', 'discharge', 'unknown'];
/**
 * What the charger is doing to a string: float (held at float voltage, full), boost (above float
 * for a limited time), recharge (charging back after a discharge or a rest: current clearly above
 * float current), rest (charger off, e.g. intermittent charging; was called `idle` before 2026-12),
 * discharge (the load is on the battery), unknown (nothing can be said).
 */
export type ChargeMode = 'float' | 'boost' | 'recharge' | 'rest' | 'discharge' | 'unknown';
export const CHARGE_MODES: readonly ChargeMode[] = ['float', 'boost', 'recharge', 'rest', 'discharge', 'unknown'];
export type FuseState = 'ok' | 'blown' | 'unknown';
export type CommunicationState = 'ok' | 'lost' | 'unknown';

export interface EqualizeState {
  readonly on: boolean;
  /** Bypass duty cycle commanded to the module, 0..100. */
  readonly dutyPercent: number;
}

export interface ModuleState {
  readonly string: number;
  readonly module: number;
  readonly global: number;
  /** `S02-M07` */
  readonly label: string;
  readonly type: ModuleType;
  readonly voltageV: Measurement;
  readonly temperatureC: Measurement;
  readonly resistanceOhm: Measurement;
  readonly socPercent: Measurement;
  readonly socMethod: SocMethod;
  readonly equalize: EqualizeState;
  /** Share of recent time the bypass was on, 0..100. */
  readonly balancingActivityPercent: number;
  readonly fuse: FuseState;
  readonly communication: CommunicationState;
  /** Ri recorded at commissioning, for baseline-relative Ri alarms. */
  readonly resistanceBaselineOhm: number | null;
  /** State of health, percent (the health engine; docs/health.md): capacity over the rating, or from the Ri increase; null when unknown. */
  readonly sohPercent: number | null;
  /** Where the SoH comes from: a capacity test, a real discharge to the end voltage, the Ri increase, or unknown. */
  readonly sohMethod: SohMethod;
  /** Capacity the block still has (C10 at 25 degC), Ah. */
  readonly remainingCapacityAh: number | null;
  /** (rated - remaining) / rated, percent. */
  readonly capacityFadePercent: number | null;
  /** Ri (float readings) over its baseline, percent. */
  readonly resistanceIncreasePercent: number | null;
  /** When the Ri trend reaches the end-of-life limit (ms since 1970), or null when it does not rise. */
  readonly endOfLifeAtMs: number | null;
}

/** Where a block's state of health comes from. */
export type SohMethod = 'capacity-test' | 'discharge' | 'resistance' | 'unknown';
export const SOH_METHODS: readonly SohMethod[] = ['capacity-test', 'discharge', 'resistance', 'unknown'];

export interface StringState {
  readonly string: number;
  readonly label: string;
  readonly name: string;
  readonly moduleType: ModuleType;
  readonly moduleCount: number;
  readonly firstGlobal: number;
  readonly capacityAh: number | null;
  /** Sum of the module voltages. */
  readonly sumVoltageV: Measurement;
  /** Target voltage = mean block voltage of the string. */
  readonly targetVoltageV: Measurement;
  /** Largest |V - target| among the string's fresh modules. */
  readonly spreadV: Measurement;
  /** Positive = charging. */
  readonly dcCurrentA: Measurement;
  readonly rippleCurrentA: Measurement;
  /** Differential (ground-fault) sensor pair on the positive and negative lines. */
  readonly differentialPositiveA: Measurement;
  readonly differentialNegativeA: Measurement;
  /** |positive - negative|: leakage to ground. */
  readonly groundFaultCurrentA: Measurement;
  readonly chargeMode: ChargeMode;
  readonly socPercent: Measurement;
  readonly autonomyMin: Measurement;
  /** Sum voltage x DC current. */
  readonly powerW: Measurement;
  /** Mean and lowest state of health of the string's blocks that have one, percent (the health engine). */
  readonly meanSohPercent: number | null;
  readonly minSohPercent: number | null;
  /** The weakest block's remaining capacity: what the series string can deliver, Ah. */
  readonly remainingCapacityAh: number | null;
  /** The "0 % balancing while the charger runs" diagnosis holds: open battery breaker, or self-discharge beating the charger. */
  readonly balancingStalled: boolean;
}

export type UpsBatteryStatus = 'unknown' | 'normal' | 'low' | 'depleted';
export type UpsOutputSource = 'other' | 'none' | 'normal' | 'bypass' | 'battery' | 'booster' | 'reducer';
export type UpsTestId = 'none' | 'abort' | 'general' | 'quick' | 'deep';
export type UpsTestResult = 'donePass' | 'doneWarning' | 'doneError' | 'aborted' | 'inProgress' | 'noTestsInitiated';

// RFC 1628's enumerations: the numbers on the wire wherever these values go out as numbers (UPS-MIB,
// the Modbus UPS block, BACnet's UPS Output Source states) and come in from a UPS card.
export const UPS_BATTERY_STATUS_CODES: Readonly<Record<UpsBatteryStatus, number>> = { unknown: 1, normal: 2, low: 3, depleted: 4 };
export const UPS_OUTPUT_SOURCE_CODES: Readonly<Record<UpsOutputSource, number>> = { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 };
export const UPS_TEST_RESULT_CODES: Readonly<Record<UpsTestResult, number>> = { donePass: 1, doneWarning: 2, doneError: 3, aborted: 4, inProgress: 5, noTestsInitiated: 6 };
/** The last arc of the upsWellKnownTests OID (upsTestNoTestsInitiated = 1 ... upsTestDeepBatteryCalibration = 5). */
export const UPS_TEST_ID_CODES: Readonly<Record<UpsTestId, number>> = { none: 1, abort: 2, general: 3, quick: 4, deep: 5 };
/** Every UPS output source, in the order of its RFC 1628 number. */
export const UPS_OUTPUT_SOURCES: readonly UpsOutputSource[] = namesByCode(UPS_OUTPUT_SOURCE_CODES);

export interface UpsInputLine { readonly frequencyHz: number; readonly voltageV: number; readonly currentA: number; readonly truePowerW: number }
export interface UpsOutputLine { readonly voltageV: number; readonly currentA: number; readonly powerW: number; readonly percentLoad: number }
export interface UpsBypassLine { readonly voltageV: number; readonly currentA: number; readonly powerW: number }

/** A UPS, in the groups of RFC 1628 (UPS-MIB). Alarms live in the site's alarm table. */
export interface UpsState {
  readonly ident: {
    readonly manufacturer: string;
    readonly model: string;
    readonly upsSoftwareVersion: string;
    readonly agentSoftwareVersion: string;
    readonly name: string;
    readonly attachedDevices: string;
  };
  readonly battery: {
    readonly status: UpsBatteryStatus;
    readonly secondsOnBattery: number;
    readonly estimatedMinutesRemaining: number;
    readonly estimatedChargeRemainingPercent: number;
    readonly voltageV: number;
    readonly currentA: number;
    readonly temperatureC: number;
  };
  readonly input: { readonly lineBads: number; readonly lines: readonly UpsInputLine[] };
  readonly output: { readonly source: UpsOutputSource; readonly frequencyHz: number; readonly lines: readonly UpsOutputLine[] };
  readonly bypass: { readonly frequencyHz: number; readonly lines: readonly UpsBypassLine[] };
  readonly test: {
    readonly id: UpsTestId;
    readonly spinLock: number;
    readonly resultsSummary: UpsTestResult;
    readonly resultsDetail: string;
    /** 0 when no test ran. */
    readonly startTimeMs: number;
    readonly elapsedS: number;
  };
  readonly control: {
    readonly shutdownType: 'output' | 'system';
    readonly shutdownAfterDelayS: number;
    readonly startupAfterDelayS: number;
    readonly rebootWithDurationS: number;
    readonly autoRestart: boolean;
  };
  readonly config: {
    readonly inputVoltageV: number;
    readonly inputFrequencyHz: number;
    readonly outputVoltageV: number;
    readonly outputFrequencyHz: number;
    readonly outputVA: number;
    readonly outputPowerW: number;
    readonly lowBattTimeMin: number;
    readonly audibleStatus: 'disabled' | 'enabled' | 'muted';
    readonly lowVoltageTransferPointV: number;
    readonly highVoltageTransferPointV: number;
  };
  readonly atMs: number;
  readonly quality: Quality;
}

export type SensorKind = 'temperature' | 'humidity' | 'hydrogen' | 'current' | 'voltage' | 'analog';
/** A sensor kind's number on the wire (BMS MIB bmsSensorKind, Modbus sensor register `kind`): published, so frozen. */
export const SENSOR_KIND_CODES: Readonly<Record<SensorKind, number>> = { temperature: 1, humidity: 2, hydrogen: 3, current: 4, voltage: 5, analog: 6 };
export const SENSOR_KINDS: readonly SensorKind[] = namesByCode(SENSOR_KIND_CODES);
/** Default unit per sensor kind: the unit the value is in. */
export const SENSOR_UNITS: Readonly<Record<SensorKind, string>> = {
  temperature: 'degC', humidity: '%RH', hydrogen: '%LEL', current: 'A', voltage: 'V', analog: '',
};

export interface SensorState {
  readonly id: number;
  readonly name: string;
  readonly kind: SensorKind;
  readonly unit: string;
  readonly reading: Measurement;
}

export interface DigitalInputState {
  readonly id: number;
  readonly name: string;
  /** True when the contact is in its alarm position (NO closed, or NC open). */
  readonly active: boolean;
  /** Severity of the alarm raised while active; null = informational only. */
  readonly alarmSeverity: Severity | null;
  readonly atMs: number;
  readonly quality: Quality;
}

export type RelayFunction = 'breaker' | 'ventilation' | 'air-conditioning' | 'beacon' | 'general';
export const RELAY_FUNCTIONS: readonly RelayFunction[] = ['breaker', 'ventilation', 'air-conditioning', 'beacon', 'general'];

export interface RelayState {
  readonly id: number;
  readonly name: string;
  readonly function: RelayFunction;
  /** True = energized. For the battery breaker, energized means "trip". */
  readonly on: boolean;
  readonly atMs: number;
}

export interface BusCounters {
  readonly requests: number;
  readonly timeouts: number;
  readonly crcErrors: number;
  readonly retries: number;
  readonly dropped: number;
  /** Duration of the last full measurement cycle, ms. */
  readonly lastCycleMs: number;
}

export interface SiteInfo {
  readonly name: string;
  readonly location: string;
  readonly contact: string;
}

export interface BalancingState {
  /** False when balancing is disabled for the whole site (e.g. a blown fuse). */
  readonly enabled: boolean;
  readonly disabledReason: string | null;
}

/** A consistent, frozen view of the whole site at one version. */
export interface SiteSnapshot {
  readonly version: number;
  readonly atMs: number;
  readonly startedAtMs: number;
  readonly info: SiteInfo;
  readonly strings: readonly StringState[];
  /** All modules in global order: modules[global - 1]. */
  readonly modules: readonly ModuleState[];
  readonly ups: UpsState | null;
  readonly sensors: readonly SensorState[];
  readonly inputs: readonly DigitalInputState[];
  readonly relays: readonly RelayState[];
  readonly alarms: readonly Alarm[];
  readonly thresholds: ThresholdSet;
  readonly bus: BusCounters;
  readonly balancing: BalancingState;
}

export { entityId, type EntityRef } from './entity';
