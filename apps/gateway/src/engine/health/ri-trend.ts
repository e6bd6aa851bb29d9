// The Ri trend of one block: a robust straight line (Theil-Sen: the median of the pairwise slopes,
// insensitive to the odd bad reading) through its logged Ri, and when that line reaches the
// end-of-life limit over the baseline.

export interface RiPoint {
  /** Middle of the bucket, ms since the epoch. */
  readonly atMs: number;
  readonly ohm: number;
  /** Readings behind the point. */
  readonly n: number;
}

export interface RiTrend {
  /** Ri change per year, percent of the baseline (Theil-Sen slope). */
  readonly percentPerYear: number;
  /** When the trend line reaches baseline x (1 + limit), ms; null when it does not rise. */
  readonly endOfLifeAtMs: number | null;
  /** Points and days the line is fitted on. */
  readonly points: number;
  readonly spanDays: number;
}

const YEAR_MS = 365.25 * 86_400_000;

/** Trend needs this many points over this many days before it says anything. */
export const RI_TREND_MIN_POINTS = 5;
export const RI_TREND_MIN_SPAN_DAYS = 7;

/** Theil-Sen slope and intercept of ohm against time (ms); null with fewer than two distinct times. */
export function theilSen(points: readonly RiPoint[]): { slopePerMs: number; interceptAt: (atMs: number) => number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j].atMs - points[i].atMs;
      if (dt !== 0) slopes.push((points[j].ohm - points[i].ohm) / dt);
    }
  }
  if (!slopes.length) return null;
  const slope = median(slopes);
  const t0 = points[0].atMs;
  const b = median(points.map((p) => p.ohm - slope * (p.atMs - t0)));
  return { slopePerMs: slope, interceptAt: (atMs) => b + slope * (atMs - t0) };
}

/**
 * The trend of `points` relative to `baselineOhm`, with the date the line reaches
 * baselineOhm x (1 + limitPercent / 100); null while there are too few points or too short a span.
 */
export function riTrend(points: readonly RiPoint[], baselineOhm: number, limitPercent: number): RiTrend | null {
  if (points.length < RI_TREND_MIN_POINTS || !(baselineOhm > 0)) return null;
  const spanDays = (points[points.length - 1].atMs - points[0].atMs) / 86_400_000;
  if (spanDays < RI_TREND_MIN_SPAN_DAYS) return null;
  const fit = theilSen(points);
  if (!fit) return null;
  const percentPerYear = ((fit.slopePerMs * YEAR_MS) / baselineOhm) * 100;
  let endOfLifeAtMs: number | null = null;
  const limitOhm = baselineOhm * (1 + limitPercent / 100);
  // A rise smaller than 0.5 %/year is no rise a projection could stand on.
  if (percentPerYear >= 0.5) {
    const t0 = points[0].atMs;
    endOfLifeAtMs = Math.round(t0 + (limitOhm - fit.interceptAt(t0)) / fit.slopePerMs);
  }
  return { percentPerYear: Math.round(percentPerYear * 100) / 100, endOfLifeAtMs, points: points.length, spanDays: Math.round(spanDays * 10) / 10 };
}

/**
 * Adds a reading to a bounded series: readings in the same bucket (one day at first) are averaged;
 * beyond `maxPoints` neighbouring buckets merge and the bucket doubles, so years fit in a fixed size.
 */
export function addRiReading(series: { bucketMs: number; points: RiPoint[] }, atMs: number, ohm: number, maxPoints = 256): void {
  const bucket = Math.floor(atMs / series.bucketMs);
  const last = series.points[series.points.length - 1];
  if (last && Math.floor(last.atMs / series.bucketMs) === bucket) {
    const n = last.n + 1;
    series.points[series.points.length - 1] = { atMs: last.atMs + (atMs - last.atMs) / n, ohm: last.ohm + (ohm - last.ohm) / n, n };
  } else {
    series.points.push({ atMs, ohm, n: 1 });
  }
  if (series.points.length > maxPoints) {
    series.bucketMs *= 2;
    const merged: RiPoint[] = [];
    for (const p of series.points) {
      const q = merged[merged.length - 1];
      if (q && Math.floor(q.atMs / series.bucketMs) === Math.floor(p.atMs / series.bucketMs)) {
        const n = q.n + p.n;
        merged[merged.length - 1] = { atMs: (q.atMs * q.n + p.atMs * p.n) / n, ohm: (q.ohm * q.n + p.ohm * p.n) / n, n };
      } else {
        merged.push(p);
      }
    }
    series.points = merged;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
