// BACnet/IP conformance with bacstack as the independent client over loopback: discovery,
// Object_List by index and segmented, every object by ReadPropertyMultiple against the model,
// COV with COV_Increment and lifetime, OUT_OF_RANGE events, writes; tshark dissects it all.
import type { Site, SiteSnapshot } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, LiveCapture, run, startLiveCapture, waitFor } from '@kirchhoff/test-support';
import type { BacnetDevice } from './index';
import { apduOf, Client, CLIENT_HOST, confirmedRequest, fixtureCommands, fixtureSite, first, objectIdTag, rawExchange, startFixture } from './test-helpers/fixture';

const AI = 0, BI = 3, BO = 4, BV = 5, DEVICE = 8, MSI = 13, NC = 15, MSV = 19, SV = 29;
const PV = 85, NAME = 77, UNITS = 117, STATUS_FLAGS = 111, OBJECT_LIST = 76, ALL = 8;
const BIG_HOST = '127.0.0.4';

/** What the model says an Analog Input shows, from the documented instance formulas. */
function expectedAnalog(snap: SiteSnapshot, instance: number): { value: number | null; units: number; name: string } {
  if (instance < 10000) {
    const m = snap.modules[Math.floor(instance / 10) - 1];
    switch (instance % 10) {
      case 1: return { value: m.voltageV.value, units: 5, name: `${m.label} Voltage` };
      case 2: return { value: m.temperatureC.value, units: 62, name: `${m.label} Temperature` };
      case 3: return { value: m.resistanceOhm.value === null ? null : m.resistanceOhm.value * 1000, units: 145, name: `${m.label} Ri` };
      case 4: return { value: m.socPercent.value, units: 98, name: `${m.label} SoC` };
      case 5: return { value: m.sohPercent, units: 98, name: `${m.label} SoH` };
      case 6: return { value: m.remainingCapacityAh, units: 95, name: `${m.label} Remaining Ah` };
    }
  } else if (instance < 20000) {
    const s = snap.strings[Math.floor((instance - 10000) / 10) - 1];
    switch (instance % 10) {
      case 1: return { value: s.sumVoltageV.value, units: 5, name: `${s.label} Sum Voltage` };
      case 2: return { value: s.targetVoltageV.value, units: 5, name: `${s.label} Target Voltage` };
      case 3: return { value: s.dcCurrentA.value, units: 3, name: `${s.label} DC Current` };
      case 4: return { value: s.socPercent.value, units: 98, name: `${s.label} SoC` };
      case 5: return { value: s.autonomyMin.value, units: 72, name: `${s.label} Autonomy` };
      case 6: return { value: s.minSohPercent, units: 98, name: `${s.label} Lowest SoH` };
      case 7: return { value: s.remainingCapacityAh, units: 95, name: `${s.label} Remaining Ah` };
    }
  } else if (instance < 30000) {
    const u = snap.ups!;
    const rows: Record<number, [number, number, string]> = {
      1: [u.battery.voltageV, 5, 'UPS Battery Voltage'], 2: [u.battery.currentA, 3, 'UPS Battery Current'], 3: [u.battery.temperatureC, 62, 'UPS Battery Temperature'],
      4: [u.battery.estimatedChargeRemainingPercent, 98, 'UPS Charge Remaining'], 5: [u.battery.estimatedMinutesRemaining, 72, 'UPS Minutes Remaining'],
      6: [u.battery.secondsOnBattery, 73, 'UPS Seconds On Battery'], 7: [u.input.lines[0].voltageV, 5, 'UPS Input Voltage'], 8: [u.input.lines[0].frequencyHz, 27, 'UPS Input Frequency'],
      9: [u.output.lines[0].voltageV, 5, 'UPS Output Voltage'], 10: [u.output.lines[0].percentLoad, 98, 'UPS Output Load'], 11: [u.output.lines[0].powerW, 47, 'UPS Output Power'],
      12: [u.output.frequencyHz, 27, 'UPS Output Frequency'],
    };
    const [value, units, name] = rows[instance - 20000];
    return { value, units, name };
  } else {
    const s = snap.sensors[instance - 30001];
    return { value: s.reading.value, units: s.kind === 'temperature' ? 62 : 98, name: s.name };
  }
  throw new Error(`no Analog Input ${instance} in the documented map`);
}

/** The name of an alarm Binary Value from the documented instance formulas (no core alarm is active here). */
function expectedAlarmName(snap: SiteSnapshot, instance: number): string {
  const k = instance % 10;
  if (instance < 10010) return ({ 1: 'UPS on battery', 2: 'Balancing disabled', 3: 'Critical alarm' } as Record<number, string>)[k];
  const s = snap.strings[Math.floor((instance - 10000) / 10) - 1];
  return `${s.label} ${({ 1: 'Thermal runaway', 2: 'Ground fault', 3: 'Imbalance', 4: 'Module alarm' } as Record<number, string>)[k]}`;
}

describeWithTools(['dumpcap', 'tshark'], 'BACnet/IP with bacstack as client', () => {
  let site: Site;
  let device: BacnetDevice;
  let big: BacnetDevice;
  let port: number;
  let client: Client;
  let bigClient: Client;
  let capture: LiveCapture;

  beforeAll(async () => {
    port = await freeUdpPort();
    capture = await startLiveCapture(`udp port ${port}`);
    site = fixtureSite();
    ({ device } = await startFixture(site, {
      commands: fixtureCommands(site),
      recipients: [{ address: `${CLIENT_HOST}:${port}`, processId: 7, confirmed: true }],
    }, port));
    ({ device: big } = await startFixture(fixtureSite(16, 32), { deviceInstance: 4321 }, port, BIG_HOST));
    client = new Client(port);
    bigClient = new Client(port, '127.0.0.5', BIG_HOST);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    bigClient?.close();
    await device?.close();
    await big?.close();
    await capture?.remove();
  });

  it('answers Who-Is with I-Am, honouring the instance range', async () => {
    const iams: { deviceId: number; maxApdu: number; segmentation: number; address: string }[] = [];
    const onIAm = (d: (typeof iams)[number]) => iams.push(d);
    client.raw.on('iAm', onIAm);
    try {
      client.raw.whoIs({ address: '127.0.0.2' });
      await waitFor(() => iams.length === 1, 3000, 'I-Am');
      expect(iams[0]).toMatchObject({ deviceId: 1234, maxApdu: 1476, segmentation: 1, address: '127.0.0.2' });
      client.raw.whoIs({ address: '127.0.0.2', lowLimit: 1000, highLimit: 2000 });
      await waitFor(() => iams.length === 2, 3000, 'I-Am in range');
      client.raw.whoIs({ address: '127.0.0.2', lowLimit: 1235, highLimit: 4194303 });
      await new Promise((r) => setTimeout(r, 400));
      expect(iams).toHaveLength(2);
    } finally {
      client.raw.off('iAm', onIAm);
    }
  });

  it('reads Object_List by index: the size at 0, then each identifier', async () => {
    // bacstack sends arrayIndex 0 as ALL: the size at index 0 is read with a request of our own.
    const [size] = await rawExchange(port, [confirmedRequest(12, 1, [...objectIdTag(DEVICE, 1234), 0x19, OBJECT_LIST, 0x29, 0x00])], { replies: 1 });
    expect([...apduOf(size)]).toEqual([0x30, 1, 12, ...objectIdTag(DEVICE, 1234), 0x19, OBJECT_LIST, 0x29, 0x00, 0x3e, 0x21, device.objectList.length, 0x3f]);
    expect((await client.readProperty({ type: DEVICE, instance: 1234 }, OBJECT_LIST)).values).toHaveLength(device.objectList.length);
    for (const i of [1, 2, 40, device.objectList.length]) {
      const r = await client.readProperty({ type: DEVICE, instance: 1234 }, OBJECT_LIST, { arrayIndex: i });
      const o = device.objectList[i - 1];
      expect(first(r)).toEqual({ type: o.type, instance: o.instance });
    }
    await expect(client.readProperty({ type: DEVICE, instance: 1234 }, OBJECT_LIST, { arrayIndex: device.objectList.length + 1 })).rejects.toThrow(/Class:2 - Code:42/);
  });

  it('sends a 16 x 32 Object_List whole in segments, or aborts when the client takes none', async () => {
    const whole = await bigClient.readProperty({ type: DEVICE, instance: 4321 }, OBJECT_LIST);
    expect(whole.values).toHaveLength(big.objectList.length);
    expect(big.objectList.length).toBeGreaterThan(2000);
    expect(whole.values.map((v) => v.value)).toEqual(big.objectList.map((o) => ({ type: o.type, instance: o.instance })));
    const byIndex = await bigClient.readProperty({ type: DEVICE, instance: 4321 }, OBJECT_LIST, { arrayIndex: 2000 });
    expect(first(byIndex)).toEqual({ type: big.objectList[1999].type, instance: big.objectList[1999].instance });
    // Without segmented-response-accepted: the standard abort (server), segmentation-not-supported (4).
    const [abort] = await rawExchange(port, [confirmedRequest(12, 9, [...objectIdTag(DEVICE, 4321), 0x19, OBJECT_LIST])], { host: BIG_HOST, replies: 1 });
    expect([...apduOf(abort)]).toEqual([0x71, 9, 4]);
    // Accepted, but at most 2 segments of 206 octets: too long for the client (abort apdu-too-long, 11).
    const [tooLong] = await rawExchange(port, [confirmedRequest(12, 10, [...objectIdTag(DEVICE, 4321), 0x19, OBJECT_LIST], { segmentedResponseAccepted: true, maxSegments: 1, maxApdu: 2 })], { host: BIG_HOST, replies: 1 });
    expect([...apduOf(tooLong)]).toEqual([0x71, 10, 11]);
  }, 120_000);

  it('reads every object with ReadPropertyMultiple ALL, equal to the model', async () => {
    const snap = site.snapshot();
    const list = device.objectList;
    const results = new Map<string, Map<number, { type: number; value: unknown }[]>>();
    for (let i = 0; i < list.length; i += 8) {
      const batch = list.slice(i, i + 8);
      const r = await client.readPropertyMultiple(batch.map((o) => ({ objectId: { type: o.type, instance: o.instance }, properties: [{ id: ALL }] })));
      for (const o of r.values) results.set(`${o.objectId.type}:${o.objectId.instance}`, new Map(o.values.map((p) => [p.id, p.value])));
    }
    expect(results.size).toBe(list.length);
    const counts: Record<number, number> = {};
    for (const o of list) {
      counts[o.type] = (counts[o.type] ?? 0) + 1;
      const props = results.get(`${o.type}:${o.instance}`)!;
      expect(props.get(NAME)![0].value).toBe(o.name);
      // Description is for operators: no internal model paths such as `modules[7].voltageV`.
      const description = props.get(28)?.[0].value;
      if (description !== undefined) expect([o.name, description]).toEqual([o.name, expect.not.stringMatching(/\w\[\w*\]|\.[a-z]+[A-Z]\w*/)]);
      expect(props.get(75)![0].value).toEqual({ type: o.type, instance: o.instance });
      const pv = props.get(PV)?.[0].value;
      switch (o.type) {
        case AI: {
          const e = expectedAnalog(snap, o.instance);
          expect(o.name).toBe(e.name);
          expect(pv as number).toBeCloseTo(e.value ?? 0, 4);
          expect(props.get(UNITS)![0].value).toBe(e.units);
          expect(props.get(STATUS_FLAGS)![0].value).toEqual({ bitsUsed: 4, value: [0] });
          break;
        }
        case BV:
          if (o.instance > 10000) {
            expect(o.name).toBe(expectedAlarmName(snap, o.instance));
            expect([pv, props.get(36)![0].value, props.get(6)![0].value, props.get(17)![0].value, props.get(113)![0].value]).toEqual([0, 0, 1, 1, 0]);
          } else {
            expect(pv).toBe(snap.modules[o.instance - 1].equalize.on ? 1 : 0);
            expect(o.name).toBe(`${snap.modules[o.instance - 1].label} Equalize`);
          }
          break;
        case MSV: expect(pv).toBe(1); expect(o.name).toBe(`${snap.modules[o.instance - 1].label} Status`); break;
        case BI: expect(pv).toBe(snap.inputs[o.instance - 1].active ? 1 : 0); break;
        case BO: expect(pv).toBe(snap.relays[o.instance - 1].on ? 1 : 0); expect(props.get(87)).toHaveLength(16); break;
        case MSI:
          // UPS output source normal (3); string charge modes (101, 102): the fixture's strings float, state 2 in docs/bacnet-objects.md.
          if (o.instance === 1) expect(pv).toBe(3);
          else expect([o.instance, o.name, pv]).toEqual([o.instance, `${snap.strings[o.instance - 101].label} Charge Mode`, 2]);
          break;
        case SV: expect(props.get(211)!.length).toBe(7 + 1 + 8 * 4 + 4); break;
        case NC: { // one BACnetDestination, as bacstack flattens it: days, from, to, address, process id, confirmed, transitions
          const dest = props.get(102)!;
          expect(dest.map((v) => v.type)).toEqual([8, 11, 11, 118, 2, 1, 8]);
          expect(JSON.stringify(dest[3].value)).toContain(JSON.stringify([127, 0, 0, 3, port >> 8, port & 0xff]));
          expect(dest.slice(4).map((v) => v.value)).toEqual([7, true, { bitsUsed: 3, value: [7] }]);
          break;
        }
        case DEVICE: expect(props.get(OBJECT_LIST)).toHaveLength(list.length); expect(props.get(107)![0].value).toBe(1); break;
        default: throw new Error(`unexpected object type ${o.type}`);
      }
    }
    expect(counts).toEqual({ [DEVICE]: 1, [AI]: 8 * 6 + 2 * 7 + 12 + 2, [BV]: 8 + 2 * 4 + 3, [MSV]: 8, [MSI]: 1 + 2, [BI]: 2, [BO]: 2, [SV]: 2, [NC]: 1 });
  }, 120_000); // about 100 RPM round trips: seconds when quiet

  it('answers REQUIRED, OPTIONAL and inline errors in one ReadPropertyMultiple', async () => {
    const r = await client.readPropertyMultiple([
      { objectId: { type: AI, instance: 11 }, properties: [{ id: 105 }] },
      { objectId: { type: AI, instance: 11 }, properties: [{ id: 80 }] },
      { objectId: { type: AI, instance: 11 }, properties: [{ id: PV }, { id: 9999 }, { id: 371 }] },
      { objectId: { type: AI, instance: 99999 }, properties: [{ id: PV }] },
    ]);
    expect(r.values[0].values.map((p) => p.id).sort((a, b) => a - b)).toEqual([36, 75, 77, 79, 81, 85, 111, 117]);
    expect(r.values[1].values.map((p) => p.id)).toEqual(expect.arrayContaining([28, 103, 22, 45, 59, 25, 52, 35, 0, 72, 130, 113, 17]));
    expect(r.values[1].values.map((p) => p.id)).not.toContain(PV);
    expect(r.values[2].values[1].value[0]).toEqual({ type: 105, value: { errorClass: 2, errorCode: 32 } }); // unknown-property
    expect(r.values[2].values[2].value.length).toBeGreaterThan(10); // Property_List
    expect(r.values[3].values[0].value[0]).toEqual({ type: 105, value: { errorClass: 1, errorCode: 31 } }); // unknown-object
    await expect(client.readProperty({ type: AI, instance: 99999 }, PV)).rejects.toThrow(/Class:1 - Code:31/);
    await expect(client.readProperty({ type: AI, instance: 11 }, 9999)).rejects.toThrow(/Class:2 - Code:32/);
  });

  it('notifies COV when Present_Value moves past COV_Increment, not before, and drops expired subscriptions', async () => {
    const notes: { pid: number; object: number; value: number }[] = [];
    const onCov = (n: { request: { subscriberProcessId: number; monitoredObjectId: { instance: number }; values: { property: { id: number }; value: { value: number }[] }[] } }) => {
      const pv = n.request.values.find((v) => v.property.id === PV)!;
      notes.push({ pid: n.request.subscriberProcessId, object: n.request.monitoredObjectId.instance, value: pv.value[0].value });
    };
    client.raw.on('covNotifyUnconfirmed', onCov);
    try {
      await client.subscribeCov({ type: AI, instance: 21 }, 5, false, false, 300);
      await waitFor(() => notes.length === 1, 3000, 'the initial COV notification');
      const v0 = site.snapshot().modules[1].voltageV.value!;
      expect(notes[0]).toEqual({ pid: 5, object: 21, value: Math.fround(v0) });
      site.update((tx) => tx.moduleReadings(2, { voltageV: v0 + 0.004 })); // below COV_Increment 0.01
      await new Promise((r) => setTimeout(r, 500));
      expect(notes).toHaveLength(1);
      site.update((tx) => tx.moduleReadings(2, { voltageV: v0 + 0.015 }));
      await waitFor(() => notes.length === 2, 3000, 'a COV notification past the increment');
      expect(notes[1].value).toBeCloseTo(v0 + 0.015, 5);
      const active = await client.readProperty({ type: DEVICE, instance: 1234 }, 152);
      expect(active.values).toHaveLength(1);
      // A 1 s lifetime: gone from Active_COV_Subscriptions after it expires, and silent.
      await client.subscribeCov({ type: AI, instance: 31 }, 6, false, false, 1);
      await waitFor(() => notes.some((n) => n.pid === 6), 3000, 'the initial notification of the short subscription');
      await waitFor(async () => (await client.readProperty({ type: DEVICE, instance: 1234 }, 152)).values.length === 1, 5000, 'expiry');
      const before = notes.length;
      site.update((tx) => tx.moduleReadings(3, { voltageV: 12.9 }));
      await new Promise((r) => setTimeout(r, 500));
      expect(notes.filter((n) => n.pid === 6)).toHaveLength(1);
      expect(notes.length).toBe(before);
      await client.subscribeCov({ type: AI, instance: 21 }, 5, true, false, 0); // cancel
    } finally {
      client.raw.off('covNotifyUnconfirmed', onCov);
    }
  }, 120_000);

  it('sends confirmed COV notifications and takes the acknowledgement', async () => {
    const got: number[] = [];
    const onCov = (n: { address: string; invokeId: number; request: { values: { property: { id: number }; value: { value: number }[] }[] } }) => {
      got.push(n.request.values.find((v) => v.property.id === PV)!.value[0].value);
      client.raw.simpleAckResponse(n.address, 1, n.invokeId);
    };
    client.raw.on('covNotify', onCov);
    try {
      await client.subscribeCov({ type: BO, instance: 2 }, 9, false, true, 60);
      await waitFor(() => got.length === 1, 3000, 'the initial confirmed notification');
      expect(got[0]).toBe(0);
      await client.writeProperty({ type: BO, instance: 2 }, PV, [{ type: 9, value: 1 }], 8);
      await waitFor(() => got.length === 2, 3000, 'the notification of the relay change');
      expect(got[1]).toBe(1);
      expect(site.snapshot().relays[1].on).toBe(true);
      const pa = await client.readProperty({ type: BO, instance: 2 }, 87);
      expect(pa.values.map((v) => v.type)).toEqual([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
      await client.writeProperty({ type: BO, instance: 2 }, PV, [{ type: 0, value: null }], 8); // relinquish
      await waitFor(() => got.length === 3, 3000, 'the notification of the relinquish');
      expect(site.snapshot().relays[1].on).toBe(false);
      await client.subscribeCov({ type: BO, instance: 2 }, 9, true, false, 0);
    } finally {
      client.raw.off('covNotify', onCov);
    }
  });

  it('denies writes that are not commandable, and writes without the command interface', async () => {
    await expect(client.writeProperty({ type: AI, instance: 11 }, PV, [{ type: 4, value: 1 }], 16)).rejects.toThrow(/Class:2 - Code:40/);
    await expect(client.writeProperty({ type: BO, instance: 1 }, PV, [{ type: 4, value: 1 }], 16)).rejects.toThrow(/Class:2 - Code:9/);
    const readOnly = await startFixture(site, { commands: null }, port, '127.0.0.6');
    const c = new Client(port, '127.0.0.7', '127.0.0.6');
    try {
      await expect(c.writeProperty({ type: BO, instance: 1 }, PV, [{ type: 9, value: 1 }], 16)).rejects.toThrow(/Class:2 - Code:40/);
      expect(site.snapshot().relays[0].on).toBe(false);
    } finally {
      c.close();
      await readOnly.device.close();
    }
  });

  it('sends a confirmed OUT_OF_RANGE event notification when a voltage crosses High_Limit, and back to normal', async () => {
    const events: { eventObjectId: { type: number; instance: number }; fromState: number; toState: number; eventType: number; notifyType: number; priority: number; processId: number }[] = [];
    const onEvent = (n: { address: string; invokeId: number; request: (typeof events)[number] }) => {
      events.push(n.request);
      client.raw.simpleAckResponse(n.address, 2, n.invokeId);
    };
    client.raw.on('eventNotifyData', onEvent);
    try {
      const high = await client.readProperty({ type: AI, instance: 41 }, 45);
      expect(first(high)).toBeCloseTo(14.4, 5);
      site.update((tx) => tx.moduleReadings(4, { voltageV: 14.3 })); // below High_Limit: nothing
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toHaveLength(0);
      site.update((tx) => tx.moduleReadings(4, { voltageV: 14.6 }));
      await waitFor(() => events.length === 1, 3000, 'the to-offnormal event');
      expect(events[0]).toMatchObject({ processId: 7, eventObjectId: { type: AI, instance: 41 }, eventType: 5, notifyType: 0, fromState: 0, toState: 3, priority: 64 });
      expect(first(await client.readProperty({ type: AI, instance: 41 }, 36))).toBe(3);
      expect(first(await client.readProperty({ type: AI, instance: 41 }, STATUS_FLAGS))).toEqual({ bitsUsed: 4, value: [1] });
      site.update((tx) => tx.moduleReadings(4, { voltageV: 14.37 })); // inside the deadband: still high
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toHaveLength(1);
      site.update((tx) => tx.moduleReadings(4, { voltageV: 13.6 }));
      await waitFor(() => events.length === 2, 3000, 'the to-normal event');
      expect(events[1]).toMatchObject({ fromState: 3, toState: 0, priority: 128 });
    } finally {
      client.raw.off('eventNotifyData', onEvent);
    }
  });

  it('shows a stale module as fault in Status_Flags and Reliability', async () => {
    site.update((tx) => tx.moduleQuality(5, 'stale'));
    const r = await client.readPropertyMultiple([{ objectId: { type: AI, instance: 51 }, properties: [{ id: STATUS_FLAGS }, { id: 103 }, { id: 36 }] }]);
    expect(r.values[0].values.map((p) => p.value[0].value)).toEqual([{ bitsUsed: 4, value: [2] }, 12, 1]);
    site.update((tx) => tx.moduleReadings(5, { voltageV: 13.55 }));
    expect(first(await client.readProperty({ type: AI, instance: 51 }, 103))).toBe(0);
  });

  it('leaves a capture that tshark dissects as BACnet without malformed packets', async () => {
    await capture.stop();
    const decode = ['-d', `udp.port==${port},bvlc`];
    const all = await run('tshark', ['-r', capture.pcap, ...decode, '-Y', 'bacapp', '-T', 'fields', '-e', 'bacapp.type', '-e', 'bacapp.confirmed_service', '-e', 'bacapp.unconfirmed_service'], { timeoutMs: 60_000 });
    expect(all.code).toBe(0);
    const rows = all.stdout.trim().split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(100);
    const types = new Set(rows.map((r) => r.split('\t')[0]));
    for (const t of ['0', '1', '2', '3', '4', '5', '7']) expect(types).toContain(t); // requests, acks, segment acks, error, abort
    const malformed = await run('tshark', ['-r', capture.pcap, ...decode, '-Y', '_ws.malformed || _ws.expert.severity >= error'], { timeoutMs: 60_000 });
    expect(malformed.code).toBe(0);
    expect(malformed.stdout.trim()).toBe('');
  }, 120_000);
});
