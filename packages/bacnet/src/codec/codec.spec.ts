// Byte tables for the tag codec: each case the octets and the value, decoded and encoded both
// ways. Expected octets are ASHRAE 135's own encoding examples (clause 20.2.2..20.2.14 for the
// application tags, 20.2.15 and 20.2.1 for context, opening/closing and extended tags), written out
// here by hand, never produced by the code under test. The same octets are BACnet4J's own test
// vectors for these clauses (EncodableTest _20_2_2.._20_2_15), an independent implementation.
import { ApplicationTag, RejectReason } from '@bacnet-js/client';
import { DecodeError, TagReader } from './tags';
import { asn1, encodeValue, V, Value } from './values';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function encoded(v: Value): Buffer {
  const b = { buffer: Buffer.alloc(64), offset: 0 };
  encodeValue(b, v);
  return b.buffer.subarray(0, b.offset);
}

function decoded(bytes: Buffer) {
  const r = new TagReader(bytes, 0, bytes.length);
  const v = r.application();
  r.done();
  return v;
}

const JAN_24_1991 = new Date(1991, 0, 24); // a Thursday
const PM_5_35_45_17 = new Date(2000, 0, 1, 17, 35, 45, 170);
const ascii = 'This is a BACnet string!';

describe('application tags (clause 20.2 examples)', () => {
  const cases: { clause: string; bytes: string; value: Value; decoded: { tag: number; value: unknown } }[] = [
    { clause: '20.2.2 Null', bytes: '00', value: V.null(), decoded: { tag: ApplicationTag.NULL, value: null } },
    { clause: '20.2.3 Boolean FALSE', bytes: '10', value: V.bool(false), decoded: { tag: ApplicationTag.BOOLEAN, value: false } },
    { clause: '20.2.3 Boolean TRUE', bytes: '11', value: V.bool(true), decoded: { tag: ApplicationTag.BOOLEAN, value: true } },
    { clause: '20.2.4 Unsigned 72', bytes: '21 48', value: V.uint(72), decoded: { tag: ApplicationTag.UNSIGNED_INTEGER, value: 72 } },
    { clause: '20.2.4 Unsigned 256 (two octets)', bytes: '22 01 00', value: V.uint(256), decoded: { tag: ApplicationTag.UNSIGNED_INTEGER, value: 256 } },
    { clause: '20.2.4 Unsigned 4194303 (three octets)', bytes: '23 3F FF FF', value: V.uint(4194303), decoded: { tag: ApplicationTag.UNSIGNED_INTEGER, value: 4194303 } },
    { clause: '20.2.6 Real 72.0', bytes: '44 42 90 00 00', value: V.real(72), decoded: { tag: ApplicationTag.REAL, value: 72 } },
    { clause: '20.2.9 Character String (ANSI X3.4)', bytes: `75 19 00 ${Buffer.from(ascii).toString('hex')}`, value: V.str(ascii), decoded: { tag: ApplicationTag.CHARACTER_STRING, value: ascii } },
    { clause: '20.2.11 Enumerated 0 (ANALOG-INPUT)', bytes: '91 00', value: V.enum(0), decoded: { tag: ApplicationTag.ENUMERATED, value: 0 } },
    { clause: '20.2.14 Object Identifier (Binary Input, 15)', bytes: 'C4 00 C0 00 0F', value: V.oid(3, 15), decoded: { tag: ApplicationTag.OBJECTIDENTIFIER, value: { type: 3, instance: 15 } } },
  ];
  it.each(cases)('$clause: encodes to $bytes', ({ bytes, value }) => {
    expect(encoded(value).toString('hex')).toBe(hex(bytes).toString('hex'));
  });
  it.each(cases)('$clause: $bytes decodes', ({ bytes, decoded: want }) => {
    expect(decoded(hex(bytes))).toEqual(want);
  });

  // Bit String, Date and Time the reader hands over as their content octets (the device never
  // decodes them from a request); the encoder is checked against the standard's octets.
  const raw: { clause: string; bytes: string; value: Value; content: string }[] = [
    { clause: "20.2.10 Bit String B'10101'", bytes: '82 03 A8', value: V.bits(5, [0, 2, 4]), content: '03 A8' },
    { clause: '20.2.12 Date January 24, 1991 (Thursday)', bytes: 'A4 5B 01 18 04', value: { t: 'date', v: JAN_24_1991 }, content: '5B 01 18 04' },
    { clause: '20.2.13 Time 5:35:45.17 PM', bytes: 'B4 11 23 2D 11', value: { t: 'time', v: PM_5_35_45_17 }, content: '11 23 2D 11' },
  ];
  it.each(raw)('$clause: encodes to $bytes and decodes to its content octets', ({ bytes, value, content }) => {
    expect(encoded(value).toString('hex')).toBe(hex(bytes).toString('hex'));
    expect((decoded(hex(bytes)).value as Buffer).toString('hex')).toBe(hex(content).toString('hex'));
  });

  it('20.2.5 Signed 72 and -1 decode (the device never sends a Signed)', () => {
    expect(decoded(hex('31 48'))).toEqual({ tag: ApplicationTag.SIGNED_INTEGER, value: 72 });
    expect(decoded(hex('31 FF'))).toEqual({ tag: ApplicationTag.SIGNED_INTEGER, value: -1 });
  });

  it('20.2.7 Double 72.0 decodes (extended length 8)', () => {
    expect(decoded(hex('55 08 40 52 00 00 00 00 00 00'))).toEqual({ tag: ApplicationTag.DOUBLE, value: 72 });
  });

  it('20.2.9 character sets: ISO 8859-1 (5) and UCS-2 (4) decode; an unknown set is rejected', () => {
    expect(decoded(hex('73 05 E9 74'))).toEqual({ tag: ApplicationTag.CHARACTER_STRING, value: 'ét' });
    expect(decoded(hex('75 05 04 00 C4 00 42'))).toEqual({ tag: ApplicationTag.CHARACTER_STRING, value: 'ÄB' });
    expect(() => decoded(hex('73 03 41 42'))).toThrow(DecodeError);
  });
});

describe('context, constructed and extended tags (clause 20.2.1)', () => {
  it('reads context-tagged unsigned, enumerated, object identifier and boolean', () => {
    // Who-Has/ReadProperty style: [0] Unsigned 256, [1] Enumerated 85, [2] (Analog Input, 5), [3] TRUE.
    const b = hex('0A 01 00  19 55  2C 00 00 00 05  39 01');
    const r = new TagReader(b, 0, b.length);
    expect(r.contextUnsigned(0)).toBe(256);
    expect(r.contextEnumerated(1)).toBe(85);
    expect(r.contextObjectId(2)).toEqual({ type: 0, instance: 5 });
    expect(r.contextBoolean(3)).toBe(true);
    r.done();
  });

  it('20.2.15 context-tagged examples, with extended tag numbers 27 and 127', () => {
    const ascii = Buffer.from('This is a BACnet string!').toString('hex');
    const b = hex(`0A 01 00  F9 1B 00  5D 19 00 ${ascii}  FD 7F 19 00 ${ascii}  0C C2 05 33 33`);
    const r = new TagReader(b, 0, b.length);
    expect(r.contextUnsigned(0)).toBe(256);
    expect(r.contextBoolean(27)).toBe(false);
    expect(r.contextCharacterString(5)).toBe('This is a BACnet string!');
    expect(r.contextCharacterString(127)).toBe('This is a BACnet string!');
    expect(r.contextBytes(0, 4, 4).readFloatBE(0)).toBeCloseTo(-33.3, 5);
    r.done();
  });

  it('writes the same context tags', () => {
    const b = { buffer: Buffer.alloc(32), offset: 0 };
    asn1.encodeContextUnsigned(b, 0, 256);
    asn1.encodeContextEnumerated(b, 1, 85);
    asn1.encodeContextObjectId(b, 2, 0, 5);
    asn1.encodeContextBoolean(b, 3, true);
    expect(b.buffer.subarray(0, b.offset).toString('hex')).toBe(hex('0A 01 00  19 55  2C 00 00 00 05  39 01').toString('hex'));
  });

  it('opening and closing tag 3 are 3E and 3F, and skipElement passes a whole constructed value', () => {
    const b = hex('3E 44 42 90 00 00 3F 19 55');
    const r = new TagReader(b, 0, b.length);
    expect(r.peek()).toMatchObject({ number: 3, context: true, opening: true });
    r.skipElement();
    expect(r.pos).toBe(7);
    expect(r.contextEnumerated(1)).toBe(85);
    const w = { buffer: Buffer.alloc(8), offset: 0 };
    asn1.encodeOpeningTag(w, 3);
    asn1.encodeClosingTag(w, 3);
    expect(w.buffer.subarray(0, 2).toString('hex')).toBe('3e3f');
  });

  it('an extended tag number (context 20, X\'F9 14\') is read with its number', () => {
    const b = hex('F9 14 07');
    expect(new TagReader(b, 0, b.length).peek()).toEqual({ number: 20, context: true, opening: false, closing: false, length: 1, headerLength: 2 });
  });

  it('extended lengths: one octet (X\'05 xx\'), two octets (X\'05 FE xxxx\')', () => {
    const long = Buffer.concat([hex('75 FE 01 2C 00'), Buffer.alloc(299, 0x41)]);
    expect(decoded(long)).toEqual({ tag: ApplicationTag.CHARACTER_STRING, value: 'A'.repeat(299) });
    expect(encoded(V.str('A'.repeat(299))).subarray(0, 5).toString('hex')).toBe('75fe012c00');
  });

  // Hostile input ends in the Reject reason the device answers with (clause 18.8).
  const bad: { what: string; bytes: string; read: (r: TagReader) => unknown; reason: number }[] = [
    { what: 'a truncated value', bytes: '44 42 90', read: (r) => r.application(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'a Real of 3 octets', bytes: '43 42 90 00', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a reserved application tag 13', bytes: 'D1 00', read: (r) => r.application(), reason: RejectReason.INVALID_TAG },
    { what: 'context tag 1 where 0 is required', bytes: '19 55', read: (r) => r.contextUnsigned(0), reason: RejectReason.INVALID_TAG },
    { what: 'nothing where a tag is required', bytes: '', read: (r) => r.contextObjectId(0), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'an object identifier of 3 octets', bytes: '0B 00 00 05', read: (r) => r.contextObjectId(0), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an unterminated opening tag', bytes: '3E 21 01', read: (r) => r.skipElement(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'octets left over', bytes: '21 01 21 02', read: (r) => { r.application(); r.done(); }, reason: RejectReason.TOO_MANY_ARGUMENTS },
  ];
  it.each(bad)('$what is a DecodeError with reject reason $reason', ({ bytes, read, reason }) => {
    const b = hex(bytes);
    let error: unknown;
    try {
      read(new TagReader(b, 0, b.length));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe(reason);
  });

  it('the reject reasons are the standard\'s numbers (clause 21, BACnetRejectReason)', () => {
    expect([RejectReason.INVALID_PARAMETER_DATA_TYPE, RejectReason.INVALID_TAG, RejectReason.MISSING_REQUIRED_PARAMETER, RejectReason.PARAMETER_OUT_OF_RANGE, RejectReason.TOO_MANY_ARGUMENTS, RejectReason.UNDEFINED_ENUMERATION, RejectReason.UNRECOGNIZED_SERVICE])
      .toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});
