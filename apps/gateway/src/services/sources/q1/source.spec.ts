// The Q1 source against the Q1 emulator over an in-memory line: values into the UPS model,
// stale then failed (ups-communication-lost) when the UPS stops answering, tests and shutdowns.
import { CommandError, Site } from '@kirchhoff/core';
import { BusPort } from '../../../bus/port';
import { createMemoryPair } from '../../../bus/transport';
import { memoryLogger } from '../../../log';
import type { UpsConfig } from '../config';
import { SerialLines } from '../../../serial';
import { Q1Emulator } from './emulator';
import { guessBatteryPacks, Q1UpsSource } from './source';

const CONFIG: UpsConfig = {
  source: 'q1', name: 'UPS-Q1', pollIntervalMs: 1000, failAfterMisses: 2, controls: true,
  q1: { port: '/dev/q1', baudRate: 2400, timeoutMs: 100, batteryPacks: 0, runtimeFullLoadMin: 20, ratedPowerW: 2400 },
  snmp: { host: '', port: 161, version: 'v2c', community: '', user: '', securityLevel: 'authPriv', authProtocol: 'sha', authKey: '', privProtocol: 'aes', privKey: '', timeoutMs: 1000, retries: 0 },
};

async function setup(config: UpsConfig = CONFIG) {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const logger = memoryLogger('info');
  const [master, far] = createMemoryPair();
  const emulator = new Q1Emulator(far, { clock });
  const lines = new SerialLines(logger);
  lines.adopt('/dev/q1', new BusPort({ transport: master, baudRate: 2400, timeoutMs: 100, logger }), { baudRate: 2400 });
  const site = new Site({ strings: [{ modules: 2, moduleType: 'C20' }], ups: { ident: { name: 'UPS-Q1' } }, clock });
  const source = new Q1UpsSource({ site, line: await lines.open('/dev/q1', { baudRate: 2400 }), config, logger, clock });
  return { site, source, emulator, logger, advance: (ms: number) => (now += ms) };
}

describe('Q1 UPS source', () => {
  it('maps Q1, I and F into the RFC 1628 UPS state', async () => {
    const { site, source } = await setup();
    expect(await source.poll()).toBe(true);
    const u = site.snapshot().ups!;
    expect(u.quality).toBe('fresh');
    expect(u.ident).toEqual({ manufacturer: 'Kirchhoff', model: 'Q1-EMU 3k', upsSoftwareVersion: 'V1.2', agentSoftwareVersion: 'kirchhoff q1', name: 'UPS-Q1', attachedDevices: '' });
    expect(u.input.lines).toEqual([{ frequencyHz: 50, voltageV: 230.4, currentA: 0, truePowerW: 0 }]);
    expect(u.output).toEqual({ source: 'normal', frequencyHz: 50, lines: [{ voltageV: 230.4, currentA: 4.42, powerW: 816, percentLoad: 34 }] });
    // 27.4 V against a 24 V nominal: one pack, above 130/120 of nominal (float): full. 20 min at
    // full load become 59 at 34 %.
    expect(u.battery).toEqual({ status: 'normal', secondsOnBattery: 0, estimatedMinutesRemaining: 59, estimatedChargeRemainingPercent: 100, voltageV: 27.4, currentA: 0, temperatureC: 25 });
    expect(u.config).toMatchObject({ inputVoltageV: 230, inputFrequencyHz: 50, outputPowerW: 2400, audibleStatus: 'enabled' });
    await source.close();
  });

  it('follows mains failure and low battery into the alarms', async () => {
    const { site, source, emulator, advance } = await setup();
    await source.poll();
    emulator.state.mainsOn = false;
    await source.poll();
    advance(30_000);
    emulator.state.batteryLow = true;
    await source.poll();
    const u = site.snapshot().ups!;
    expect([u.output.source, u.battery.secondsOnBattery, u.battery.status, u.input.lines[0].voltageV]).toEqual(['battery', 30, 'low', 0]);
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.kind).sort()).toEqual(['ups-battery-low', 'ups-on-battery']);
    await source.close();
  });

  it('marks the UPS stale at the first miss and failed (communication lost) after failAfterMisses', async () => {
    const { site, source, emulator, logger } = await setup();
    await source.poll();
    emulator.state.silent = true;
    expect(await source.poll()).toBe(false);
    expect(site.snapshot().ups!.quality).toBe('stale');
    site.evaluateAlarms();
    expect(site.snapshot().alarms).toHaveLength(0);
    await source.poll();
    expect(site.snapshot().ups!.quality).toBe('failed');
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.kind)).toEqual(['ups-communication-lost']);
    expect(logger.lines.filter((l) => /no answer to Q1/.test(String(l.msg)))).toHaveLength(1);
    emulator.state.silent = false;
    await source.poll();
    site.evaluateAlarms();
    expect([site.snapshot().ups!.quality, site.snapshot().alarms.length]).toEqual(['fresh', 0]);
    await source.close();
  });

  it('runs a battery test and reads its result when the test bit falls', async () => {
    const { site, source, emulator, advance } = await setup();
    await source.poll();
    expect(await source.execute({ type: 'ups-test', test: 'quick' })).toEqual({ ok: true, message: 'UPS quick test: sent T' });
    expect(emulator.received.at(-1)).toBe('T');
    await source.poll();
    expect(site.snapshot().ups!.test).toMatchObject({ id: 'quick', resultsSummary: 'inProgress' });
    advance(11_000);
    await source.poll();
    expect(site.snapshot().ups!.test).toMatchObject({ id: 'quick', resultsSummary: 'donePass', elapsedS: 11 });

    emulator.state.failNextTest = true;
    await source.execute({ type: 'ups-test', test: 'deep' });
    expect(emulator.received.at(-1)).toBe('TL');
    await source.poll();
    emulator.state.batteryLow = true;
    await source.poll();
    expect(site.snapshot().ups!.test).toMatchObject({ id: 'deep', resultsSummary: 'doneError' });
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => a.kind)).toContain('ups-test-failed');

    emulator.state.batteryLow = false;
    await source.execute({ type: 'ups-test', test: 'deep' });
    await source.poll();
    await source.execute({ type: 'ups-test', test: 'abort' });
    expect(emulator.received.at(-1)).toBe('CT');
    await source.poll();
    expect(site.snapshot().ups!.test).toMatchObject({ id: 'deep', resultsSummary: 'aborted' });
    await source.close();
  });

  it('refuses a test the UPS echoes back (on battery)', async () => {
    const { source, emulator } = await setup();
    emulator.state.mainsOn = false;
    await expect(source.execute({ type: 'ups-test', test: 'quick' })).rejects.toThrow('the UPS refused "T" (it echoed the command back)');
    await source.close();
  });

  it('sends shutdowns after a delay with the restart the control group asks for, and cancels them', async () => {
    const { site, source, emulator, advance } = await setup();
    await source.poll();
    const r = await source.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 40, startupAfterDelayS: 180 } });
    expect(r.message).toBe('UPS control: sent S.6R0003 (output off in 36 s)');
    expect(emulator.received.at(-1)).toBe('S.6R0003');
    expect(site.snapshot().ups!.control).toMatchObject({ shutdownAfterDelayS: 36, startupAfterDelayS: 180 });
    advance(10_000);
    await source.poll();
    expect(site.snapshot().ups!.control.shutdownAfterDelayS).toBe(26);
    await source.execute({ type: 'ups-control', control: { shutdownAfterDelayS: -1 } });
    expect(emulator.received.at(-1)).toBe('C');
    expect(site.snapshot().ups!.control.shutdownAfterDelayS).toBe(-1);

    await source.execute({ type: 'ups-control', control: { autoRestart: false } });
    await source.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 0 } });
    expect(emulator.received.at(-1)).toBe('S00R0000');
    expect(emulator.outputOn).toBe(false);
    await source.poll();
    expect(site.snapshot().ups!.output.lines[0].voltageV).toBe(0);

    await expect(source.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 3600 } })).rejects.toThrow('at most 600 s');
    await expect(source.execute({ type: 'ups-control', control: { shutdownType: 'system', shutdownAfterDelayS: 60 } })).rejects.toThrow('shutdownType system is not available over Q1');
    await source.close();
  });

  it('refuses tests and shutdowns unless ups.controls is on', async () => {
    const { source, emulator } = await setup({ ...CONFIG, controls: false });
    const err = await source.execute({ type: 'ups-test', test: 'quick' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toBe('UPS tests are off: set ups.controls to true to forward them to the Q1 UPS');
    expect(emulator.received).not.toContain('T');
    await source.close();
  });

  it('survives garbage on the line', async () => {
    const { site, source, emulator, logger } = await setup();
    const handle = emulator.handle.bind(emulator);
    emulator.handle = (c) => (c === 'Q1' ? '(\x00\xff garbage 1 2 3 4 5 6 7 99999999\r' : handle(c));
    expect(await source.poll()).toBe(false);
    expect(site.snapshot().ups!.quality).toBe('stale');
    expect(logger.lines.some((l) => /unusable status reply: status reply has 10 fields, expected 8/.test(String(l.msg)))).toBe(true);
    emulator.handle = (c) => (c === 'Q1' ? 'x'.repeat(500) : handle(c));
    expect(await source.poll()).toBe(false);
    emulator.handle = (c) => (c === 'Q1' ? '(230.0 230.0 230.0 010 50.0 21.0 25.0 00000000\r' : handle(c));
    expect(await source.poll()).toBe(true);
    expect(site.snapshot().ups!.battery.estimatedChargeRemainingPercent).toBe(4);
    await source.close();
  });

  it('guesses the battery multiplier like NUT', () => {
    expect(guessBatteryPacks(2.27, 24)).toBe(12);
    expect(guessBatteryPacks(27.4, 24)).toBe(1);
    expect(guessBatteryPacks(13.6, 240)).toBe(18);
  });
});
