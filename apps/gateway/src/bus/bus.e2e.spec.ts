// The bus driver end to end over a real socat pty pair at 115200 baud, with
// `kirchhoff simulate-modules` (string physics, paced like a real line) on the other end:
// 16 x 32 modules read with zero errors; the emulator killed mid-cycle and restarted.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Site } from '@kirchhoff/core';
import { describeWithTools, startProcess, waitFor, TS_REGISTER } from '@kirchhoff/test-support';
import { memoryLogger } from '../log';
import { ModuleEmulator } from './emulator';
import { createFixedBank } from './fixed-bank';
import { BusDriver, CycleReport } from './driver';
import { SerialTransport } from '../serial/port';

const STRINGS = 16;
const MODULES = 32;
const BAUD = 115200;
// A pty hop on a busy shared machine is sometimes late by tens of ms, which a real line is not;
// the generous timeout keeps that from counting as an error. It costs nothing while modules answer.
const TIMEOUT_MS = 250;
const REGISTER = TS_REGISTER;
const COMMAND = join(__dirname, '..', 'commands', 'simulate-modules.ts');

describeWithTools(['socat'], 'module bus over a socat pty pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bus-'));
  const masterPath = join(dir, 'master');
  const modulesPath = join(dir, 'modules');
  let socat: ReturnType<typeof startProcess>;
  let emulator: ReturnType<typeof startProcess> | null = null;
  let transport: SerialTransport;
  let driver: BusDriver;
  const layout = Array.from({ length: STRINGS }, () => ({ modules: MODULES, moduleType: 'C20' as const }));
  const site = new Site({ strings: layout });
  const logger = memoryLogger('info');

  const startEmulator = async () => {
    const p = startProcess('node', ['-r', REGISTER, COMMAND, '--port', modulesPath, '--strings', String(STRINGS), '--modules', String(MODULES), '--baud', String(BAUD)]);
    await waitFor(() => p.output().includes('emulating'), 20_000, `the emulator to start: ${p.output()}`);
    return p;
  };

  beforeAll(async () => {
    socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${masterPath}`, `pty,raw,echo=0,link=${modulesPath}`]);
    await waitFor(() => existsSync(masterPath) && existsSync(modulesPath), 5000, 'socat to create the pty pair');
    emulator = await startEmulator();
    transport = new SerialTransport({ path: masterPath, baudRate: BAUD, logger, raiseModemLines: true });
    await transport.open();
    driver = new BusDriver({
      site, logger, ports: [{ transport, baudRate: BAUD, strings: layout.map((_, i) => i + 1) }],
      pollIntervalMs: 0, timeoutMs: TIMEOUT_MS, retries: 1, lostAfterMisses: 3, lostProbeMinMs: 500, lostProbeMaxMs: 2000,
    });
  }, 120_000);

  afterAll(async () => {
    await driver?.stop();
    await transport?.close();
    await emulator?.stop();
    await socat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads 16 x 32 modules in full cycles with zero errors', async () => {
    const reports: CycleReport[] = [];
    for (let i = 0; i < 5; i++) reports.push(await driver.runCycle());
    for (const r of reports) expect(r).toMatchObject({ read: 512, missed: 0 });
    // One range read per string per cycle, and nothing garbled or refused. The emulator is another
    // process: a busy machine can pause it past the 250 ms timeout, and then the retry (one more
    // request) reads what was missing; only then may timeouts and a late answer's bytes appear.
    const stats = driver.stats();
    expect(stats).toMatchObject({ crcErrors: 0, refused: 0 });
    expect(stats.requests).toBe(5 * STRINGS + stats.retries);
    if (stats.retries === 0) expect(stats).toMatchObject({ timeouts: 0, dropped: 0, garbageBytes: 0, unexpected: 0 });
    const snap = site.snapshot();
    expect(snap.bus).toMatchObject({ requests: stats.requests, timeouts: stats.timeouts, crcErrors: 0, retries: stats.retries });
    for (const m of snap.modules) {
      expect(m).toMatchObject({ communication: 'ok', fuse: 'ok', voltageV: { quality: 'fresh' }, temperatureC: { quality: 'fresh' } });
      // Float voltage of a 12 V block, as the physics sets it (13.62 V +- the initial spread).
      expect(m.voltageV.value).toBeGreaterThan(13.0);
      expect(m.voltageV.value).toBeLessThan(14.3);
      expect(m.resistanceOhm.value).toBeGreaterThan(0);
    }
  }, 120_000);

  it('marks every module lost when the emulator dies mid-cycle, keeps cycling, and recovers them on restart', async () => {
    let cycles = 0;
    const reports: CycleReport[] = [];
    driver.onCycle((r) => {
      cycles++;
      reports.push(r);
    });
    driver.start();
    await waitFor(() => cycles >= 2, 10_000, 'two cycles');
    // About half-way through the next cycle (one takes ~0.75 s at 115200 baud), no goodbye.
    await new Promise((r) => setTimeout(r, 300));
    const killed = emulator!;
    killed.child.kill('SIGKILL');
    await killed.stop();
    emulator = null;

    await waitFor(() => site.snapshot().modules.every((m) => m.communication === 'lost'), 60_000, 'every module lost');
    // The kill landed inside a cycle: that cycle read some strings and missed the rest.
    expect(reports.some((r) => r.read > 0 && r.read < STRINGS * MODULES)).toBe(true);
    // One bus-failure alarm for the dead bus, not one module-lost alarm per module (issue 19 point 9).
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.kind)).toEqual(['bus-failure']);
    expect(site.snapshot().modules.every((m) => m.voltageV.quality === 'stale')).toBe(true);
    expect(driver.stats().timeouts).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.msg === 'modules lost: no answer' && l.level === 'warn')).toBe(true);

    // The driver never stops: cycles keep coming while nobody answers.
    const during = cycles;
    await waitFor(() => cycles >= during + 2, 20_000, 'cycles while the bus is silent');

    emulator = await startEmulator();
    await waitFor(() => site.snapshot().modules.every((m) => m.communication === 'ok' && m.voltageV.quality === 'fresh'), 30_000, 'every module back');
    site.evaluateAlarms();
    expect(site.snapshot().alarms.filter((a) => a.kind === 'module-lost' || a.kind === 'bus-failure')).toHaveLength(0);

    // And back to clean cycles.
    const before = driver.stats();
    const after = cycles;
    await waitFor(() => cycles >= after + 2, 10_000, 'two more cycles');
    expect(reports.slice(-2).every((r) => r.read === STRINGS * MODULES && r.missed === 0)).toBe(true);
    // No answer garbled. (Timeouts are not counted here: on a busy machine the emulator process can
    // pause past the 250 ms timeout, and the retry then reads the module, which is what counts.)
    const now = driver.stats();
    expect(now.crcErrors - before.crcErrors).toBe(0);
  }, 180_000);
});

describeWithTools(['socat'], 'module bus when the serial port itself disappears', () => {
  it('keeps cycling while the port is gone and recovers when it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bus-'));
    const masterPath = join(dir, 'master');
    const modulesPath = join(dir, 'modules');
    const startSocat = async () => {
      const p = startProcess('socat', [`pty,raw,echo=0,link=${masterPath}`, `pty,raw,echo=0,link=${modulesPath}`]);
      await waitFor(() => existsSync(masterPath) && existsSync(modulesPath), 5000, 'socat to create the pty pair');
      return p;
    };
    let socat = await startSocat();
    const logger = memoryLogger('info');
    const layout = [{ modules: 8, moduleType: 'C20' as const }];
    const site = new Site({ strings: layout });
    // Both ends reopen their port on their own, as a gateway and a USB converter would.
    const moduleSide = new SerialTransport({ path: modulesPath, baudRate: BAUD, logger: logger.child('emulator'), reopenMs: 200 });
    await moduleSide.open();
    const emulator = new ModuleEmulator({ bank: createFixedBank(layout), transport: moduleSide, logger: logger.child('emulator'), paceBaud: BAUD });
    emulator.start();
    const transport = new SerialTransport({ path: masterPath, baudRate: BAUD, logger, reopenMs: 200 });
    await transport.open();
    const driver = new BusDriver({ site, logger, ports: [{ transport, baudRate: BAUD, strings: [1] }], pollIntervalMs: 100, timeoutMs: TIMEOUT_MS, lostProbeMinMs: 200, lostProbeMaxMs: 500 });
    let cycles = 0;
    driver.onCycle(() => cycles++);
    try {
      driver.start();
      await waitFor(() => site.snapshot().modules.every((m) => m.communication === 'ok'), 10_000, 'modules read');
      await socat.stop();
      await waitFor(() => site.snapshot().modules.every((m) => m.communication === 'lost'), 20_000, 'modules lost with the port');
      expect(logger.lines.some((l) => l.msg === 'serial port closed; reopening')).toBe(true);
      const during = cycles;
      await waitFor(() => cycles >= during + 3, 10_000, 'cycles without a port');
      expect(driver.stats().dropped).toBeGreaterThan(0);

      socat = await startSocat();
      await waitFor(() => site.snapshot().modules.every((m) => m.communication === 'ok' && m.voltageV.quality === 'fresh'), 20_000, 'modules back with the port');
    } finally {
      await driver.stop();
      await emulator.stop();
      await transport.close();
      await moduleSide.close();
      await socat.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
