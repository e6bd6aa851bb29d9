// Table-driven byte tests of the PDU handlers over a small in-memory data model: each case is the
// request PDU and the exact response PDU.
import { DeviceIdentification, ModbusDataModel, RequestContext } from './data-model';
import { ExceptionCode, ModbusException } from './exceptions';
import { handlePdu } from './functions';

class MemoryModel implements ModbusDataModel {
  registers = new Uint16Array(200).map((_, i) => 0x1000 + i);
  coils = new Uint8Array(40).map((_, i) => (i % 3 === 0 ? 1 : 0));
  writes: string[] = [];
  ident: DeviceIdentification = { vendorName: 'V', productCode: 'P', majorMinorRevision: '1.0' };
  private check(address: number, quantity: number, size: number) {
    if (address + quantity > size) throw new ModbusException(ExceptionCode.IllegalDataAddress);
  }
  readBits(_t: 'coils' | 'discreteInputs', address: number, quantity: number) {
    this.check(address, quantity, this.coils.length);
    return this.coils.slice(address, address + quantity);
  }
  assertRegisters(address: number, quantity: number) {
    this.check(address, quantity, this.registers.length);
  }
  readRegisters(address: number, quantity: number, out: Buffer, offset: number) {
    this.assertRegisters(address, quantity);
    for (let i = 0; i < quantity; i++) out.writeUInt16BE(this.registers[address + i], offset + 2 * i);
  }
  async writeCoils(address: number, values: readonly boolean[]) {
    this.check(address, values.length, this.coils.length);
    values.forEach((v, i) => (this.coils[address + i] = v ? 1 : 0));
    this.writes.push(`coils ${address} ${values.map(Number).join('')}`);
  }
  async writeRegisters(address: number, values: readonly number[]) {
    this.assertRegisters(address, values.length);
    values.forEach((v, i) => (this.registers[address + i] = v));
    this.writes.push(`registers ${address} ${values.join(',')}`);
  }
  identification() {
    return this.ident;
  }
}

const ctx: RequestContext = { transport: 'tcp', remote: 'test', broadcast: false };
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const answer = async (model: ModbusDataModel, req: string) => (await handlePdu(hex(req), model, ctx)).toString('hex');

describe('PDU handlers, byte for byte', () => {
  const cases: [string, string, string][] = [
    ['FC1 reads 10 coils packed LSB first', '01 0000 000a', '01 02 49 02'],
    ['FC2 reads 3 bits', '02 0001 0003', '02 01 04'],
    ['FC3 reads 2 registers', '03 0005 0002', '03 04 1005 1006'],
    ['FC4 serves the same registers', '04 0005 0002', '04 04 1005 1006'],
    ['FC3 quantity 0 -> 03', '03 0000 0000', '83 03'],
    ['FC3 quantity 126 -> 03', '03 0000 007e', '83 03'],
    ['FC3 past the map -> 02', '03 00c7 0002', '83 02'],
    ['FC3 past 65535 -> 02', '03 ffff 0002', '83 02'],
    ['FC3 with a short PDU -> 03', '03 0000 00', '83 03'],
    ['FC1 quantity 2001 -> 03', '01 0000 07d1', '81 03'],
    ['FC5 value other than 0000/FF00 -> 03', '05 0001 00ff', '85 03'],
    ['FC15 byte count not matching -> 03', '0f 0000 000a 01 ff', '8f 03'],
    ['FC16 quantity 124 -> 03', `10 0000 007c f8 ${'00'.repeat(248)}`, '90 03'],
    ['FC23 write quantity 122 -> 03', `17 0000 0001 0000 007a f4 ${'00'.repeat(244)}`, '97 03'],
    ['FC23 read range outside the map -> 02 before writing', '17 00c7 0002 0000 0001 02 abcd', '97 02'],
    ['unknown function -> 01', '08 0000 0000', '88 01'],
    ['43 with another MEI type -> 01', '2b 0d 01 00', 'ab 01'],
    ['43/14 read code 0 -> 03', '2b 0e 00 00', 'ab 03'],
    ['43/14 basic stream', '2b 0e 01 00', '2b 0e 01 82 00 00 03 00 01 56 01 01 50 02 03 312e30'],
    ['43/14 stream from an id outside the category restarts at 0', '2b 0e 01 05', '2b 0e 01 82 00 00 03 00 01 56 01 01 50 02 03 312e30'],
    ['43/14 individual object', '2b 0e 04 01', '2b 0e 04 82 00 00 01 01 01 50'],
  ];
  it.each(cases)('%s', async (_name, req, res) => {
    expect(await answer(new MemoryModel(), req)).toBe(res.replace(/\s+/g, ''));
  });

  it('writes: FC5, FC6, FC15, FC16 echo the request header; FC23 writes before it reads', async () => {
    const m = new MemoryModel();
    expect(await answer(m, '05 0002 ff00')).toBe('050002ff00');
    expect(await answer(m, '06 0003 beef')).toBe('060003beef');
    expect(await answer(m, '0f 0010 000a 02 0d 02')).toBe('0f0010000a');
    expect(await answer(m, '10 0004 0002 04 0001 0002')).toBe('1000040002');
    expect(await answer(m, '17 0003 0002 0004 0001 02 7777')).toBe('1704beef7777');
    expect(m.writes).toEqual(['coils 2 1', 'registers 3 48879', 'coils 16 1011000001', 'registers 4 1,2', 'registers 4 30583']);
  });

  it('splits a long identification stream with "more follows"', async () => {
    const m = new MemoryModel();
    m.ident = { vendorName: 'V'.repeat(120), productCode: 'P'.repeat(120), majorMinorRevision: '1.0', productName: 'N'.repeat(100) };
    const first = await handlePdu(hex('2b 0e 02 00'), m, ctx);
    expect(first.length).toBeLessThanOrEqual(253);
    expect([first[4], first[5], first[6]]).toEqual([0xff, 2, 2]);
    const second = await handlePdu(hex('2b 0e 02 02'), m, ctx);
    expect([second[4], second[5], second[6], second[7]]).toEqual([0x00, 0x00, 2, 2]);
  });

  it('answers 04 and reports when the data model fails unexpectedly', async () => {
    const m = new MemoryModel();
    m.readRegisters = () => { throw new Error('boom'); };
    const reported: unknown[] = [];
    expect((await handlePdu(hex('03 0000 0001'), m, ctx, (e) => reported.push(e))).toString('hex')).toBe('8304');
    expect(reported).toHaveLength(1);
  });
});
