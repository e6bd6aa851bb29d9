// Megatec/Q1 codec (the protocol NUT's blazer_ser and nutdrv_qx "megatec" read): parsing the
// Q1 status, I identity and F rating lines, and building the test and shutdown commands.
// No I/O; every parse returns a reason instead of throwing.
import { codeNames } from '@kirchhoff/core';

/** Q1 status bits, b7 first on the wire (NUT blazer.c, Megatec protocol document). */
export interface Q1Flags {
  /** b7: utility fail (immediate): running on battery. */
  readonly utilityFail: boolean;
  /** b6 */
  readonly batteryLow: boolean;
  /** b5: bypass, boost or buck active. */
  readonly bypassBoostBuck: boolean;
  /** b4: NUT reports it as "UPS selftest failed!". */
  readonly upsFailed: boolean;
  /** b3: standby (line-interactive) type; 0 = on-line. */
  readonly standby: boolean;
  /** b2 */
  readonly testInProgress: boolean;
  /** b1 */
  readonly shutdownActive: boolean;
  /** b0 */
  readonly beeperOn: boolean;
}

export interface Q1Status {
  readonly inputVoltageV: number | null;
  readonly inputFaultVoltageV: number | null;
  readonly outputVoltageV: number | null;
  readonly loadPercent: number | null;
  readonly inputFrequencyHz: number | null;
  /** As reported: per cell on some models (see batteryPacks). */
  readonly batteryVoltageV: number | null;
  readonly temperatureC: number | null;
  readonly flags: Q1Flags;
}

export interface Q1Identity { readonly manufacturer: string; readonly model: string; readonly version: string }
export interface Q1Rating { readonly voltageV: number | null; readonly currentA: number | null; readonly batteryVoltageV: number | null; readonly frequencyHz: number | null }

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Bit number of each status flag in the reply's `b7..b0` field (b7 is the first character). */
export const Q1_FLAG_BITS: Readonly<Record<keyof Q1Flags, number>> = {
  utilityFail: 7, batteryLow: 6, bypassBoostBuck: 5, upsFailed: 4, standby: 3, testInProgress: 2, shutdownActive: 1, beeperOn: 0,
};
const Q1_FLAG_NAME = codeNames(Q1_FLAG_BITS);

/** A field that is not a plain number (some models send `---.-`) is unknown, not an error. */
function field(s: string | undefined): number | null {
  return s !== undefined && /^(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : null;
}

function clean(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** `(MMM.M NNN.N PPP.P QQQ RR.R S.SS TT.T b7b6b5b4b3b2b1b0` */
export function parseQ1(reply: string): Parsed<Q1Status> {
  const line = clean(reply);
  if (!line.startsWith('(')) return { ok: false, reason: `status reply does not start with "(": ${JSON.stringify(line.slice(0, 20))}` };
  const parts = line.slice(1).trim().split(/ +/);
  if (parts.length !== 8) return { ok: false, reason: `status reply has ${parts.length} fields, expected 8` };
  const bits = parts[7];
  if (!/^[01]{8}$/.test(bits)) return { ok: false, reason: `status bits ${JSON.stringify(bits)} are not 8 binary digits` };
  const flags = Object.fromEntries(Object.entries(Q1_FLAG_BITS).map(([k, bit]) => [k, bits[7 - bit] === '1'])) as unknown as Q1Flags;
  return {
    ok: true,
    value: {
      inputVoltageV: field(parts[0]), inputFaultVoltageV: field(parts[1]), outputVoltageV: field(parts[2]), loadPercent: field(parts[3]),
      inputFrequencyHz: field(parts[4]), batteryVoltageV: field(parts[5]), temperatureC: field(parts[6]), flags,
    },
  };
}

/** `#Company_Name(15) UPS_Model(10) Version(10)`, fixed columns separated by one space. */
export function parseIdentity(reply: string): Parsed<Q1Identity> {
  const line = clean(reply);
  if (!line.startsWith('#')) return { ok: false, reason: `identity reply does not start with "#": ${JSON.stringify(line.slice(0, 20))}` };
  if (line.length < 27) return { ok: false, reason: `identity reply is ${line.length} characters, expected 38` };
  const text = (s: string) => s.replace(/[^\x20-\x7e]/g, '').trim();
  return { ok: true, value: { manufacturer: text(line.slice(1, 16)), model: text(line.slice(17, 27)), version: text(line.slice(28, 38)) } };
}

/** `#MMM.M QQQ SS.SS RR.R`: rated voltage, current, battery voltage, frequency. */
export function parseRating(reply: string): Parsed<Q1Rating> {
  const line = clean(reply);
  if (!line.startsWith('#')) return { ok: false, reason: `rating reply does not start with "#": ${JSON.stringify(line.slice(0, 20))}` };
  const parts = line.slice(1).trim().split(/ +/);
  if (parts.length !== 4) return { ok: false, reason: `rating reply has ${parts.length} fields, expected 4` };
  return { ok: true, value: { voltageV: field(parts[0]), currentA: field(parts[1]), batteryVoltageV: field(parts[2]), frequencyHz: field(parts[3]) } };
}

export function formatQ1(s: { inputVoltageV: number; inputFaultVoltageV: number; outputVoltageV: number; loadPercent: number; inputFrequencyHz: number; batteryVoltageV: number; temperatureC: number; flags: Q1Flags }): string {
  const f = (v: number, width: number, digits: number) => v.toFixed(digits).padStart(width, '0');
  const bits = [7, 6, 5, 4, 3, 2, 1, 0].map((bit) => (s.flags[Q1_FLAG_NAME.get(bit)!] ? '1' : '0')).join('');
  const battery = s.batteryVoltageV < 10 ? f(s.batteryVoltageV, 4, 2) : f(s.batteryVoltageV, 4, 1);
  return `(${f(s.inputVoltageV, 5, 1)} ${f(s.inputFaultVoltageV, 5, 1)} ${f(s.outputVoltageV, 5, 1)} ${f(Math.round(s.loadPercent), 3, 0)} ${f(s.inputFrequencyHz, 4, 1)} ${battery} ${f(s.temperatureC, 4, 1)} ${bits}\r`;
}

export function formatIdentity(i: Q1Identity): string {
  return `#${i.manufacturer.padEnd(15).slice(0, 15)} ${i.model.padEnd(10).slice(0, 10)} ${i.version.padEnd(10).slice(0, 10)}\r`;
}

export function formatRating(r: { voltageV: number; currentA: number; batteryVoltageV: number; frequencyHz: number }): string {
  return `#${r.voltageV.toFixed(1).padStart(5, '0')} ${String(Math.round(r.currentA)).padStart(3, '0')} ${r.batteryVoltageV.toFixed(2).padStart(5, '0')} ${r.frequencyHz.toFixed(1).padStart(4, '0')}\r`;
}

/** Q1 shutdown delays: .2-.9 tenths of a minute (12-54 s), or 01-10 whole minutes; 00 = now. */
export const Q1_MAX_SHUTDOWN_DELAY_S = 600;
export const Q1_MAX_RESTART_DELAY_MIN = 9999;

/** The settable delay at or below `seconds` (as NUT truncates offdelay), and its command text. */
export function shutdownDelay(seconds: number): { seconds: number; text: string } {
  if (seconds < 12) return { seconds: 0, text: '00' };
  if (seconds < 60) {
    const tenths = Math.floor(seconds / 6);
    return { seconds: tenths * 6, text: `.${tenths}` };
  }
  const minutes = Math.min(10, Math.floor(seconds / 60));
  return { seconds: minutes * 60, text: String(minutes).padStart(2, '0') };
}

/**
 * `S<n>` (output back on when mains returns), `S<n>R<m>` (back on after m minutes), or
 * `S<n>R0000` (stay off).
 */
export function shutdownCommand(offDelayS: number, restart: { kind: 'on-mains' } | { kind: 'after'; minutes: number } | { kind: 'stay-off' }): { command: string; offDelayS: number } {
  const d = shutdownDelay(offDelayS);
  const r = restart.kind === 'on-mains' ? '' : restart.kind === 'stay-off' ? 'R0000' : `R${String(Math.max(1, Math.min(Q1_MAX_RESTART_DELAY_MIN, restart.minutes))).padStart(4, '0')}`;
  return { command: `S${d.text}${r}\r`, offDelayS: d.seconds };
}

/** Parses a shutdown command the way a Q1 UPS reads it (for the emulator); null if invalid. */
export function parseShutdownCommand(command: string): { offDelayS: number; restartMin: number | null } | null {
  const m = /^S(\.[2-9]|0\d|10)(?:R(\d{4}))?$/.exec(command);
  if (!m) return null;
  const offDelayS = m[1].startsWith('.') ? Number(m[1].slice(1)) * 6 : Number(m[1]) * 60;
  return { offDelayS, restartMin: m[2] === undefined ? null : Number(m[2]) };
}
