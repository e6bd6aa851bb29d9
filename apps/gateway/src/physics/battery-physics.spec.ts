import { MODULE_TYPES } from '@kirchhoff/core';
import { BatteryPhysics } from './battery-physics';
import { createPhysicsBank } from './physics-bank';

const STRING_20 = [{ modules: 20, moduleType: 'C20' as const }];
const volts = (p: BatteryPhysics) => Array.from({ length: p.moduleCount }, (_, i) => p.truth(i + 1).voltageV);

describe('string physics', () => {
  it('Kirchhoff: every block divides the one series current between its cells and its bypass', () => {
    const p = new BatteryPhysics({ strings: STRING_20 });
    for (const g of [2, 5, 11]) p.setBypassDuty(g, 100);
    p.setBypassDuty(7, 40);
    p.advance(600);
    const i = p.stringCurrentA(1);
    expect(i).toBeGreaterThan(0);
    for (let g = 1; g <= 20; g++) {
      const t = p.truth(g);
      expect(t.cellCurrentA + t.bypassCurrentA).toBeCloseTo(i, 9);
    }
    expect(p.truth(2).bypassCurrentA).toBeCloseTo(MODULE_TYPES.C20.bypassCurrentA, 9);
    expect(p.truth(7).bypassCurrentA).toBeCloseTo(0.4 * MODULE_TYPES.C20.bypassCurrentA, 9);
    // The charger holds the string at n x float voltage.
    expect(p.stringVoltageV(1)).toBeCloseTo(20 * MODULE_TYPES.C20.floatVoltageV, 2);
  });

  it('bypassing a block lowers its float voltage and raises the others', () => {
    const a = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0 });
    const b = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0 });
    a.advance(6 * 3600);
    b.setBypassDuty(3, 100);
    b.advance(6 * 3600);
    expect(b.truth(3).voltageV).toBeLessThan(a.truth(3).voltageV - 0.05);
    expect(b.truth(4).voltageV).toBeGreaterThan(a.truth(4).voltageV);
    expect(b.stringCurrentA(1)).toBeGreaterThan(a.stringCurrentA(1));
  });

  it('without balancing the float voltages of a 20-block string spread by hundreds of millivolts', () => {
    const p = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0 });
    p.advance(24 * 3600);
    const v = volts(p);
    expect(Math.max(...v) - Math.min(...v)).toBeGreaterThan(0.2);
  });

  it('is deterministic for a seed, and different for another', () => {
    const run = (seed: number) => {
      const p = new BatteryPhysics({ strings: STRING_20, seed });
      p.advance(3600);
      return volts(p);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('charger off: no current, the voltage decays slowly from float to rest', () => {
    const p = new BatteryPhysics({ strings: STRING_20, charger: { mode: 'off' } });
    const v0 = p.truth(1).voltageV;
    p.advance(3600, 10);
    const v1 = p.truth(1).voltageV;
    p.advance(3 * 86_400, 10);
    const v3 = p.truth(1).voltageV;
    expect(p.stringCurrentA(1)).toBe(0);
    expect(v1).toBeLessThan(v0);
    expect(v3).toBeLessThan(v1);
    expect(v3).toBeGreaterThan(12.5);
    expect(v3).toBeLessThan(12.85);
  });

  it('discharge moves SoC by the charge taken out; a weak block empties twice as fast; Ri rises at low charge', () => {
    const p = new BatteryPhysics({ strings: STRING_20, charger: { mode: 'discharge', currentA: 20 } });
    p.setFault(4, 'weak-block', true);
    const ri0 = p.truth(4).resistanceOhm;
    p.advance(3600);
    expect(p.stringCurrentA(1)).toBe(-20);
    const lost = 100 - p.truth(1).socPercent;
    expect(lost).toBeCloseTo((20 / p.truth(1).capacityAh) * 100, 0);
    expect(100 - p.truth(4).socPercent).toBeCloseTo(2 * lost, -0.5);
    // Under load the block reads below its rest voltage.
    expect(p.truth(1).voltageV).toBeLessThan(12.3);
    expect(p.truth(4).resistanceOhm).toBeGreaterThan(1.15 * ri0);
  });

  it('a constant-power load draws more current as the voltage falls', () => {
    const p = new BatteryPhysics({ strings: STRING_20, charger: { mode: 'discharge', powerW: 4000 } });
    p.advance(60);
    const early = -p.stringCurrentA(1);
    p.advance(3 * 3600);
    expect(-p.stringCurrentA(1)).toBeGreaterThan(early);
  });

  it('self-discharge doubles every 10 K', () => {
    const loss = (ambientC: number) => {
      const p = new BatteryPhysics({ strings: STRING_20, charger: { mode: 'off' }, ambientC });
      p.advance(10 * 86_400, 60);
      return 100 - p.truth(10).socPercent;
    };
    expect(loss(35) / loss(25)).toBeGreaterThan(1.8);
    expect(loss(35) / loss(25)).toBeLessThan(2.2);
  });

  it('bypass heat warms the block; high-Ri fault triples Ri; breaker open stops the current', () => {
    // Charger off, so that the only heat is the bypass resistor's (in float the float current it takes
    // from the cells, 0.7-1 mA/Ah, heats the block about as much as the resistor does).
    const plain = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0, charger: { mode: 'off' } });
    const p = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0 });
    p.setBypassDuty(10, 100);
    p.setFault(12, 'high-ri', true);
    plain.advance(6 * 3600);
    p.setCharger({ mode: 'off' });
    p.advance(6 * 3600);
    expect(p.truth(10).temperatureC).toBeGreaterThan(plain.truth(10).temperatureC + 0.05);
    expect(p.truth(12).resistanceOhm / p.truth(13).resistanceOhm).toBeGreaterThan(2.5);
    p.setBreakerOpen(1, true);
    p.advance(10);
    expect(p.stringCurrentA(1)).toBe(0);
  });
});

describe('thermal runaway, fed by the charger', () => {
  const temps = (p: BatteryPhysics) => Array.from({ length: p.moduleCount }, (_, i) => p.truth(i + 1).temperatureC);
  const runaway = (module: number, charger: 'float' | 'off' = 'float') => {
    const p = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0.03, charger: { mode: charger } });
    p.advance(3600, 2);
    p.setFault(module, 'thermal-runaway', true);
    return p;
  };

  it.each([1, 10, 20])('M%i: the string float current rises several-fold, the block becomes the hottest and passes 55 degC within 5 h, still rising', (module) => {
    const p = runaway(module);
    const before = p.stringCurrentA(1);
    p.advance(3600, 2);
    // Dry-out and the shorted cell: the charger pushes far more current through the whole string.
    expect(p.stringCurrentA(1)).toBeGreaterThan(10 * before);
    let passedAtH: number | null = null;
    for (let h = 1; h < 5 && passedAtH === null; h += 0.25) {
      p.advance(900, 2);
      if (p.truth(module).temperatureC > 55) passedAtH = h + 0.25;
    }
    expect(passedAtH).not.toBeNull();
    const t = temps(p);
    expect(Math.max(...t)).toBe(t[module - 1]);
    const at = t[module - 1];
    p.advance(600, 2);
    expect(p.truth(module).temperatureC).toBeGreaterThan(at);
  });

  it('opening the breaker stops the rise: no current, and the block cools towards the room', () => {
    const p = runaway(10);
    while (p.truth(10).temperatureC < 45) p.advance(600, 2);
    p.setBreakerOpen(1, true);
    const at = p.truth(10).temperatureC;
    p.advance(3600, 2);
    expect(p.stringCurrentA(1)).toBe(0);
    const later = p.truth(10).temperatureC;
    // Slowly: the dried-out block has lost most of its heat path, and its neighbours are warm too.
    expect(later).toBeLessThan(at - 1);
    p.advance(600, 2);
    expect(p.truth(10).temperatureC).toBeLessThan(later);
  });

  it('with the charger off the fault heats nothing (no current, no heat); its block shows the shorted cell as a volt-and-more lower rest voltage', () => {
    const p = runaway(10, 'off');
    p.advance(3 * 3600, 2);
    const t = temps(p);
    expect(Math.max(...t)).toBeLessThan(25 + 1);
    const v = volts(p);
    expect(v[10] - v[9]).toBeGreaterThan(1.5);
  });
});

describe('createPhysicsBank', () => {
  it('answers as the modules would: 1 mV resolution, lost modules silent, a blown fuse blinds and stops the bypass', () => {
    const p = new BatteryPhysics({ strings: [{ modules: 8, moduleType: 'C20' }, { modules: 8, moduleType: 'C40' }] });
    const bank = createPhysicsBank(p);
    expect(bank.layout).toEqual([{ modules: 8, moduleType: 'C20' }, { modules: 8, moduleType: 'C40' }]);
    p.advance(60);
    const r = bank.readout(3);
    expect(r).not.toBeNull();
    expect(Math.abs((r?.voltageV as number) - p.truth(3).voltageV)).toBeLessThan(0.002);
    expect(Math.round((r?.voltageV as number) * 1000)).toBeCloseTo((r?.voltageV as number) * 1000, 6);
    expect(bank.readout(12)?.voltageV).toBeCloseTo(2.27, 1);

    bank.setBypassDuty(3, 60);
    expect(bank.readout(3)?.bypassDutyPercent).toBe(60);
    p.setFault(3, 'fuse-blown', true);
    expect(bank.readout(3)).toMatchObject({ fuseBlown: true, voltageV: 0, bypassDutyPercent: 0 });
    bank.clearFuse(3);
    expect(bank.readout(3)).toMatchObject({ fuseBlown: false, bypassDutyPercent: 60 });

    p.setFault(5, 'module-lost', true);
    expect(bank.readout(5)).toBeNull();
    expect(bank.measureResistance(5)).toBeNull();
    const ri = bank.measureResistance(6) as number;
    expect(Math.abs(ri - p.truth(6).resistanceOhm) / p.truth(6).resistanceOhm).toBeLessThan(0.05);
    expect(bank.readout(6)?.resistanceOhm).toBe(ri);
  });
});
