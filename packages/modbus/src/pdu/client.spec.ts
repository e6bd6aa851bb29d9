// The client side of FC 3/4 against the Modbus Application Protocol v1.1b3's own examples
// (6.3 Read Holding Registers, 6.4 Read Input Registers, 7 exception responses).
import { decodeReadRegistersResponse, readRegistersRequest } from './client';

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

  it('refuses what a server must refuse: 0 or more than 125 registers, or past address 65535', () => {
    expect(() => readRegistersRequest({ fn: 3, address: 0, count: 126 })).toThrow('register count 126 is outside 1..125');
    expect(() => readRegistersRequest({ fn: 3, address: 65535, count: 2 })).toThrow('registers 65535..65536 are outside 0..65535');
  });
});
