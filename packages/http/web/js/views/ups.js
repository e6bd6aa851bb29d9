// The UPS: battery, input, output, bypass, the last test and the settings (RFC 1628 groups);
// battery tests for admins.
import { h, clear } from '../dom.js';
import { fmt, fmtTime } from '../status.js';

export const title = 'UPS';

const SOURCE_TEXT = { normal: 'Mains (normal)', battery: 'ON BATTERY', bypass: 'Bypass', none: 'No output', other: 'Other', booster: 'Booster', reducer: 'Reducer' };
const BATTERY_LEVEL = { normal: 'ok', low: 'warn', depleted: 'alarm', unknown: 'unknown' };

export function mount(el, ctx) {
  const { store } = ctx;
  const body = h('div');
  const admin = ctx.can('admin');
  const testButtons = ['quick', 'deep', 'abort'].map((t) => h('button', { type: 'button', 'data-test': t, onclick: (e) => runTest(t, e.currentTarget) },
    t === 'abort' ? 'Abort test' : `Start ${t} test`));
  el.append(h('div', { class: 'page-head' }, h('h1', null, 'UPS'),
    admin ? h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Battery test' }, testButtons) : h('p', { class: 'muted' }, 'Battery tests need the admin role.')), body);

  async function runTest(test, button) {
    button.disabled = true;
    try {
      const r = await ctx.api('/api/ups/test', { method: 'POST', body: { test } });
      ctx.toast(r?.message ?? `${test} test sent.`);
    } catch (e) {
      ctx.toast(`UPS test refused: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  const dl = (pairs) => h('dl', null, pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

  function render() {
    const u = store.snap.ups;
    clear(body);
    if (!u) {
      body.append(h('p', { class: 'muted' }, 'This site has no UPS (ups.source is none).'));
      return;
    }
    const b = u.battery;
    const onBattery = u.output.source === 'battery';
    body.append(h('div', { class: 'cards' },
      h('section', { class: 'card', 'aria-labelledby': 'ups-state' },
        h('h2', { id: 'ups-state' }, u.ident.name || 'UPS'),
        h('p', { class: `big st-text-${onBattery ? 'alarm' : 'ok'}`, id: 'ups-source' }, SOURCE_TEXT[u.output.source] ?? u.output.source),
        dl([['Battery', h('span', { class: `st-text-${BATTERY_LEVEL[b.status] ?? 'unknown'}` }, b.status)], ['Charge', `${b.estimatedChargeRemainingPercent} %`],
          ['Remaining', `${b.estimatedMinutesRemaining} min`], ['On battery for', `${b.secondsOnBattery} s`], ['Data', `${u.quality}, ${fmtTime(u.atMs)}`]])),
      h('section', { class: 'card', 'aria-labelledby': 'ups-battery' }, h('h2', { id: 'ups-battery' }, 'Battery'),
        dl([['Voltage', `${fmt(b.voltageV, 1)} V`], ['Current', `${fmt(b.currentA, 1)} A`], ['Temperature', `${fmt(b.temperatureC, 1)} °C`]])),
      h('section', { class: 'card', 'aria-labelledby': 'ups-input' }, h('h2', { id: 'ups-input' }, 'Input'),
        dl([['Line faults', String(u.input.lineBads)], ...u.input.lines.flatMap((l, i) => [[`L${i + 1} voltage`, `${fmt(l.voltageV, 0)} V`], [`L${i + 1} frequency`, `${fmt(l.frequencyHz, 1)} Hz`]])])),
      h('section', { class: 'card', 'aria-labelledby': 'ups-output' }, h('h2', { id: 'ups-output' }, 'Output'),
        dl([['Frequency', `${fmt(u.output.frequencyHz, 1)} Hz`], ...u.output.lines.flatMap((l, i) => [[`L${i + 1} voltage`, `${fmt(l.voltageV, 0)} V`], [`L${i + 1} load`, `${l.percentLoad} %`], [`L${i + 1} power`, `${fmt(l.powerW / 1000, 2)} kW`]])])),
      h('section', { class: 'card', 'aria-labelledby': 'ups-test' }, h('h2', { id: 'ups-test' }, 'Last battery test'),
        dl([['Result', u.test.resultsSummary], ['Detail', u.test.resultsDetail || '—'], ['Started', fmtTime(u.test.startTimeMs)], ['Elapsed', `${u.test.elapsedS} s`]])),
      h('section', { class: 'card', 'aria-labelledby': 'ups-ident' }, h('h2', { id: 'ups-ident' }, 'Identity and settings'),
        dl([['Manufacturer', u.ident.manufacturer], ['Model', u.ident.model], ['Firmware', u.ident.upsSoftwareVersion], ['Rating', `${u.config.outputVA} VA / ${u.config.outputPowerW} W`],
          ['Nominal output', `${u.config.outputVoltageV} V ${u.config.outputFrequencyHz} Hz`], ['Low battery warning', `${u.config.lowBattTimeMin} min`], ['Alarm sound', u.config.audibleStatus]]))));
  }

  let last = 0;
  function update(d) {
    // UPS values change every cycle: redraw at most once a second.
    if (!(d.full || d.ups) || (performance.now() - last < 1000 && !d.full)) return;
    last = performance.now();
    render();
  }
  render();
  return { title, update };
}
