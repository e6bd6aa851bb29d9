// Home Assistant discovery against the real Mosquitto, read with mosquitto_sub: every config is
// one HA would accept and points at a state that holds the model's value; HA restarts and
// removed modules are handled.
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import { createMqttPublisher, MqttPublisher } from './index';
import { SHARED_BROKER_PORT as PORT, commandsFor, filledSite, publish, removeRetained, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Device classes Home Assistant documents for MQTT sensors and binary sensors (the ones used here must be among them).
const SENSOR_CLASSES = new Set(['voltage', 'current', 'temperature', 'humidity', 'battery', 'power', 'duration', 'frequency', 'enum']);
const BINARY_CLASSES = new Set(['problem']);
const STATE_CLASSES = new Set(['measurement', 'total', 'total_increasing']);

/** Evaluates the value templates this publisher uses, the way HA's Jinja would for these shapes. */
function render(template: string, state: Json): string {
  const path = (p: string) => p.split('.').reduce<unknown>((o, k) => (o as Json)?.[k], state);
  let m = /^\{\{ value_json\.([\w.]+) \}\}$/.exec(template);
  if (m) return String(path(m[1]) ?? 'None');
  m = /^\{\{ 'ON' if value_json\.([\w.]+) else 'OFF' \}\}$/.exec(template);
  if (m) return path(m[1]) ? 'ON' : 'OFF';
  m = /^\{\{ \(value_json\.([\w.]+) \* (\d+)\) \| round\(6\) if value_json\.\1 is not none else None \}\}$/.exec(template);
  if (m) return String(Math.round((path(m[1]) as number) * Number(m[2]) * 1e6) / 1e6);
  throw new Error(`template not understood: ${template}`);
}

describeWithTools(['mosquitto_sub', 'mosquitto_pub'], 'Home Assistant discovery on Mosquitto', () => {
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
      // 4 per module, 10 per string, 12 for the UPS, 2 sensors, 1 input, 2 relays, 7 site-wide.
      const expected = 6 * 4 + 2 * 10 + 12 + 2 + 1 + 2 + 7;
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
        // The state topic exists and renders the model's value.
        const state = sub.json(c.state_topic) as Json;
        expect(render(c.value_template, state)).not.toBe('undefined');
        if (component === 'switch') expect(c.command_topic).toMatch(new RegExp(`^kirchhoff/${siteId}/relay/\\d+/set$`));
      }
      const v = configs().map((m) => JSON.parse(m.payload.toString()) as Json).find((c) => c.unique_id === `kirchhoff_${siteId}_string_2_module_3_voltageV`)!;
      expect(v).toMatchObject({ device_class: 'voltage', unit_of_measurement: 'V', state_class: 'measurement', name: 'S02-M03 Voltage' });
      expect(v.device.identifiers).toEqual([`kirchhoff_${siteId}_string_2`]);
      expect(render(v.value_template, sub.json(v.state_topic) as Json)).toBe(String(snap.modules[5].voltageV.value));
      const ri = configs().map((m) => JSON.parse(m.payload.toString()) as Json).find((c) => c.unique_id === `kirchhoff_${siteId}_string_1_module_1_resistanceOhm`)!;
      expect(render(ri.value_template, sub.json(ri.state_topic) as Json)).toBe(String(snap.modules[0].resistanceOhm.value! * 1000));
      const strings = new Set(configs().map((m) => (JSON.parse(m.payload.toString()) as Json).device.identifiers[0]));
      expect([...strings].sort()).toEqual([`kirchhoff_${siteId}`, `kirchhoff_${siteId}_string_1`, `kirchhoff_${siteId}_string_2`, `kirchhoff_${siteId}_ups`].sort());
    } finally {
      await sub.stop();
      await pub.close();
    }
  });

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
      await waitFor(() => late.messages.length > 10, 5000, 'retained configs');
      await new Promise((r) => setTimeout(r, 300));
      await late.stop();
      expect(late.messages.filter((m) => m.topic.includes('module_4'))).toEqual([]);
      expect(late.messages.filter((m) => m.topic.includes('module_3'))).toHaveLength(4);
    } finally {
      await live.stop();
      await second.pub.close();
    }
  });
});
