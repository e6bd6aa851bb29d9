// Web pages benchmark in Debian's Chromium (playwright-core) against the in-process 16 x 32 demo:
// the first render of the overview, and the time to apply one second of live updates for 512
// modules. Peers in the same run: the browser parsing the identical overview DOM as HTML
// (innerHTML), and a full rebuild of the overview for the same updates.
// Run: npx tsx bench/web-render.ts  (packages built: npm run build)
import { launchChromium, logIn, startDemo } from '../web-tests/harness';

const RUNS = Number(process.env.RUNS ?? 9);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const demo = await startDemo({ strings: 16, modules: 32, cycleMs: 1000 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    // tsx keeps function names with a __name helper that the page does not have.
    await page.addInitScript('window.__name = (f) => f');
    await logIn(page, demo.url, 'viewer');
    const rendered = () => page.waitForFunction(() => performance.getEntriesByName('kirchhoff:overview-rendered').length > 0);

    // 1. First render: navigation start to the overview drawn from the live snapshot.
    const firstRender: number[] = [];
    const fromSnapshot: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      await rendered();
      const [total, snap] = await page.evaluate(() => ['kirchhoff:overview-rendered', 'kirchhoff:snapshot'].map((n) => performance.getEntriesByName(n)[0].startTime));
      firstRender.push(total);
      fromSnapshot.push(total - snap);
    }
    const tiles = await page.locator('a.tile').count();

    // 2. The overview built from the snapshot (DOM, statuses, layout) vs parsing the same DOM as HTML.
    const build = await page.evaluate((runs) => {
      const k = (window as unknown as { kirchhoff: { store: { dirty: { full: boolean }; flush(): void } } }).kirchhoff;
      const out: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        k.store.dirty.full = true;
        k.store.flush();
        void document.body.offsetHeight;
        out.push(performance.now() - t0);
      }
      return out;
    }, RUNS);

    // 3. One second of live updates: every module's voltage, temperature, Ri and SoC changes once,
    // in four batches as the API sends them (http.live.batchMs 250), with the strings' derived values.
    const live = await page.evaluate((runs) => {
      type M = { value: number | null; atMs: number; quality: string };
      type Snap = { modules: { string: number; module: number; voltageV: M; temperatureC: M; resistanceOhm: M; socPercent: M }[]; strings: { string: number; sumVoltageV: M; targetVoltageV: M; spreadV: M; dcCurrentA: M; powerW: M }[] };
      const k = (window as unknown as { kirchhoff: { store: { snap: Snap; frame: number; dirty: { full: boolean }; applyValues(b: unknown): void; flush(): void } } }).kirchhoff;
      const store = k.store;
      let tick = 0;
      const second = () => {
        tick++;
        const now = Date.now();
        const batches: { version: number; atMs: number; changes: unknown[] }[] = [0, 1, 2, 3].map((b) => ({ version: tick * 4 + b, atMs: now + b * 250, changes: [] }));
        store.snap.modules.forEach((m, i) => {
          const b = batches[i % 4];
          const jitter = ((i * 7919 + tick * 104729) % 200 - 100) / 100000;
          for (const [field, meas, d] of [['voltageV', m.voltageV, jitter], ['temperatureC', m.temperatureC, jitter * 10], ['resistanceOhm', m.resistanceOhm, jitter / 1000], ['socPercent', m.socPercent, jitter * 100]] as const) {
            if (meas.value !== null) b.changes.push({ id: `string/${m.string}/module/${m.module}`, field, value: meas.value + d, quality: 'fresh', atMs: now });
          }
        });
        for (const s of store.snap.strings) {
          for (const field of ['sumVoltageV', 'targetVoltageV', 'spreadV', 'dcCurrentA', 'powerW'] as const) {
            const v = s[field].value;
            if (v !== null) batches[3].changes.push({ id: `string/${s.string}`, field, value: v * (1 + tick * 1e-6), quality: 'fresh', atMs: now });
          }
        }
        return batches;
      };
      const run = (full: boolean) => {
        const batches = second();
        const t0 = performance.now();
        for (const b of batches) store.applyValues(b);
        // Render now rather than at the next frame, so only the work is timed.
        cancelAnimationFrame(store.frame);
        store.frame = 0;
        if (full) store.dirty.full = true;
        store.flush();
        void document.body.offsetHeight;
        return { ms: performance.now() - t0, changes: batches.reduce((n, b) => n + b.changes.length, 0) };
      };
      const incremental: number[] = [];
      const rebuild: number[] = [];
      let changes = 0;
      for (let i = 0; i < runs; i++) {
        const a = run(false);
        incremental.push(a.ms);
        changes = a.changes;
        rebuild.push(run(true).ms);
      }
      return { incremental, rebuild, changes };
    }, RUNS);

    // Peer of 2: the identical overview DOM parsed from HTML, with layout (done last: it detaches the app's elements).
    const parse = await page.evaluate((runs) => {
      const main = document.getElementById('main')!;
      const html = main.innerHTML;
      const out: number[] = [];
      for (let i = 0; i < runs; i++) {
        main.innerHTML = '';
        void document.body.offsetHeight;
        const t0 = performance.now();
        main.innerHTML = html;
        void document.body.offsetHeight;
        out.push(performance.now() - t0);
      }
      return out;
    }, RUNS);

    const b = median(build);
    const p = median(parse);
    const inc = median(live.incremental);
    const full = median(live.rebuild);
    console.log(`Chromium ${browser.version()}, 16 strings x 32 modules (${tiles} tiles), ${RUNS} runs, medians:`);
    console.log(`first render, navigation to overview drawn:      ${ms(median(firstRender))} (of which snapshot to drawn: ${ms(median(fromSnapshot))})`);
    console.log(`overview built from the snapshot (with layout):  ${ms(b)}; peer, the same DOM parsed from HTML: ${ms(p)}; ratio ${(b / p).toFixed(2)}`);
    console.log(`one second of live updates (${live.changes} changes):  ${ms(inc)}; peer, a full rebuild for the same updates: ${ms(full)}; ratio ${(inc / full).toFixed(2)}`);
  } finally {
    await browser.close();
    await demo.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
