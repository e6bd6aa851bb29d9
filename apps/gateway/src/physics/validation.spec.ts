// The string physics against published data it was not written from: a manufacturer's discharge
// table and capacity-vs-temperature figures, float-current figures from VRLA datasheets and literature.
import { BatteryPhysics } from './battery-physics';
import { CHEMISTRIES, CHEMISTRY, cellsPerBlock, ocvPerCell } from './chemistry';
import { simulatedRuntime, USF12_100A_1V75, USF12_100A_CAPACITY_VS_TEMPERATURE } from './datasheet';

const STRING_20 = [{ modules: 20, moduleType: 'C20' as const }];

/** Float current per Ah of a new string after it has settled, the charger at float. */
function floatMaPerAh(o: { ambientC?: number; ageYears?: number; seed?: number }): number {
  const p = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0, ageYears: o.ageYears ?? 0, ambientC: o.ambientC ?? 25, seed: o.seed ?? 1 });
  p.advance(24 * 3600, 10);
  return (p.stringCurrentA(1) / 100) * 1000;
}

describe('discharge against the USF12-100A datasheet (12 V 100 Ah AGM, 25 deg C, to 1.75 V/cell)', () => {
  // Every rate of the table from 15 min to 10 h (docs/physics.md prints the same comparison).
  it.each(USF12_100A_1V75.map((r) => [r.hours, r.currentA]))('%d h at %d A: simulated runtime within 10 %% of the table', (hours, currentA) => {
    const run = simulatedRuntime({ currentA });
    expect(Math.abs(run.medianHours / hours - 1)).toBeLessThan(0.1);
  });

  it('capacity at the 10 h rate follows the datasheet at 0 and 40 deg C within 10 %', () => {
    const base = simulatedRuntime({ currentA: 10.5, stepS: 4 }).medianHours;
    for (const t of USF12_100A_CAPACITY_VS_TEMPERATURE.filter((x) => x.temperatureC >= 0)) {
      const ratio = simulatedRuntime({ currentA: 10.5, ambientC: t.temperatureC, stepS: 4 }).medianHours / base;
      expect(Math.abs(ratio / t.fraction - 1)).toBeLessThan(0.1);
    }
  });

  it('has an end-of-discharge knee: the voltage falls far faster in the last minutes than mid-discharge', () => {
    const p = new BatteryPhysics({ strings: [{ modules: 1, moduleType: 'C20', capacityAh: 100 }], ageYears: 0, charger: { mode: 'discharge', currentA: 28.6 } });
    const v: number[] = [];
    while (p.truth(1).voltageV > 10.5 && p.elapsedS < 6 * 3600) {
      p.advance(60);
      v.push(p.truth(1).voltageV);
    }
    const n = v.length;
    expect(n).toBeGreaterThan(150);
    const midDrop = v[Math.floor(n / 2)] - v[Math.floor(n / 2) + 10];
    const endDrop = v[n - 11] - v[n - 1];
    expect(endDrop).toBeGreaterThan(5 * midDrop);
  });
});

describe('float current and its temperature dependence', () => {
  it('a new VRLA AGM string floats at 0.5-1 mA/Ah at 25 deg C (datasheet range), for several seeds', () => {
    for (const seed of [1, 2, 3]) {
      const i = floatMaPerAh({ seed });
      expect(i).toBeGreaterThan(0.5);
      expect(i).toBeLessThan(1);
    }
  });

  it('roughly doubles per 10 K', () => {
    const r = floatMaPerAh({ ambientC: 35 }) / floatMaPerAh({ ambientC: 25 });
    expect(r).toBeGreaterThan(1.7);
    expect(r).toBeLessThan(2.3);
  });

  it('Tafel slope near the literature 0.1-0.14 V per decade per cell: boost (+0.13 V/cell) raises the gassing current about 10x', () => {
    const p = new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0, ageYears: 0 });
    p.advance(12 * 3600, 10);
    const atFloat = p.stringCurrentA(1);
    const vFloat = p.stringVoltageV(1);
    p.setCharger({ mode: 'boost' });
    p.advance(6 * 3600, 10);
    const atBoost = p.stringCurrentA(1);
    const perCell = (p.stringVoltageV(1) - vFloat) / (20 * 6);
    const slope = perCell / Math.log10(atBoost / atFloat);
    expect(slope).toBeGreaterThan(0.09);
    expect(slope).toBeLessThan(0.14);
  });
});

describe('ageing', () => {
  it('fades capacity and raises float current, self-discharge and Ri', () => {
    const make = (ageYears: number) => new BatteryPhysics({ strings: STRING_20, initialSpreadV: 0, ageYears, seed: 3 });
    const young = make(0);
    const old = make(10);
    expect(old.truth(5).capacityAh / young.truth(5).capacityAh).toBeLessThan(0.85);
    expect(old.truth(5).resistanceOhm / young.truth(5).resistanceOhm).toBeGreaterThan(1.3);
    // End-of-life VRLA float current doubles.
    const i = (age: number) => floatMaPerAh({ ageYears: age });
    expect(i(10) / i(0)).toBeGreaterThan(1.7);
    const loss = (p: BatteryPhysics) => {
      p.setCharger({ mode: 'off' });
      p.advance(30 * 86_400, 60);
      return 100 - p.truth(5).socPercent;
    };
    expect(loss(make(10)) / loss(make(0))).toBeGreaterThan(1.3);
  });
});

describe('chemistries', () => {
  it.each(CHEMISTRIES.map((c) => [c]))('%s: floats at its float voltage, rests near its full open-circuit voltage, loses charge at its rate', (name) => {
    const chem = CHEMISTRY[name];
    const cells = cellsPerBlock('C20', chem);
    expect(cells).toBe(name === 'nicd' ? 10 : 6);
    const p = new BatteryPhysics({ strings: STRING_20, chemistry: name, ageYears: 0, initialSpreadV: 0 });
    p.advance(6 * 3600, 10);
    expect(p.stringVoltageV(1) / (20 * cells)).toBeCloseTo(chem.floatVPerCell, 2);
    p.setCharger({ mode: 'off' });
    p.advance(30 * 86_400, 60);
    const perCell = p.truth(10).voltageV / cells;
    expect(Math.abs(perCell - ocvPerCell(chem, p.truth(10).socPercent / 100))).toBeLessThan(0.03);
    // A month of rest at 25 deg C costs about the chemistry's monthly self-discharge (block spread +-30 %).
    const lost = (100 - p.truth(10).socPercent) / 100;
    expect(lost).toBeGreaterThan(0.6 * chem.selfDischargePerMonth);
    expect(lost).toBeLessThan(1.5 * chem.selfDischargePerMonth);
  });
});
