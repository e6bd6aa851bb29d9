// Battery health (issue 15, docs/health.md): #/health ranks every block by its state of health with
// each string's summary (#/health?string=2 shows one string); #/health/block/27 shows one block's
// figures, its Ri trend with the end-of-life projection, its capacity in every test and the voltage
// curve of the last capacity test; the capacity tests (running and recorded, newest first) with Start
// and Abort for admins. Figures from /api/battery/health, curves from the data logger.
import { h, setText, svg } from '../dom.js';
import { createChart, PALETTE } from '../chart.js';
import { series } from '../history.js';
import { fmt, fmtTime } from '../status.js';

export const title = 'Health';

export const SOH_METHOD_TEXT = {
  'capacity-test': 'measured in a capacity test',
  discharge: 'measured in a real discharge to the end voltage',
  resistance: 'from the Ri increase over its baseline (an indication)',
  unknown: 'not known yet',
};

const date = (ms) => (ms ? new Date(ms).toLocaleDateString() : '—');

export function mount(el, ctx, route) {
  if (route.params[0] === 'block') return mountBlock(el, ctx, Number(route.params[1]) || 1);
  return mountRanking(el, ctx, Number(route.query.get('string')) || null);
}

function mountRanking(el, ctx, only) {
  const snap = ctx.store.snap;
  const picker = h('select', { id: 'health-string', onchange: (e) => ctx.navigate(e.target.value ? `#/health?string=${e.target.value}` : '#/health') },
    h('option', { value: '', selected: !only }, 'All strings'), snap.strings.map((s) => h('option', { value: s.string, selected: s.string === only }, s.name)));
  const strings = h('tbody');
  const ranking = h('tbody');
  const status = h('p', { class: 'muted', id: 'health-status' }, 'Loading the health record…');
  const plot = h('div', { class: 'chart', id: 'soh-plot' });
  el.append(
    h('div', { class: 'page-head' }, h('h1', null, only ? `Health: ${snap.strings[only - 1]?.name ?? only}` : 'Battery health'), h('label', { for: 'health-string', class: 'inline' }, 'String ', picker)),
    status,
    h('div', { class: 'table-wrap' }, h('table', { id: 'health-strings' },
      h('caption', null, 'Strings: state of health of their blocks, what they can still deliver, and balancing'),
      h('thead', null, h('tr', null, ['String', 'Mean SoH [%]', 'Lowest SoH [%]', 'Remaining [Ah]', 'Current share [%]', 'Balancing'].map((t, i) => h('th', { scope: 'col', class: i && i < 5 ? 'num' : '' }, t)))),
      strings)),
    h('h2', null, 'State of health, weakest blocks first'), plot,
    h('div', { class: 'table-wrap' }, h('table', { id: 'soh-ranking' },
      h('caption', null, 'Blocks ranked by state of health, weakest first'),
      h('thead', null, h('tr', null, ['Rank', 'Block', 'SoH [%]', 'Method', 'Remaining [Ah]', 'Fade [%]', 'Ri increase [%]', 'End of life'].map((t, i) => h('th', { scope: 'col', class: [0, 2, 4, 5, 6].includes(i) ? 'num' : '' }, t)))),
      ranking)),
    testsSection(ctx, only));

  (async () => {
    try {
      const health = await ctx.api('/api/battery/health');
      const label = (g) => ctx.store.snap.modules[g - 1]?.label ?? String(g);
      for (const st of health.strings) {
        if (only && st.string !== only) continue;
        const s = ctx.store.snap.strings[st.string - 1];
        const blocks = health.blocks.filter((b) => b.string === st.string);
        const sohs = blocks.map((b) => b.sohPercent).filter((v) => v !== null);
        const rem = blocks.map((b) => b.remainingCapacityAh);
        strings.append(h('tr', { 'data-string': st.string },
          h('th', { scope: 'row' }, h('a', { href: `#/health?string=${st.string}` }, s?.name ?? `String ${st.string}`)),
          h('td', { class: 'num' }, sohs.length ? fmt(sohs.reduce((a, v) => a + v, 0) / sohs.length, 1) : '—'),
          h('td', { class: 'num' }, sohs.length ? fmt(Math.min(...sohs), 1) : '—'),
          h('td', { class: 'num' }, rem.every((v) => v !== null) && rem.length ? fmt(Math.min(...rem), 1) : '—'),
          h('td', { class: 'num' }, fmt(st.currentSharePercent, 0)),
          h('td', { class: st.balancingDiagnosis ? 'st-text-warn' : '' }, st.balancingDiagnosis ? st.balancingDiagnosis.message : 'works (or not needed)')));
      }
      const ranked = health.blocks.filter((b) => !only || b.string === only)
        .sort((a, b) => (a.sohPercent ?? Infinity) - (b.sohPercent ?? Infinity) || a.global - b.global);
      ranked.forEach((b, i) => ranking.append(h('tr', { 'data-global': b.global },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', null, h('a', { href: `#/health/block/${b.global}` }, label(b.global))),
        h('td', { class: 'num' }, fmt(b.sohPercent, 1)),
        h('td', { title: SOH_METHOD_TEXT[b.sohMethod] ?? b.sohMethod }, b.sohMethod),
        h('td', { class: 'num' }, fmt(b.remainingCapacityAh, 1)),
        h('td', { class: 'num' }, fmt(b.capacityFadePercent, 1)),
        h('td', { class: 'num' }, fmt(b.resistance.increasePercent, 1)),
        h('td', null, date(b.resistance.trend?.endOfLifeAtMs)))));
      plot.append(rankingPlot(ranked.filter((b) => b.sohPercent !== null).slice(0, 40), label));
      setText(status, `As of ${fmtTime(health.atMs)}. SoH from a capacity test or a real discharge where one measured the block, else from its Ri increase (an indication only). Method: docs/health.md.`);
    } catch (e) {
      setText(status, `The health record could not be read: ${e.message}`);
    }
  })();
  return { title: 'Battery health' };
}

/** Bars of the blocks' SoH in ranking order (at most 40: the weakest), with the 80 % end-of-life line. */
const TEST_END_TEXT = { 'end-voltage': 'end voltage reached', 'time-limit': 'time limit', 'discharge-stopped': 'discharge stopped', aborted: 'aborted' };

/**
 * Capacity tests: the running one, every record (tests and recorded mains failures) newest first,
 * and for admins Start (the strings shown, or all) and Abort. A test waits up to an hour for its
 * strings to discharge (a UPS battery test, sent with the test when asked, or a load bank).
 */
function testsSection(ctx, only) {
  const admin = ctx.can('admin');
  const running = h('p', { id: 'test-running', role: 'status' }, 'Looking for a running test…');
  const records = h('tbody');
  const upsTest = h('input', { type: 'checkbox', id: 'test-ups', checked: true });
  const start = h('button', { type: 'button', id: 'test-start', onclick: () => startTest() }, only ? `Start a capacity test of string ${only}` : 'Start a capacity test of every string');
  const abort = h('button', { type: 'button', id: 'test-abort', onclick: () => abortTest() }, 'Abort the test');
  const label = (g) => ctx.store.snap.modules[g - 1]?.label ?? String(g);
  const section = h('section', { 'aria-labelledby': 'tests-head' },
    h('h2', { id: 'tests-head' }, 'Capacity tests'), running,
    admin
      ? h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Capacity test' }, start, h('label', { for: 'test-ups', class: 'inline' }, upsTest, ' start the discharge with a UPS deep battery test'), abort)
      : h('p', { class: 'muted' }, 'Starting a capacity test needs the admin role.'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'capacity-tests' },
      h('caption', null, 'Capacity tests and recorded discharges, newest first'),
      h('thead', null, h('tr', null, ['Started', 'Trigger', 'By', 'Ended', 'String', 'Delivered [Ah]', 'Mean capacity [%]', 'Collapsed early'].map((t, i) => h('th', { scope: 'col', class: i === 5 || i === 6 ? 'num' : '' }, t)))),
      records)));

  async function refresh() {
    try {
      const [health, tests] = await Promise.all([ctx.api('/api/battery/health'), ctx.api('/api/battery/tests', { query: { limit: 50 } })]);
      const t = health.test;
      setText(running, t
        ? `Running: ${t.state === 'waiting' ? 'waiting for strings' : 'recording strings'} ${t.strings.join(', ')} since ${fmtTime(t.startMs)}${t.state === 'running' ? `, ${t.deliveredAh.map((d) => `string ${d.string}: ${fmt(d.ah, 1)} Ah`).join(', ')}` : ''}.`
        : 'No capacity test is running.');
      start.disabled = Boolean(t);
      abort.disabled = !t;
      records.replaceChildren(...tests.flatMap((r) => r.strings.filter((st) => !only || st.string === only).map((st, i) => h('tr', { 'data-test': r.id, 'data-string': st.string },
        h('td', null, i ? '' : fmtTime(r.startMs)), h('td', null, i ? '' : r.trigger), h('td', null, i ? '' : (r.by ?? '—')), h('td', null, i ? '' : (TEST_END_TEXT[r.end] ?? r.end ?? 'running')),
        h('td', null, String(st.string)), h('td', { class: 'num' }, fmt(st.deliveredAh, 1)), h('td', { class: 'num' }, fmt(st.meanCapacityPercent, 1)),
        h('td', { class: st.collapsedEarly.length ? 'st-text-alarm' : '' }, st.collapsedEarly.length ? st.collapsedEarly.map(label).join(', ') : 'none')))));
      if (!records.children.length) records.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No capacity test or recorded discharge yet.')));
    } catch (e) {
      setText(running, `The capacity tests could not be read: ${e.message}`);
    }
  }

  async function startTest() {
    const which = only ? `string ${only}` : 'every string';
    if (!confirm(`Start a capacity test of ${which}? ${upsTest.checked ? 'The UPS is sent a deep battery test and the load runs on the battery' : 'The strings must then be discharged (a UPS battery test or a load bank) within an hour'} until their median block reaches the end voltage.`)) return;
    start.disabled = true;
    try {
      await ctx.api('/api/battery/tests', { method: 'POST', body: { ...(only ? { strings: [only] } : {}), upsTest: upsTest.checked } });
      ctx.toast('Capacity test started.');
    } catch (e) {
      ctx.toast(`Capacity test refused: ${e.message}`, 'error');
    }
    await refresh();
  }

  async function abortTest() {
    abort.disabled = true;
    try {
      const r = await ctx.api('/api/battery/tests/abort', { method: 'POST', body: { upsTest: upsTest.checked } });
      ctx.toast(r?.message ?? 'Capacity test aborted.');
    } catch (e) {
      ctx.toast(`Abort refused: ${e.message}`, 'error');
    }
    await refresh();
  }

  void refresh();
  return section;
}

function rankingPlot(blocks, label) {
  const width = 800;
  const height = 240;
  const m = { l: 40, r: 8, t: 8, b: 58 };
  const lo = Math.max(0, Math.min(75, Math.floor(Math.min(...blocks.map((b) => b.sohPercent), 100) / 5) * 5 - 5));
  const y = (v) => m.t + (height - m.t - m.b) * (1 - (v - lo) / (100 - lo));
  const bw = (width - m.l - m.r) / Math.max(1, blocks.length);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `State of health of the ${blocks.length} weakest blocks, percent` });
  for (let v = lo; v <= 100; v += 5) {
    root.append(svg('line', { class: 'grid', x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), stroke: '#ddd' }),
      svg('text', { x: m.l - 4, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, String(v)));
  }
  blocks.forEach((b, i) => {
    const x = m.l + i * bw;
    const colour = b.sohPercent < 80 ? PALETTE[1] : b.sohPercent < 90 ? PALETTE[9] : PALETTE[0];
    root.append(svg('rect', { x: x + bw * 0.15, y: y(b.sohPercent), width: bw * 0.7, height: y(lo) - y(b.sohPercent), fill: colour, 'data-global': b.global },
      svg('title', null, `${label(b.global)}: ${fmt(b.sohPercent, 1)} % (${b.sohMethod})`)));
    root.append(svg('text', { x: x + bw / 2, y: height - m.b + 12, 'text-anchor': 'end', 'font-size': 10, transform: `rotate(-60 ${x + bw / 2} ${height - m.b + 12})` }, label(b.global)));
  });
  if (lo < 80) root.append(svg('line', { x1: m.l, x2: width - m.r, y1: y(80), y2: y(80), stroke: PALETTE[1], 'stroke-dasharray': '6 4', 'data-line': 'end-of-life' }));
  return root;
}

function mountBlock(el, ctx, global) {
  const snap = ctx.store.snap;
  const m = snap.modules[Math.min(Math.max(1, global), snap.modules.length) - 1];
  const figures = h('dl', { class: 'figures', id: 'block-health' });
  const status = h('p', { class: 'muted', id: 'block-status' }, 'Loading…');
  const riChart = createChart({ label: `${m.label} Ri and its end-of-life projection [mΩ]`, unit: 'mΩ', digits: 3, height: 260 });
  const testChart = createChart({ label: `${m.label} voltage in the last capacity test [V]`, unit: 'V', digits: 3, height: 260 });
  const capacities = h('tbody');
  const testNote = h('p', { class: 'muted', id: 'test-note' });
  el.append(
    h('div', { class: 'page-head' }, h('h1', null, `Health: ${m.label}`), h('a', { href: `#/health?string=${m.string}` }, `All blocks of ${snap.strings[m.string - 1].name}`)),
    status, figures,
    h('h2', null, 'Ri trend and end-of-life projection'), h('div', { id: 'ri-chart' }, riChart.el),
    h('h2', null, 'Capacity in every test and discharge'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'capacity-history' },
      h('thead', null, h('tr', null, ['Date', 'Record', 'Capacity C10 25 °C [Ah]', 'Of rated [%]', 'How', 'Collapsed early'].map((t, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : '' }, t)))),
      capacities)),
    h('h2', null, 'Last capacity test'), testNote, h('div', { id: 'test-chart' }, testChart.el));

  const row = (label, value) => [h('dt', null, label), h('dd', null, value)];
  (async () => {
    try {
      const b = await ctx.api(`/api/battery/health/modules/${m.global}`);
      const r = b.resistance;
      figures.append(...[
        row('State of health', `${fmt(b.sohPercent, 1)} % (${SOH_METHOD_TEXT[b.sohMethod] ?? b.sohMethod})`),
        row('Remaining capacity', `${fmt(b.remainingCapacityAh, 1)} Ah of ${fmt(b.ratedCapacityAh, 0)} Ah rated (C10, 25 °C)`),
        row('Capacity fade', `${fmt(b.capacityFadePercent, 1)} %`),
        row('Ri baseline', r.baselineOhm === null ? '—' : `${fmt(r.baselineOhm * 1000, 3)} mΩ (${r.baselineSource}, ${date(r.baselineAtMs)})`),
        row('Ri increase', `${fmt(r.increasePercent, 1)} % (end of life at +${r.endOfLifeLimitPercent} %)`),
        row('Ri trend', r.trend ? `${fmt(r.trend.percentPerYear, 1)} % a year over ${fmt(r.trend.spanDays, 0)} days` : 'not enough float readings yet (5 over 7 days)'),
        row('Expected end of life', r.trend?.endOfLifeAtMs ? date(r.trend.endOfLifeAtMs) : 'Ri does not rise'),
        row('Equivalent full cycles', fmt(b.throughput.equivalentFullCycles, 2)),
        row('Round-trip efficiency', b.roundTripEfficiencyPercent === null ? '—' : `${fmt(b.roundTripEfficiencyPercent, 1)} %`),
        row('Mean temperature', b.temperature.meanC === null ? '—' : `${fmt(b.temperature.meanC, 1)} °C, expected life ${fmt(b.temperature.expectedLifeYears, 1)} of ${b.temperature.designLifeYears} years`),
        row('Deep discharges', String(b.deepDischarges)),
      ].flat());
      setText(status, `Block ${m.global}: ${m.label}.`);
      await drawRi(b);
      await drawCapacities();
    } catch (e) {
      setText(status, `The health record could not be read: ${e.message}`);
    }
  })();

  async function drawRi(b) {
    const r = b.resistance;
    const now = Date.now();
    // From the baseline (at least the last hour) to now, or to the projected end of life.
    const from = Math.min(r.baselineAtMs ?? now, now - 3_600_000);
    let points = [];
    try {
      points = (await series(`string/${m.string}/module/${m.module}`, 'resistanceOhm', from, now + 1)).map(([t, v]) => [t, v == null ? null : v * 1000]);
    } catch {
      // No history: the projection alone.
    }
    const out = [{ id: 'ri', name: 'Ri', color: PALETTE[0], points }];
    if (r.baselineOhm !== null) {
      const limit = r.baselineOhm * 1000 * (1 + r.endOfLifeLimitPercent / 100);
      const end = r.trend?.endOfLifeAtMs ?? now;
      out.push({ id: 'baseline', name: 'Baseline', color: PALETTE[2], points: [[from, r.baselineOhm * 1000], [end, r.baselineOhm * 1000]] });
      out.push({ id: 'limit', name: `End-of-life limit (+${r.endOfLifeLimitPercent} %)`, color: PALETTE[1], points: [[from, limit], [end, limit]] });
      if (r.trend?.endOfLifeAtMs && r.latestOhm !== null) out.push({ id: 'projection', name: 'Projection', color: PALETTE[3], points: [[now, r.latestOhm * 1000], [r.trend.endOfLifeAtMs, limit]] });
    }
    riChart.setData(out);
  }

  async function drawCapacities() {
    let history = [];
    try {
      history = await ctx.api(`/api/battery/health/modules/${m.global}/capacity`);
    } catch (e) {
      if (e.code !== 'no-logger') throw e;
    }
    for (const c of history) {
      capacities.append(h('tr', null, h('td', null, fmtTime(c.startMs)), h('td', null, `#${c.testId} ${c.trigger}`),
        h('td', { class: 'num' }, fmt(c.capacityC10At25Ah, 1)), h('td', { class: 'num' }, fmt(c.capacityPercent, 1)), h('td', null, c.capacityMethod), h('td', null, c.collapsedEarly ? 'yes' : 'no')));
    }
    if (!history.length) capacities.append(h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No capacity test or deep discharge has measured this block yet.')));
    const last = history[history.length - 1];
    if (!last) {
      setText(testNote, 'No capacity test yet: start one from the API (POST /api/battery/tests) or the scheduler.');
      return;
    }
    const samples = await ctx.api(`/api/battery/tests/${last.testId}/samples`, { query: { string: m.string, limit: 100000 } });
    const i = m.module - 1;
    testChart.setData([{ id: 'voltage', name: `${m.label} voltage`, color: PALETTE[0], points: samples.map((x) => [x.atMs, x.voltagesV[i]]) }]);
    setText(testNote, `Record #${last.testId} (${last.trigger}), ${fmtTime(last.startMs)}: ${samples.length} samples.`);
  }

  return { title: `Health ${m.label}` };
}
