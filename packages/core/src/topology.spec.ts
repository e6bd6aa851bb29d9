import { Topology, moduleLabel, MAX_MODULES } from './topology';

describe('numbering', () => {
  const t = new Topology([
    { modules: 20, moduleType: 'C20' },
    { modules: 12, moduleType: 'C40' },
    { modules: 5, moduleType: 'C20' },
  ]);

  it('numbers modules globally in string order', () => {
    expect(t.moduleCount).toBe(37);
    expect(t.globalOf(1, 1)).toBe(1);
    expect(t.globalOf(1, 20)).toBe(20);
    expect(t.globalOf(2, 1)).toBe(21);
    expect(t.globalOf(3, 5)).toBe(37);
  });

  it('maps every global number back to its string and module', () => {
    for (let g = 1; g <= t.moduleCount; g++) {
      const a = t.addressOf(g)!;
      expect(t.globalOf(a.string, a.module)).toBe(g);
    }
    expect(t.addressOf(21)).toEqual({ string: 2, module: 1, global: 21 });
  });

  it('answers undefined for numbers that do not exist', () => {
    expect(t.globalOf(1, 21)).toBeUndefined();
    expect(t.globalOf(4, 1)).toBeUndefined();
    expect(t.globalOf(1, 0)).toBeUndefined();
    expect(t.addressOf(0)).toBeUndefined();
    expect(t.addressOf(38)).toBeUndefined();
    expect(t.addressOf(1.5)).toBeUndefined();
  });

  it('accepts the largest site, 16 strings of 32, and refuses more', () => {
    const big = new Topology(Array.from({ length: 16 }, () => ({ modules: 32, moduleType: 'C20' as const })));
    expect(big.moduleCount).toBe(MAX_MODULES);
    expect(big.addressOf(512)).toEqual({ string: 16, module: 32, global: 512 });
    expect(() => new Topology(Array.from({ length: 17 }, () => ({ modules: 1, moduleType: 'C20' as const })))).toThrow(/1\.\.16 strings, got 17/);
    expect(() => new Topology([{ modules: 513, moduleType: 'C20' }])).toThrow(/at most 512 modules/);
    expect(() => new Topology([{ modules: 2, moduleType: 'X9' as never }])).toThrow(/moduleType X9 is not one of/);
  });

  it('labels modules the way operators read them', () => {
    expect(moduleLabel(2, 7)).toBe('S02-M07');
  });
});
