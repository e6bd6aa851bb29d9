// Property values this device sends (clause 20.2 application tags), encoded with @bacnet-js/client's
// asn1 primitives; a Value says which application type an element is.
import * as asn1 from '@bacnet-js/client/dist/lib/asn1';
import { ApplicationTag } from '@bacnet-js/client';

export interface EncodeBuffer {
  buffer: Buffer;
  offset: number;
}

/** A property value element, encoded with @bacnet-js/client's application encoders. */
export type Value =
  | { readonly t: 'null' }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'uint'; readonly v: number }
  | { readonly t: 'real'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'enum'; readonly v: number }
  | { readonly t: 'bits'; readonly size: number; readonly set: readonly number[] }
  | { readonly t: 'oid'; readonly type: number; readonly instance: number }
  | { readonly t: 'date'; readonly v: Date }
  | { readonly t: 'time'; readonly v: Date }
  /** A constructed value written by its own encoder (BACnetDestination, BACnetTimeStamp...). */
  | { readonly t: 'raw'; readonly encode: (b: EncodeBuffer) => void };

export const V = {
  null: (): Value => ({ t: 'null' }),
  bool: (v: boolean): Value => ({ t: 'bool', v }),
  uint: (v: number): Value => ({ t: 'uint', v }),
  real: (v: number): Value => ({ t: 'real', v }),
  str: (v: string): Value => ({ t: 'str', v }),
  enum: (v: number): Value => ({ t: 'enum', v }),
  bits: (size: number, set: readonly number[]): Value => ({ t: 'bits', size, set }),
  oid: (type: number, instance: number): Value => ({ t: 'oid', type, instance }),
  raw: (encode: (b: EncodeBuffer) => void): Value => ({ t: 'raw', encode }),
};

export function bitString(size: number, set: readonly number[]): { bitsUsed: number; value: number[] } {
  const value = new Array<number>(Math.ceil(size / 8)).fill(0);
  for (const i of set) if (i < size) value[i >> 3] |= 1 << (i & 7);
  return { bitsUsed: size, value };
}

export function encodeValue(b: EncodeBuffer, v: Value): void {
  switch (v.t) {
    case 'null': b.buffer[b.offset++] = 0x00; return;
    case 'bool': asn1.encodeApplicationBoolean(b, v.v); return;
    case 'uint': asn1.encodeApplicationUnsigned(b, v.v); return;
    case 'real': asn1.bacappEncodeApplicationData(b, { type: ApplicationTag.REAL, value: v.v }); return;
    case 'str': asn1.encodeApplicationCharacterString(b, v.v); return;
    case 'enum': asn1.encodeApplicationEnumerated(b, v.v); return;
    case 'bits': asn1.encodeApplicationBitstring(b, bitString(v.size, v.set)); return;
    case 'oid': asn1.encodeApplicationObjectId(b, v.type, v.instance); return;
    case 'date': asn1.encodeApplicationDate(b, v.v); return;
    case 'time': asn1.encodeApplicationTime(b, v.v); return;
    case 'raw': v.encode(b); return;
  }
}

export { asn1 };
