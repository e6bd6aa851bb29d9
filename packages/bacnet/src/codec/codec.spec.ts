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

  it('extended length of four octets (X\'05 FF xxxxxxxx\', clause 20.2.1.3.1): 65536', () => {
    const b = hex('75 FF 00 01 00 00');
    expect(new TagReader(b, 0, b.length).peek()).toEqual({ number: 7, context: false, opening: false, closing: false, length: 65536, headerLength: 6 });
  });

  it('an application Boolean carries its value in L/V/T, with no content octets (clause 20.2.3)', () => {
    const b = hex('11 10');
    const r = new TagReader(b, 0, b.length);
    expect(r.peek()).toEqual({ number: 1, context: false, opening: false, closing: false, length: 1, headerLength: 1 });
    r.skipElement();
    expect(r.pos).toBe(1);
    expect(r.application()).toEqual({ tag: ApplicationTag.BOOLEAN, value: false });
    r.done();
  });

  it('walks a constructed value: opening tag 1, context tag 0 (Enumerated 85), closing tag 1 (clause 20.2.1.3.2)', () => {
    const b = hex('1E 09 55 1F');
    const r = new TagReader(b, 0, b.length);
    expect([r.isOpening(1), r.isOpening(2), r.isClosing(1), r.isContext(1), r.atEnd()]).toEqual([true, false, false, false, false]);
    r.opening(1);
    expect(r.pos).toBe(1);
    expect([r.isContext(0), r.isContext(1), r.isOpening(0), r.isClosing(0)]).toEqual([true, false, false, false]);
    expect(r.contextEnumerated(0)).toBe(85);
    expect([r.isClosing(1), r.isClosing(2), r.isContext(1), r.isOpening(1)]).toEqual([true, false, false, false]);
    r.closing(1);
    expect([r.pos, r.atEnd(), r.isContext(0), r.isOpening(1), r.isClosing(1)]).toEqual([4, true, false, false, false]);
    r.done();
    const app = hex('21 01');
    expect(new TagReader(app, 0, app.length).isContext(2)).toBe(false);
  });

  it('skipElement passes nested constructed values, Booleans inside them, and a primitive alone', () => {
    // [3] { [1] { Unsigned 1 } TRUE [3] TRUE } then [1] Enumerated 85.
    const b = hex('3E 1E 21 01 1F 11 39 01 3F 19 55');
    const r = new TagReader(b, 0, b.length);
    r.skipElement();
    expect(r.pos).toBe(9);
    r.skipElement();
    expect(r.pos).toBe(11);
    r.done();
  });

  it('skipElement steps over content octets that look like a closing tag (X\'3F\' as an Unsigned, a context value; a Boolean has none)', () => {
    for (const bytes of ['3E 21 3F 3F', '3E 19 3F 3F', '3E 11 3F']) {
      const b = hex(bytes);
      const r = new TagReader(b, 0, b.length);
      r.skipElement();
      expect(r.pos).toBe(b.length);
    }
  });

  it('four content octets are the most an Unsigned, Enumerated or Signed takes (clause 20.2.4, 20.2.5, 20.2.11)', () => {
    expect(decoded(hex('24 FF FF FF FF'))).toEqual({ tag: ApplicationTag.UNSIGNED_INTEGER, value: 4294967295 });
    expect(decoded(hex('94 00 01 00 00'))).toEqual({ tag: ApplicationTag.ENUMERATED, value: 65536 });
    expect(decoded(hex('34 80 00 00 00'))).toEqual({ tag: ApplicationTag.SIGNED_INTEGER, value: -2147483648 });
  });

  it('an Octet String (clause 20.2.8, X\'1234FF\') is handed over as its octets', () => {
    expect(decoded(hex('63 12 34 FF'))).toEqual({ tag: ApplicationTag.OCTET_STRING, value: hex('12 34 FF') });
  });

  it('an empty character string (only its character set octet) is the empty string', () => {
    expect(decoded(hex('71 00'))).toEqual({ tag: ApplicationTag.CHARACTER_STRING, value: '' });
  });

  it('bit strings: whole octets for the size, unused bits counted, bits past the size ignored (clause 20.2.10)', () => {
    expect(encoded(V.bits(10, [])).toString('hex')).toBe('83060000');
    expect(encoded(V.bits(5, [5, 7])).toString('hex')).toBe('820300');
    expect(encoded(V.bits(8, [0, 7])).toString('hex')).toBe('820081');
  });

  it('a raw value is written by its own encoder', () => {
    expect(encoded(V.raw((b) => { asn1.encodeOpeningTag(b, 3); asn1.encodeClosingTag(b, 3); })).toString('hex')).toBe('3e3f');
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
    // Headers cut inside their extended length (X'05 xx', X'05 FE xxxx', X'05 FF xxxxxxxx').
    { what: 'a header cut before its length octet', bytes: '75', read: (r) => r.peek(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'a header cut inside a 2-octet length', bytes: '75 FE 01', read: (r) => r.peek(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'a header cut inside a 4-octet length', bytes: '75 FF 00 01 00', read: (r) => r.peek(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'an extended tag number cut off', bytes: 'F9', read: (r) => r.peek(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    // Context tags read where the service wants one: wrong class, constructed, wrong size, cut short.
    { what: 'an application tag where context tag 0 is required', bytes: '21 01', read: (r) => r.contextUnsigned(0), reason: RejectReason.INVALID_TAG },
    { what: 'opening tag 0 where primitive context tag 0 is required', bytes: '0E 21 01 0F', read: (r) => r.contextUnsigned(0), reason: RejectReason.INVALID_TAG },
    { what: 'closing tag 0 where primitive context tag 0 is required', bytes: '0F', read: (r) => r.contextUnsigned(0), reason: RejectReason.INVALID_TAG },
    { what: 'an unsigned of 5 octets', bytes: '0D 05 01 02 03 04 05', read: (r) => r.contextUnsigned(0), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a context boolean of no octets', bytes: '08', read: (r) => r.contextBoolean(0), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a context unsigned cut short', bytes: '0A 01', read: (r) => r.contextUnsigned(0), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    // Application values of lengths their type cannot have (clause 20.2.2..20.2.14).
    { what: 'nothing where a value is required', bytes: '', read: (r) => r.application(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'a context tag where a value is required', bytes: '09 01', read: (r) => r.application(), reason: RejectReason.INVALID_TAG },
    { what: 'a Boolean with L/V/T 2', bytes: '12', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Boolean with an extended length', bytes: '15 01', read: (r) => { r.application(); r.done(); }, reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Null of 1 octet', bytes: '01 00', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an Unsigned of no octets', bytes: '20', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an Unsigned of 5 octets', bytes: '25 05 01 02 03 04 05', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an Enumerated of no octets', bytes: '90', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an Enumerated of 5 octets', bytes: '95 05 01 02 03 04 05', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Signed of no octets', bytes: '30', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Signed of 5 octets', bytes: '35 05 01 02 03 04 05', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Double of 4 octets', bytes: '54 42 90 00 00', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'a Character String without its character set octet', bytes: '70', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'an Object Identifier of 3 octets', bytes: 'C3 00 C0 00', read: (r) => r.application(), reason: RejectReason.INVALID_PARAMETER_DATA_TYPE },
    { what: 'nothing where an element is required', bytes: '', read: (r) => r.skipElement(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'a closing tag where an element is required', bytes: '3F', read: (r) => r.skipElement(), reason: RejectReason.INVALID_TAG },
    { what: 'a primitive element cut short', bytes: '22 01', read: (r) => r.skipElement(), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'opening tag 2 where 1 is required', bytes: '2E 2F', read: (r) => r.opening(1), reason: RejectReason.INVALID_TAG },
    { what: 'nothing where opening tag 1 is required', bytes: '', read: (r) => r.opening(1), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
    { what: 'opening tag 1 where closing tag 1 is required', bytes: '1E', read: (r) => r.closing(1), reason: RejectReason.INVALID_TAG },
    { what: 'nothing where closing tag 1 is required', bytes: '', read: (r) => r.closing(1), reason: RejectReason.MISSING_REQUIRED_PARAMETER },
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
