// Services checked byte for byte on loopback: Who-Has/I-Have, DeviceCommunicationControl with a
// password, GetEventInformation and AcknowledgeAlarm, unconfirmed event notifications, and
// foreign-device registration with a BBMD (a socket playing the BBMD).
import { createSocket, Socket } from 'node:dgram';
import type { Site } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, waitFor } from '@kirchhoff/test-support';
import type { BacnetDevice } from './index';
import { apduOf, Client, confirmedRequest, fixtureSite, first, objectIdTag, rawExchange, startCapture, startFixture } from './test-helpers/fixture';

const charString = (tag: number, s: string) => [(tag << 4) | 0x08 | 5, s.length + 1, 0x00, ...Buffer.from(s)];

async function listen(host: string, port = 0): Promise<{ sock: Socket; got: { msg: Buffer; from: string }[]; port: number }> {
  const sock = createSocket('udp4');
  const got: { msg: Buffer; from: string }[] = [];
  sock.on('message', (msg, r) => got.push({ msg, from: `${r.address}:${r.port}` }));
  await new Promise<void>((r) => sock.bind(port, host, () => r()));
  return { sock, got, port: sock.address().port };
}

describeWithTools(['dumpcap', 'tshark'], 'BACnet services on the wire', () => {
  let capture: Awaited<ReturnType<typeof startCapture>>;
  let site: Site;
  let device: BacnetDevice;
  let port: number;
  let client: Client;
  let recipient: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    site = fixtureSite();
    recipient = await listen('127.0.0.11');
    port = await freeUdpPort();
    capture = await startCapture([port]);
    ({ device } = await startFixture(site, {
      dccPassword: 'let-me-in',
      recipients: [{ address: `127.0.0.11:${recipient.port}`, processId: 3 }],
      ackRequired: [true, true, true],
    }, port));
    client = new Client(port);
  });

  afterAll(async () => {
    client?.close();
    await device?.close();
    recipient?.sock.close();
    await capture?.stop();
  });

  it('answers Who-Has by name and by identifier with I-Have, and stays silent for what it lacks', async () => {
    const whoHas = (body: number[]) => Buffer.from([0x81, 0x0a, 0x00, 6 + 2 + body.length, 0x01, 0x00, 0x10, 0x07, ...body]);
    const iHave = [0x10, 0x01, 0xc4, ...objectIdTag(8, 1234).slice(1), 0xc4, ...objectIdTag(0, 21).slice(1), 0x75, 16, 0x00, ...Buffer.from('S01-M02 Voltage')];
    expect((await rawExchange(port, [whoHas(charString(3, 'S01-M02 Voltage'))], { replies: 1 })).map((d) => [...apduOf(d)])).toEqual([iHave]);
    expect((await rawExchange(port, [whoHas(objectIdTag(0, 21, 2))], { replies: 1 })).map((d) => [...apduOf(d)])).toEqual([iHave]);
    expect(await rawExchange(port, [whoHas(charString(3, 'No such thing'))])).toEqual([]);
    expect(await rawExchange(port, [whoHas([0x09, 0x01, 0x19, 0x02, ...objectIdTag(0, 21, 2)])])).toEqual([]); // out of range
  });

  it('takes DeviceCommunicationControl only with the password, falls silent, and comes back', async () => {
    await expect(client.deviceCommunicationControl(0, 1, 'wrong')).rejects.toThrow(/Class:4 - Code:26/);
    await expect(client.deviceCommunicationControl(0, 1)).rejects.toThrow(/Class:4 - Code:26/);
    await client.deviceCommunicationControl(0, 1, 'let-me-in');
    await expect(client.readProperty({ type: 0, instance: 11 }, 85)).rejects.toThrow(/ERR_TIMEOUT/);
    const iams: unknown[] = [];
    client.raw.on('iAm', (d) => iams.push(d));
    client.raw.whoIs({ address: '127.0.0.2' });
    await new Promise((r) => setTimeout(r, 300));
    expect(iams).toEqual([]);
    await client.deviceCommunicationControl(0, 0, 'let-me-in');
    expect(first(await client.readProperty({ type: 0, instance: 11 }, 85))).toBeCloseTo(site.snapshot().modules[0].voltageV.value!, 5);
    client.raw.whoIs({ address: '127.0.0.2' });
    await waitFor(() => iams.length === 1, 3000, 'I-Am after re-enabling');
    // disable-initiation: requests are still answered.
    await client.deviceCommunicationControl(1, 2, 'let-me-in');
    expect(first(await client.readProperty({ type: 8, instance: 1234 }, 77))).toBe('Test site');
    await client.deviceCommunicationControl(0, 0, 'let-me-in');
    const services = await client.readProperty({ type: 8, instance: 1234 }, 97);
    expect(JSON.stringify(services.values[0].value)).toBeTruthy();
  }, 120_000);

  it('reports an alarm in GetEventInformation and takes AcknowledgeAlarm with the right time stamp only', async () => {
    recipient.got.length = 0;
    site.update((tx) => tx.moduleReadings(6, { voltageV: 11.0 })); // below Low_Limit 11.4
    await waitFor(() => recipient.got.length === 1, 3000, 'the unconfirmed event notification');
    const note = apduOf(recipient.got[0].msg);
    expect([...note.subarray(0, 2)]).toEqual([0x10, 0x03]); // UnconfirmedEventNotification
    expect(note.includes(Buffer.from(objectIdTag(0, 61, 2)))).toBe(true);
    const [info] = await rawExchange(port, [confirmedRequest(29, 40, [])], { replies: 1 });
    const ack = apduOf(info);
    expect([...ack.subarray(0, 3)]).toEqual([0x30, 40, 29]);
    expect(ack.includes(Buffer.from([...objectIdTag(0, 61, 0), 0x19, 0x04]))).toBe(true); // low-limit
    // The to-offnormal time stamp as the device encodes it, from Event_Time_Stamps[1].
    const [stamps] = await rawExchange(port, [confirmedRequest(12, 41, [...objectIdTag(0, 61), 0x19, 130, 0x29, 0x01])], { replies: 1 });
    const rp = apduOf(stamps);
    const stamp = [...rp.subarray(rp.indexOf(0x3e) + 1, rp.length - 1)];
    expect(stamp[0]).toBe(0x2e); // [2] date-time
    const ackAlarm = (id: number, ts: number[]) => confirmedRequest(0, id, [0x09, 0x01, ...objectIdTag(0, 61, 1), 0x29, 0x04, 0x3e, ...ts, 0x3f, ...charString(4, 'operator'), 0x5e, ...ts, 0x5f]);
    const wrong = [0x19, 0x05]; // [1] sequence number 5
    expect((await rawExchange(port, [ackAlarm(42, wrong)], { replies: 1 })).map((d) => [...apduOf(d)])).toEqual([[0x50, 42, 0, 0x91, 5, 0x91, 14]]); // services, invalid-time-stamp (clause 21 BACnetErrorCode: 14)
    recipient.got.length = 0;
    expect((await rawExchange(port, [ackAlarm(43, stamp)], { replies: 1 })).map((d) => [...apduOf(d)])).toEqual([[0x20, 43, 0]]);
    expect(first(await client.readProperty({ type: 0, instance: 61 }, 0))).toEqual({ bitsUsed: 3, value: [7] }); // all transitions acknowledged
    await waitFor(() => recipient.got.length === 1, 3000, 'the acknowledgement notification');
    expect(apduOf(recipient.got[0].msg).includes(Buffer.from([0x89, 0x02]))).toBe(true); // notifyType ack-notification
    site.update((tx) => tx.moduleReadings(6, { voltageV: 13.5 }));
    await waitFor(() => recipient.got.length === 2, 3000, 'the to-normal notification');
  });

  it('leaves a capture that tshark dissects as BACnet without malformed packets', async () => {
    expect(await capture.count('bacapp.unconfirmed_service == 3')).toBeGreaterThanOrEqual(3); // event and ack notifications
    expect(await capture.count('bacapp.confirmed_service == 0 || bacapp.confirmed_service == 29 || bacapp.confirmed_service == 17')).toBeGreaterThan(8);
    expect(await capture.count('bacapp.unconfirmed_service == 1')).toBeGreaterThanOrEqual(2); // I-Have
    expect(await capture.malformed()).toBe('');
  }, 120_000);
});

describeWithTools(['dumpcap', 'tshark'], 'foreign-device registration', () => {
  it('registers with the BBMD, broadcasts through it, and answers forwarded Who-Is at the originator', async () => {
    const bbmd = await listen('127.0.0.12');
    const originator = await listen('127.0.0.13');
    const port = await freeUdpPort();
    const capture = await startCapture([port]);
    const said: string[] = [];
    const logger = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
    const { device } = await startFixture(fixtureSite(1, 2), { bbmd: { address: `127.0.0.12:${bbmd.port}`, ttlS: 60 }, logger }, port);
    try {
      await waitFor(() => bbmd.got.length === 1, 3000, 'Register-Foreign-Device');
      expect([...bbmd.got[0].msg]).toEqual([0x81, 0x05, 0x00, 0x06, 0x00, 60]);
      expect(bbmd.got[0].from).toBe(`127.0.0.2:${port}`);
      bbmd.sock.send(Buffer.from([0x81, 0x00, 0x00, 0x06, 0x00, 0x00]), port, '127.0.0.2');
      // Broadcasts go through the BBMD once the device has its acceptance (BVLC-Result 0).
      await waitFor(() => said.some((m) => m.startsWith('registered as a foreign device with the BBMD at 127.0.0.12:')), 3000, 'the registration accepted');
      device.announce();
      await waitFor(() => bbmd.got.length === 2, 3000, 'I-Am through the BBMD');
      expect([...bbmd.got[1].msg.subarray(0, 2)]).toEqual([0x81, 0x09]); // Distribute-Broadcast-To-Network
      expect([...apduOf(bbmd.got[1].msg).subarray(0, 2)]).toEqual([0x10, 0x00]); // I-Am
      const [a, b, c, d] = [127, 0, 0, 13];
      const whoIs = Buffer.from([0x81, 0x04, 0x00, 0x0e, a, b, c, d, originator.port >> 8, originator.port & 0xff, 0x01, 0x00, 0x10, 0x08]);
      bbmd.sock.send(whoIs, port, '127.0.0.2');
      await waitFor(() => originator.got.length === 1, 3000, 'I-Am at the originator');
      expect([...originator.got[0].msg.subarray(0, 2)]).toEqual([0x81, 0x0a]);
      expect([...apduOf(originator.got[0].msg).subarray(0, 2)]).toEqual([0x10, 0x00]);
      expect(await capture.count('bvlc.function == 0x05 || bvlc.function == 0x09 || bvlc.function == 0x04')).toBe(3);
      expect(await capture.malformed()).toBe('');
    } finally {
      await capture.stop();
      await device.close();
      bbmd.sock.close();
      originator.sock.close();
    }
  });
});
