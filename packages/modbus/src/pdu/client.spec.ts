// The client side of FC 3/4 against the Modbus Application Protocol v1.1b3's own examples
// (6.3 Read Holding Registers, 6.4 Read Input Registers, 7 exception responses).
import { decodeReadRegistersResponse, readRegistersRequest, readRegistersResponseBytes } from './client';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('read registers, client side', () => {
  it('builds the specification\'s request PDUs', () => {
    expect(readRegistersRequest({ fn: 3, address: 0x6b, count: 3 }).toString('hex')).toBe('03006b0003');
    expect(readRegistersRequest({ fn: 4, address: 0x08, count: 1 }).toString('hex')).toBe('0400080001');
  });

  it('decodes the specification\'s responses', () => {
    expect(decodeReadRegistersResponse({ fn: 3, address: 0x6b, count: 3 }, hex('03 06 022B 0000 0064'))).toEqual({ ok: true, registers: [555, 0, 100] });
    expect(decodeReadRegistersResponse({ fn: 4, address: 0x08, count: 1 }, hex('04 02 000A'))).toEqual({ ok: true, registers: [10] });
  });

  it('names exceptions from the one exception table, and says what is malformed', () => {
    expect(decodeReadRegistersResponse({ fn: 4, address: 0, count: 1 }, hex('84 02'))).toEqual({ ok: false, kind: 'exception', exception: 2, reason: 'exception 2 (illegal data address)' });
    expect(decodeReadRegistersResponse({ fn: 3, address: 0, count: 1 }, hex('83 05'))).toEqual({ ok: false, kind: 'exception', exception: 5, reason: 'exception 5 (acknowledge)' });
    expect(decodeReadRegistersResponse({ fn: 3, address: 0, count: 1 }, hex('04 02 0000'))).toEqual({ ok: false, kind: 'malformed', reason: 'reply function 4 does not answer function 3' });
    expect(decodeReadRegistersResponse({ fn: 3, address: 0, count: 2 }, hex('03 02 0000'))).toEqual({ ok: false, kind: 'malformed', reason: 'reply byte count 2 (2 bytes) does not match 2 registers' });
  });

  it('takes an exception only when whole, names a code outside section 7 unknown, and checks the byte count and the length each', () => {
    const one = { fn: 3, address: 0, count: 1 } as const;
    expect(decodeReadRegistersResponse(one, hex('83'))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeReadRegistersResponse(one, hex('83 0C'))).toEqual({ ok: false, kind: 'exception', exception: 12, reason: 'exception 12 (unknown)' });
    // Byte count right, one octet too many; byte count wrong, length right.
    expect(decodeReadRegistersResponse(one, hex('03 02 0000 00'))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeReadRegistersResponse(one, hex('03 04 0000'))).toMatchObject({ ok: false, kind: 'malformed' });
  });

  it('knows how long a response PDU is from its function byte: 2 for an exception, else function, byte count and 2 octets a register', () => {
    // 6.3's example: 3 registers answered by 03 06 and 6 octets.
    expect(readRegistersResponseBytes({ fn: 3, address: 0x6b, count: 3 }, 0x03)).toBe(8);
    expect(readRegistersResponseBytes({ fn: 3, address: 0x6b, count: 3 }, 0x83)).toBe(2);
  });

  it('refuses what a server must refuse: 0 or more than 125 registers, or past address 65535', () => {
    expect(() => readRegistersRequest({ fn: 3, address: 0, count: 126 })).toThrow('register count 126 is outside 1..125');
    expect(() => readRegistersRequest({ fn: 3, address: 65535, count: 2 })).toThrow('registers 65535..65536 are outside 0..65535');
    // 6.3: quantity 1 to 125 (0x7D), starting address 0x0000 to 0xFFFF.
    for (const count of [0, 1.5, Number.NaN]) expect(() => readRegistersRequest({ fn: 3, address: 0, count })).toThrow(RangeError);
    for (const address of [-1, 0.5]) expect(() => readRegistersRequest({ fn: 3, address, count: 1 })).toThrow(RangeError);
    expect(readRegistersRequest({ fn: 3, address: 0, count: 125 }).toString('hex')).toBe('030000007d');
    expect(readRegistersRequest({ fn: 3, address: 0, count: 1 }).toString('hex')).toBe('0300000001');
    expect(readRegistersRequest({ fn: 4, address: 0xffff, count: 1 }).toString('hex')).toBe('04ffff0001');
    expect(readRegistersRequest({ fn: 3, address: 0xff83, count: 125 }).toString('hex')).toBe('03ff83007d');
  });
});
