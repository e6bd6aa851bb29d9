// The alarm Binary Values on the wire: a core alarm (thermal runaway, module alarm, UPS on battery,
// balancing disabled) becomes a CHANGE_OF_STATE event notification to the Notification Class
// recipients (bacstack confirmed, a raw socket unconfirmed), ReadPropertyMultiple shows it,
// GetEventInformation lists it, AcknowledgeAlarm takes it; tshark dissects all of it.
import { createSocket, Socket } from 'node:dgram';
import type { AlarmCondition, Site } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, waitFor } from '@kirchhoff/test-support';
import type { BacnetDevice } from './index';
import { apduOf, Client, CLIENT_HOST, confirmedRequest, fixtureSite, first, objectIdTag, rawExchange, startCapture, startFixture } from './test-helpers/fixture';

const BV = 5;
const PV = 85, EVENT_STATE = 36, STATUS_FLAGS = 111, NAME = 77, ACKED = 0, EVENT_TIME_STAMPS = 130;
const S02_RUNAWAY = 10021, S01_RUNAWAY = 10011, S01_MODULE = 10014, UPS_ON_BATTERY = 10001, BALANCING = 10002, CRITICAL = 10003;
const RAW_HOST = '127.0.0.22';

// As the runaway engine raises it: about the block that runs away (module 2), shown on the string's object.
const runaway = (string: number, modulesPerString = 4): AlarmCondition => ({
  kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'module', string, module: 2, global: (string - 1) * modulesPerString + 2 },
  message: `S0${string} thermal runaway: S0${string}-M02 rising 14.2 K/h`, value: 14.2, limit: 10,
});

interface EventNote {
  processId: number; initiatingObjectId: { type: number; instance: number }; eventObjectId: { type: number; instance: number };
  notificationClass: number; priority: number; eventType: number; messageText?: string; notifyType: number; ackRequired?: boolean; fromState: number; toState: number;
}

/** change-of-state [1] { new-state [0] { binary-value [1] v }, status-flags [1] } inside event-values [12]. */
const changeOfState = (active: boolean, inAlarm: boolean) => [0xce, 0x1e, 0x0e, 0x19, active ? 1 : 0, 0x0f, 0x1a, 0x04, inAlarm ? 0x80 : 0x00, 0x1f, 0xcf];

function contains(haystack: Buffer, needle: readonly number[]): boolean {
  return haystack.includes(Buffer.from(needle));
}

async function listen(host: string): Promise<{ sock: Socket; got: Buffer[]; port: number }> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (msg) => got.push(msg));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return { sock, got, port: sock.address().port };
}

describeWithTools(['dumpcap', 'tshark'], 'alarm Binary Values with CHANGE_OF_STATE event notifications', () => {
  let site: Site;
  let device: BacnetDevice;
  let port: number;
  let client: Client;
  let raw: Awaited<ReturnType<typeof listen>>;
  let capture: Awaited<ReturnType<typeof startCapture>>;
  const notes: EventNote[] = [];

  beforeAll(async () => {
    site = fixtureSite();
    port = await freeUdpPort();
    raw = await listen(RAW_HOST);
    capture = await startCapture([port, raw.port]);
    ({ device } = await startFixture(site, {
      recipients: [
        { address: `${CLIENT_HOST}:${port}`, processId: 9, confirmed: true },
        { address: `${RAW_HOST}:${raw.port}`, processId: 10 },
      ],
    }, port));
    client = new Client(port);
    client.raw.on('eventNotifyData', (n: { address: string; invokeId: number; request: EventNote }) => {
      notes.push(n.request);
      client.raw.simpleAckResponse(n.address, 2, n.invokeId);
    });
  });

  afterAll(async () => {
    client?.close();
    await device?.close();
    raw?.sock.close();
    await capture?.stop();
  });

  const forObject = (instance: number) => notes.filter((n) => n.eventObjectId.type === BV && n.eventObjectId.instance === instance);
  const rawFor = (instance: number) => raw.got.map(apduOf).filter((a) => contains(a, objectIdTag(BV, instance, 2)));
  const read = async (instance: number) => {
    const r = await client.readPropertyMultiple([{ objectId: { type: BV, instance }, properties: [{ id: NAME }, { id: PV }, { id: EVENT_STATE }, { id: STATUS_FLAGS }, { id: ACKED }] }]);
    return r.values[0].values.map((p) => p.value[0].value);
  };

  it('names and numbers the objects as documented, all normal while no alarm is active', async () => {
    expect(await read(S02_RUNAWAY)).toEqual(['S02 Thermal runaway', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    expect(await read(S01_MODULE)).toEqual(['S01 Module alarm', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    expect(await read(UPS_ON_BATTERY)).toEqual(['UPS on battery', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    expect(await read(BALANCING)).toEqual(['Balancing disabled', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    expect(await read(CRITICAL)).toEqual(['Critical alarm', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    const r = await client.readPropertyMultiple([{ objectId: { type: BV, instance: S02_RUNAWAY }, properties: [{ id: 6 }, { id: 35 }, { id: 17 }, { id: 113 }, { id: 72 }, { id: 4 }, { id: 46 }] }]);
    // Alarm_Value active, Event_Enable to-offnormal + to-normal, Notification_Class 1, Time_Delay 0, Notify_Type alarm, texts.
    expect(r.values[0].values.map((p) => p.value[0].value)).toEqual([1, { bitsUsed: 3, value: [5] }, 1, 0, 0, 'Alarm', 'Normal']);
    expect(notes).toEqual([]);
    expect(raw.got).toEqual([]);
  });

  it('sends S02 Thermal runaway to-offnormal, new state active, within 2 s of the alarm, to every recipient', async () => {
    site.reconcileAlarms('runaway', [runaway(2)]);
    await waitFor(() => forObject(S02_RUNAWAY).length === 1 && rawFor(S02_RUNAWAY).length === 1, 2000, 'the S02 Thermal runaway notifications');
    expect(forObject(S02_RUNAWAY)[0]).toMatchObject({
      processId: 9, initiatingObjectId: { type: 8, instance: 1234 }, eventObjectId: { type: BV, instance: S02_RUNAWAY },
      notificationClass: 1, priority: 64, eventType: 1, notifyType: 0, ackRequired: true, fromState: 0, toState: 2,
      messageText: 'S02 Thermal runaway: S02 thermal runaway: S02-M02 rising 14.2 K/h',
    });
    const apdu = rawFor(S02_RUNAWAY)[0];
    expect([...apdu.subarray(0, 4)]).toEqual([0x10, 0x03, 0x09, 10]); // UnconfirmedEventNotification, process id 10
    expect(contains(apdu, [0x69, 0x01])).toBe(true); // [6] event-type change-of-state
    expect(contains(apdu, [0xb9, 0x02])).toBe(true); // [11] to-state offnormal
    expect(contains(apdu, changeOfState(true, true))).toBe(true);
    // A critical alarm also makes the site's Critical alarm active; string 1 stays quiet.
    await waitFor(() => forObject(CRITICAL).length === 1, 2000, 'the Critical alarm notification');
    expect(forObject(CRITICAL)[0]).toMatchObject({ fromState: 0, toState: 2, eventType: 1 });
    expect(forObject(S01_RUNAWAY)).toEqual([]);
  });

  it('shows the active object in ReadPropertyMultiple and GetEventInformation', async () => {
    expect(await read(S02_RUNAWAY)).toEqual(['S02 Thermal runaway', 1, 2, { bitsUsed: 4, value: [1] }, { bitsUsed: 3, value: [6] }]);
    expect(await read(S01_RUNAWAY)).toEqual(['S01 Thermal runaway', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
    const [info] = await rawExchange(port, [confirmedRequest(29, 50, [])], { replies: 1 });
    const ack = apduOf(info);
    expect([...ack.subarray(0, 3)]).toEqual([0x30, 50, 29]);
    // BV 10021, event state offnormal (2), acknowledged transitions: to-offnormal not yet.
    expect(contains(ack, [...objectIdTag(BV, S02_RUNAWAY, 0), 0x19, 0x02, 0x2a, 0x05, 0x60])).toBe(true);
    expect(contains(ack, [...objectIdTag(BV, CRITICAL, 0), 0x19, 0x02])).toBe(true);
    expect(contains(ack, objectIdTag(BV, S01_RUNAWAY, 0))).toBe(false);
  });

  it('takes AcknowledgeAlarm with the to-offnormal time stamp and sends the ack-notification', async () => {
    const [stamps] = await rawExchange(port, [confirmedRequest(12, 51, [...objectIdTag(BV, S02_RUNAWAY), 0x19, EVENT_TIME_STAMPS, 0x29, 0x01])], { replies: 1 });
    const rp = apduOf(stamps);
    const stamp = [...rp.subarray(rp.indexOf(0x3e) + 1, rp.length - 1)];
    expect(stamp[0]).toBe(0x2e); // [2] date-time
    const before = forObject(S02_RUNAWAY).length;
    const ackText = [0x4d, 9, 0x00, ...Buffer.from('operator')];
    const ackAlarm = confirmedRequest(0, 52, [0x09, 0x01, ...objectIdTag(BV, S02_RUNAWAY, 1), 0x29, 0x02, 0x3e, ...stamp, 0x3f, ...ackText, 0x5e, ...stamp, 0x5f]);
    expect((await rawExchange(port, [ackAlarm], { replies: 1 })).map((d) => [...apduOf(d)])).toEqual([[0x20, 52, 0]]); // SimpleACK
    expect(first(await client.readProperty({ type: BV, instance: S02_RUNAWAY }, ACKED))).toEqual({ bitsUsed: 3, value: [7] });
    await waitFor(() => forObject(S02_RUNAWAY).length === before + 1, 2000, 'the ack-notification');
    expect(forObject(S02_RUNAWAY)[before]).toMatchObject({ notifyType: 2, toState: 2, eventType: 1 });
    // Acknowledged and still active: GetEventInformation keeps listing it (event state offnormal).
    const [info] = await rawExchange(port, [confirmedRequest(29, 53, [])], { replies: 1 });
    expect(contains(apduOf(info), [...objectIdTag(BV, S02_RUNAWAY, 0), 0x19, 0x02, 0x2a, 0x05, 0xe0])).toBe(true);
  });

  it('sends to-normal, new state inactive, when the alarm clears', async () => {
    const before = forObject(S02_RUNAWAY).length;
    const rawBefore = rawFor(S02_RUNAWAY).length;
    site.reconcileAlarms('runaway', []);
    await waitFor(() => forObject(S02_RUNAWAY).length === before + 1 && rawFor(S02_RUNAWAY).length === rawBefore + 1, 2000, 'the to-normal notifications');
    expect(forObject(S02_RUNAWAY)[before]).toMatchObject({ fromState: 2, toState: 0, priority: 128, notifyType: 0, ackRequired: false, messageText: 'S02 Thermal runaway: normal' });
    expect(contains(rawFor(S02_RUNAWAY)[rawBefore], changeOfState(false, false))).toBe(true);
    await waitFor(() => forObject(CRITICAL).length === 2, 2000, 'Critical alarm to-normal');
    expect(await read(S02_RUNAWAY)).toEqual(['S02 Thermal runaway', 0, 0, { bitsUsed: 4, value: [0] }, { bitsUsed: 3, value: [7] }]);
  });

  it('follows the site\'s own alarm evaluation: module alarms by severity, UPS on battery, balancing disabled', async () => {
    // A warning-level module voltage is not a Module alarm; an alarm-level one is.
    site.update((tx) => tx.moduleReadings(2, { voltageV: 14.2 })); // above warnHigh 14.1, below alarmHigh 14.4
    site.evaluateAlarms();
    const alarms = site.snapshot().alarms.map((a) => `${a.kind}:${a.severity}`);
    expect(alarms).toContain('module-voltage-high:warning');
    expect(alarms.filter((a) => !a.endsWith(':warning'))).toEqual([]);
    expect((await read(S01_MODULE))[1]).toBe(0);
    site.update((tx) => tx.module(3, { fuse: 'blown' }));
    site.evaluateAlarms();
    await waitFor(() => forObject(S01_MODULE).length === 1, 2000, 'S01 Module alarm to-offnormal');
    expect(forObject(S01_MODULE)[0]).toMatchObject({ toState: 2, messageText: 'S01 Module alarm: S01-M03 fuse blown' });
    expect((await read(S01_MODULE)).slice(1, 3)).toEqual([1, 2]);
    site.update((tx) => tx.ups({ output: { source: 'battery' } }));
    site.update((tx) => tx.balancing({ enabled: false, disabledReason: 'fuse blown on S01-M03' }));
    site.evaluateAlarms();
    await waitFor(() => forObject(UPS_ON_BATTERY).length === 1 && forObject(BALANCING).length === 1, 2000, 'UPS on battery and Balancing disabled');
    expect((await read(UPS_ON_BATTERY)).slice(1, 3)).toEqual([1, 2]);
    expect((await read(BALANCING)).slice(1, 3)).toEqual([1, 2]);
    // Back to normal: every object returns to normal with a to-normal notification.
    site.update((tx) => {
      tx.moduleReadings(2, { voltageV: 13.5 });
      tx.module(3, { fuse: 'ok' });
      tx.ups({ output: { source: 'normal' } });
      tx.balancing({ enabled: true, disabledReason: null });
    });
    site.evaluateAlarms();
    await waitFor(() => [S01_MODULE, UPS_ON_BATTERY, BALANCING].every((i) => forObject(i).at(-1)?.toState === 0), 2000, 'the to-normal notifications');
    for (const i of [S01_MODULE, UPS_ON_BATTERY, BALANCING]) expect((await read(i)).slice(1, 3)).toEqual([0, 0]);
  });

  it('notifies COV subscribers of an alarm object and refuses writes to it', async () => {
    const cov: { pv: number; flags: unknown }[] = [];
    const onCov = (n: { request: { monitoredObjectId: { instance: number }; values: { property: { id: number }; value: { value: unknown }[] }[] } }) => {
      if (n.request.monitoredObjectId.instance !== 10022) return;
      const v = (id: number) => n.request.values.find((x) => x.property.id === id)!.value[0].value;
      cov.push({ pv: v(PV) as number, flags: v(STATUS_FLAGS) });
    };
    client.raw.on('covNotifyUnconfirmed', onCov);
    try {
      await client.subscribeCov({ type: BV, instance: 10022 }, 12, false, false, 300);
      await waitFor(() => cov.length === 1, 2000, 'the initial COV notification');
      site.reconcileAlarms('test', [{ kind: 'string-ground-fault', severity: 'alarm', entity: { kind: 'string', string: 2 }, message: 'S02 ground-fault current 0.31 A above alarm limit 0.3 A', value: 0.31, limit: 0.3 }]);
      await waitFor(() => cov.length === 2, 2000, 'the COV notification of S02 Ground fault');
      expect(cov).toEqual([{ pv: 0, flags: { bitsUsed: 4, value: [0] } }, { pv: 1, flags: { bitsUsed: 4, value: [1] } }]);
      await expect(client.writeProperty({ type: BV, instance: 10022 }, PV, [{ type: 9, value: 0 }], 8)).rejects.toThrow(/Class:2 - Code:40/); // write-access-denied
      site.reconcileAlarms('test', []);
      await waitFor(() => cov.length === 3, 2000, 'the COV notification back to normal');
      expect(cov[2]).toEqual({ pv: 0, flags: { bitsUsed: 4, value: [0] } });
      await client.subscribeCov({ type: BV, instance: 10022 }, 12, true, false, 0);
    } finally {
      client.raw.off('covNotifyUnconfirmed', onCov);
    }
  });

  it('leaves a capture that tshark dissects as change-of-state notifications without malformed packets', async () => {
    // tshark as an independent decoder of the notification parameters (change-of-state [1]).
    const s02 = await capture.dissect(`bacapp.event_type == 1 && bacapp.unconfirmed_service == 3 && bacapp.notify_type == 0 && bacapp.instance_number == ${S02_RUNAWAY}`);
    const frames = s02.split(/\n(?=Frame \d+:)/).map((f) => f.slice(f.indexOf('Event Type')));
    expect(frames).toHaveLength(2);
    for (const [f, toState, newState, inAlarm] of [[frames[0], 'offnormal (2)', 'active (1)', 'TRUE'], [frames[1], 'normal (0)', 'inactive (0)', 'FALSE']] as const) {
      expect(f).toContain('Event Type: change-of-state (1)');
      expect(f).toContain(`To State: ${toState}`);
      expect(f).toContain('notification parameters (1) change-of-state');
      expect(f).toMatch(new RegExp(`binary-value:\\s+${newState.replace(/[()]/g, '\\$&')}`));
      expect(f).toContain(`in-alarm = ${inAlarm}`);
    }
    expect(await capture.count('bacapp.event_type == 1 && (bacapp.confirmed_service == 2 || bacapp.unconfirmed_service == 3)')).toBeGreaterThanOrEqual(10);
    expect(await capture.malformed()).toBe('');
  }, 120_000);
});

describeWithTools(['dumpcap', 'tshark'], 'alarm Binary Values of alarms active before the device started', () => {
  it('starts offnormal and notifies the recipients at once', async () => {
    const site = fixtureSite(2, 2);
    site.reconcileAlarms('runaway', [runaway(1, 2)]);
    const raw = await listen(RAW_HOST);
    const port = await freeUdpPort();
    const capture = await startCapture([port, raw.port]);
    const { device } = await startFixture(site, { recipients: [{ address: `${RAW_HOST}:${raw.port}`, processId: 4 }] }, port);
    const client = new Client(port);
    try {
      await waitFor(() => raw.got.length === 3, 2000, 'S01 Thermal runaway, S01 Module alarm (the block that runs away) and Critical alarm');
      const apdus = raw.got.map(apduOf);
      expect(apdus.filter((a) => contains(a, objectIdTag(BV, S01_RUNAWAY, 2)) && contains(a, changeOfState(true, true)))).toHaveLength(1);
      expect(apdus.filter((a) => contains(a, objectIdTag(BV, S01_MODULE, 2)) && contains(a, changeOfState(true, true)))).toHaveLength(1);
      expect(apdus.filter((a) => contains(a, objectIdTag(BV, CRITICAL, 2)))).toHaveLength(1);
      const r = await client.readPropertyMultiple([{ objectId: { type: BV, instance: S01_RUNAWAY }, properties: [{ id: PV }, { id: EVENT_STATE }] }]);
      expect(r.values[0].values.map((p) => p.value[0].value)).toEqual([1, 2]);
      expect(await capture.malformed()).toBe('');
    } finally {
      client.close();
      await device.close();
      raw.sock.close();
      await capture.stop();
    }
  });
});
