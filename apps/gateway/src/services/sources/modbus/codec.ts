// Modbus client codec for reading registers (FC 3 holding, FC 4 input): request ADUs for RTU
// (address + CRC) and TCP (MBAP), reply checks that name what was wrong, and register decoding
// (int16/uint16/int32/uint32/float32, word order, scale and offset). No I/O.
import type { RegisterType } from '../config';

/** Modbus CRC-16 (init 0xFFFF, reflected polynomial 0xA001), sent low byte first. */
export function modbusCrc(bytes: Uint8Array, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export interface ReadRequest {
  readonly unitId: number;
  readonly fn: 3 | 4;
  readonly address: number;
  /** 1..125 registers. */
  readonly count: number;
}

const EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'server device failure',
  6: 'server busy', 0x0a: 'gateway path unavailable', 0x0b: 'gateway target failed to respond',
};

export class ModbusReplyError extends Error {
  constructor(readonly code: 'exception' | 'malformed' | 'timeout', message: string, readonly exception?: number) {
    super(message);
  }
}

function pdu(r: ReadRequest): Buffer {
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > 125) throw new RangeError(`register count ${r.count} is outside 1..125`);
  const b = Buffer.alloc(5);
  b[0] = r.fn;
  b.writeUInt16BE(r.address, 1);
  b.writeUInt16BE(r.count, 3);
  return b;
}

export function rtuRequest(r: ReadRequest): Buffer {
  const body = Buffer.concat([Buffer.from([r.unitId]), pdu(r)]);
  const crc = modbusCrc(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
}

export function tcpRequest(r: ReadRequest, transactionId: number): Buffer {
  const p = pdu(r);
  const head = Buffer.alloc(7);
  head.writeUInt16BE(transactionId & 0xffff, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(p.length + 1, 4);
  head[6] = r.unitId;
  return Buffer.concat([head, p]);
}

/** Bytes an RTU reply to `r` has once whole (an exception reply is 5), or 0 while unknown. */
export function rtuReplyLength(r: ReadRequest, bytes: Buffer): number {
  if (bytes.length < 2) return 0;
  return bytes[1] & 0x80 ? 5 : 5 + 2 * r.count;
}

/** Registers from a reply PDU (function code first), checked against the request. */
function registersOf(r: ReadRequest, p: Buffer): number[] {
  if (p[0] === (r.fn | 0x80)) {
    const code = p[1];
    throw new ModbusReplyError('exception', `exception ${code} (${EXCEPTIONS[code] ?? 'unknown'})`, code);
  }
  if (p[0] !== r.fn) throw new ModbusReplyError('malformed', `reply function ${p[0]} does not answer function ${r.fn}`);
  if (p[1] !== 2 * r.count || p.length !== 2 + 2 * r.count) throw new ModbusReplyError('malformed', `reply byte count ${p[1]} (${p.length - 2} bytes) does not match ${r.count} registers`);
  const out: number[] = [];
  for (let i = 0; i < r.count; i++) out.push(p.readUInt16BE(2 + 2 * i));
  return out;
}

export function decodeRtuReply(r: ReadRequest, bytes: Buffer): number[] {
  if (bytes.length < 5) throw new ModbusReplyError('malformed', `reply of ${bytes.length} bytes is too short`);
  const crc = modbusCrc(bytes, bytes.length - 2);
  if (bytes[bytes.length - 2] !== (crc & 0xff) || bytes[bytes.length - 1] !== crc >> 8) throw new ModbusReplyError('malformed', 'reply fails its CRC');
  if (bytes[0] !== r.unitId) throw new ModbusReplyError('malformed', `reply from unit ${bytes[0]}, expected ${r.unitId}`);
  return registersOf(r, bytes.subarray(1, bytes.length - 2));
}

/** A TCP reply's length once its MBAP header is in (0 before), guarded by a maximum. */
export function tcpFrameLength(bytes: Buffer): number {
  if (bytes.length < 6) return 0;
  const len = bytes.readUInt16BE(4);
  if (len < 2 || len > 254) throw new ModbusReplyError('malformed', `MBAP length ${len} is outside 2..254`);
  return 6 + len;
}

export function decodeTcpReply(r: ReadRequest, frame: Buffer, transactionId: number): number[] {
  if (frame.readUInt16BE(0) !== (transactionId & 0xffff)) throw new ModbusReplyError('malformed', `transaction id ${frame.readUInt16BE(0)} does not match ${transactionId & 0xffff}`);
  if (frame.readUInt16BE(2) !== 0) throw new ModbusReplyError('malformed', `protocol id ${frame.readUInt16BE(2)} is not 0 (Modbus)`);
  if (frame[6] !== r.unitId) throw new ModbusReplyError('malformed', `reply from unit ${frame[6]}, expected ${r.unitId}`);
  return registersOf(r, frame.subarray(7));
}

export const REGISTER_WIDTH: Readonly<Record<RegisterType, 1 | 2>> = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2 };

/** The raw number in `regs` (one or two registers) for `type`; big = high word first. */
export function decodeValue(regs: readonly number[], type: RegisterType, wordOrder: 'big' | 'little'): number {
  const b = Buffer.alloc(4);
  if (REGISTER_WIDTH[type] === 1) {
    b.writeUInt16BE(regs[0]);
    return type === 'int16' ? b.readInt16BE(0) : b.readUInt16BE(0);
  }
  const [hi, lo] = wordOrder === 'big' ? [regs[0], regs[1]] : [regs[1], regs[0]];
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  return type === 'int32' ? b.readInt32BE(0) : type === 'uint32' ? b.readUInt32BE(0) : b.readFloatBE(0);
}
