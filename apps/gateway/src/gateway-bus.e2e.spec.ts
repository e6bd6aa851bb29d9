// A configured site on a real serial port: socat pty pair, `kirchhoff simulate-modules` (string
// physics) on one end, the gateway started from a YAML configuration on the other.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, startProcess, waitFor } from '@kirchhoff/test-support';
import { loadConfig } from './config/load';
import { Gateway, startGateway } from './gateway';
import { memoryLogger } from './log';

const BIN = join(__dirname, '..', 'bin', 'kirchhoff.js');

describeWithTools(['socat'], 'gateway --config with a battery bus on a serial port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bus-'));
  const gatewayEnd = join(dir, 'ttyGateway');
  const modulesEnd = join(dir, 'ttyModules');
  let socat: ReturnType<typeof startProcess>;
  let emulator: ReturnType<typeof startProcess>;
  let gw: Gateway;
  const logger = memoryLogger('info');

  beforeAll(async () => {
    socat = startProcess('socat', [`pty,raw,echo=0,link=${gatewayEnd}`, `pty,raw,echo=0,link=${modulesEnd}`]);
    await waitFor(() => existsSync(gatewayEnd) && existsSync(modulesEnd), 5000, 'socat to create the pty pair');
    emulator = startProcess('node', [BIN, 'simulate-modules', '--port', modulesEnd, '--strings', '2', '--modules', '6']);
    const file = join(dir, 'site.yaml');
    writeFileSync(file, [
      'site: { name: Bus test site }',
      'strings: [{ modules: 6 }, { modules: 6 }]',
      `bus: { port: ${gatewayEnd}, baudRate: 115200, pollIntervalMs: 300, timeoutMs: 250 }`,
      'relays: [{ name: Breaker, function: breaker }]',
      'runaway: { breakerRelay: 1 }',
    ].join('\n'));
    gw = await startGateway(loadConfig(file), { logger, cycleMs: 300 });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await emulator?.stop();
    await socat?.stop();
  });

  it('reads every module over the bus, counts its traffic and runs the engines on the readings', async () => {
    await waitFor(() => gw.site.snapshot().modules.every((m) => m.voltageV.quality === 'fresh' && m.communication === 'ok'), 20_000, 'all 12 modules read');
    const snap = gw.site.snapshot();
    for (const m of snap.modules) {
      expect(m.voltageV.value).toBeGreaterThan(12);
      expect(m.voltageV.value).toBeLessThan(15);
      expect(m.temperatureC.value).toBeGreaterThan(0);
    }
    expect(snap.strings[0].sumVoltageV.value).toBeCloseTo(snap.modules.slice(0, 6).reduce((a, m) => a + m.voltageV.value!, 0), 3);
    expect(snap.bus.requests).toBeGreaterThan(0);
    // The SoC engine classifies the string from the readings (charge mode and method per module).
    await waitFor(() => gw.site.snapshot().modules.every((m) => m.socMethod !== 'unknown'), 10_000, 'the SoC engine to classify every module');
  }, 120_000);

  it('identifies a module and measures Ri on demand over the bus through the command interface', async () => {
    await expect(gw.commands.submit({ type: 'module', action: 'identify', string: 2, module: 3 }, { protocol: 'cli' })).resolves.toMatchObject({ ok: true });
    const before = gw.site.snapshot().modules[8].resistanceOhm.atMs;
    await expect(gw.commands.submit({ type: 'module', action: 'measure-ri', string: 2, module: 3 }, { protocol: 'cli' })).resolves.toMatchObject({ ok: true });
    await waitFor(() => gw.site.snapshot().modules[8].resistanceOhm.atMs > before, 15_000, 'a new Ri reading of S02-M03');
    expect(gw.site.snapshot().modules[8].resistanceOhm.value).toBeGreaterThan(0);
    await expect(gw.commands.submit({ type: 'module', action: 'sleep', string: 2, module: 3 }, { protocol: 'cli' })).rejects.toMatchObject({ code: 'unsupported' });
  }, 120_000);

  it('marks modules lost when the bus goes silent, and keeps running', async () => {
    await emulator.stop();
    await waitFor(() => gw.site.snapshot().modules.every((m) => m.communication === 'lost'), 20_000, 'all modules lost');
    await waitFor(() => gw.site.snapshot().alarms.some((a) => a.kind === 'bus-failure'), 5000, 'the bus-failure alarm');
    // One alarm for the dead bus instead of one module-lost alarm per module (issue 19 point 9).
    expect(gw.site.snapshot().alarms.filter((a) => a.kind === 'module-lost' || a.kind === 'bus-failure').map((a) => a.kind)).toEqual(['bus-failure']);
    emulator = startProcess('node', [BIN, 'simulate-modules', '--port', modulesEnd, '--strings', '2', '--modules', '6']);
    await waitFor(() => gw.site.snapshot().modules.every((m) => m.communication === 'ok'), 30_000, 'all modules found again');
  }, 120_000);
});
