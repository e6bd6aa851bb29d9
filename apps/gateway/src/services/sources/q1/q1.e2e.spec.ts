// The q1 UPS source end to end over a real socat pty pair, against `kirchhoff simulate-ups` in
// its own process: values into the site, power failure and communication loss as alarms, and a
// battery test and a delayed shutdown arriving at the UPS as the Q1 bytes NUT would send.
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandInterface, Site } from '@kirchhoff/core';
import { describeWithTools, startProcess, waitFor, TS_REGISTER } from '@kirchhoff/test-support';
import type { GatewayConfig } from '../../../config/types';
import { validate } from '../../../config/schema-dsl';
import { UPS_SCHEMA } from '../config';
import { memoryLogger } from '../../../log';
import type { RunningService } from '../../types';
import type { UpsSource } from '../types';
import { SerialLines } from '../../../serial';
import { upsSourceService } from '..';

const REGISTER = TS_REGISTER;
const COMMAND = join(__dirname, '..', '..', '..', 'commands', 'simulate-ups.ts');

describeWithTools(['socat'], 'q1 UPS source over a socat pty pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-q1-'));
  const gatewayEnd = join(dir, 'gateway');
  const upsEnd = join(dir, 'ups');
  let socat: ReturnType<typeof startProcess>;
  let ups: ChildProcess;
  let upsOut = '';
  let site: Site;
  let service: RunningService<{ readonly ups: UpsSource }> | null;
  const logger = memoryLogger('info');
  const tell = (line: string) => ups.stdin!.write(`${line}\n`);

  beforeAll(async () => {
    socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${gatewayEnd}`, `pty,raw,echo=0,link=${upsEnd}`]);
    await waitFor(() => existsSync(gatewayEnd) && existsSync(upsEnd), 5000, 'socat to create the pty pair');
    ups = spawn('node', ['-r', REGISTER, COMMAND, '--port', upsEnd, '--baud', '2400'], { stdio: ['pipe', 'pipe', 'pipe'] });
    ups.stdout!.on('data', (d) => (upsOut += d));
    ups.stderr!.on('data', (d) => (upsOut += d));
    await waitFor(() => upsOut.includes('emulating a Q1 UPS'), 20_000, `the emulator to start: ${upsOut}`);
    const upsConfig = validate(UPS_SCHEMA, {
      source: 'q1', name: 'UPS-E2E', pollIntervalMs: 300, failAfterMisses: 2, controls: true,
      q1: { port: gatewayEnd, baudRate: 2400, timeoutMs: 2000, runtimeFullLoadMin: 30 }, // longer than a busy machine's pauses
    });
    expect(upsConfig.problems).toEqual([]);
    // The sections this service reads; the rest of the gateway's configuration is not its business.
    const config = { ups: upsConfig.value, modbusSensors: { enabled: false, devices: [] }, sensors: [], strings: [{}], bus: { port: '', baudRate: 115200 }, demo: { enabled: false } } as unknown as GatewayConfig;
    site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }], ups: { ident: { name: 'UPS-E2E' } } });
    const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: 'unused' }) }, { cli: 'all', internal: 'all' });
    service = await upsSourceService.start({ config, site, commands, logger, serialLines: new SerialLines(logger) });
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    if (ups && ups.exitCode === null) {
      ups.kill('SIGTERM');
      await new Promise((r) => ups.once('exit', r));
    }
    await socat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the emulated UPS into the site', async () => {
    const u = await waitFor(() => { const s = site.snapshot().ups!; return s.quality === 'fresh' && s.ident.model ? s : null; }, 10_000, 'a fresh UPS reading');
    expect(u.ident).toMatchObject({ manufacturer: 'Kirchhoff', model: 'Q1-EMU 3k', upsSoftwareVersion: 'V1.2', name: 'UPS-E2E' });
    expect(u.input.lines[0]).toMatchObject({ voltageV: 230.4, frequencyHz: 50 });
    expect(u.output).toMatchObject({ source: 'normal', lines: [{ voltageV: 230.4, percentLoad: 34, currentA: 4.42, powerW: 0 }] });
    expect(u.battery).toMatchObject({ status: 'normal', voltageV: 27.4, estimatedChargeRemainingPercent: 100, temperatureC: 25 });
    expect(service?.provides?.ups.kind).toBe('q1');
  });

  it('raises ups-on-battery on a power failure and clears it when mains returns', async () => {
    tell('load 50');
    tell('mains off');
    await waitFor(() => { site.evaluateAlarms(); return site.snapshot().alarms.some((a) => a.kind === 'ups-on-battery'); }, 5000, 'ups-on-battery');
    expect(site.snapshot().ups!.output.lines[0].percentLoad).toBe(50);
    // 30 min at full load, full battery, half load: 60 min.
    expect(site.snapshot().ups!.battery.estimatedMinutesRemaining).toBe(60);
    tell('mains on');
    await waitFor(() => { site.evaluateAlarms(); return !site.snapshot().alarms.some((a) => a.kind === 'ups-on-battery'); }, 5000, 'ups-on-battery to clear');
  });

  it('sends a battery test and a delayed shutdown as Q1 commands', async () => {
    const test = await service!.provides!.ups.execute({ type: 'ups-test', test: 'quick' });
    expect(test.message).toBe('UPS quick test: sent T');
    await waitFor(() => upsOut.includes('received "T"'), 5000, 'the T command at the UPS');
    await waitFor(() => site.snapshot().ups!.test.resultsSummary === 'inProgress', 5000, 'the test bit');
    const shutdown = await service!.provides!.ups.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 120, startupAfterDelayS: 300 } });
    expect(shutdown.message).toBe('UPS control: sent S02R0005 (output off in 120 s)');
    await waitFor(() => upsOut.includes('received "S02R0005"'), 5000, 'the shutdown at the UPS');
    await service!.provides!.ups.execute({ type: 'ups-control', control: { shutdownAfterDelayS: -1 } });
    await waitFor(() => upsOut.includes('received "C"'), 5000, 'the cancel at the UPS');
  });

  it('reports communication lost when the UPS falls silent, and recovers', async () => {
    tell('silent on');
    await waitFor(() => site.snapshot().ups!.quality === 'stale', 5000, 'stale after one miss');
    await waitFor(() => { site.evaluateAlarms(); return site.snapshot().alarms.some((a) => a.kind === 'ups-communication-lost'); }, 5000, 'ups-communication-lost');
    tell('silent off');
    await waitFor(() => { site.evaluateAlarms(); return site.snapshot().ups!.quality === 'fresh' && !site.snapshot().alarms.some((a) => a.kind === 'ups-communication-lost'); }, 5000, 'recovery');
    expect(logger.lines.filter((l) => /no answer to Q1/.test(String(l.msg)))).toHaveLength(1);
  });
});
