// The demo gateway's MQTT side as integrators meet it: its embedded broker, read with
// mosquitto_sub, carries JSON topics equal to the model, Home Assistant discovery and Sparkplug B.
import { writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'bacnet.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1'];

/** Tahu protobuf of NCMD {metrics: [{name: "Node Control/Rebirth", datatype: Boolean, boolean_value: true}]}, by hand. */
function rebirthPayload(): Buffer {
  const name = Buffer.from('Node Control/Rebirth');
  const metric = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x20, 11, 0x70, 1])]);
  return Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
}

describeWithTools(['mosquitto_sub', 'mosquitto_pub'], 'gateway --demo: MQTT', () => {
  let gw: Gateway;
  let port: number;
  const site = 'kirchhoff-demo-site';

  beforeAll(async () => {
    const config = finishConfig(applySets(demoConfig(), EPHEMERAL));
    // One source cycle only, so the model holds still while the clients read it.
    gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 });
    const broker = gw.services.find((s) => s.name === 'MQTT broker (embedded)')!;
    expect(broker.state).toBe('running');
    port = Number(broker.endpoint.split(':').pop());
    expect(gw.services.find((s) => s.name === 'MQTT publisher')).toMatchObject({ state: 'running', endpoint: expect.stringContaining('JSON, Home Assistant, Sparkplug B') });
  }, 120_000);
  afterAll(() => gw?.stop());

  // The demo's documented broker users (README): a viewer reads, an operator sends commands.
  // Each login costs a scrypt check (~0.1 s, more on a busy machine): the tests allow 30 s.
  const viewer = ['-u', 'viewer', '-P', 'kirchhoff-viewer'];
  const operator = ['-u', 'operator', '-P', 'kirchhoff-operator'];
  const sub = (args: string[]) => run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...viewer, '-W', '10', ...args], { timeoutMs: 15_000 });

  it('publishes a module\'s voltage equal to the model (JSON, retained)', async () => {
    const m = gw.site.snapshot().modules[6];
    const topic = `kirchhoff/${site}/string/${m.string}/module/${m.module}`;
    await waitFor(async () => (await sub(['-t', topic, '-C', '1'])).stdout.includes('voltageV'), 10_000, topic);
    const out = await sub(['-t', topic, '-C', '1']);
    const state = JSON.parse(out.stdout);
    expect(state.label).toBe(m.label);
    expect(state.voltageV).toEqual({ value: gw.site.snapshot().modules[6].voltageV.value, unit: 'V', quality: gw.site.snapshot().modules[6].voltageV.quality, atMs: gw.site.snapshot().modules[6].voltageV.atMs });
    expect((await sub(['-t', `kirchhoff/${site}/status`, '-C', '1'])).stdout.trim()).toBe('online');
  }, 120_000);

  it('announces the module to Home Assistant', async () => {
    const topic = `homeassistant/sensor/kirchhoff_${site}/string_1_module_7_voltageV/config`;
    await waitFor(async () => (await sub(['-t', topic, '-C', '1'])).stdout.includes('unique_id'), 10_000, topic);
    const config = JSON.parse((await sub(['-t', topic, '-C', '1'])).stdout);
    expect(config).toMatchObject({ unique_id: `kirchhoff_${site}_string_1_module_7_voltageV`, state_topic: `kirchhoff/${site}/string/1/module/7`, device_class: 'voltage', unit_of_measurement: 'V' });
  }, 120_000);

  it('answers a Sparkplug rebirth request with NBIRTH and DBIRTHs', async () => {
    const reader = startProcess('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...viewer, '-t', `spBv1.0/kirchhoff/+/${site}/#`, '-t', `spBv1.0/kirchhoff/+/${site}`, '-F', '%t']);
    const file = join(tmpdir(), `kirchhoff-ncmd-${process.pid}`);
    writeFileSync(file, rebirthPayload());
    try {
      // Asked again until the reader, subscribing meanwhile, sees the answer.
      const topics = await waitFor(async () => {
        const t = reader.output().split('\n');
        if (t.includes(`spBv1.0/kirchhoff/DBIRTH/${site}/string-2`)) return t;
        await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...operator, '-t', `spBv1.0/kirchhoff/NCMD/${site}`, '-f', file]);
        await new Promise((r) => setTimeout(r, 300));
        return null;
      }, 10_000, 'the births');
      expect(topics).toEqual(expect.arrayContaining([`spBv1.0/kirchhoff/NBIRTH/${site}`, `spBv1.0/kirchhoff/DBIRTH/${site}/site`, `spBv1.0/kirchhoff/DBIRTH/${site}/ups`, `spBv1.0/kirchhoff/DBIRTH/${site}/string-1`]));
    } finally {
      unlinkSync(file);
      await reader.stop();
    }
  }, 120_000);

  it('shows the publisher\'s dropped and queued messages in /metrics (issue 19 point 9)', async () => {
    const http = gw.services.find((x) => x.name === 'HTTP API')!.endpoint.split(' ')[1];
    const text = await (await fetch(`http://${http}/metrics`, { headers: { authorization: `Basic ${Buffer.from('viewer:kirchhoff-viewer').toString('base64')}` } })).text();
    const stats = (gw.deps.mqttStats!)();
    expect(text).toMatch(/^# TYPE kirchhoff_mqtt_dropped_total counter$/m);
    expect(Number(/^kirchhoff_mqtt_dropped_total (\d+)$/m.exec(text)?.[1])).toBe(stats.dropped);
    expect(text).toMatch(/^kirchhoff_mqtt_queued \d+$/m);
  }, 120_000);
});
