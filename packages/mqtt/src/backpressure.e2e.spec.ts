// Back-pressure: while the broker is down the publisher keeps a bounded buffer, counts what it
// drops, and once the broker is back delivers the current state (read with mosquitto_sub).
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import { createMqttPublisher } from './index';
import { filledSite, privateBroker, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithTools(['mosquitto', 'mosquitto_sub', 'mosquitto_pub'], 'back-pressure', () => {
  it('buffers at most bufferLimit messages while the broker is down, counts the dropped ones, then catches up', async () => {
    const broker = await privateBroker();
    const siteId = uniqueSiteId('offline');
    const site = filledSite(16, 32);
    const pub = createMqttPublisher(site, {
      url: `mqtt://127.0.0.1:${broker.port}`, siteId, publishIntervalMs: 20, bufferLimit: 10, reconnectMinMs: 100, reconnectMaxMs: 300,
      modes: { json: true, sparkplug: true },
    });
    try {
      // Alarm events (every block of every string high: one string alarm per string, more than the
      // buffer holds) and ten cycles of every module.
      site.setThreshold('moduleVoltage', { warnHigh: 13.0, alarmHigh: 14.4, delayMs: 0 });
      site.evaluateAlarms();
      const alarms = site.snapshot().alarms.length;
      expect(alarms).toBeGreaterThan(10);
      for (let cycle = 1; cycle <= 10; cycle++) {
        site.update((tx) => {
          for (let g = 1; g <= 512; g++) tx.moduleReadings(g, { voltageV: 13.5 + cycle / 100 + g / 10_000 });
        });
        await new Promise((r) => setTimeout(r, 25));
      }
      const offline = pub.stats();
      expect(offline.json!.connected).toBe(false);
      // At most 10 events, plus one state per topic: 535 entities, availability, alarms, thresholds.
      expect(offline.json!.queued).toBeLessThanOrEqual(10 + 538);
      expect(offline.json!.dropped).toBeGreaterThan(0);
      // Sparkplug data of no session is never queued: the next birth carries the current values.
      expect(offline.sparkplug!.queued).toBe(0);

      await broker.start();
      await pub.connected();
      const sub = await subscribe(broker.port, [`kirchhoff/${siteId}/string/16/module/32`, `kirchhoff/${siteId}/site`]);
      try {
        const last = site.snapshot().modules[511].voltageV.value;
        await sub.waitFor(`kirchhoff/${siteId}/string/16/module/32`, (m) => (JSON.parse(m.payload.toString()) as Json).voltageV.value === last, 10_000);
        const siteState = JSON.parse((await sub.waitFor(`kirchhoff/${siteId}/site`)).payload.toString()) as Json;
        expect(siteState.publisher.dropped).toBeGreaterThanOrEqual(offline.dropped);
        expect(siteState.alarms.activeCount.value).toBe(alarms);
      } finally {
        await sub.stop();
      }
      await waitFor(() => pub.stats().json!.queued === 0, 10_000, 'the buffer to empty');
    } finally {
      await pub.close();
      await broker.dispose();
    }
  }, 120_000);
});
