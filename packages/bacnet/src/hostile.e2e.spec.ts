// Hostile input on the wire: malformed BVLC, NPDU and APDU, unknown services, objects and
// properties, random bytes. Each gets the standard Reject, Abort, Error or silence, the device
// logs once per kind, and a bacstack client keeps getting answers throughout.
import type { Site } from '@kirchhoff/core';
import type { BacnetDevice } from './index';
import { describeWithTools, freeUdpPort } from '@kirchhoff/test-support';
import { apduOf, Client, confirmedRequest, DEVICE_HOST, fixtureSite, first, objectIdTag, rawExchange, startCapture, startFixture } from './test-helpers/fixture';

const RP = 12;
const PV = 85;

describeWithTools(['dumpcap', 'tshark'], 'hostile input', () => {
  let capture: Awaited<ReturnType<typeof startCapture>>;
  let site: Site;
  let device: BacnetDevice;
  let port: number;
  let client: Client;
  const warnings: string[] = [];

  beforeAll(async () => {
    site = fixtureSite();
    port = await freeUdpPort();
    capture = await startCapture([port]);
    ({ device } = await startFixture(site, { logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } }, port));
    client = new Client(port);
  });

  afterAll(async () => {
    client?.close();
    await device?.close();
    await capture?.stop();
  });

  const stillServes = async () => expect(first(await client.readProperty({ type: 0, instance: 11 }, PV))).toBeCloseTo(site.snapshot().modules[0].voltageV.value!, 5);
  // `replies`: how many answers to wait for (a busy machine may take seconds); none: wait 150 ms for silence.
  const exchange = async (d: Buffer | number[], replies?: number) => (await rawExchange(port, [Buffer.isBuffer(d) ? d : Buffer.from(d)], { waitMs: replies ? 50 : 150, replies })).map((r) => [...r]);
  const apdus = async (d: Buffer, replies?: number) => (await rawExchange(port, [d], { waitMs: replies ? 50 : 150, replies })).map((r) => [...apduOf(r)]);
  const rpBody = [...objectIdTag(0, 11), 0x19, PV];

  it('drops malformed BVLC silently and answers BBMD functions with their BVLC-Result NAK', async () => {
    expect(await exchange([0x81])).toEqual([]);
    expect(await exchange([0x82, 0x0a, 0x00, 0x04])).toEqual([]); // not BACnet/IP
    const rp = confirmedRequest(RP, 1, rpBody);
    expect(await exchange(Buffer.concat([rp, Buffer.from([0, 0])]))).toEqual([]); // length field disagrees
    expect(await exchange([0x81, 0x04, 0x00, 0x08, 127, 0, 0, 1])).toEqual([]); // Forwarded-NPDU without its address
    expect(await exchange([0x81, 0x02, 0x00, 0x04], 1)).toEqual([[0x81, 0x00, 0x00, 0x06, 0x00, 0x20]]); // Read-BDT NAK
    expect(await exchange([0x81, 0x05, 0x00, 0x06, 0x00, 0x3c], 1)).toEqual([[0x81, 0x00, 0x00, 0x06, 0x00, 0x30]]); // Register-Foreign-Device NAK
    expect(await exchange([0x81, 0x09, 0x00, 0x04], 1)).toEqual([[0x81, 0x00, 0x00, 0x06, 0x00, 0x60]]); // Distribute-Broadcast NAK
    expect(await exchange([0x81, 0x7f, 0x00, 0x04])).toEqual([]); // unknown function
    await stillServes();
  });

  it('drops malformed NPDUs and network layer messages', async () => {
    expect(await exchange([0x81, 0x0a, 0x00, 0x05, 0x01])).toEqual([]); // NPDU cut after the version
    expect(await exchange([0x81, 0x0a, 0x00, 0x0a, 0x02, 0x04, 0x00, 0x05, 0x01, 0x0c])).toEqual([]); // version 2
    expect(await exchange([0x81, 0x0a, 0x00, 0x0a, 0x01, 0x44, 0x00, 0x05, 0x01, 0x0c])).toEqual([]); // reserved control bit
    expect(await exchange([0x81, 0x0a, 0x00, 0x07, 0x01, 0x20, 0x00])).toEqual([]); // DNET cut short
    expect(await exchange([0x81, 0x0a, 0x00, 0x09, 0x01, 0x08, 0x00, 0x05, 0x06])).toEqual([]); // SADR cut short
    expect(await exchange([0x81, 0x0b, 0x00, 0x07, 0x01, 0x80, 0x00])).toEqual([]); // Who-Is-Router-To-Network
    const remote = [0x81, 0x0a, 0x00, 0x10, 0x01, 0x24, 0x00, 0x07, 0x00, 0xff, 0x00, 0x05, 0x01, 0x0c, 0x19, 0x55]; // for network 7
    expect(await exchange(remote)).toEqual([]);
    await stillServes();
  });

  it('rejects malformed confirmed requests with the reason, and unknown services as unrecognized', async () => {
    const reject = (id: number, reason: number) => [[0x60, id, reason]];
    expect(await apdus(Buffer.from([0x81, 0x0a, 0x00, 0x09, 0x01, 0x04, 0x00, 0x05, 0x07]), 1)).toEqual(reject(7, 5)); // no service choice
    expect(await apdus(confirmedRequest(0x1f, 8, []), 1)).toEqual(reject(8, 9)); // unknown service
    expect(await apdus(confirmedRequest(20, 9, [0x09, 0x00]), 1)).toEqual(reject(9, 9)); // ReinitializeDevice: not offered
    expect(await apdus(confirmedRequest(17, 10, [0x19, 0x00]), 1)).toEqual(reject(10, 9)); // DCC: not offered without a password
    expect(await apdus(confirmedRequest(RP, 11, rpBody.slice(0, 3)), 1)).toEqual(reject(11, 5)); // truncated object id
    expect(await apdus(confirmedRequest(RP, 12, [...rpBody, 0x29, 0x01, 0x00]), 1)).toEqual(reject(12, 7)); // left-over octet
    expect(await apdus(confirmedRequest(RP, 13, [0x19, PV, ...objectIdTag(0, 11)]), 1)).toEqual(reject(13, 4)); // tags swapped
    expect(await apdus(confirmedRequest(RP, 14, [...objectIdTag(0, 11), 0x1c, 0x55]), 1)).toEqual(reject(14, 5)); // length 4, one octet left
    expect(await apdus(confirmedRequest(RP, 17, [...objectIdTag(0, 11), 0x1d, 0x55]), 1)).toEqual(reject(17, 3)); // an 85-octet property identifier
    expect(await apdus(confirmedRequest(14, 15, [...objectIdTag(0, 11), 0x1e, 0x1f]), 1)).toEqual(reject(15, 5)); // RPM with no properties
    expect(await apdus(confirmedRequest(15, 16, [...objectIdTag(4, 1), 0x19, PV, 0x3e, 0x91, 0x01, 0x3f, 0x49, 0x00]), 1)).toEqual(reject(16, 6)); // WP priority 0
    // Malformed WriteProperty (an async handler): the same Rejects as ReadProperty, never Abort(other).
    expect(await apdus(confirmedRequest(15, 18, objectIdTag(4, 1).slice(0, 3)), 1)).toEqual(reject(18, 5)); // truncated object id
    expect(await apdus(confirmedRequest(15, 19, [...objectIdTag(4, 1), 0x19, PV]), 1)).toEqual(reject(19, 5)); // no value
    expect(await apdus(confirmedRequest(15, 20, [0x19, PV, ...objectIdTag(4, 1), 0x3e, 0x91, 0x01, 0x3f]), 1)).toEqual(reject(20, 4)); // tags swapped
    expect(await apdus(confirmedRequest(15, 21, [...objectIdTag(4, 1), 0x19, PV, 0x3e, 0x91, 0x01, 0x3f, 0x00]), 1)).toEqual(reject(21, 7)); // left-over octet
    await stillServes();
  });

  it('aborts segmented requests and answers unknown objects and properties with their errors', async () => {
    const segmented = Buffer.from([0x81, 0x0a, 0x00, 0x0f, 0x01, 0x04, 0x0c, 0x05, 0x21, 0x00, 0x04, RP, ...rpBody.slice(0, 3)]);
    expect(await apdus(segmented, 1)).toEqual([[0x71, 0x21, 4]]); // segmentation-not-supported, from the server
    expect(await apdus(confirmedRequest(RP, 22, [...objectIdTag(0, 99999), 0x19, PV]), 1)).toEqual([[0x50, 22, RP, 0x91, 1, 0x91, 31]]); // unknown-object
    expect(await apdus(confirmedRequest(RP, 23, [...objectIdTag(0, 11), 0x1a, 0x27, 0x0f]), 1)).toEqual([[0x50, 23, RP, 0x91, 2, 0x91, 32]]); // unknown-property 9999
    expect(await apdus(confirmedRequest(RP, 24, [...rpBody, 0x29, 0x02]), 1)).toEqual([[0x50, 24, RP, 0x91, 2, 0x91, 50]]); // not an array
    expect(await apdus(confirmedRequest(RP, 25, [...objectIdTag(8, 1234), 0x19, 76, 0x2a, 0xff, 0xff]), 1)).toEqual([[0x50, 25, RP, 0x91, 2, 0x91, 42]]); // index past the end
    expect(await apdus(confirmedRequest(5, 26, [0x09, 0x01, ...objectIdTag(0, 99999, 1), 0x29, 0x00, 0x39, 0x3c]), 1)).toEqual([[0x50, 26, 5, 0x91, 1, 0x91, 31]]); // SubscribeCOV unknown object
    expect(await apdus(confirmedRequest(5, 27, [0x09, 0x01, ...objectIdTag(29, 1, 1), 0x29, 0x00, 0x39, 0x3c]), 1)).toEqual([[0x50, 27, 5, 0x91, 5, 0x91, 45]]); // no COV on a Structured View
    await stillServes();
  });

  it('ignores reserved PDU types, unknown unconfirmed services and stray acknowledgements', async () => {
    expect(await exchange([0x81, 0x0a, 0x00, 0x09, 0x01, 0x00, 0x90, 0x01, 0x02])).toEqual([]);
    expect(await exchange([0x81, 0x0a, 0x00, 0x08, 0x01, 0x00, 0x10, 0x33])).toEqual([]);
    expect(await exchange([0x81, 0x0b, 0x00, 0x0a, 0x01, 0x00, 0x10, 0x08, 0x09, 0x01])).toEqual([]); // Who-Is with only a low limit
    expect(await exchange([0x81, 0x0a, 0x00, 0x09, 0x01, 0x00, 0x20, 0x05, 0x01])).toEqual([]); // SimpleACK nobody asked for
    expect(await exchange([0x81, 0x0a, 0x00, 0x0a, 0x01, 0x00, 0x40, 0x05, 0x01, 0x01])).toEqual([]); // SegmentACK for nothing
    await stillServes();
  });

  it('survives random datagrams, logs each kind of problem once, and keeps answering others', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const datagrams: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 80);
      const d = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      // Half of them look like BACnet/IP with a correct length, so they reach the NPDU and APDU decoders.
      if (i % 2 === 0 && len >= 6) {
        d[0] = 0x81;
        d[1] = [0x0a, 0x0b, 0x04][i % 3];
        d.writeUInt16BE(len, 2);
        d[4] = 0x01;
        d[5] &= 0x2f;
      }
      datagrams.push(d);
    }
    const warningsBefore = warnings.length;
    const [answers] = await Promise.all([rawExchange(port, datagrams, { waitMs: 500 }), stillServes()]);
    for (const a of answers) expect(a[0]).toBe(0x81); // whatever came back is BACnet/IP
    await stillServes();
    expect(warnings.length - warningsBefore).toBeLessThan(200);
    expect(new Set(warnings).size).toBe(warnings.length);
  }, 120_000);

  it('answers hostile input only with datagrams that tshark dissects cleanly', async () => {
    const fromDevice = `ip.src == ${DEVICE_HOST} && udp.srcport == ${port}`;
    expect(await capture.count(`${fromDevice} && (bacapp.type == 6 || bacapp.type == 7 || bacapp.type == 5 || bvlc.function == 0x00)`)).toBeGreaterThan(20);
    expect(await capture.malformed(fromDevice)).toBe('');
  }, 120_000);
});
