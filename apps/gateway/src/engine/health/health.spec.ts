// The health engine's arithmetic against the standards it follows and against hand-made series.
import { addRiReading, capacityAt25C, capacityAtC10, riTrend, RiPoint, theilSen } from '.';
import { deliverableFraction } from '../lead-acid';

const DAY = 86_400_000;

describe('capacity corrections', () => {
  it('corrects to 25 deg C as IEC 60896-11 does: C / (1 + lambda (theta - 25)), lambda 0.006 beyond 3 h, 0.01 up to 3 h', () => {
    // A 10 h test at 20 deg C that gave 97 Ah: 97 / (1 - 0.03) = 100 Ah at 25 deg C.
    expect(capacityAt25C(97, 20, 10 * 3600)).toBeCloseTo(100, 6);
    // A 1 h test at 30 deg C that gave 55 Ah: 55 / 1.05.
    expect(capacityAt25C(55, 30, 3600)).toBeCloseTo(52.381, 3);
    expect(capacityAt25C(80, 25, 3600)).toBe(80);
  });

  it('takes a capacity at a faster rate back to the 10-hour rate through the rate dependence it assumes for SoC', () => {
    // A block of C10 = 50 Ah discharged at 10 A (C/5) gives 50 x (50 / 100)^0.25.
    const atRate = 50 * deliverableFraction(50, 10);
    expect(atRate).toBeLessThan(45);
    expect(capacityAtC10(atRate, 10)).toBeCloseTo(50, 3);
    // At its own 10-hour rate nothing changes.
    expect(capacityAtC10(100, 10)).toBeCloseTo(100, 6);
  });
});

describe('Ri trend', () => {
  const series = (n: number, f: (day: number) => number): RiPoint[] => Array.from({ length: n }, (_, d) => ({ atMs: d * DAY, ohm: f(d), n: 1 }));

  it('fits a rising Ri robustly (one wild reading does not move it) and projects the day it reaches the limit', () => {
    // 5 mOhm, +0.5 %/day of the baseline: +50 % on day 100.
    const points = series(30, (d) => 0.005 * (1 + 0.005 * d));
    points[12] = { ...points[12], ohm: 0.02 };
    const t = riTrend(points, 0.005, 50)!;
    expect(t.percentPerYear).toBeCloseTo(0.5 * 365.25, 0);
    expect(t.endOfLifeAtMs! / DAY).toBeCloseTo(100, 1);
    expect(theilSen(points)!.slopePerMs * DAY).toBeCloseTo(0.005 * 0.005, 9);
  });

  it('projects no end of life for a flat Ri, and says nothing from too few days', () => {
    expect(riTrend(series(30, () => 0.005), 0.005, 50)!.endOfLifeAtMs).toBeNull();
    expect(riTrend(series(4, (d) => 0.005 + d * 1e-4), 0.005, 50)).toBeNull();
    expect(riTrend(series(30, (d) => 0.005 + d * 1e-4).map((p) => ({ ...p, atMs: p.atMs / 10 })), 0.005, 50)).toBeNull();
  });

  it('keeps years of readings in a bounded series: a day per point first, coarser as it fills', () => {
    const s = { bucketMs: DAY, points: [] as RiPoint[] };
    for (let h = 0; h < 3 * 24; h++) addRiReading(s, h * 3_600_000, 0.005 + (h % 2) * 0.001, 16);
    expect(s.points).toHaveLength(3);
    expect(s.points[0].ohm).toBeCloseTo(0.0055, 9);
    expect(s.points[0].n).toBe(24);
    for (let d = 3; d < 400; d++) addRiReading(s, d * DAY, 0.005, 16);
    expect(s.points.length).toBeLessThanOrEqual(16);
    expect(s.points.reduce((a, p) => a + p.n, 0)).toBe(72 + 397);
  });
});
