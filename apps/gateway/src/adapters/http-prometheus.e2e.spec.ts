// /metrics as a real Prometheus sees it: promtool lints the exposition, a Prometheus server scrapes
// the demo gateway with a viewer login, and every query of the Grafana dashboard in docs/ returns
// series from it (so the dashboard only asks for metrics that exist, with the labels they have).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, freeTcpPort, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { parseFault } from '../demo/faults';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'docs', 'grafana-dashboard.json');
const VIEWER = { username: 'viewer', password: 'kirchhoff-viewer' };

interface Panel { title: string; targets: { expr: string }[] }
const dashboardQueries = (): { panel: string; expr: string }[] =>
  (JSON.parse(readFileSync(DASHBOARD, 'utf8')).panels as Panel[]).flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
/** The dashboard's variables as Grafana fills them in: every string, a rate window of a minute. */
const expand = (expr: string) => expr.replace(/\$string/g, '.*').replace(/\$__rate_interval/g, '1m');

describeWithTools(['prometheus', 'promtool'], 'Prometheus and the Grafana dashboard', () => {
  let gw: Gateway;
  let metricsUrl: string;
  let prom: ReturnType<typeof startProcess>;
  let promUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-prometheus-'));
    const config = finishConfig(applySets(demoConfig(), ['http.port=0', 'http.host=127.0.0.1', 'modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false',
      'mqtt.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false', `history.path=${join(dir, 'history.db')}`]));
    // A lost module, so the dashboard's "lost" query has a series to show.
    gw = await startGateway(config, { logger: memoryLogger('warn'), cycleMs: 500, faults: [parseFault('module-lost:2:4')] });
    const port = Number(gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(':').pop());
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const promPort = await freeTcpPort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: kirchhoff',
      `    basic_auth: { username: ${VIEWER.username}, password: ${VIEWER.password} }`,
      `    static_configs: [{ targets: ['127.0.0.1:${port}'] }]`,
    ].join('\n'));
    prom = startProcess('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
  });

  afterAll(async () => {
    await prom?.stop();
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  };

  it('promtool finds nothing to lint in /metrics', async () => {
    const auth = Buffer.from(`${VIEWER.username}:${VIEWER.password}`).toString('base64');
    const text = await (await fetch(metricsUrl, { headers: { authorization: `Basic ${auth}` } })).text();
    expect(text).toMatch(/^kirchhoff_module_voltage_volts\{string="1",module="1"\} 1\d\.\d+$/m);
    const lint = await run('promtool', ['check', 'metrics'], { input: text, timeoutMs: 30_000 });
    expect({ code: lint.code, out: lint.stdout + lint.stderr }).toEqual({ code: 0, out: '' });
  });

  it('a real Prometheus scrapes it with a viewer login, one series per block', async () => {
    // Two scrapes at least, so that rate() in the dashboard has two samples.
    await waitFor(async () => {
      const up = await query('up{job="kirchhoff"}').catch(() => []);
      const scrapes = await query('count_over_time(up{job="kirchhoff"}[1m])').catch(() => []);
      return up[0]?.value[1] === '1' && Number(scrapes[0]?.value[1] ?? 0) >= 3;
    }, 60_000, 'Prometheus to scrape the gateway three times');
    const voltages = await query('kirchhoff_module_voltage_volts');
    // 2 x 20 demo blocks, less the lost one.
    expect(voltages).toHaveLength(39);
    expect(voltages.find((v) => v.metric.string === '2' && v.metric.module === '4')).toBeUndefined();
    expect(await query('kirchhoff_module_up{string="2",module="4"}')).toMatchObject([{ value: [expect.any(Number), '0'] }]);
    const soc = await query('kirchhoff_string_soc_ratio');
    for (const s of soc) expect(Number(s.value[1])).toBeGreaterThan(0.5);
    for (const s of soc) expect(Number(s.value[1])).toBeLessThanOrEqual(1);
    // The health engine's state of health for every block that has Ri readings (not the lost one).
    const soh = await query('kirchhoff_module_soh_ratio');
    expect(soh).toHaveLength(39);
    expect(soh.find((v) => v.metric.string === '2' && v.metric.module === '4')).toBeUndefined();
    for (const s of soh) expect(Number(s.value[1])).toBeGreaterThan(0.5);
    for (const s of soh) expect(Number(s.value[1])).toBeLessThanOrEqual(1);
  });

  it('every query of docs/grafana-dashboard.json returns series', async () => {
    const empty: string[] = [];
    for (const q of dashboardQueries()) if ((await query(expand(q.expr))).length === 0) empty.push(`${q.panel}: ${q.expr}`);
    expect(empty).toEqual([]);
  });

  it('the dashboard names only metrics the gateway exposes', async () => {
    const names = new Set((await query('{job="kirchhoff"}')).map((s) => s.metric.__name__));
    const used = new Set(dashboardQueries().flatMap((q) => q.expr.match(/\bkirchhoff_[a-z_]+/g) ?? []));
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });
});
