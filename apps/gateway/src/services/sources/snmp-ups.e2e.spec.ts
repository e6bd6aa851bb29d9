// The snmp UPS source against an SNMP agent serving RFC 1628 UPS-MIB (@kirchhoff/snmp over a
// site that plays the UPS card), v2c and v3 authPriv: every group read back into the gateway's
// site, tests and shutdowns arriving at the card as SETs, silence turning into communication lost.
import { Command, CommandExecutor, CommandInterface, Site } from '@kirchhoff/core';
import { createSnmpAgent, SnmpAgent } from '@kirchhoff/snmp';
import { freeUdpPort, waitFor } from '@kirchhoff/test-support';
import type { GatewayConfig } from '../../config/types';
import { validate } from '../../config/schema-dsl';
import { memoryLogger } from '../../log';
import type { RunningService } from '../types';
import { SerialLines } from '../../serial';
import { UPS_SCHEMA } from './config';
import { upsSourceService } from '.';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The UPS card: a site whose UPS has every group filled, and an executor acting like the UPS. */
function cardSite() {
  const card = new Site({ strings: [{ modules: 1, moduleType: 'C20' }], ups: { ident: { name: 'card' } } });
  card.update((tx) => tx.ups({
    ident: { manufacturer: 'ACME Power', model: 'Ultra 40k', upsSoftwareVersion: 'FW 7.3', agentSoftwareVersion: 'NMC 2.1', attachedDevices: 'rack A' },
    battery: { status: 'normal', secondsOnBattery: 0, estimatedMinutesRemaining: 42, estimatedChargeRemainingPercent: 97, voltageV: 545.6, currentA: -2.1, temperatureC: 24 },
    input: { lineBads: 3, lines: [1, 2, 3].map((i) => ({ frequencyHz: 49.9, voltageV: 229 + i, currentA: 21.5 + i / 10, truePowerW: 4800 + i })) },
    output: { source: 'normal', frequencyHz: 50, lines: [1, 2, 3].map((i) => ({ voltageV: 230, currentA: 18.2 + i / 10, powerW: 4100 + i, percentLoad: 31 + i })) },
    bypass: { frequencyHz: 50.1, lines: [{ voltageV: 231, currentA: 0, powerW: 0 }] },
    config: { inputVoltageV: 230, inputFrequencyHz: 50, outputVoltageV: 230, outputFrequencyHz: 50, outputVA: 40000, outputPowerW: 36000, lowBattTimeMin: 5, audibleStatus: 'enabled', lowVoltageTransferPointV: 180, highVoltageTransferPointV: 270 },
  }));
  const received: Command[] = [];
  const executor: CommandExecutor = {
    async execute(command) {
      received.push(command);
      if (command.type === 'ups-test') card.update((tx) => tx.ups({ test: { id: command.test, resultsSummary: 'inProgress', startTimeMs: card.now() } }));
      if (command.type === 'ups-control') card.update((tx) => tx.ups({ control: command.control }));
      if (command.type === 'ups-settings') {
        const { name, attachedDevices, ...config } = command.settings;
        card.update((tx) => tx.ups({ ident: { name, attachedDevices }, config }));
      }
      return { ok: true, message: 'done' };
    },
  };
  return { card, received, commands: new CommandInterface(card, executor, { snmp: ['ups-test', 'ups-control', 'ups-settings'] }) };
}

async function gateway(ups: Record<string, unknown>) {
  const v = validate(UPS_SCHEMA, ups);
  expect(v.problems).toEqual([]);
  const config = { ups: v.value, modbusSensors: { enabled: false, devices: [] }, sensors: [], strings: [{}], bus: { port: '', baudRate: 115200 }, demo: { enabled: false } } as unknown as GatewayConfig;
  const site = new Site({ strings: [{ modules: 1, moduleType: 'C20' }], ups: { ident: { name: 'UPS-NET' } } });
  const logger = memoryLogger('info');
  const service = await upsSourceService.start({ config, site, commands: new CommandInterface(site, { execute: async () => ({ ok: true, message: '' }) }, {}), logger, serialLines: new SerialLines(logger) });
  return { site, ups: service!.provides!.ups, logger, service: service! };
}

describe('snmp UPS source against a UPS-MIB agent', () => {
  let agent: SnmpAgent;
  let port: number;
  let card: ReturnType<typeof cardSite>;
  const running: RunningService[] = [];

  beforeAll(async () => {
    card = cardSite();
    port = await freeUdpPort();
    agent = await createSnmpAgent(card.card, {
      // A third-party card names its own agent firmware in upsIdentAgentSoftwareVersion.
      port, address: '127.0.0.1', commands: card.commands, agentVersion: card.card.snapshot().ups!.ident.agentSoftwareVersion,
      communities: [{ name: 'card-ro' }, { name: 'card-rw', access: 'read-write' }],
      users: [{ name: 'nms', securityLevel: 'authPriv', auth: { protocol: 'sha256', password: 'nms-auth-secret' }, priv: { protocol: 'aes', password: 'nms-priv-secret' }, access: 'read-write' }],
      logger: quiet,
    });
  });
  afterAll(async () => {
    for (const s of running) await s.close();
    await agent?.close();
  });

  it('reads every UPS-MIB group over v2c into the same UPS state', async () => {
    const g = await gateway({ source: 'snmp', name: 'UPS-NET', pollIntervalMs: 300, snmp: { host: '127.0.0.1', port, community: 'card-ro', timeoutMs: 5000, retries: 0 } });
    running.push(g.service);
    await waitFor(() => g.site.snapshot().ups!.ident.model === 'Ultra 40k', 5000, 'the first poll');
    const got = g.site.snapshot().ups!;
    const want = card.card.snapshot().ups!;
    expect(got.quality).toBe('fresh');
    expect(got.ident).toEqual({ ...want.ident, name: 'UPS-NET' });
    expect(got.battery).toEqual(want.battery);
    // RFC 1628 carries whole volts and watts, tenths of amperes and hertz: what the card has here.
    expect(got.input).toEqual(want.input);
    expect(got.output).toEqual(want.output);
    expect(got.bypass).toEqual(want.bypass);
    expect(got.config).toEqual(want.config);
    expect(got.control).toEqual(want.control);
    expect(got.test).toMatchObject({ id: want.test.id, resultsSummary: want.test.resultsSummary });
    expect(g.logger.lines.some((l) => /prefer v3/.test(String(l.msg)))).toBe(true);

    card.card.update((tx) => tx.ups({ output: { source: 'battery' }, battery: { secondsOnBattery: 65, estimatedMinutesRemaining: 12 } }));
    await waitFor(() => { g.site.evaluateAlarms(); return g.site.snapshot().alarms.some((a) => a.kind === 'ups-on-battery'); }, 5000, 'ups-on-battery');
    expect(g.site.snapshot().ups!.battery).toMatchObject({ secondsOnBattery: 65, estimatedMinutesRemaining: 12 });
    card.card.update((tx) => tx.ups({ output: { source: 'normal' } }));
  });

  it('sends a battery test (with the spin lock) and a delayed shutdown over v3 authPriv', async () => {
    const g = await gateway({
      source: 'snmp', pollIntervalMs: 300, controls: true,
      snmp: { host: '127.0.0.1', port, version: 'v3', user: 'nms', securityLevel: 'authPriv', authProtocol: 'sha256', authKey: 'nms-auth-secret', privProtocol: 'aes', privKey: 'nms-priv-secret', timeoutMs: 5000, retries: 0 },
    });
    running.push(g.service);
    await waitFor(() => g.site.snapshot().ups!.quality === 'fresh' && g.site.snapshot().ups!.ident.model, 5000, 'the first v3 poll');
    const r = await g.ups.execute({ type: 'ups-test', test: 'quick' });
    expect(r.message).toBe(`UPS quick test started on 127.0.0.1:${port} (upsTestId 1.3.6.1.2.1.33.1.7.7.4)`);
    expect(card.received.at(-1)).toEqual({ type: 'ups-test', test: 'quick' });
    await waitFor(() => g.site.snapshot().ups!.test.resultsSummary === 'inProgress', 5000, 'the test in progress');
    expect(g.site.snapshot().ups!.test.id).toBe('quick');

    await g.ups.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 120, startupAfterDelayS: 300 } });
    expect(card.received.slice(-2)).toEqual([
      { type: 'ups-control', control: { shutdownAfterDelayS: 120 } },
      { type: 'ups-control', control: { startupAfterDelayS: 300 } },
    ]);
    await waitFor(() => g.site.snapshot().ups!.control.shutdownAfterDelayS === 120, 5000, 'the shutdown read back');
  });

  it('refuses commands when ups.controls is off, and names the reason a card refuses one', async () => {
    const ro = await gateway({ source: 'snmp', pollIntervalMs: 300, snmp: { host: '127.0.0.1', port, community: 'card-ro', timeoutMs: 5000, retries: 0 } });
    running.push(ro.service);
    await expect(ro.ups.execute({ type: 'ups-test', test: 'quick' })).rejects.toThrow('UPS tests are off: set ups.controls to true');
    const rw = await gateway({ source: 'snmp', pollIntervalMs: 300, controls: true, snmp: { host: '127.0.0.1', port, community: 'card-ro', timeoutMs: 5000, retries: 0 } });
    running.push(rw.service);
    await expect(rw.ups.execute({ type: 'ups-control', control: { shutdownAfterDelayS: 60 } })).rejects.toThrow(/the UPS card 127\.0\.0\.1:\d+ refused upsControl \(shutdownAfterDelayS\): .*NotWritable|noAccess/i);
  });

  it('marks the UPS failed (communication lost) when the card stops answering', async () => {
    const silentPort = await freeUdpPort();
    const g = await gateway({ source: 'snmp', pollIntervalMs: 200, failAfterMisses: 2, snmp: { host: '127.0.0.1', port: silentPort, community: 'card-ro', timeoutMs: 200, retries: 0 } });
    running.push(g.service);
    await waitFor(() => g.site.snapshot().ups!.quality === 'failed' && g.site.snapshot().ups!.atMs > 0, 5000, 'failed after two misses');
    g.site.evaluateAlarms();
    expect(g.site.snapshot().alarms.map((a) => a.kind)).toEqual(['ups-communication-lost']);
    expect(g.logger.lines.filter((l) => /SNMP UPS 127\.0\.0\.1/.test(String(l.msg)))).toHaveLength(1);
  });
});
