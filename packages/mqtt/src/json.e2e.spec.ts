// JSON mode against the real Mosquitto at 127.0.0.1:1883, read with mosquitto_sub: retained
// state with the model's values, publish by exception, alarms, availability, commands.
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import type { Site } from '@kirchhoff/core';
import { createMqttPublisher, MqttPublisher } from './index';
import { SHARED_BROKER_PORT as PORT, Subscriber, commandsFor, filledSite, publish, removeRetained, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithTools(['mosquitto_sub', 'mosquitto_pub'], 'JSON mode on Mosquitto', () => {
  const cleanup: string[] = [];
  afterAll(() => removeRetained(PORT, cleanup));

  function start(site: Site, siteId: string, extra: Partial<Parameters<typeof createMqttPublisher>[1]> = {}): MqttPublisher {
    cleanup.push(`kirchhoff/${siteId}/#`);
    return createMqttPublisher(site, { url: `mqtt://127.0.0.1:${PORT}`, siteId, publishIntervalMs: 50, ...extra });
  }

  describe('state', () => {
    const siteId = uniqueSiteId('json');
    const site = filledSite(2, 4);
    let pub: MqttPublisher;
    let live: Subscriber;
    beforeAll(async () => {
      pub = start(site, siteId);
      await pub.connected();
      live = await subscribe(PORT, [`kirchhoff/${siteId}/#`]);
    });
    afterAll(async () => {
      await live.stop();
      await pub.close();
    });

    it('carries every module\'s values with units, quality and time, retained for a late subscriber', async () => {
      await waitFor(() => live.on(`kirchhoff/${siteId}/string/2/module/4`).length, 5000, 'the last module');
      const late = await subscribe(PORT, [`kirchhoff/${siteId}/string/+/module/+`]);
      try {
        await waitFor(() => late.messages.length >= 8, 5000, '8 retained module states');
        for (const m of site.snapshot().modules) {
          const got = late.on(`kirchhoff/${siteId}/string/${m.string}/module/${m.module}`);
          expect(got).toHaveLength(1);
          expect(got[0].retained).toBe(true);
          const j = JSON.parse(got[0].payload.toString()) as Json;
          expect(j).toMatchObject({ string: m.string, module: m.module, global: m.global, label: m.label });
          expect(j.voltageV).toEqual({ value: m.voltageV.value, unit: 'V', quality: 'fresh', atMs: m.voltageV.atMs });
          expect(j.temperatureC).toEqual({ value: m.temperatureC.value, unit: 'degC', quality: 'fresh', atMs: m.temperatureC.atMs });
          expect(j.resistanceOhm.value).toBe(m.resistanceOhm.value);
          expect(j.socPercent.value).toBe(m.socPercent.value);
        }
      } finally {
        await late.stop();
      }
    });

    it('carries strings, UPS, sensors, inputs, relays, thresholds and the retained online availability', () => {
      const snap = site.snapshot();
      const s = live.json(`kirchhoff/${siteId}/string/1`) as Json;
      expect(s.sumVoltageV).toMatchObject({ value: snap.strings[0].sumVoltageV.value, unit: 'V' });
      expect(s.dcCurrentA).toMatchObject({ value: snap.strings[0].dcCurrentA.value, unit: 'A' });
      expect(s.chargeMode.value).toBe('float');
      const ups = live.json(`kirchhoff/${siteId}/ups`) as Json;
      expect(ups.battery.voltageV).toMatchObject({ value: 432.1, unit: 'V', quality: 'fresh' });
      expect(ups.battery.estimatedMinutesRemaining.value).toBe(42);
      expect((live.json(`kirchhoff/${siteId}/sensor/1`) as Json).reading).toMatchObject({ value: 23.4, unit: 'degC' });
      expect((live.json(`kirchhoff/${siteId}/sensor/2`) as Json).reading).toMatchObject({ value: 0.2, unit: '%LEL' });
      expect((live.json(`kirchhoff/${siteId}/input/1`) as Json).active.value).toBe(false);
      expect((live.json(`kirchhoff/${siteId}/relay/2`) as Json)).toMatchObject({ name: 'Beacon', on: { value: false } });
      expect((live.json(`kirchhoff/${siteId}/thresholds`) as Json).moduleVoltage.warnHigh).toBe(snap.thresholds.moduleVoltage.warnHigh);
      expect(live.on(`kirchhoff/${siteId}/status`).map((m) => m.payload.toString())).toContain('online');
    });

    it('publishes by exception: a move inside the deadband sends nothing, past it sends the new value', async () => {
      const topic = `kirchhoff/${siteId}/string/1/module/2`;
      const before = live.on(topic).length;
      const v = site.snapshot().modules[1].voltageV.value!;
      site.update((tx) => tx.moduleReadings(2, { voltageV: v + 0.001 }));
      // Another module's change proves a flush happened after the small move.
      site.update((tx) => tx.moduleReadings(3, { voltageV: 13.9 }));
      await waitFor(() => live.on(`kirchhoff/${siteId}/string/1/module/3`).some((m) => (JSON.parse(m.payload.toString()) as Json).voltageV.value === 13.9), 5000, 'module 3 at 13.9 V');
      expect(live.on(topic)).toHaveLength(before);
      site.update((tx) => tx.moduleReadings(2, { voltageV: v + 0.01 }));
      const m = await live.waitFor(topic, (x) => (JSON.parse(x.payload.toString()) as Json).voltageV.value === v + 0.01);
      expect(m.retained).toBe(false);
      expect(live.on(topic)).toHaveLength(before + 1);
    });

    it('marks a stale reading as stale, whatever its value', async () => {
      site.update((tx) => tx.moduleQuality(5, 'stale'));
      const m = await live.waitFor(`kirchhoff/${siteId}/string/2/module/1`, (x) => (JSON.parse(x.payload.toString()) as Json).voltageV.quality === 'stale');
      expect((JSON.parse(m.payload.toString()) as Json).voltageV.value).toBe(site.snapshot().modules[4].voltageV.value);
    });

    it('sends alarm events unretained and keeps the active-alarm list retained', async () => {
      site.setThreshold('moduleVoltage', { warnHigh: 13.8, alarmHigh: 14.4, delayMs: 0 });
      site.evaluateAlarms();
      const event = await live.waitFor(`kirchhoff/${siteId}/alarms/event`);
      expect(event.retained).toBe(false);
      expect(JSON.parse(event.payload.toString())).toMatchObject({ action: 'raised', alarm: { kind: 'module-voltage-high', severity: 'warning', entity: 'string/1/module/3' } });
      await live.waitFor(`kirchhoff/${siteId}/alarms`, (m) => (JSON.parse(m.payload.toString()) as Json).count > 0);
      const late = await subscribe(PORT, [`kirchhoff/${siteId}/alarms`]);
      try {
        const list = await late.waitFor(`kirchhoff/${siteId}/alarms`);
        expect(list.retained).toBe(true);
        const j = JSON.parse(list.payload.toString()) as Json;
        expect(j.count).toBe(site.snapshot().alarms.length);
        expect(j.alarms.map((a: Json) => a.id)).toEqual(site.snapshot().alarms.map((a) => a.id));
      } finally {
        await late.stop();
      }
    });
  });

  it('says offline (retained) when it closes', async () => {
    const siteId = uniqueSiteId('avail');
    const pub = start(filledSite(1, 2), siteId);
    await pub.connected();
    await pub.close();
    const late = await subscribe(PORT, [`kirchhoff/${siteId}/status`]);
    try {
      const m = await late.waitFor(`kirchhoff/${siteId}/status`);
      expect([m.payload.toString(), m.retained]).toEqual(['offline', true]);
    } finally {
      await late.stop();
    }
  });

  describe('commands', () => {
    const siteId = uniqueSiteId('cmd');
    const base = `kirchhoff/${siteId}`;
    const site = filledSite(1, 2);
    let pub: MqttPublisher;
    let live: Subscriber;
    beforeAll(async () => {
      pub = start(site, siteId, { commands: commandsFor(site), writes: true });
      await pub.connected();
      live = await subscribe(PORT, [`${base}/command/result`, `${base}/relay/+`]);
      // The command subscription is in place once the first states went out.
      await live.waitFor(`${base}/relay/1`);
    });
    afterAll(async () => {
      await live.stop();
      await pub.close();
    });

    it('switches a relay and sets a threshold on the documented topics', async () => {
      await publish(PORT, `${base}/relay/2/set`, 'true');
      await waitFor(() => site.snapshot().relays[1].on, 5000, 'relay 2 on');
      await live.waitFor(`${base}/relay/2`, (m) => (JSON.parse(m.payload.toString()) as Json).on.value === true);
      await publish(PORT, `${base}/relay/2/set`, '{"on": false}');
      await waitFor(() => !site.snapshot().relays[1].on, 5000, 'relay 2 off');
      await publish(PORT, `${base}/thresholds/moduleTemperature/set`, '{"warnHigh": 33, "alarmHigh": 40}');
      await waitFor(() => site.snapshot().thresholds.moduleTemperature.warnHigh === 33, 5000, 'warnHigh 33');
      await waitFor(() => live.on(`${base}/command/result`).length >= 3, 5000, 'three results');
      expect(live.on(`${base}/command/result`).map((m) => (JSON.parse(m.payload.toString()) as Json).ok)).toEqual([true, true, true]);
    });

    it('rejects bad commands with an error event and changes nothing', async () => {
      const before = site.snapshot();
      const results = live.on(`${base}/command/result`).length;
      const events: unknown[] = [];
      pub.on('command', (o) => events.push(o));
      const bad: [string, string | Buffer, string][] = [
        ['relay/1/set', '{not json', 'invalid'],
        ['relay/1/set', '"yes"', 'invalid'],
        ['relay/1/set', '{"on": 1}', 'invalid'],
        ['relay/1/set', '{"on": true, "force": true}', 'invalid'],
        ['relay/99/set', 'true', 'not-found'],
        ['relay/x/set', 'true', 'not-found'],
        ['relay/1/set', Buffer.alloc(100_000, 'a'), 'too-large'],
        ['thresholds/nope/set', '{"warnHigh": 1}', 'not-found'],
        ['thresholds/moduleVoltage/set', '{"warnHigh": "14"}', 'invalid'],
        ['thresholds/moduleVoltage/set', '[14]', 'invalid'],
        ['thresholds/moduleVoltage/set', '{"warnHigh": 11, "alarmHigh": 10}', 'invalid'],
        ['thresholds/moduleVoltage/set', '{"bogus": 1}', 'invalid'],
      ];
      for (const [topic, payload] of bad) await publish(PORT, `${base}/${topic}`, payload);
      await waitFor(() => live.on(`${base}/command/result`).length >= results + bad.length, 5000, 'a result per command');
      const got = live.on(`${base}/command/result`).slice(results).map((m) => JSON.parse(m.payload.toString()) as Json);
      // Results come in the order each check finishes, not the order sent.
      const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
      expect(sorted(got.map((r) => [r.topic.slice(base.length + 1), r.ok, r.error?.code]))).toEqual(sorted(bad.map(([t, , code]) => [t, false, code])));
      expect(events).toHaveLength(bad.length);
      const after = site.snapshot();
      expect(after.relays).toEqual(before.relays);
      expect(after.thresholds).toEqual(before.thresholds);
      expect(pub.stats().json!.connected).toBe(true);
    });

    it('ignores .../set topics when writes are off', async () => {
      const id = uniqueSiteId('ro');
      const s = filledSite(1, 2);
      const ro = start(s, id, { commands: commandsFor(s), writes: false });
      try {
        await ro.connected();
        const sub = await subscribe(PORT, [`kirchhoff/${id}/#`]);
        await sub.waitFor(`kirchhoff/${id}/relay/1`);
        await publish(PORT, `kirchhoff/${id}/relay/1/set`, 'true');
        await new Promise((r) => setTimeout(r, 300));
        await sub.stop();
        expect(s.snapshot().relays[0].on).toBe(false);
        expect(sub.on(`kirchhoff/${id}/command/result`)).toHaveLength(0);
      } finally {
        await ro.close();
      }
    });
  });
});
