// Home Assistant discovery against the real Mosquitto, read with mosquitto_sub: every config is
// one HA would accept and points at a state that holds the model's value; HA restarts and
// removed modules are handled.
import { spawnSync } from 'node:child_process';
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import { createMqttPublisher, MqttPublisher } from './index';
import { SHARED_BROKER_PORT as PORT, commandsFor, filledSite, publish, removeRetained, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Device classes Home Assistant documents for MQTT sensors and binary sensors (the ones used here must be among them).
const SENSOR_CLASSES = new Set(['voltage', 'current', 'temperature', 'humidity', 'battery', 'power', 'duration', 'frequency', 'enum', 'timestamp']);
const BINARY_CLASSES = new Set(['problem', 'safety']);
const STATE_CLASSES = new Set(['measurement', 'total', 'total_increasing']);

const JINJA = `
import sys, json, jinja2, datetime
env = jinja2.Environment()
# Home Assistant's own filter (homeassistant/helpers/template.py): a UNIX time formatted, UTC when local is false.
env.filters['timestamp_custom'] = lambda v, fmt, local=True: (datetime.datetime.fromtimestamp(v, datetime.timezone.utc) if not local else datetime.datetime.fromtimestamp(v)).strftime(fmt)
print(json.dumps([env.from_string(t).render(value_json=v) for t, v in json.load(sys.stdin)]))
`;

/** Renders value templates with Jinja, the engine Home Assistant uses (one python3 run per batch). */
function render(items: readonly (readonly [string, Json])[]): string[] {
  const r = spawnSync('python3', ['-c', JINJA], { input: JSON.stringify(items), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jinja2: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/** What Home Assistant shows for a rendered state: `None` is its PAYLOAD_NONE (unknown). */
function haState(component: string, rendered: string): string {
  if (rendered === 'None') return 'unknown';
  if (component === 'binary_sensor' || component === 'switch') return rendered === 'ON' ? 'on' : rendered === 'OFF' ? 'off' : `invalid ${rendered}`;
  return rendered;
}

describeWithTools(['mosquitto_sub', 'mosquitto_pub', 'jinja2'], 'Home Assistant discovery on Mosquitto', () => {
  const cleanup: string[] = [];
  afterAll(() => removeRetained(PORT, cleanup));

  function start(siteId: string, strings: number, modules: number, writes = false): { pub: MqttPublisher; site: ReturnType<typeof filledSite> } {
    cleanup.push(`kirchhoff/${siteId}/#`, `homeassistant/+/kirchhoff_${siteId}/#`);
    const site = filledSite(strings, modules);
    const pub = createMqttPublisher(site, {
      url: `mqtt://127.0.0.1:${PORT}`, siteId, publishIntervalMs: 50, discoveryScanMs: 300,
      modes: { json: false, homeAssistant: true }, commands: commandsFor(site), writes,
    });
    return { pub, site };
  }

  it('announces valid entities whose state topics carry the model\'s values', async () => {
    const siteId = uniqueSiteId('ha');
    const { pub, site } = start(siteId, 2, 3, true);
    const sub = await subscribe(PORT, [`homeassistant/+/kirchhoff_${siteId}/+/config`, `kirchhoff/${siteId}/#`]);
    try {
      await pub.connected();
      const snap = site.snapshot();
      // 10 per module (4 readings, 6 health figures), 15 per string (4 of health), 13 for the UPS, 2 sensors, 1 input, 2 relays, 7 site-wide.
      const expected = 6 * 10 + 2 * 15 + 13 + 2 + 1 + 2 + 7;
      const configs = () => sub.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.payload.length);
      await waitFor(() => configs().length >= expected, 10_000, `${expected} discovery configs`);
      expect(configs()).toHaveLength(expected);
      const ids = new Set<string>();
      for (const msg of configs()) {
        const c = JSON.parse(msg.payload.toString()) as Json;
        const [, component, node, objectId] = msg.topic.split('/');
        expect(node).toBe(`kirchhoff_${siteId}`);
        expect(objectId).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(['sensor', 'binary_sensor', 'switch']).toContain(component);
        expect(typeof c.unique_id).toBe('string');
        expect(ids.has(c.unique_id)).toBe(false);
        ids.add(c.unique_id);
        expect(c.device.identifiers[0]).toMatch(new RegExp(`^kirchhoff_${siteId}`));
        expect(typeof c.device.name).toBe('string');
        expect(c.availability[0]).toEqual({ topic: `kirchhoff/${siteId}/status` });
        if (c.device_class) expect((component === 'sensor' ? SENSOR_CLASSES : BINARY_CLASSES).has(c.device_class)).toBe(true);
        if (c.state_class) expect(STATE_CLASSES.has(c.state_class)).toBe(true);
        if (c.device_class === 'enum') expect(Array.isArray(c.options)).toBe(true);
        expect(c.object_id).toBeUndefined(); // deprecated by Home Assistant 2025.10, dropped in 2026.4
        expect(c.default_entity_id).toBe(`${component}.${c.unique_id.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`);
        expect(c.origin).toEqual({ name: 'Kirchhoff', sw_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
        if (component === 'switch') expect(c.command_topic).toMatch(new RegExp(`^kirchhoff/${siteId}/relay/\\d+/set$`));
      }
      // Every state topic exists and renders (with Jinja) to a state Home Assistant takes.
      const all = configs().map((m) => ({ component: m.topic.split('/')[1], c: JSON.parse(m.payload.toString()) as Json }));
      const states = render(all.map(({ c }) => [c.value_template, sub.json(c.state_topic) as Json] as const)).map((r, i) => haState(all[i].component, r));
      for (const st of states) expect(st).not.toMatch(/^invalid|^$/);
      const stateOf = (uniqueId: string) => states[all.findIndex(({ c }) => c.unique_id === uniqueId)];
      const v = all.find(({ c }) => c.unique_id === `kirchhoff_${siteId}_string_2_module_3_voltageV`)!.c;
      expect(v).toMatchObject({ device_class: 'voltage', unit_of_measurement: 'V', state_class: 'measurement', name: 'S02-M03 Voltage' });
      expect(v.device.identifiers).toEqual([`kirchhoff_${siteId}_string_2`]);
      expect(stateOf(v.unique_id)).toBe(String(snap.modules[5].voltageV.value));
      expect(Number(stateOf(`kirchhoff_${siteId}_string_1_module_1_resistanceOhm`))).toBeCloseTo(snap.modules[0].resistanceOhm.value! * 1000, 6);
      // Health: the state of health and remaining capacity as the model has them, the end of life as an ISO time.
      const m23 = snap.modules[5];
      expect([stateOf(`kirchhoff_${siteId}_string_2_module_3_sohPercent`), stateOf(`kirchhoff_${siteId}_string_2_module_3_remainingCapacityAh`), stateOf(`kirchhoff_${siteId}_string_2_module_3_endOfLifeAtMs`)])
        .toEqual([String(m23.sohPercent), String(m23.remainingCapacityAh), new Date(m23.endOfLifeAtMs!).toISOString().replace('.000Z', '+00:00')]);
      expect(all.find(({ c }) => c.unique_id === `kirchhoff_${siteId}_string_2_module_3_sohPercent`)!.c).toMatchObject({ unit_of_measurement: '%', state_class: 'measurement', name: 'S02-M03 State of health' });
      expect(stateOf(`kirchhoff_${siteId}_string_2_balancingStalled`)).toBe('on');
      // The safety binary sensors: no runaway, UPS on mains.
      expect([stateOf(`kirchhoff_${siteId}_string_1_thermalRunaway`), stateOf(`kirchhoff_${siteId}_ups_onBattery`)]).toEqual(['off', 'off']);
      const strings = new Set(configs().map((m) => (JSON.parse(m.payload.toString()) as Json).device.identifiers[0]));
      expect([...strings].sort()).toEqual([`kirchhoff_${siteId}`, `kirchhoff_${siteId}_string_1`, `kirchhoff_${siteId}_string_2`, `kirchhoff_${siteId}_ups`].sort());
    } finally {
      await sub.stop();
      await pub.close();
    }
  }, 120_000);

  it('shows thermal runaway and UPS on battery as binary sensors, and unknown (not off) while the UPS does not answer', async () => {
    const siteId = uniqueSiteId('ha-safety');
    const { pub, site } = start(siteId, 2, 2);
    const sub = await subscribe(PORT, [`homeassistant/binary_sensor/kirchhoff_${siteId}/+/config`, `kirchhoff/${siteId}/#`]);
    const config = async (objectId: string) => JSON.parse((await sub.waitFor(`homeassistant/binary_sensor/kirchhoff_${siteId}/${objectId}/config`)).payload.toString()) as Json;
    try {
      await pub.connected();
      const runaway = await config('string_2_thermalRunaway');
      const onBattery = await config('ups_onBattery');
      expect([runaway.device_class, onBattery.device_class]).toEqual(['safety', 'problem']);
      const states = (): [Json, Json] => [sub.json(runaway.state_topic) as Json, sub.json(onBattery.state_topic) as Json];
      const before = states();
      site.reconcileAlarms('runaway', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'module', string: 2, module: 1, global: 3 }, message: 'S02 thermal runaway: S02-M01 rising 12 K/h', value: 12, limit: 5 }]);
      site.update((tx) => tx.ups({ output: { source: 'battery' } }));
      site.evaluateAlarms();
      await waitFor(() => states()[0].thermalRunaway.value === true && states()[1].onBattery.value === true, 5000, 'the runaway and on-battery states');
      const during = states();
      site.update((tx) => tx.ups({ quality: 'failed' }));
      site.evaluateAlarms();
      await waitFor(() => states()[1].onBattery.value !== true, 5000, 'the UPS state without an answer');
      const lost = states();
      // One Jinja run for all (python3 starts slowly on a busy machine).
      const t = [runaway.value_template, onBattery.value_template];
      const shown = render([before, during, lost].flatMap(([r, u]) => [[t[0], r], [t[1], u]] as const)).map((r) => haState('binary_sensor', r));
      expect(shown).toEqual(['off', 'off', 'on', 'on', 'on', 'unknown']);
    } finally {
      await sub.stop();
      await pub.close();
    }
  }, 120_000);

  it('republishes discovery when Home Assistant comes online', async () => {
    const siteId = uniqueSiteId('ha-restart');
    const { pub } = start(siteId, 1, 2);
    const sub = await subscribe(PORT, [`homeassistant/+/kirchhoff_${siteId}/+/config`]);
    try {
      await pub.connected();
      const topic = `homeassistant/sensor/kirchhoff_${siteId}/string_1_module_2_voltageV/config`;
      await sub.waitFor(topic);
      await publish(PORT, 'homeassistant/status', 'online');
      await waitFor(() => sub.on(topic).length === 2, 5000, 'the config again');
    } finally {
      await sub.stop();
      await pub.close();
    }
  });

  it('removes the entities of modules that no longer exist', async () => {
    const siteId = uniqueSiteId('ha-shrink');
    const first = start(siteId, 1, 4);
    await first.pub.connected();
    const gone = `homeassistant/sensor/kirchhoff_${siteId}/string_1_module_4_voltageV/config`;
    const probe = await subscribe(PORT, [gone]);
    await probe.waitFor(gone, (m) => m.payload.length > 0);
    await probe.stop();
    await first.pub.close();

    const second = start(siteId, 1, 3);
    const live = await subscribe(PORT, [`homeassistant/+/kirchhoff_${siteId}/+/config`]);
    try {
      await second.pub.connected();
      await live.waitFor(gone, (m) => m.payload.length === 0 && !m.retained);
      await live.waitFor(`homeassistant/sensor/kirchhoff_${siteId}/string_1_module_3_voltageV/config`, (m) => m.payload.length > 0 && !m.retained);
      const late = await subscribe(PORT, [`homeassistant/+/kirchhoff_${siteId}/+/config`]);
      await waitFor(() => late.messages.filter((m) => m.topic.includes('module_3')).length === 10, 5000, 'the retained configs of module 3');
      // Nothing of module 4 among them, nor a little later.
      await new Promise((r) => setTimeout(r, 300));
      await late.stop();
      expect(late.messages.filter((m) => m.topic.includes('module_4'))).toEqual([]);
      expect(late.messages.filter((m) => m.topic.includes('module_3'))).toHaveLength(10);
    } finally {
      await live.stop();
      await second.pub.close();
    }
  });
});
