import { BerError, BerReader, Tag, decodeOid, encodeInteger, encodeOid } from './ber';
import { decodeMessage, decodePdu, encodePdu, PduType } from './message';
import { randomBytes } from 'node:crypto';

describe('BER codec', () => {
  it.each([
    [0, '020100'], [127, '02017f'], [128, '02020080'], [-1, '0201ff'], [-129, '0202ff7f'], [2147483647, '02047fffffff'], [-2147483648, '020480000000'],
  ])('encodes INTEGER %d as %s and reads it back', (v, hex) => {
    expect(encodeInteger(v).toString('hex')).toBe(hex);
    expect(new BerReader(Buffer.from(hex, 'hex')).integer()).toBe(v);
  });

  it('encodes unsigned 32-bit values with a leading zero when the top bit is set', () => {
    expect(encodeInteger(0xffffffff, Tag.Counter32).toString('hex')).toBe('410500ffffffff');
    expect(new BerReader(Buffer.from('410500ffffffff', 'hex')).integer(Tag.Counter32)).toBe(0xffffffff);
  });

  it('round-trips OIDs with large sub-identifiers', () => {
    const oid = [1, 3, 6, 1, 4, 1, 32473, 1, 1, 3, 1, 4, 16, 32, 4294967295];
    const bytes = encodeOid(oid);
    expect(bytes.subarray(0, 7).toString('hex')).toBe('06142b06010401');
    expect(decodeOid(bytes.subarray(2))).toEqual(oid);
  });

  it('rejects lengths that run past the data, indefinite lengths and oversized integers', () => {
    expect(() => new BerReader(Buffer.from('3005020101', 'hex')).sequence()).toThrow(BerError);
    expect(() => new BerReader(Buffer.from('3080020101', 'hex')).sequence()).toThrow(BerError);
    expect(() => new BerReader(Buffer.from('0206010000000000', 'hex')).integer()).toThrow(BerError);
    expect(() => decodeOid(Buffer.from('2b8080', 'hex'))).toThrow(BerError);
  });

  it('round-trips a GetBulk PDU', () => {
    const pdu = { type: PduType.GetBulkRequest, requestId: 1234, errorStatus: 0, errorIndex: 10, varbinds: [{ oid: [1, 3, 6, 1], value: { tag: Tag.Null, value: null } as const }] };
    expect(decodePdu(new BerReader(encodePdu(pdu)))).toEqual(pdu);
  });

  it('ends random bytes in a BerError or a message, never another exception', () => {
    for (let i = 0; i < 5000; i++) {
      const buf = randomBytes(1 + (i % 200));
      if (i % 2) buf[0] = 0x30;
      try {
        decodeMessage(buf);
      } catch (e) {
        expect(e).toBeInstanceOf(BerError);
      }
    }
  });
});
