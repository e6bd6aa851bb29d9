// What each NUT "UPS" of a site shows: NUT's standard variable names (docs/nut-names.txt of NUT)
// filled from a site snapshot, the writable ones and the instant commands, each mapped to a
// command of the site's command interface. Free of I/O.
import type { Command, SiteSnapshot, StringState, UpsState } from '@kirchhoff/core';

/** When a NUT UPS reports LB (low battery) while on battery: whichever is reached first. */
export interface LowBatteryLimits {
  /** LB at or below this charge, percent (battery.charge.low). */
  readonly chargePercent: number;
  /** LB at or below this runtime, seconds (battery.runtime.low). */
  readonly runtimeS: number;
}

export interface VariableContext {
  readonly limits: LowBatteryLimits;
  /** Forced shutdown set for this UPS (by a primary upsmon or by the gateway). */
  readonly fsd: boolean;
  /** battery.date when configured (YYYY/MM/DD, NUT's convention). */
  readonly batteryDate: string;
  readonly version: string;
}

export type VarType = 'NUMBER' | `STRING:${number}`;

/** A writable variable: its NUT type, its range, and the site command a new value becomes. */
export interface WritableVariable {
  readonly type: VarType;
  readonly range: readonly [number, number];
  toCommand(value: number): Command;
}

export interface InstantCommand {
  readonly description: string;
  readonly command: Command;
}

/** One NUT "UPS" name: the UPS itself, or one battery string. */
export interface NutUps {
  readonly name: string;
  readonly description: string;
  /** Current variables, in the order LIST VAR gives them. Absent = not known now. */
  variables(snapshot: SiteSnapshot, ctx: VariableContext): Map<string, string>;
  readonly writable: Readonly<Record<string, WritableVariable>>;
  readonly commands: Readonly<Record<string, InstantCommand>>;
}

/** GET DESC answers, from NUT's own variable descriptions. */
export const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'device.mfr': 'Description unavailable',
  'device.model': 'Description unavailable',
  'device.type': 'Device type (ups, pdu, scd, psu, ats)',
  'ups.mfr': 'UPS manufacturer',
  'ups.model': 'UPS model',
  'ups.firmware': 'UPS firmware',
  'ups.status': 'UPS status',
  'ups.alarm': 'UPS alarms',
  'ups.load': 'Load on UPS (percent of full)',
  'ups.realpower': 'Current value of real power (W)',
  'ups.test.result': 'Results of last self test',
  'ups.beeper.status': 'UPS beeper status',
  'battery.charge': 'Battery charge (percent of full)',
  'battery.charge.low': 'Remaining battery level when UPS switches to LB (percent)',
  'battery.runtime': 'Battery runtime (seconds)',
  'battery.runtime.low': 'When UPS switches to Low Battery (seconds)',
  'battery.voltage': 'Battery voltage (V)',
  'battery.current': 'Battery current (A)',
  'battery.temperature': 'Battery temperature (degrees C)',
  'battery.type': 'Battery chemistry',
  'battery.date': 'Battery change date',
  'battery.packs': 'Number of battery packs',
  'input.voltage': 'Input voltage (V)',
  'input.frequency': 'Input line frequency (Hz)',
  'input.transfer.low': 'Low voltage transfer point (V)',
  'input.transfer.high': 'High voltage transfer point (V)',
  'output.voltage': 'Output voltage (V)',
  'output.frequency': 'Output frequency (Hz)',
  'output.current': 'Output current (A)',
  'driver.name': 'Driver name',
  'driver.version': 'Driver version - NUT release',
};

const fixed = (v: number, digits: number): string => v.toFixed(digits);

/** The fresh values of a measurement list, or an empty list. */
function fresh(values: readonly { readonly value: number | null; readonly quality: string }[]): number[] {
  return values.filter((m) => m.quality === 'fresh' && m.value !== null && Number.isFinite(m.value)).map((m) => m.value as number);
}

/** On battery: the UPS says so, or (no UPS data) a string discharges. */
export function onBattery(s: SiteSnapshot): boolean {
  if (s.ups && s.ups.quality === 'fresh') return s.ups.output.source === 'battery';
  return s.strings.some((x) => x.chargeMode === 'discharge');
}

const CHARGING_MODES = new Set(['boost', 'recharge']);

/** ups.status words, in NUT's order: OL/OB, LB, CHRG/DISCHRG, BYPASS, OFF, ALARM, FSD. */
function status(
  s: SiteSnapshot, strings: readonly StringState[], charge: number | null, runtimeS: number | null, ctx: VariableContext, ups: UpsState | null,
): string {
  const ob = onBattery(s);
  const words = [ob ? 'OB' : 'OL'];
  const upsLow = ups !== null && ups.quality === 'fresh' && (ups.battery.status === 'low' || ups.battery.status === 'depleted');
  if (ob && (upsLow || (charge !== null && charge <= ctx.limits.chargePercent) || (runtimeS !== null && runtimeS <= ctx.limits.runtimeS))) words.push('LB');
  if (ob || strings.some((x) => x.chargeMode === 'discharge')) words.push('DISCHRG');
  else if (strings.some((x) => CHARGING_MODES.has(x.chargeMode))) words.push('CHRG');
  if (ups && ups.quality === 'fresh' && ups.output.source === 'bypass') words.push('BYPASS');
  if (ups && ups.quality === 'fresh' && ups.output.source === 'none') words.push('OFF');
  if (s.alarms.some((a) => a.severity === 'critical' && a.clearedAtMs === null)) words.push('ALARM');
  if (ctx.fsd) words.push('FSD');
  return words.join(' ');
}

function batteryVars(v: Map<string, string>, charge: number | null, runtimeS: number | null, ctx: VariableContext): void {
  if (charge !== null) v.set('battery.charge', fixed(charge, 0));
  v.set('battery.charge.low', String(ctx.limits.chargePercent));
  if (runtimeS !== null) v.set('battery.runtime', fixed(runtimeS, 0));
  v.set('battery.runtime.low', String(ctx.limits.runtimeS));
}

function maxTemperature(s: SiteSnapshot, strings: readonly StringState[]): number | null {
  const temps = fresh(s.modules.filter((m) => strings.some((x) => x.string === m.string)).map((m) => m.temperatureC));
  return temps.length ? Math.max(...temps) : null;
}

/**
 * The site's charge and runtime: the weakest string's own estimate (the first string to reach
 * its cut-off ends the autonomy of a parallel battery), else what the UPS reports.
 */
function siteCharge(s: SiteSnapshot): { charge: number | null; runtimeS: number | null } {
  const socs = fresh(s.strings.map((x) => x.socPercent));
  const autonomies = fresh(s.strings.map((x) => x.autonomyMin));
  const ups = s.ups && s.ups.quality === 'fresh' ? s.ups : null;
  const charge = socs.length ? Math.min(...socs) : ups ? ups.battery.estimatedChargeRemainingPercent : null;
  const runtimeS = autonomies.length ? Math.min(...autonomies) * 60 : ups ? ups.battery.estimatedMinutesRemaining * 60 : null;
  return { charge, runtimeS };
}

const BEEPER: Readonly<Record<string, string>> = { enabled: 'enabled', disabled: 'disabled', muted: 'muted' };
const TEST_RESULT: Readonly<Record<string, string>> = {
  donePass: 'Done and passed', doneWarning: 'Done and warning', doneError: 'Done and error', aborted: 'Aborted',
  inProgress: 'In progress', noTestsInitiated: 'No test initiated',
};

/** The site's UPS (with the gateway's own battery data) as one NUT UPS. */
export function siteUps(name: string, description: string): NutUps {
  return {
    name,
    description,
    variables(s, ctx) {
      const v = new Map<string, string>();
      const ups = s.ups && s.ups.quality === 'fresh' ? s.ups : null;
      const { charge, runtimeS } = siteCharge(s);
      batteryVars(v, charge, runtimeS, ctx);
      if (s.ups && s.ups.battery.voltageV > 0 && ups) v.set('battery.voltage', fixed(ups.battery.voltageV, 2));
      else {
        const sums = fresh(s.strings.map((x) => x.sumVoltageV));
        if (sums.length) v.set('battery.voltage', fixed(sums.reduce((a, b) => a + b, 0) / sums.length, 2));
      }
      const currents = fresh(s.strings.map((x) => x.dcCurrentA));
      if (currents.length) v.set('battery.current', fixed(currents.reduce((a, b) => a + b, 0), 2));
      else if (ups) v.set('battery.current', fixed(ups.battery.currentA, 2));
      const t = maxTemperature(s, s.strings);
      if (t !== null) v.set('battery.temperature', fixed(t, 1));
      else if (ups) v.set('battery.temperature', fixed(ups.battery.temperatureC, 1));
      v.set('battery.type', 'PbAc');
      if (ctx.batteryDate) v.set('battery.date', ctx.batteryDate);
      v.set('battery.packs', String(s.strings.length));
      v.set('device.mfr', s.ups?.ident.manufacturer || 'Kirchhoff');
      v.set('device.model', s.ups?.ident.model || 'battery gateway');
      v.set('device.type', 'ups');
      v.set('driver.name', 'kirchhoff');
      v.set('driver.version', ctx.version);
      if (ups) {
        const line = ups.input.lines[0];
        if (line) {
          v.set('input.voltage', fixed(line.voltageV, 1));
          v.set('input.frequency', fixed(line.frequencyHz, 1));
        }
        v.set('input.transfer.low', String(ups.config.lowVoltageTransferPointV));
        v.set('input.transfer.high', String(ups.config.highVoltageTransferPointV));
        const out = ups.output.lines[0];
        if (out) {
          v.set('output.voltage', fixed(out.voltageV, 1));
          v.set('output.current', fixed(out.currentA, 1));
        }
        v.set('output.frequency', fixed(ups.output.frequencyHz, 1));
      }
      const alarms = s.alarms.filter((a) => a.severity === 'critical' && a.clearedAtMs === null).map((a) => a.message);
      if (alarms.length) v.set('ups.alarm', alarms.join('; ').slice(0, 255));
      if (ups) {
        v.set('ups.beeper.status', BEEPER[ups.config.audibleStatus] ?? 'disabled');
        v.set('ups.firmware', ups.ident.upsSoftwareVersion || 'unknown');
        if (ups.output.lines.length) v.set('ups.load', fixed(Math.max(...ups.output.lines.map((l) => l.percentLoad)), 0));
      }
      v.set('ups.mfr', s.ups?.ident.manufacturer || 'Kirchhoff');
      v.set('ups.model', s.ups?.ident.model || 'battery gateway');
      if (ups) v.set('ups.realpower', fixed(ups.output.lines.reduce((a, l) => a + l.powerW, 0), 0));
      v.set('ups.status', status(s, s.strings, charge, runtimeS, ctx, s.ups));
      if (ups) v.set('ups.test.result', TEST_RESULT[ups.test.resultsSummary] ?? 'No test initiated');
      return v;
    },
    writable: {
      'input.transfer.low': { type: 'NUMBER', range: [0, 1000], toCommand: (x) => ({ type: 'ups-settings', settings: { lowVoltageTransferPointV: x } }) },
      'input.transfer.high': { type: 'NUMBER', range: [0, 1000], toCommand: (x) => ({ type: 'ups-settings', settings: { highVoltageTransferPointV: x } }) },
    },
    commands: {
      'test.battery.start.quick': { description: 'Start a quick battery test', command: { type: 'ups-test', test: 'quick' } },
      'test.battery.start.deep': { description: 'Start a deep battery test', command: { type: 'ups-test', test: 'deep' } },
      'test.battery.stop': { description: 'Stop the battery test', command: { type: 'ups-test', test: 'abort' } },
      'beeper.enable': { description: 'Enable the UPS beeper', command: { type: 'ups-settings', settings: { audibleStatus: 'enabled' } } },
      'beeper.disable': { description: 'Disable the UPS beeper', command: { type: 'ups-settings', settings: { audibleStatus: 'disabled' } } },
      'beeper.mute': { description: 'Temporarily mute the UPS beeper', command: { type: 'ups-settings', settings: { audibleStatus: 'muted' } } },
      'shutdown.stop': { description: 'Stop a shutdown in progress', command: { type: 'ups-control', control: { shutdownAfterDelayS: -1 } } },
    },
  };
}

/** One battery string as its own NUT UPS: its charge, runtime and LB from its own blocks. */
export function stringUps(name: string, stringNo: number): NutUps {
  return {
    name,
    description: `battery string ${stringNo}`,
    variables(s, ctx) {
      const v = new Map<string, string>();
      const str = s.strings.find((x) => x.string === stringNo);
      if (!str) return v;
      const [charge] = fresh([str.socPercent]);
      const [autonomy] = fresh([str.autonomyMin]);
      const runtimeS = autonomy === undefined ? null : autonomy * 60;
      batteryVars(v, charge ?? null, runtimeS, ctx);
      const [sum] = fresh([str.sumVoltageV]);
      if (sum !== undefined) v.set('battery.voltage', fixed(sum, 2));
      const [current] = fresh([str.dcCurrentA]);
      if (current !== undefined) v.set('battery.current', fixed(current, 2));
      const t = maxTemperature(s, [str]);
      if (t !== null) v.set('battery.temperature', fixed(t, 1));
      v.set('battery.type', 'PbAc');
      if (ctx.batteryDate) v.set('battery.date', ctx.batteryDate);
      v.set('device.mfr', 'Kirchhoff');
      v.set('device.model', `${str.name || str.label} (${str.moduleCount} x ${str.moduleType})`);
      v.set('device.type', 'ups');
      v.set('driver.name', 'kirchhoff');
      v.set('driver.version', ctx.version);
      v.set('ups.mfr', 'Kirchhoff');
      v.set('ups.model', `battery string ${str.label}`);
      v.set('ups.status', status(s, [str], charge ?? null, runtimeS, ctx, s.ups));
      return v;
    },
    writable: {},
    commands: {},
  };
}
