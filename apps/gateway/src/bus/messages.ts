// Messages of the module bus: typed requests and responses <-> frames. One encoder and one
// decoder per command, driven by the tables in protocol.ts; decoding returns a reason, never throws.
import { codeNames, type ModuleType } from '@kirchhoff/core';
import { Frame } from './frame';
import {
  BROADCAST_ADDRESS, BusErrorCode, BUS_ERRORS, CMD, COMMAND_MASK, ERROR_BIT, MAX_BYPASS_RANGE_COUNT, MAX_RANGE_COUNT,
  MODULE_TYPE_CODES, NO_RESISTANCE, NO_TEMPERATURE, NO_VOLTAGE, RESPONSE_BIT, STATUS, commandName,
} from './protocol';

export interface ModuleStatus {
  readonly fuseBlown: boolean;
  readonly overTemperature: boolean;
  readonly bypassOn: boolean;
  readonly riMeasuring: boolean;
  readonly identifying: boolean;
  /** The fuse tripped since the last CLEAR_FUSE (latched). */
  readonly fuseTripped: boolean;
  /** The commissioning button was pressed: the module takes the next ASSIGN_ADDRESS. */
  readonly addressMode: boolean;
}

export interface Measurements {
  /** 1 mV resolution; null when the module has no valid reading. */
  readonly voltageV: number | null;
  /** 0.1 degC resolution. */
  readonly temperatureC: number | null;
  /** Last Ri, 1 uOhm resolution; null when never measured. */
  readonly resistanceOhm: number | null;
  readonly status: ModuleStatus;
  readonly bypassDutyPercent: number;
}

export interface ModuleInfo {
  readonly protocolVersion: number;
  readonly moduleType: ModuleType;
  /** `major.minor.patch` */
  readonly firmware: string;
  readonly hardwareRevision: number;
  readonly serial: number;
}

export interface FuseStatus {
  readonly blown: boolean;
  readonly tripped: boolean;
  /** Trips since the last clear (saturates at 255). */
  readonly trips: number;
}

export type BusRequest =
  | { readonly kind: 'read-info'; readonly address: number }
  | { readonly kind: 'read-measurements'; readonly address: number }
  | { readonly kind: 'read-measurements-range'; readonly first: number; readonly count: number }
  | { readonly kind: 'start-ri'; readonly address: number }
  | { readonly kind: 'read-ri'; readonly address: number }
  | { readonly kind: 'set-bypass'; readonly address: number; readonly dutyPercent: number }
  | { readonly kind: 'set-bypass-range'; readonly first: number; readonly dutiesPercent: readonly number[] }
  | { readonly kind: 'read-fuse'; readonly address: number }
  | { readonly kind: 'clear-fuse'; readonly address: number }
  | { readonly kind: 'identify'; readonly address: number; readonly seconds: number }
  | { readonly kind: 'sleep'; readonly address: number }
  | { readonly kind: 'wake'; readonly address: number }
  | { readonly kind: 'assign-address'; readonly newAddress: number }
  | { readonly kind: 'enumerate'; readonly first: number; readonly count: number }
  | { readonly kind: 'change-address'; readonly address: number; readonly newAddress: number };
export type RequestKind = BusRequest['kind'];

export type BusResponse =
  | { readonly kind: 'info'; readonly address: number; readonly of: 'read-info' | 'assign-address' | 'enumerate'; readonly info: ModuleInfo }
  | { readonly kind: 'measurements'; readonly address: number; readonly of: 'read-measurements' | 'read-measurements-range'; readonly measurements: Measurements }
  | { readonly kind: 'ack'; readonly address: number; readonly of: 'start-ri' | 'identify' | 'sleep' | 'wake' | 'change-address' }
  | { readonly kind: 'ri'; readonly address: number; readonly resistanceOhm: number | null; readonly measuring: boolean }
  | { readonly kind: 'bypass'; readonly address: number; readonly dutyPercent: number }
  | { readonly kind: 'fuse'; readonly address: number; readonly of: 'read-fuse' | 'clear-fuse'; readonly fuse: FuseStatus }
  | { readonly kind: 'error'; readonly address: number; readonly of: RequestKind | null; readonly code: BusErrorCode | number };

export type BusMessage = BusRequest | BusResponse;

export class MessageEncodeError extends Error {
  readonly code = 'bus.message-encode';
}

const KIND_OF: Record<number, RequestKind> = {
  [CMD.READ_INFO]: 'read-info', [CMD.READ_MEASUREMENTS]: 'read-measurements', [CMD.READ_MEASUREMENTS_RANGE]: 'read-measurements-range',
  [CMD.START_RI]: 'start-ri', [CMD.READ_RI]: 'read-ri', [CMD.SET_BYPASS]: 'set-bypass', [CMD.SET_BYPASS_RANGE]: 'set-bypass-range',
  [CMD.READ_FUSE]: 'read-fuse', [CMD.CLEAR_FUSE]: 'clear-fuse', [CMD.IDENTIFY]: 'identify', [CMD.SLEEP]: 'sleep', [CMD.WAKE]: 'wake',
  [CMD.ASSIGN_ADDRESS]: 'assign-address', [CMD.ENUMERATE]: 'enumerate', [CMD.CHANGE_ADDRESS]: 'change-address',
};
const CODE_OF = Object.fromEntries(Object.entries(KIND_OF).map(([code, kind]) => [kind, Number(code)])) as Record<RequestKind, number>;

export function requestKindOf(command: number): RequestKind | null {
  return KIND_OF[command & COMMAND_MASK] ?? null;
}

// ---- payload helpers -------------------------------------------------------------------------

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
function readU16(p: Uint8Array, o: number): number {
  return (p[o] << 8) | p[o + 1];
}
function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new MessageEncodeError(`${name} ${v} is not a whole number in ${min}..${max}`);
  return v;
}
function clampRound(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(v)));
}

export function encodeStatus(s: ModuleStatus): number {
  return (s.fuseBlown ? STATUS.FUSE_BLOWN : 0) | (s.overTemperature ? STATUS.OVER_TEMPERATURE : 0) | (s.bypassOn ? STATUS.BYPASS_ON : 0)
    | (s.riMeasuring ? STATUS.RI_MEASURING : 0) | (s.identifying ? STATUS.IDENTIFYING : 0) | (s.fuseTripped ? STATUS.FUSE_TRIPPED : 0)
    | (s.addressMode ? STATUS.ADDRESS_MODE : 0);
}

export function decodeStatus(b: number): ModuleStatus {
  return {
    fuseBlown: !!(b & STATUS.FUSE_BLOWN), overTemperature: !!(b & STATUS.OVER_TEMPERATURE), bypassOn: !!(b & STATUS.BYPASS_ON),
    riMeasuring: !!(b & STATUS.RI_MEASURING), identifying: !!(b & STATUS.IDENTIFYING), fuseTripped: !!(b & STATUS.FUSE_TRIPPED),
    addressMode: !!(b & STATUS.ADDRESS_MODE),
  };
}

/** Readings outside the encodable range saturate (a voltmeter pegs, it does not wrap). */
export function encodeMeasurements(m: Measurements): number[] {
  const mv = m.voltageV === null || !Number.isFinite(m.voltageV) ? NO_VOLTAGE : clampRound(m.voltageV * 1000, 0, NO_VOLTAGE - 1);
  const dt = m.temperatureC === null || !Number.isFinite(m.temperatureC) ? NO_TEMPERATURE : clampRound(m.temperatureC * 10, -0x8000, NO_TEMPERATURE - 1);
  const uo = m.resistanceOhm === null || !Number.isFinite(m.resistanceOhm) ? NO_RESISTANCE : clampRound(m.resistanceOhm * 1e6, 0, NO_RESISTANCE - 1);
  return [...u16(mv), ...u16(dt & 0xffff), (uo >> 16) & 0xff, (uo >> 8) & 0xff, uo & 0xff, encodeStatus(m.status), clampRound(m.bypassDutyPercent, 0, 100)];
}
const MEASUREMENT_BYTES = 9;

function decodeMeasurements(p: Uint8Array): Measurements {
  const mv = readU16(p, 0);
  const dt = readU16(p, 2);
  const uo = (p[4] << 16) | (p[5] << 8) | p[6];
  return {
    voltageV: mv === NO_VOLTAGE ? null : mv / 1000,
    temperatureC: dt === NO_TEMPERATURE ? null : (dt >= 0x8000 ? dt - 0x10000 : dt) / 10,
    resistanceOhm: uo === NO_RESISTANCE ? null : uo / 1e6,
    status: decodeStatus(p[7]),
    bypassDutyPercent: p[8],
  };
}

function encodeInfo(i: ModuleInfo): number[] {
  const type = MODULE_TYPE_CODES[i.moduleType];
  if (type === undefined) throw new MessageEncodeError(`module type ${i.moduleType} has no code`);
  const fw = /^(\d+)\.(\d+)\.(\d+)$/.exec(i.firmware);
  if (!fw) throw new MessageEncodeError(`firmware ${JSON.stringify(i.firmware)} is not major.minor.patch`);
  const s = checkInt('serial', i.serial, 0, 0xffffffff);
  return [checkInt('protocolVersion', i.protocolVersion, 0, 255), type, checkInt('firmware major', Number(fw[1]), 0, 255),
    checkInt('firmware minor', Number(fw[2]), 0, 255), checkInt('firmware patch', Number(fw[3]), 0, 255),
    checkInt('hardwareRevision', i.hardwareRevision, 0, 255), (s >>> 24) & 0xff, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff];
}
const INFO_BYTES = 10;
const MODULE_TYPE_OF_CODE = codeNames(MODULE_TYPE_CODES);

function decodeInfo(p: Uint8Array): ModuleInfo | string {
  const moduleType = MODULE_TYPE_OF_CODE.get(p[1]);
  if (!moduleType) return `unknown module type code ${p[1]}`;
  return {
    protocolVersion: p[0], moduleType, firmware: `${p[2]}.${p[3]}.${p[4]}`, hardwareRevision: p[5],
    serial: ((p[6] << 24) >>> 0) + ((p[7] << 16) | (p[8] << 8) | p[9]),
  };
}

function encodeFuse(f: FuseStatus): number[] {
  return [(f.blown ? 1 : 0) | (f.tripped ? 2 : 0), clampRound(f.trips, 0, 255)];
}

// ---- encode ----------------------------------------------------------------------------------

function frame(address: number, command: number, payload: number[] = []): Frame {
  return { address: checkInt('address', address, 0, 0xffff), command, payload: Uint8Array.from(payload) };
}

export function encodeRequest(r: BusRequest): Frame {
  const code = CODE_OF[r.kind];
  switch (r.kind) {
    case 'read-info': case 'read-measurements': case 'start-ri': case 'read-ri': case 'read-fuse': case 'clear-fuse':
    case 'sleep': case 'wake':
      return frame(r.address, code);
    case 'read-measurements-range': case 'enumerate':
      return frame(BROADCAST_ADDRESS, code, [...u16(checkInt('first', r.first, 0, 0xfffe)), checkInt('count', r.count, 1, MAX_RANGE_COUNT)]);
    case 'set-bypass':
      return frame(r.address, code, [checkInt('dutyPercent', r.dutyPercent, 0, 100)]);
    case 'set-bypass-range': {
      checkInt('count', r.dutiesPercent.length, 1, MAX_BYPASS_RANGE_COUNT);
      return frame(BROADCAST_ADDRESS, code, [...u16(checkInt('first', r.first, 0, 0xfffe)), r.dutiesPercent.length, ...r.dutiesPercent.map((d) => checkInt('dutyPercent', d, 0, 100))]);
    }
    case 'identify':
      return frame(r.address, code, [checkInt('seconds', r.seconds, 0, 255)]);
    case 'assign-address':
      return frame(BROADCAST_ADDRESS, code, u16(checkInt('newAddress', r.newAddress, 1, 0xfffe)));
    case 'change-address':
      return frame(r.address, code, u16(checkInt('newAddress', r.newAddress, 1, 0xfffe)));
  }
}

export function encodeResponse(r: BusResponse): Frame {
  const resp = (kind: RequestKind) => CODE_OF[kind] | RESPONSE_BIT;
  switch (r.kind) {
    case 'info': return frame(r.address, resp(r.of), encodeInfo(r.info));
    case 'measurements': return frame(r.address, resp(r.of), encodeMeasurements(r.measurements));
    case 'ack': return frame(r.address, resp(r.of));
    case 'ri': {
      const uo = r.resistanceOhm === null ? NO_RESISTANCE : clampRound(r.resistanceOhm * 1e6, 0, NO_RESISTANCE - 1);
      return frame(r.address, resp('read-ri'), [(uo >> 16) & 0xff, (uo >> 8) & 0xff, uo & 0xff, r.measuring ? 1 : 0]);
    }
    case 'bypass': return frame(r.address, resp('set-bypass'), [checkInt('dutyPercent', r.dutyPercent, 0, 100)]);
    case 'fuse': return frame(r.address, resp(r.of), encodeFuse(r.fuse));
    case 'error': return frame(r.address, (r.of === null ? 0 : CODE_OF[r.of]) | RESPONSE_BIT | ERROR_BIT, [checkInt('error code', r.code, 0, 255)]);
  }
}

export function encodeMessage(m: BusMessage): Frame {
  return isResponse(m) ? encodeResponse(m) : encodeRequest(m);
}

function isResponse(m: BusMessage): m is BusResponse {
  return m.kind === 'info' || m.kind === 'measurements' || m.kind === 'ack' || m.kind === 'ri' || m.kind === 'bypass' || m.kind === 'fuse' || m.kind === 'error';
}

// ---- decode ----------------------------------------------------------------------------------

export type Decoded<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly errorCode: BusErrorCode; readonly reason: string };

const fail = (errorCode: BusErrorCode, reason: string) => ({ ok: false as const, errorCode, reason });

/** Decodes a frame a master sent (the emulator's side). */
export function decodeRequest(f: Frame): Decoded<BusRequest> {
  if (f.command & RESPONSE_BIT) return fail(1, `command byte 0x${f.command.toString(16)} is a response`);
  const kind = KIND_OF[f.command];
  if (!kind) return fail(1, `unknown command 0x${f.command.toString(16)}`);
  const p = f.payload;
  const len = (n: number) => (p.length === n ? null : fail(2, `${kind} carries ${n} payload byte(s), got ${p.length}`));
  const ok = (message: BusRequest) => ({ ok: true as const, message });
  const address = f.address;
  switch (kind) {
    case 'read-info': case 'read-measurements': case 'start-ri': case 'read-ri': case 'read-fuse': case 'clear-fuse':
    case 'sleep': case 'wake':
      return len(0) ?? ok({ kind, address });
    case 'read-measurements-range': case 'enumerate': {
      const bad = len(3);
      if (bad) return bad;
      const count = p[2];
      if (count < 1 || count > MAX_RANGE_COUNT) return fail(3, `count ${count} is not 1..${MAX_RANGE_COUNT}`);
      return ok({ kind, first: readU16(p, 0), count });
    }
    case 'set-bypass':
      if (p.length !== 1) return fail(2, `set-bypass carries 1 payload byte, got ${p.length}`);
      if (p[0] > 100) return fail(3, `duty ${p[0]} % is above 100`);
      return ok({ kind, address, dutyPercent: p[0] });
    case 'set-bypass-range': {
      if (p.length < 4 || p.length !== 3 + p[2]) return fail(2, `set-bypass-range payload of ${p.length} bytes does not match its count`);
      const duties = Array.from(p.subarray(3));
      if (duties.some((d) => d > 100)) return fail(3, 'a duty is above 100 %');
      return ok({ kind, first: readU16(p, 0), dutiesPercent: duties });
    }
    case 'identify':
      return len(1) ?? ok({ kind, address, seconds: p[0] });
    case 'assign-address': case 'change-address': {
      const bad = len(2);
      if (bad) return bad;
      const newAddress = readU16(p, 0);
      if (newAddress === 0 || newAddress === BROADCAST_ADDRESS) return fail(3, `address ${newAddress} cannot be assigned`);
      return kind === 'assign-address' ? ok({ kind, newAddress }) : ok({ kind, address, newAddress });
    }
  }
}

/** Decodes a frame a module sent (the driver's side). */
export function decodeResponse(f: Frame): Decoded<BusResponse> {
  if (!(f.command & RESPONSE_BIT)) return fail(1, `command byte 0x${f.command.toString(16)} is a request`);
  const address = f.address;
  const p = f.payload;
  const ok = (message: BusResponse) => ({ ok: true as const, message });
  if (f.command & ERROR_BIT) {
    if (p.length !== 1) return fail(2, `error response carries 1 payload byte, got ${p.length}`);
    return ok({ kind: 'error', address, of: KIND_OF[f.command & COMMAND_MASK] ?? null, code: p[0] in BUS_ERRORS ? (p[0] as BusErrorCode) : p[0] });
  }
  const kind = KIND_OF[f.command & COMMAND_MASK];
  if (!kind) return fail(1, `unknown response command 0x${f.command.toString(16)}`);
  const len = (n: number) => (p.length === n ? null : fail(2, `${commandName(f.command)} response carries ${n} payload byte(s), got ${p.length}`));
  switch (kind) {
    case 'read-info': case 'assign-address': case 'enumerate': {
      const bad = len(INFO_BYTES);
      if (bad) return bad;
      const info = decodeInfo(p);
      return typeof info === 'string' ? fail(3, info) : ok({ kind: 'info', address, of: kind, info });
    }
    case 'read-measurements': case 'read-measurements-range': {
      const bad = len(MEASUREMENT_BYTES);
      if (bad) return bad;
      if (p[8] > 100) return fail(3, `bypass duty ${p[8]} % is above 100`);
      return ok({ kind: 'measurements', address, of: kind, measurements: decodeMeasurements(p) });
    }
    case 'start-ri': case 'identify': case 'sleep': case 'wake': case 'change-address':
      return len(0) ?? ok({ kind: 'ack', address, of: kind });
    case 'read-ri': {
      const bad = len(4);
      if (bad) return bad;
      const uo = (p[0] << 16) | (p[1] << 8) | p[2];
      return ok({ kind: 'ri', address, resistanceOhm: uo === NO_RESISTANCE ? null : uo / 1e6, measuring: !!(p[3] & 1) });
    }
    case 'set-bypass': {
      const bad = len(1);
      if (bad) return bad;
      if (p[0] > 100) return fail(3, `bypass duty ${p[0]} % is above 100`);
      return ok({ kind: 'bypass', address, dutyPercent: p[0] });
    }
    case 'read-fuse': case 'clear-fuse': {
      const bad = len(2);
      if (bad) return bad;
      return ok({ kind: 'fuse', address, of: kind, fuse: { blown: !!(p[0] & 1), tripped: !!(p[0] & 2), trips: p[1] } });
    }
    case 'set-bypass-range':
      return fail(1, 'set-bypass-range is never answered');
  }
}
