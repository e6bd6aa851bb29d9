// Alarm records and kinds: one table that every adapter maps into its own terms (UPS-MIB
// well-known alarms, BMS MIB notifications, BACnet event types, MQTT alarm events).
import type { EntityRef } from '../entity';
import { codeNames, namesByCode } from '../codes';

export type Severity = 'warning' | 'alarm' | 'critical';
export const SEVERITIES: readonly Severity[] = ['warning', 'alarm', 'critical'];

export interface AlarmKindSpec {
  /**
   * The kind's number on the wire (KIRCHHOFF-BMS-MIB bmsAlarmKind, Modbus discrete input 1100 + code - 1):
   * published, so frozen; a new kind takes the next free number, a removed kind's number is never reused.
   */
  readonly code: number;
  readonly description: string;
  /** RFC 1628 well-known alarm number (upsAlarms.n) this kind reports as, if any. */
  readonly upsMibAlarm?: number;
}

export const ALARM_KINDS = {
  'module-voltage-high': { code: 1, description: 'Block voltage above threshold', upsMibAlarm: 1 },
  'module-voltage-low': { code: 2, description: 'Block voltage below threshold', upsMibAlarm: 1 },
  'module-temperature-high': { code: 3, description: 'Block temperature above threshold', upsMibAlarm: 5 },
  'module-temperature-low': { code: 4, description: 'Block temperature below threshold', upsMibAlarm: 5 },
  'module-resistance-high': { code: 5, description: 'Block internal resistance above threshold', upsMibAlarm: 1 },
  'module-lost': { code: 6, description: 'Module does not answer on the battery bus', upsMibAlarm: 20 },
  'module-fuse-blown': { code: 7, description: 'Module measuring-cable fuse blown', upsMibAlarm: 17 },
  'balancing-disabled': { code: 8, description: 'Balancing disabled on every module (general alarm)', upsMibAlarm: 18 },
  'string-imbalance': { code: 9, description: 'Block voltages deviate from the string target', upsMibAlarm: 1 },
  'string-current-high': { code: 10, description: 'String DC current above threshold (float current too high)', upsMibAlarm: 1 },
  'string-current-low': { code: 11, description: 'String DC current below threshold', upsMibAlarm: 1 },
  'string-ripple-high': { code: 12, description: 'String AC ripple current above threshold', upsMibAlarm: 1 },
  'string-ground-fault': { code: 13, description: 'Differential current between string lines (ground fault)', upsMibAlarm: 18 },
  'thermal-runaway': { code: 14, description: 'Thermal runaway: temperatures and float current rising', upsMibAlarm: 5 },
  'sensor-high': { code: 15, description: 'Sensor value above threshold' },
  'sensor-low': { code: 16, description: 'Sensor value below threshold' },
  'sensor-failed': { code: 17, description: 'Sensor does not deliver values', upsMibAlarm: 18 },
  'input-active': { code: 18, description: 'Digital input in its alarm position' },
  'ups-on-battery': { code: 19, description: 'UPS is on battery', upsMibAlarm: 2 },
  'ups-battery-low': { code: 20, description: 'UPS battery low', upsMibAlarm: 3 },
  'ups-battery-depleted': { code: 21, description: 'UPS battery depleted', upsMibAlarm: 4 },
  'ups-test-failed': { code: 22, description: 'UPS battery test failed', upsMibAlarm: 19 },
  'ups-test-in-progress': { code: 23, description: 'UPS test in progress', upsMibAlarm: 24 },
  'ups-communication-lost': { code: 24, description: 'UPS does not answer', upsMibAlarm: 20 },
  'bus-failure': { code: 25, description: 'Battery bus does not answer at all', upsMibAlarm: 20 },
  'breaker-failed': { code: 26, description: 'Battery breaker tripped but its status input does not confirm it open', upsMibAlarm: 18 },
} as const satisfies Record<string, AlarmKindSpec>;

export type AlarmKind = keyof typeof ALARM_KINDS;
/** Each alarm kind's wire code (ALARM_KINDS[kind].code). */
export const ALARM_KIND_CODES = Object.fromEntries(Object.entries(ALARM_KINDS).map(([k, spec]) => [k, spec.code])) as Readonly<Record<AlarmKind, number>>;
/** Every alarm kind, in the order of its wire code. */
export const ALARM_KIND_NAMES: readonly AlarmKind[] = namesByCode(ALARM_KIND_CODES);
/** The kind a wire code stands for. */
export const ALARM_KIND_BY_CODE: ReadonlyMap<number, AlarmKind> = codeNames(ALARM_KIND_CODES);

/** A condition that should be active now; the alarm table turns conditions into alarms. */
export interface AlarmCondition {
  readonly kind: AlarmKind;
  readonly severity: Severity;
  readonly entity: EntityRef;
  readonly message: string;
  readonly value: number | null;
  readonly limit: number | null;
}

export interface Alarm extends AlarmCondition {
  /** Increases with every raise, never reused (UPS-MIB upsAlarmId semantics). */
  readonly id: number;
  /** The same for the same condition on the same entity, across raises: `kind:severity@entity`. */
  readonly key: string;
  /** Which evaluator owns it (`thresholds`, `runaway`, ...): reconcile only touches its own. */
  readonly origin: string;
  readonly raisedAtMs: number;
  readonly clearedAtMs: number | null;
  readonly acknowledged: { readonly by: string; readonly atMs: number } | null;
}
