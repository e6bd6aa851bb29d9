// The service report as one self-contained HTML page (issue 15 point 6): styles inline, plots as
// inline SVG, no script and no external resource, so a technician can mail it or print it to PDF.
import { moduleLabel } from '@kirchhoff/core';
import type { BlockHealth } from '../engine/health';
import type { EventRecord } from '@kirchhoff/history';
import { sohRanking, type ServiceReportData } from './data';
import { barChart, escapeXml as esc, lineChart, type LineSeries } from './svg';

const COLLAPSED = '#d62728';
const day = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 10));
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
const num = (v: number | null | undefined, digits = 1, unit = '') => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(digits)}${unit}`);
const hours = (s: number | null) => (s === null ? '–' : `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`);

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  if (!rows.length) return '<p class="none">None.</p>';
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const STYLE = `
body{font:13px/1.4 "DejaVu Sans",Arial,sans-serif;color:#222;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #1f77b4;padding-bottom:2px;margin-top:28px}h3{font-size:14px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 10px;width:100%}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eef3f8}
td:first-child{white-space:nowrap}td.n,th.n{text-align:right}.meta{color:#555}.none{color:#777;font-style:italic}.bad{color:#d62728;font-weight:bold}
svg.plot{display:block;max-width:100%;height:auto;margin:8px 0;font-family:"DejaVu Sans",Arial,sans-serif}
svg .title{font-size:13px;font-weight:bold}svg .tick{font-size:10px;fill:#444}svg .small{font-size:9px}svg .axis{font-size:11px}svg .legend{font-size:10px}
svg .frame{fill:none;stroke:#999}svg .grid{stroke:#e3e3e3}svg .ref{stroke-width:1.2}svg .none{font-size:12px;fill:#777}
section{page-break-inside:auto}svg.plot,table tr{page-break-inside:avoid}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
`;

function alarmRow(e: EventRecord): string[] {
  const cls = e.action === 'raised' && (e.severity === 'alarm' || e.severity === 'critical') ? ' class="bad"' : '';
  return [esc(time(e.atMs)), `<span${cls}>${esc(e.action)}</span>`, esc(e.severity), esc(e.entity ?? ''), esc(e.alarmKind ?? ''), esc(e.message)];
}

/** Consecutive events of the same category and action (40 life records at a first start) as one run. */
function eventRuns(events: readonly EventRecord[]): EventRecord[][] {
  const runs: EventRecord[][] = [];
  for (const e of events) {
    const last = runs[runs.length - 1];
    if (last && last[0].category === e.category && last[0].action === e.action) last.push(e);
    else runs.push([e]);
  }
  // Short runs are listed in full.
  return runs.flatMap((r) => (r.length <= 3 ? r.map((e) => [e]) : [r]));
}

function summarySection(d: ServiceReportData): string {
  const rows = d.strings.map((s) => {
    const id = s.identity ?? {};
    return [String(s.string), esc(s.name ?? ''), s.modules === null ? '–' : `${s.modules} x ${esc(s.moduleType ?? '')}`, num(s.capacityAh, 0, ' Ah'),
      esc([id.manufacturer, id.model].filter(Boolean).join(' ')), esc(id.serial ?? ''), esc(id.chemistry ?? ''), esc(id.manufactureDate ?? ''), esc(id.commissioningDate ?? '')];
  });
  const replaced = d.strings.flatMap((s) => s.replacements.map((r) => [esc(time(r.atMs)), esc(moduleLabel(s.string, r.position)), esc(r.reason ?? '')]));
  const blocks = d.strings.reduce((a, s) => a + (s.modules ?? 0), 0);
  const voltage: LineSeries[] = d.strings.map((s) => ({ name: `string ${s.string}`, points: s.voltage }));
  return `<section id="summary"><h2>Site summary</h2>
<p>${d.strings.length} string${d.strings.length === 1 ? '' : 's'}, ${blocks} blocks.</p>
${table(['String', 'Name', 'Blocks', 'Rated', 'Manufacturer, model', 'Serial', 'Chemistry', 'Manufactured', 'In service since'], rows)}
<h3>Blocks replaced in the period</h3>${table(['When', 'Block', 'Reason'], replaced)}
${lineChart({ title: 'String voltage over the period', xLabel: 'time (UTC)', yLabel: 'V', series: voltage, xTime: true })}
</section>`;
}

function alarmSection(d: ServiceReportData): string {
  const kinds = Object.entries(d.raisedByKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => [esc(k), `${n}`]);
  const raised = Object.values(d.raisedByKind).reduce((a, b) => a + b, 0);
  return `<section id="alarms"><h2>Alarms</h2>
<p>${raised} alarm${raised === 1 ? '' : 's'} raised in the period.</p>
${table(['Kind', 'Raised'], kinds)}
<h3>Alarm log</h3>${table(['Time', 'Action', 'Severity', 'Where', 'Kind', 'Message'], d.alarms.map(alarmRow))}
${d.alarmsTruncated ? `<p class="meta">Only the first ${d.alarms.length} entries are listed (kirchhoff export --what alarms gives them all).</p>` : ''}
<h3>Events</h3>${table(['Time', 'Category', 'Action', 'Message'], eventRuns(d.events).map((run) => [
    esc(time(run[0].atMs)), esc(run[0].category), esc(run[0].action), run.length === 1 ? esc(run[0].message) : `${esc(run[0].message)} <span class="meta">and ${run.length - 1} more like it to ${esc(time(run[run.length - 1].atMs))}</span>`,
  ]))}
${d.eventsTruncated ? `<p class="meta">Only the first ${d.events.length} events are listed (kirchhoff export --what events gives them all).</p>` : ''}
</section>`;
}

function testsSection(d: ServiceReportData): string {
  if (!d.tests.length) return `<section id="tests"><h2>Capacity tests and discharges</h2><p class="none">No capacity test or recorded discharge started in the period.</p>${d.capacityHistory.length ? capacityHistoryPlot(d) : ''}</section>`;
  const parts = ['<section id="tests"><h2>Capacity tests and discharges</h2>'];
  for (const t of d.tests) {
    const r = t.record;
    parts.push(`<h3>Record ${r.id}: ${esc(r.trigger)} from ${esc(time(r.startMs))}</h3>
<p class="meta">Ended: ${esc(r.end ?? 'running')}${r.endMs !== null ? ` at ${esc(time(r.endMs))}` : ''}; end voltage ${r.endVoltsPerCell} V per cell${r.by ? `; started by ${esc(r.by)}` : ''}.</p>`);
    for (const s of r.strings) {
      const collapsed = new Set(s.endOfDischarge.collapsedEarly);
      parts.push(`<p>String ${s.string}: ${num(s.deliveredAh, 1, ' Ah')} delivered in ${hours(s.durationS)} at ${num(s.meanCurrentA === null ? null : Math.abs(s.meanCurrentA), 1, ' A')} mean; end voltage ${num(s.endVoltageV, 2, ' V')} per block.
${collapsed.size ? `<span class="bad">Collapsed early: ${[...collapsed].map((m) => esc(moduleLabel(s.string, m))).join(', ')}.</span>` : 'No block collapsed early.'}</p>`);
      const curves = t.curves.find((c) => c.string === s.string)?.blocks ?? [];
      const series: LineSeries[] = curves.map((points, i) => ({ name: moduleLabel(s.string, i + 1), points, ...(collapsed.has(i + 1) ? { color: COLLAPSED, width: 2.2, legend: true } : { color: '#7f9fbf', width: 1, legend: false }) }));
      // Collapsed blocks last, so they are drawn on top; only they get a legend entry.
      const ordered = [...series.filter((x) => x.legend === false), ...series.filter((x) => x.legend !== false)];
      parts.push(lineChart({ title: `Record ${r.id}, string ${s.string}: block voltages under load (collapsed early in red)`, xLabel: 'hours since the start', yLabel: 'V', series: ordered, hLines: [{ y: s.endVoltageV, label: `end voltage ${s.endVoltageV.toFixed(2)} V` }] }));
      parts.push(table(['Block', 'Delivered', 'To end voltage', 'Capacity at rate', 'C10 at 25 °C', 'Of rated', 'Mean temp.', 'End voltage', ''], s.blocks.map((b) => [
        esc(moduleLabel(s.string, b.module)), num(b.deliveredAh, 1, ' Ah'), hours(b.timeToEndVoltageS), b.capacityAtRateAh === null ? `≥ ${num(b.atLeastAh, 1, ' Ah')}` : `${num(b.capacityAtRateAh, 1, ' Ah')} (${esc(b.capacityMethod)})`,
        num(b.capacityC10At25Ah, 1, ' Ah'), num(b.capacityPercent, 0, ' %'), num(b.meanTemperatureC, 1, ' °C'), num(b.endVoltageV, 2, ' V'), b.collapsedEarly ? '<span class="bad">collapsed early</span>' : '',
      ]), 'blocks'));
      const ranking = s.endOfDischarge.ranking;
      parts.push(barChart({
        title: `Record ${r.id}, string ${s.string}: voltage at the end of the discharge, ranked (mean ${num(s.endOfDischarge.meanV, 2, ' V')})`, yLabel: 'V',
        bars: ranking.map((x) => ({ label: moduleLabel(s.string, x.module), value: x.voltageV, color: collapsed.has(x.module) ? COLLAPSED : '#1f77b4', title: `${moduleLabel(s.string, x.module)}: ${x.voltageV.toFixed(3)} V, ${x.belowMeanV.toFixed(3)} V below the mean` })),
        hLines: s.endOfDischarge.meanV === null ? [] : [{ y: s.endOfDischarge.meanV, label: 'string mean', color: '#555' }],
      }));
    }
  }
  parts.push(capacityHistoryPlot(d));
  parts.push('</section>');
  return parts.join('\n');
}

/** Each block's capacity in every record: the lowest blocks (by their latest record) drawn. */
function capacityHistoryPlot(d: ServiceReportData): string {
  const latest = (h: ServiceReportData['capacityHistory'][number]) => h.points[h.points.length - 1][1];
  const shown = [...d.capacityHistory].sort((a, b) => latest(a) - latest(b) || a.global - b.global).slice(0, 8);
  const records = new Set(d.capacityHistory.flatMap((h) => h.points.map((p) => p[0]))).size;
  return `<h3>Capacity across records</h3>
<p class="meta">Each block's capacity (C10 at 25 °C, % of rated) in every record that measured it (${records} record${records === 1 ? '' : 's'}, also before the period)${shown.length < d.capacityHistory.length ? `; the ${shown.length} blocks lowest in their latest record are drawn` : ''}.</p>
${lineChart({ title: 'Capacity per block across capacity tests and discharges', xLabel: 'record start (UTC)', yLabel: '% of rated', xTime: true, series: shown.map((h) => ({ name: moduleLabel(h.string, h.module), points: h.points, markers: true })), hLines: [{ y: 80, label: 'end of life 80 %' }] })}`;
}

function healthSection(d: ServiceReportData): string {
  const h = d.health;
  if (!h) return '<section id="health"><h2>State of health</h2><p class="none">This data logger holds no health figures (a gateway writes them hourly and when it stops).</p></section>';
  const ranked = sohRanking(h.blocks);
  const color = (b: BlockHealth) => (b.sohPercent === null ? '#999' : b.sohPercent < 80 ? COLLAPSED : b.sohPercent < 90 ? '#ff7f0e' : '#2ca02c');
  const rows = ranked.map((b) => [
    esc(moduleLabel(b.string, b.module)), num(b.sohPercent, 0, ' %'), esc(b.sohMethod), num(b.remainingCapacityAh, 1, ' Ah'), num(b.ratedCapacityAh, 0, ' Ah'), num(b.capacityFadePercent, 1, ' %'),
    num(b.resistance.increasePercent, 1, ' %'), esc(day(b.resistance.trend?.endOfLifeAtMs ?? null)), num(b.throughput.equivalentFullCycles, 1), String(b.deepDischarges), num(b.temperature.meanC, 1, ' °C'),
  ]);
  return `<section id="health"><h2>State of health</h2>
<p class="meta">Figures as of ${esc(time(h.atMs))}. SoH from a capacity test or deep discharge where one exists (method capacity-test or discharge), otherwise an indication from the Ri increase (resistance); docs/health.md.</p>
${barChart({ title: 'State of health per block, lowest first', yLabel: '%', yMin: 0, bars: ranked.filter((b) => b.sohPercent !== null).map((b) => ({ label: moduleLabel(b.string, b.module), value: Math.round(b.sohPercent! * 10) / 10, color: color(b), title: `${moduleLabel(b.string, b.module)}: ${b.sohPercent!.toFixed(1)} % (${b.sohMethod})` })), hLines: [{ y: 80, label: 'end of life 80 %' }] })}
${table(['Block', 'SoH', 'Method', 'Remaining', 'Rated', 'Capacity fade', 'Ri increase', 'Ri end of life', 'Full cycles', 'Deep discharges', 'Mean temp.'], rows, 'blocks')}
${h.strings.length ? `<h3>Strings</h3>${table(['String', 'Share of the discharge current', 'Round-trip efficiency', 'Balancing'], h.strings.map((s) => [
    String(s.string), num(s.currentSharePercent, 0, ' %'), num(s.roundTripEfficiencyPercent, 1, ' %'), s.balancingDiagnosis ? `<span class="bad">${esc(s.balancingDiagnosis.message)}</span> (${s.balancingDiagnosis.sinceHours.toFixed(0)} h)` : 'works or not needed',
  ]))}` : ''}
</section>`;
}

function riSection(d: ServiceReportData): string {
  const h = d.health;
  const limit = h?.blocks[0]?.resistance.endOfLifeLimitPercent ?? 50;
  const byGlobal = new Map((h?.blocks ?? []).map((b) => [b.global, b]));
  // The blocks whose Ri rose most: a plot of 40 lines says nothing.
  const shown = [...d.ri].sort((a, b) => (byGlobal.get(b.global)?.resistance.increasePercent ?? -Infinity) - (byGlobal.get(a.global)?.resistance.increasePercent ?? -Infinity)).slice(0, 8);
  const series: LineSeries[] = [];
  shown.forEach((b, i) => {
    const color = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#ff7f0e'][i];
    const pct = b.points.map(([t, ohm]) => [t, ((ohm - b.baselineOhm) / b.baselineOhm) * 100] as const);
    series.push({ name: moduleLabel(b.string, b.module), points: pct, color, markers: pct.length <= 120 });
    const trend = byGlobal.get(b.global)?.resistance.trend;
    if (trend?.endOfLifeAtMs && pct.length) {
      const last = pct[pct.length - 1];
      series.push({ name: `${moduleLabel(b.string, b.module)} projection: +${limit} % on ${day(trend.endOfLifeAtMs)}`, points: [[last[0], last[1]], [trend.endOfLifeAtMs, limit]], color, dashed: true });
    }
  });
  const rows = (h?.blocks ?? []).filter((b) => b.resistance.baselineOhm !== null).sort((a, b) => (b.resistance.increasePercent ?? -Infinity) - (a.resistance.increasePercent ?? -Infinity)).map((b) => [
    esc(moduleLabel(b.string, b.module)), num(b.resistance.baselineOhm === null ? null : b.resistance.baselineOhm * 1000, 2, ' mΩ'), esc(b.resistance.baselineSource ?? ''), num(b.resistance.latestOhm === null ? null : b.resistance.latestOhm * 1000, 2, ' mΩ'),
    num(b.resistance.increasePercent, 1, ' %'), num(b.resistance.trend?.percentPerYear ?? null, 1, ' %/year'), esc(day(b.resistance.trend?.endOfLifeAtMs ?? null)),
  ]);
  return `<section id="ri"><h2>Internal resistance trend</h2>
<p class="meta">Ri over the block's baseline, one point a day; the dashed line projects the trend to the end-of-life limit (+${limit} %). ${shown.length < d.ri.length ? `The ${shown.length} blocks whose Ri rose most are drawn.` : ''}</p>
${lineChart({ title: 'Ri increase over the baseline, with the end-of-life projection', xLabel: 'date (UTC)', yLabel: '% over baseline', series, xTime: true, hLines: [{ y: limit, label: `end of life +${limit} %` }], maxLegend: 16 })}
${table(['Block', 'Baseline', 'Baseline from', 'Latest', 'Increase', 'Trend', 'Reaches the limit'], rows, 'blocks')}
</section>`;
}

/** The whole report as an HTML document. */
export function reportHtml(d: ServiceReportData, generator: string): string {
  const title = `Battery service report${d.site.name ? `: ${d.site.name}` : ''}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${esc(title)}</h1>
<p class="meta">Period ${esc(time(d.fromMs))} to ${esc(time(d.toMs))}${d.site.location ? ` · ${esc(d.site.location)}` : ''}${d.site.contact ? ` · contact ${esc(d.site.contact)}` : ''}<br>Generated ${esc(time(d.generatedAtMs))} by ${esc(generator)} from the gateway's data logger.</p></header>
${summarySection(d)}
${alarmSection(d)}
${testsSection(d)}
${healthSection(d)}
${riSection(d)}
</body></html>
`;
}
