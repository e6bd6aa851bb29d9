// Alarm records and kinds: one table that every adapter maps into its own terms (UPS-MIB
// well-known alarms, BMS MIB notifications, BACnet event types, MQTT alarm events).
import type { EntityRef } from '../model';

export type Severity = 'warning' | 'alarm' | 'critical';
export const SEVERITIES: readonly Severity[] = ['warning', 'alarm', 'critical'];

export interface AlarmKindSpec {
  readonly description: string;
  /** RFC 1628 well-known alarm number (upsAlarms.n) this kind reports as, if any. */
  readonly upsMibAlarm?: number;
}

export const ALARM_KINDS = {
  'module-voltage-high': { description: 'Block voltage above threshold', upsMibAlarm: 1 },
  'module-voltage-low': { description: 'Block voltage below threshold', upsMibAlarm: 1 },
  'module-temperature-high': { description: 'Block temperature above threshold', upsMibAlarm: 5 },
  'module-temperature-low': { description: 'Block temperature below threshold', upsMibAlarm: 5 },
  'module-resistance-high': { description: 'Block internal resistance above threshold', upsMibAlarm: 1 },
  'module-lost': { description: 'Module does not answer on the battery bus', upsMibAlarm: 20 },
  'module-fuse-blown': { description: 'Module measuring-cable fuse blown', upsMibAlarm: 17 },
  'balancing-disabled': { description: 'Balancing disabled on every module (general alarm)', upsMibAlarm: 18 },
  'string-imbalance': { description: 'Block voltages deviate from the string target', upsMibAlarm: 1 },
  'string-current-high': { description: 'String DC current above threshold (float current too high)', upsMibAlarm: 1 },
  'string-current-low': { description: 'String DC current below threshold', upsMibAlarm: 1 },
  'string-ripple-high': { description: 'String AC ripple current above threshold', upsMibAlarm: 1 },
  'string-ground-fault': { description: 'Differential current between string lines (ground fault)', upsMibAlarm: 18 },
  'thermal-runaway': { description: 'Thermal runaway: temperatures and float current rising', upsMibAlarm: 5 },
  'sensor-high': { description: 'Sensor value above threshold' },
  'sensor-low': { description: 'Sensor value below threshold' },
  'sensor-failed': { description: 'Sensor does not deliver values', upsMibAlarm: 18 },
  'input-active': { description: 'Digital input in its alarm position' },
  'ups-on-battery': { description: 'UPS is on battery', upsMibAlarm: 2 },
  'ups-battery-low': { description: 'UPS battery low', upsMibAlarm: 3 },
  'ups-battery-depleted': { description: 'UPS battery depleted', upsMibAlarm: 4 },
  'ups-test-failed': { description: 'UPS battery test failed', upsMibAlarm: 19 },
  'ups-test-in-progress': { description: 'UPS test in progress', upsMibAlarm: 24 },
  'ups-communication-lost': { description: 'UPS does not answer', upsMibAlarm: 20 },
  'bus-failure': { description: 'Battery bus does not answer at all', upsMibAlarm: 20 },
  'breaker-failed': { description: 'Battery breaker tripped but its status input does not confirm it open', upsMibAlarm: 18 },
} as const satisfies Record<string, AlarmKindSpec>;

export type AlarmKind = keyof typeof ALARM_KINDS;
export const ALARM_KIND_NAMES = Object.keys(ALARM_KINDS) as AlarmKind[];

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
