// Sparkplug B against real Mosquitto brokers, read with mosquitto_sub and decoded with the
// independent sparkplug-payload package: births with every metric, seq and bdSeq, data by
// exception, rebirth, DCMD writes, the will, and a broker restart mid-run.
import { join } from 'node:path';
import { describeWithTools, startProcess, waitFor, TS_REGISTER } from '@kirchhoff/test-support';
import { get as sparkplugPayload } from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import { createMqttPublisher, ENTITY_TABLE, MqttPublisher } from './index';
import { SHARED_BROKER_PORT as PORT, Received, Subscriber, commandsFor, filledSite, privateBroker, publish, removeRetained, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

const sp = sparkplugPayload('spBv1.0')!;
const decode = (m: Received): UPayload => sp.decodePayload(new Uint8Array(m.payload));
const num = (v: unknown): number => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : (v as number));
const metricsOf = (p: UPayload): Map<string, UMetric> => new Map((p.metrics ?? []).map((m) => [m.name!, m]));
const typeOf = (topic: string) => topic.split('/')[2];

describeWithTools(['mosquitto_sub', 'mosquitto_pub', 'mosquitto'], 'Sparkplug B on Mosquitto', () => {
  describe('one session', () => {
    const edge = uniqueSiteId('spb');
    const site = filledSite(2, 3);
    let pub: MqttPublisher;
    let sub: Subscriber;
    const spb = () => sub.messages.filter((m) => m.topic.startsWith('spBv1.0/'));
    beforeAll(async () => {
      sub = await subscribe(PORT, [`spBv1.0/kirchhoff/+/${edge}`, `spBv1.0/kirchhoff/+/${edge}/+`]);
      pub = createMqttPublisher(site, { url: `mqtt://127.0.0.1:${PORT}`, siteId: edge, publishIntervalMs: 50, modes: { json: false, sparkplug: true }, commands: commandsFor(site), writes: true });
      await pub.connected();
      await waitFor(() => spb().filter((m) => typeOf(m.topic) === 'DBIRTH').length === 4, 5000, 'four DBIRTHs');
    });
    afterAll(async () => {
      await pub.close();
      await sub.stop();
    });

    it('starts with NBIRTH (seq 0, bdSeq, Rebirth false), then DBIRTHs numbered on', () => {
      const [first, ...rest] = spb().slice(0, 5);
      expect(first.topic).toBe(`spBv1.0/kirchhoff/NBIRTH/${edge}`);
      expect(first.retained).toBe(false);
      const nbirth = decode(first);
      expect(num(nbirth.seq)).toBe(0);
      expect(num(nbirth.timestamp)).toBeGreaterThan(0);
      const m = metricsOf(nbirth);
      expect(m.get('bdSeq')).toMatchObject({ type: 'UInt64' });
      expect(num(m.get('bdSeq')!.value)).toBe(0);
      expect(m.get('Node Control/Rebirth')).toMatchObject({ type: 'Boolean', value: false });
      expect(rest.map((r) => r.topic).sort()).toEqual(['site', 'string-1', 'string-2', 'ups'].map((d) => `spBv1.0/kirchhoff/DBIRTH/${edge}/${d}`));
      expect(rest.map((r) => num(decode(r).seq))).toEqual([1, 2, 3, 4]);
    });

    it('DBIRTH carries every metric of the table with its value, unit and quality', () => {
      const snap = site.snapshot();
      const birth = (d: string) => metricsOf(decode(spb().find((m) => m.topic === `spBv1.0/kirchhoff/DBIRTH/${edge}/${d}`)!));
      const moduleKeys = ENTITY_TABLE.find((e) => e.kind === 'module')!.metrics.map((x) => x.key.replace(/\./g, '/'));
      const stringKeys = ENTITY_TABLE.find((e) => e.kind === 'string')!.metrics.map((x) => x.key.replace(/\./g, '/'));
      for (const s of [1, 2]) {
        const b = birth(`string-${s}`);
        expect([...b.keys()].sort()).toEqual([...stringKeys, ...[1, 2, 3].flatMap((mod) => moduleKeys.map((k) => `module/${mod}/${k}`))].sort());
        for (const mod of snap.modules.filter((x) => x.string === s)) {
          const v = b.get(`module/${mod.module}/voltageV`)!;
          expect(v.type).toBe('Double');
          expect(v.value).toBe(mod.voltageV.value);
          expect(v.properties).toMatchObject({ engUnit: { type: 'String', value: 'V' }, Quality: { type: 'Int32', value: 192 } });
          expect(b.get(`module/${mod.module}/temperatureC`)!.value).toBe(mod.temperatureC.value);
        }
        expect(b.get('sumVoltageV')!.value).toBe(snap.strings[s - 1].sumVoltageV.value);
      }
      const siteBirth = birth('site');
      expect(siteBirth.get('relay/1/on')).toMatchObject({ type: 'Boolean', value: false });
      expect(siteBirth.get('sensor/1/reading')).toMatchObject({ value: 23.4, properties: { engUnit: { value: 'degC' } } });
      expect(siteBirth.get('thresholds/moduleVoltage/warnHigh')!.value).toBe(snap.thresholds.moduleVoltage.warnHigh);
      expect(birth('ups').get('battery/voltageV')!.value).toBe(432.1);
    });

    it('sends DDATA with only what moved past its deadband, seq continuing', async () => {
      const last = num(decode(spb()[spb().length - 1]).seq);
      const before = spb().length;
      site.update((tx) => tx.moduleReadings(2, { voltageV: 13.9, temperatureC: site.snapshot().modules[1].temperatureC.value! + 0.01 }));
      await waitFor(() => spb().length > before, 5000, 'DDATA');
      const msg = spb()[before];
      expect(msg.topic).toBe(`spBv1.0/kirchhoff/DDATA/${edge}/string-1`);
      const d = decode(msg);
      expect(num(d.seq)).toBe((last + 1) % 256);
      const names = [...metricsOf(d).keys()];
      expect(names).toContain('module/2/voltageV');
      expect(names).not.toContain('module/2/temperatureC');
      expect(names.filter((n) => n.startsWith('module/') && !n.startsWith('module/2/'))).toEqual([]);
      expect(metricsOf(d).get('module/2/voltageV')!.value).toBe(13.9);
    });

    it('answers NCMD Rebirth with a new NBIRTH of the same bdSeq at seq 0', async () => {
      const before = spb().length;
      await publish(PORT, `spBv1.0/kirchhoff/NCMD/${edge}`, Buffer.from(sp.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })));
      const nbirth = await waitFor(() => spb().slice(before).find((m) => typeOf(m.topic) === 'NBIRTH'), 5000, 'NBIRTH');
      const p = decode(nbirth);
      expect(num(p.seq)).toBe(0);
      expect(num(metricsOf(p).get('bdSeq')!.value)).toBe(0);
      await waitFor(() => spb().slice(before).filter((m) => typeOf(m.topic) === 'DBIRTH').length === 4, 5000, 'DBIRTHs');
    });

    it('writes relays and thresholds from DCMD through the command interface; bad DCMDs change nothing', async () => {
      const dcmd = (metrics: UMetric[]) => publish(PORT, `spBv1.0/kirchhoff/DCMD/${edge}/site`, Buffer.from(sp.encodePayload({ timestamp: Date.now(), metrics })));
      const before = site.snapshot();
      await publish(PORT, `spBv1.0/kirchhoff/DCMD/${edge}/site`, Buffer.from('not protobuf at all \xff\xfe'));
      await dcmd([{ name: 'relay/9/on', type: 'Boolean', value: true }]);
      await dcmd([{ name: 'relay/1/on', type: 'String', value: 'yes' }]);
      await dcmd([{ name: 'sensor/1/reading', type: 'Double', value: 99 }]);
      await dcmd([{ name: 'thresholds/moduleVoltage/warnHigh', type: 'Double', value: 10 }]);
      const count = spb().length;
      await dcmd([{ name: 'relay/1/on', type: 'Boolean', value: true }, { name: 'thresholds/moduleTemperature/warnHigh', type: 'Double', value: 31 }]);
      await waitFor(() => site.snapshot().relays[0].on && site.snapshot().thresholds.moduleTemperature.warnHigh === 31, 5000, 'the writes');
      const after = site.snapshot();
      expect(after.thresholds.moduleVoltage).toEqual(before.thresholds.moduleVoltage);
      expect(after.sensors).toEqual(before.sensors);
      expect(after.relays[1]).toEqual(before.relays[1]);
      await waitFor(() => spb().slice(count).some((m) => metricsOf(decode(m)).get('relay/1/on')?.value === true), 5000, 'DDATA relay/1/on');
      await waitFor(() => spb().slice(count).some((m) => metricsOf(decode(m)).get('thresholds/moduleTemperature/warnHigh')?.value === 31), 5000, 'DDATA threshold');
    });
  });

  it('publishes NDEATH (the will, matching bdSeq) and offline availability when the process dies', async () => {
    const edge = uniqueSiteId('kill');
    const sub = await subscribe(PORT, [`spBv1.0/kirchhoff/+/${edge}`, `kirchhoff/${edge}/status`]);
    const child = startProcess(process.execPath, ['-r', TS_REGISTER, join(__dirname, '__fixtures__', 'publisher-process.ts'), `mqtt://127.0.0.1:${PORT}`, edge]);
    try {
      await waitFor(() => child.output().includes('connected'), 15_000, 'the child publisher');
      const nbirth = await sub.waitFor(`spBv1.0/kirchhoff/NBIRTH/${edge}`);
      await sub.waitFor(`kirchhoff/${edge}/status`, (m) => m.payload.toString() === 'online');
      child.child.kill('SIGKILL');
      const ndeath = await sub.waitFor(`spBv1.0/kirchhoff/NDEATH/${edge}`);
      expect(num(metricsOf(decode(ndeath)).get('bdSeq')!.value)).toBe(num(metricsOf(decode(nbirth)).get('bdSeq')!.value));
      await sub.waitFor(`kirchhoff/${edge}/status`, (m) => m.payload.toString() === 'offline');
    } finally {
      await child.stop();
      await sub.stop();
      await removeRetained(PORT, [`kirchhoff/${edge}/#`]);
    }
  }, 120_000);

  it('does not count refused CONNECTs in bdSeq: born with bdSeq 0 after three refusals', async () => {
    const broker = await privateBroker({ anonymous: false });
    await broker.start();
    const edge = uniqueSiteId('refused');
    const pub = createMqttPublisher(filledSite(1, 2), {
      url: `mqtt://127.0.0.1:${broker.port}`, siteId: edge, publishIntervalMs: 50, reconnectMinMs: 100, reconnectMaxMs: 200,
      modes: { json: false, sparkplug: true }, logger: { info: () => undefined, warn: () => undefined },
    });
    let sub: Subscriber | null = null;
    try {
      await waitFor(() => (broker.output().match(/not authori[sz]ed/g) ?? []).length >= 3, 10_000, 'three refused CONNECTs');
      await broker.stop();
      broker.allowAnonymous(true);
      await broker.start();
      sub = await subscribe(broker.port, [`spBv1.0/kirchhoff/NBIRTH/${edge}`]);
      await waitFor(() => pub.stats().sparkplug!.sessions >= 1, 10_000, 'the first session');
      // NBIRTH is not retained: ask for a rebirth to read it.
      await publish(broker.port, `spBv1.0/kirchhoff/NCMD/${edge}`, Buffer.from(sp.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })));
      const nbirth = decode(await sub.waitFor(`spBv1.0/kirchhoff/NBIRTH/${edge}`));
      // Sparkplug: bdSeq starts at 0 and moves on with each new session, not each refused attempt.
      expect(num(metricsOf(nbirth).get('bdSeq')!.value)).toBe(0);
    } finally {
      await sub?.stop();
      await pub.close();
      await broker.dispose();
    }
  }, 120_000);

  it('reconnects after a broker restart and is born again with the next bdSeq', async () => {
    const broker = await privateBroker();
    await broker.start();
    const edge = uniqueSiteId('restart');
    const subId = `${edge}-reader`;
    const topics = [`spBv1.0/kirchhoff/+/${edge}`, `spBv1.0/kirchhoff/+/${edge}/+`, `kirchhoff/${edge}/status`, `kirchhoff/${edge}/string/1/module/1`];
    const site = filledSite(1, 2);
    const logs: string[] = [];
    const pub = createMqttPublisher(site, {
      url: `mqtt://127.0.0.1:${broker.port}`, siteId: edge, publishIntervalMs: 50, reconnectMinMs: 200, reconnectMaxMs: 1000,
      modes: { json: true, sparkplug: true }, logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
    let sub = await subscribe(broker.port, topics, subId);
    try {
      await pub.connected();
      await sub.waitFor(`spBv1.0/kirchhoff/DBIRTH/${edge}/string-1`);
      await sub.stop();
      await broker.stop();
      await waitFor(() => !pub.stats().sparkplug!.connected && !pub.stats().json!.connected, 5000, 'the publisher to notice');
      // The model keeps changing while the broker is away; nothing blocks and nothing throws.
      site.update((tx) => tx.moduleReadings(1, { voltageV: 13.77 }));
      await new Promise((r) => setTimeout(r, 500));
      await broker.start();
      await waitFor(() => pub.stats().sparkplug!.sessions === 2 && pub.stats().json!.sessions === 2, 10_000, 'both sessions back');
      sub = await subscribe(broker.port, topics, subId);
      const nbirths = await waitFor(() => {
        const n = sub.on(`spBv1.0/kirchhoff/NBIRTH/${edge}`);
        return n.length ? n : null;
      }, 5000, 'NBIRTH after the restart');
      const p = decode(nbirths[nbirths.length - 1]);
      expect(num(p.seq)).toBe(0);
      expect(num(metricsOf(p).get('bdSeq')!.value)).toBeGreaterThanOrEqual(1);
      const dbirth = decode(await sub.waitFor(`spBv1.0/kirchhoff/DBIRTH/${edge}/string-1`));
      expect(metricsOf(dbirth).get('module/1/voltageV')!.value).toBe(13.77);
      await sub.waitFor(`kirchhoff/${edge}/status`, (m) => m.payload.toString() === 'online');
      await sub.waitFor(`kirchhoff/${edge}/string/1/module/1`, (m) => JSON.parse(m.payload.toString()).voltageV.value === 13.77);
      expect(logs.some((l) => /lost; reconnecting/.test(l))).toBe(true);
    } finally {
      await sub.stop();
      await pub.close();
      await broker.dispose();
    }
  }, 120_000);
});
