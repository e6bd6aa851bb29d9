// The identities the gateway's configuration gives the data logger's life records: what each value
// says, and which are derived (the rated capacity and nominal voltages from the string's module type).
import { STRING_POSITION } from '@kirchhoff/history';
import { configuredIdentities, type LifeStringConfig } from './config';

const STRING: LifeStringConfig = {
  modules: 3, moduleType: 'C20', capacityAh: 150,
  battery: { manufacturer: 'Acme Batteries', model: 'UPS-System 480', commissioningDate: '2024-05-14' },
  blocks: { manufacturer: 'Acme Batteries', model: 'AB12-150', chemistry: 'lead-acid VRLA AGM', manufactureDate: '2024-03', serials: ['A1', 'A2', 'A3'], commissioningResistancesOhm: [0.0041, 0.0043], positions: { 2: { manufactureDate: '2024-02' } } },
};

describe('configured identities', () => {
  it('one per position: the string battery, then each block with its serial, Ri and per-position overrides', () => {
    const [battery, b1, b2, b3, ...rest] = configuredIdentities([STRING]);
    expect(rest).toEqual([]);
    expect([battery, b1, b2, b3].map((c) => [c.string, c.position])).toEqual([[1, STRING_POSITION], [1, 1], [1, 2], [1, 3]]);
    // 3 x 12 V blocks (C20) of 150 Ah in series: 36 V, 150 Ah, derived from strings[].moduleType and capacityAh.
    expect(battery.identity).toEqual({ manufacturer: 'Acme Batteries', model: 'UPS-System 480', commissioningDate: '2024-05-14', ratedCapacityAh: 150, nominalVoltageV: 36 });
    expect(battery.sources).toMatchObject({ manufacturer: 'config', ratedCapacityAh: 'derived', nominalVoltageV: 'derived' });
    expect(b1.identity).toMatchObject({ serial: 'A1', manufactureDate: '2024-03', nominalVoltageV: 12, chemistry: 'lead-acid VRLA AGM', commissioningResistanceOhm: 0.0041 });
    expect(b2.identity).toMatchObject({ serial: 'A2', manufactureDate: '2024-02', commissioningResistanceOhm: 0.0043 });
    expect(b3.identity.commissioningResistanceOhm).toBeUndefined();
    expect(b1.sources.commissioningResistanceOhm).toBe('config');
  });
});
