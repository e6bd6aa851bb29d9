// The client side of FC 3 and FC 4 (read holding / input registers): the request PDU, and the
// response PDU checked against the request. The server's handlers in functions.ts are the other
// side; both use the same function codes, limits and exception table. No I/O.
import { EXCEPTION_NAMES, ExceptionCode } from './exceptions';
import { FunctionCode, LIMITS } from './functions';

export type ReadRegistersFunction = typeof FunctionCode.ReadHoldingRegisters | typeof FunctionCode.ReadInputRegisters;

export interface ReadRegistersRequest {
  readonly fn: ReadRegistersFunction;
  readonly address: number;
  /** 1..125 registers (LIMITS.readRegisters). */
  readonly count: number;
}

export function readRegistersRequest(r: ReadRegistersRequest): Buffer {
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > LIMITS.readRegisters) throw new RangeError(`register count ${r.count} is outside 1..${LIMITS.readRegisters}`);
  if (!Number.isInteger(r.address) || r.address < 0 || r.address + r.count > 0x10000) throw new RangeError(`registers ${r.address}..${r.address + r.count - 1} are outside 0..65535`);
  const b = Buffer.alloc(5);
  b[0] = r.fn;
  b.writeUInt16BE(r.address, 1);
  b.writeUInt16BE(r.count, 3);
  return b;
}

export type ReadRegistersReply =
  | { readonly ok: true; readonly registers: number[] }
  | { readonly ok: false; readonly kind: 'exception'; readonly exception: number; readonly reason: string }
  | { readonly ok: false; readonly kind: 'malformed'; readonly reason: string };

/** Bytes of the response PDU to `r` once whole: 2 for an exception, else 2 + 2 x count. */
export const readRegistersResponseBytes = (r: ReadRegistersRequest, functionByte: number): number => (functionByte & 0x80 ? 2 : 2 + 2 * r.count);

/** The registers of a response PDU (function code first), or what is wrong with it. */
export function decodeReadRegistersResponse(r: ReadRegistersRequest, pdu: Buffer): ReadRegistersReply {
  if (pdu.length >= 2 && pdu[0] === (r.fn | 0x80)) {
    const exception = pdu[1];
    return { ok: false, kind: 'exception', exception, reason: `exception ${exception} (${EXCEPTION_NAMES[exception as ExceptionCode] ?? 'unknown'})` };
  }
  if (pdu[0] !== r.fn) return { ok: false, kind: 'malformed', reason: `reply function ${pdu[0]} does not answer function ${r.fn}` };
  if (pdu[1] !== 2 * r.count || pdu.length !== 2 + 2 * r.count) return { ok: false, kind: 'malformed', reason: `reply byte count ${pdu[1]} (${pdu.length - 2} bytes) does not match ${r.count} registers` };
  const registers: number[] = [];
  for (let i = 0; i < r.count; i++) registers.push(pdu.readUInt16BE(2 + 2 * i));
  return { ok: true, registers };
}
