// Plots for the service report as inline SVG, drawn on the server: the report stays one file with no
// script and no external resource, prints as it shows, and opens in any browser years later.

export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
  readonly dashed?: boolean;
  readonly width?: number;
  /** false: drawn without a legend entry. */
  readonly legend?: boolean;
  /** Marks each point (sparse series: a daily Ri point, a line of one point). */
  readonly markers?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** x values are ms since the epoch: ticks as dates. */
  readonly xTime?: boolean;
  /** Horizontal reference lines (a limit, the end voltage). */
  readonly hLines?: readonly { readonly y: number; readonly label: string; readonly color?: string }[];
  /** Legend entries beyond this many are summed up in one line. */
  readonly maxLegend?: number;
}

const W = 760;
const H = 300;
const M = { left: 62, right: 34, top: 30, bottom: 44 };
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#ff7f0e', '#aec7e8'];

/** Round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toPrecision(4))));
const dateTick = (ms: number, spanMs: number): string => {
  const iso = new Date(ms).toISOString();
  if (spanMs > 3 * 86_400_000) return iso.slice(0, 10);
  return spanMs > 2 * 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
};

/** [lo, hi] of the values with `pad` of the span either side; a single value gets `half` either side (default 5 % of it). */
function extent(values: number[], pad: number, half?: number): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const h = half ?? (Math.abs(lo) * 0.05 || 1);
    lo -= h;
    hi += h;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** A line chart; a chart without data says so in its frame instead of drawing empty axes. */
export function lineChart(c: LineChart): string {
  const drawn = c.series.filter((s) => s.points.length > 0);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}">`
    + `<text x="${W / 2}" y="18" text-anchor="middle" class="title">${escapeXml(c.title)}</text>`;
  if (!drawn.length) return `${head}<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" class="frame"/><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="none">no data in this period</text></svg>`;
  const xs = drawn.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...drawn.flatMap((s) => s.points.map((p) => p[1])), ...(c.hLines ?? []).map((l) => l.y)];
  // One point in time: a day either side (5 % of the epoch would be years).
  const [x0, x1] = extent(xs, 0, c.xTime ? 86_400_000 : undefined);
  const [y0, y1] = extent(ys, 0.05);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [head, `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="frame"/>`];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" class="grid"/><text x="${M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  const xTicks = c.xTime ? ticks(x0, x1, 5) : ticks(x0, x1, 8);
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" class="grid"/><text x="${px(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle" class="tick">${escapeXml(c.xTime ? dateTick(t, x1 - x0) : fmt(t))}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="axis">${escapeXml(c.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(c.yLabel)}</text>`);
  for (const l of c.hLines ?? []) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(l.y).toFixed(1)}" y2="${py(l.y).toFixed(1)}" stroke="${l.color ?? '#d62728'}" stroke-dasharray="6 4" class="ref"/><text x="${M.left + pw - 4}" y="${(py(l.y) - 4).toFixed(1)}" text-anchor="end" class="tick" fill="${l.color ?? '#d62728'}">${escapeXml(l.label)}</text>`);
  }
  drawn.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const xy = s.points.map(([x, y]) => [px(x).toFixed(1), py(y).toFixed(1)] as const);
    // A line needs two points; a single one shows as its marker only.
    if (xy.length > 1) parts.push(`<polyline data-series="${escapeXml(s.name)}" points="${xy.map(([x, y]) => `${x},${y}`).join(' ')}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.5}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}><title>${escapeXml(s.name)}</title></polyline>`);
    if (s.markers || xy.length === 1) parts.push(`<g class="markers" data-series="${escapeXml(s.name)}" fill="${color}">${xy.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="2.5"/>`).join('')}</g>`);
  });
  const max = c.maxLegend ?? 10;
  const named = drawn.map((s, i) => ({ s, color: s.color ?? PALETTE[i % PALETTE.length] })).filter((x) => x.s.legend !== false);
  named.slice(0, max).forEach(({ s, color }, i) => {
    const y = M.top + 12 + i * 14;
    parts.push(`<line x1="${M.left + 8}" x2="${M.left + 26}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/><text x="${M.left + 30}" y="${y}" class="legend">${escapeXml(s.name)}</text>`);
  });
  if (named.length > max) parts.push(`<text x="${M.left + 30}" y="${M.top + 12 + max * 14}" class="legend">and ${named.length - max} more</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
  readonly title?: string;
}

/** A bar chart (one bar per block, in the order given), with optional reference lines. */
export function barChart(c: { readonly title: string; readonly yLabel: string; readonly bars: readonly Bar[]; readonly hLines?: LineChart['hLines']; readonly yMin?: number }): string {
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}">`
    + `<text x="${W / 2}" y="18" text-anchor="middle" class="title">${escapeXml(c.title)}</text>`;
  if (!c.bars.length) return `${head}<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" class="frame"/><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="none">no data</text></svg>`;
  const values = [...c.bars.map((b) => b.value), ...(c.hLines ?? []).map((l) => l.y)];
  const [lo, hi] = extent(values, 0.08);
  const y0 = c.yMin ?? lo;
  const y1 = hi;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const py = (y: number) => M.top + ph - ((Math.max(y0, y) - y0) / (y1 - y0)) * ph;
  const slot = pw / c.bars.length;
  const parts: string[] = [head, `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="frame"/>`];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" class="grid"/><text x="${M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  const every = Math.ceil(c.bars.length / 40);
  c.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.15;
    const top = py(b.value);
    parts.push(`<rect class="bar" data-value="${b.value}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(M.top + ph - top).toFixed(1)}" fill="${b.color ?? '#1f77b4'}"><title>${escapeXml(b.title ?? `${b.label}: ${fmt(b.value)}`)}</title></rect>`);
    if (i % every === 0) parts.push(`<text transform="translate(${(x + slot * 0.35).toFixed(1)} ${M.top + ph + 8}) rotate(45)" class="tick small">${escapeXml(b.label)}</text>`);
  });
  for (const l of c.hLines ?? []) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(l.y).toFixed(1)}" y2="${py(l.y).toFixed(1)}" stroke="${l.color ?? '#d62728'}" stroke-dasharray="6 4" class="ref"/><text x="${M.left + pw - 4}" y="${(py(l.y) - 4).toFixed(1)}" text-anchor="end" class="tick" fill="${l.color ?? '#d62728'}">${escapeXml(l.label)}</text>`);
  }
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(c.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
