// Modbus client codec for reading registers (FC 3 holding, FC 4 input) over @kirchhoff/modbus's
// codec (the request and response PDUs, MBAP and RTU frames, CRC, exception table, limits): the
// reply checks throw an error that names what was wrong, and register decoding
// (int16/uint16/int32/uint32/float32, word order) is the client's own. No I/O.
import { decodeReadRegistersResponse, MbapFrame, mbapFrame, parseRtuFrame, readRegistersRequest, ReadRegistersRequest, rtuFrame } from '@kirchhoff/modbus';
import type { RegisterType } from '../config';

export interface ReadRequest extends ReadRegistersRequest {
  readonly unitId: number;
}

export class ModbusReplyError extends Error {
  constructor(readonly code: 'exception' | 'malformed' | 'timeout', message: string, readonly exception?: number) {
    super(message);
  }
}

export const rtuRequest = (r: ReadRequest): Buffer => rtuFrame(r.unitId, readRegistersRequest(r));

export const tcpRequest = (r: ReadRequest, transactionId: number): Buffer => mbapFrame(transactionId & 0xffff, r.unitId, readRegistersRequest(r));

/** Bytes an RTU reply to `r` has once whole (an exception reply is 5), or 0 while unknown. */
export function rtuReplyLength(r: ReadRequest, bytes: Buffer): number {
  if (bytes.length < 2) return 0;
  return bytes[1] & 0x80 ? 5 : 5 + 2 * r.count;
}

function registersOf(r: ReadRequest, pdu: Buffer): number[] {
  const reply = decodeReadRegistersResponse(r, pdu);
  if (reply.ok) return reply.registers;
  throw new ModbusReplyError(reply.kind, reply.reason, reply.kind === 'exception' ? reply.exception : undefined);
}

export function decodeRtuReply(r: ReadRequest, bytes: Buffer): number[] {
  if (bytes.length < 5) throw new ModbusReplyError('malformed', `reply of ${bytes.length} bytes is too short`);
  const frame = parseRtuFrame(bytes);
  if (!frame.ok) throw new ModbusReplyError('malformed', frame.reason === 'crc' ? 'reply fails its CRC' : `reply of ${bytes.length} bytes is too long`);
  if (frame.address !== r.unitId) throw new ModbusReplyError('malformed', `reply from unit ${frame.address}, expected ${r.unitId}`);
  return registersOf(r, frame.pdu);
}

/** The registers of an MBAP frame (from @kirchhoff/modbus's MbapFramer) answering `r`. */
export function decodeTcpReply(r: ReadRequest, frame: MbapFrame, transactionId: number): number[] {
  if (frame.transactionId !== (transactionId & 0xffff)) throw new ModbusReplyError('malformed', `transaction id ${frame.transactionId} does not match ${transactionId & 0xffff}`);
  if (frame.unitId !== r.unitId) throw new ModbusReplyError('malformed', `reply from unit ${frame.unitId}, expected ${r.unitId}`);
  return registersOf(r, frame.pdu);
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
