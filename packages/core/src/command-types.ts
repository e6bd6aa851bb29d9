// What a command is (each write any protocol may submit) and where it came from; the command
// interface (commands.ts) validates, authorizes and carries them out.
import type { Threshold, ThresholdKey } from './alarms/thresholds';

export type ModuleAction = 'identify' | 'clear-fuse' | 'measure-ri' | 'sleep' | 'wake';
export const MODULE_ACTIONS: readonly ModuleAction[] = ['identify', 'clear-fuse', 'measure-ri', 'sleep', 'wake'];
export type UpsTestCommand = 'quick' | 'deep' | 'general' | 'abort';
export const UPS_TESTS: readonly UpsTestCommand[] = ['quick', 'deep', 'general', 'abort'];

/** RFC 1628 upsControl group: what a write may change. */
export interface UpsControlPatch {
  readonly shutdownType?: 'output' | 'system';
  /** Seconds; 0 = now, -1 = abort a pending shutdown. */
  readonly shutdownAfterDelayS?: number;
  readonly startupAfterDelayS?: number;
  /** -1 = abort; 0..300 s. */
  readonly rebootWithDurationS?: number;
  readonly autoRestart?: boolean;
}

/** The writable UPS identity and configuration values of RFC 1628 (upsIdent, upsConfig). */
export interface UpsSettingsPatch {
  readonly name?: string;
  readonly attachedDevices?: string;
  readonly inputVoltageV?: number;
  readonly inputFrequencyHz?: number;
  readonly outputVoltageV?: number;
  readonly outputFrequencyHz?: number;
  readonly lowBattTimeMin?: number;
  readonly audibleStatus?: 'disabled' | 'enabled' | 'muted';
  readonly lowVoltageTransferPointV?: number;
  readonly highVoltageTransferPointV?: number;
}

export type Command =
  | { readonly type: 'set-threshold'; readonly key: ThresholdKey; readonly threshold: Partial<Threshold> & { readonly mode?: string } }
  | { readonly type: 'set-relay'; readonly relay: number; readonly on: boolean }
  | { readonly type: 'ups-test'; readonly test: UpsTestCommand }
  | { readonly type: 'ups-control'; readonly control: UpsControlPatch }
  | { readonly type: 'ups-settings'; readonly settings: UpsSettingsPatch }
  | { readonly type: 'module'; readonly action: ModuleAction; readonly string: number; readonly module: number }
  | { readonly type: 'acknowledge-alarm'; readonly alarmId: number };
export type CommandType = Command['type'];
export const COMMAND_TYPES: readonly CommandType[] = ['set-threshold', 'set-relay', 'ups-test', 'ups-control', 'ups-settings', 'module', 'acknowledge-alarm'];

export type Protocol = 'modbus' | 'snmp' | 'bacnet' | 'mqtt' | 'http' | 'nut' | 'cli' | 'internal';

export interface CommandOrigin {
  readonly protocol: Protocol;
  /** Who: a user name, SNMP security name, MQTT client id. */
  readonly principal?: string;
  /** From where: an address and port. */
  readonly remote?: string;
}
