// The whole device driven through handle(), with no socket: each request is a datagram written out
// by hand from ASHRAE 135 (Annex F layouts, clause 20.2 encodings, clause 18 error classes and
// codes, clause 21's Reject and Abort reasons), each answer compared octet for octet. Timeouts run
// on a virtual clock.
import { Site, VirtualClock } from '@kirchhoff/core';
import { BacnetDeviceOptions } from '../options';
import { fixtureCommands, fixtureSite, silentLogger } from '../test-helpers/fixture';
import { BacnetNode, createBacnetNode } from './device';
import type { UdpEndpoint } from '../transport/peer';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const CLIENT: UdpEndpoint = { address: '192.0.2.7', port: 47808 };

/** BVLC Original-Unicast + NPDU + APDU; the BVLC length filled in. */
function datagram(npduAndApdu: string): Buffer {
  const body = hex(npduAndApdu);
  const len = 4 + body.length;
  return Buffer.concat([Buffer.from([0x81, 0x0a, len >> 8, len & 0xff]), body]);
}

/** The APDU of a local reply (BVLC 4 octets, NPDU 01 00) as hex, after checking those headers. */
function apdu(d: Buffer): string {
  expect(d.subarray(0, 2).toString('hex')).toBe('810a');
  expect(d.readUInt16BE(2)).toBe(d.length);
  expect(d.subarray(4, 6).toString('hex')).toBe('0100');
  return d.subarray(6).toString('hex');
}

const DEVICE_1234 = '0C 02 00 04 D2'; // [0] (Device, 1234)
const OBJECT_NAME = '19 4D'; // [1] Object_Name (77)
const OBJECT_LIST = '19 4C'; // [1] Object_List (76)

describe('the BACnet device through handle(), no socket', () => {
  let site: Site;
  let clock: VirtualClock;
  let node: BacnetNode;
  let replies: Buffer[];
  let sent: { d: Buffer; to: UdpEndpoint }[];
  const warnings: string[] = [];

  const start = (options: BacnetDeviceOptions = {}) => {
    node?.close();
    node = createBacnetNode(site, { deviceInstance: 1234, announce: false, clock, logger: { ...silentLogger, warn: (m: string) => warnings.push(m) }, ...options }, {
      send: (d, to) => sent.push({ d, to }),
      port: 47808,
    });
    node.start();
  };
  /** Hands one datagram to the device and returns the APDUs it answered with (hex). */
  const ask = (npduAndApdu: string): string[] => {
    replies = [];
    node.handle(datagram(npduAndApdu), CLIENT, (d) => replies.push(d));
    return replies.map(apdu);
  };

  beforeEach(() => {
    clock = new VirtualClock();
    site = fixtureSite(2, 4, () => clock.now());
    sent = [];
    warnings.length = 0;
    start();
  });

  afterEach(() => node.close());

  describe('Who-Is -> I-Am (clause 16.10)', () => {
    // I-Am: (Device, 1234), Max_APDU_Length_Accepted 1476, segmentation transmit (1), vendor 0.
    const I_AM = hex('10 00  C4 02 00 04 D2  22 05 C4  91 01  21 00').toString('hex');

    it('an unbounded Who-Is gets an I-Am', () => {
      expect(ask('01 00  10 08')).toEqual([I_AM]);
    });

    it('a Who-Is for 1234..1234 gets an I-Am; one for 1..100 gets nothing', () => {
      expect(ask('01 00  10 08  0A 04 D2  1A 04 D2')).toEqual([I_AM]);
      expect(ask('01 00  10 08  09 01  19 64')).toEqual([]);
    });

    it('announce() broadcasts the I-Am on the network (Original-Broadcast-NPDU to 255.255.255.255)', () => {
      node.announce();
      expect(sent).toHaveLength(1);
      expect(sent[0].to).toEqual({ address: '255.255.255.255', port: 47808 });
      expect(sent[0].d.subarray(0, 2).toString('hex')).toBe('810b');
      expect(sent[0].d.subarray(6).toString('hex')).toBe(I_AM);
    });

    it('replies go to the network towards the source when no reply function is given', () => {
      node.handle(datagram('01 00  10 08'), CLIENT);
      expect(sent.map((s) => s.to)).toEqual([CLIENT]);
    });
  });

  describe('ReadProperty (clause 15.5)', () => {
    it("reads the Device's Object_Name: ComplexACK with the character string 'Test site'", () => {
      expect(ask(`01 04  00 05 01 0C  ${DEVICE_1234} ${OBJECT_NAME}`)).toEqual([
        hex(`30 01 0C  ${DEVICE_1234} ${OBJECT_NAME}  3E 75 0A 00 ${Buffer.from('Test site').toString('hex')} 3F`).toString('hex'),
      ]);
    });

    it('answers the wildcard Device instance 4194303 (clause 12.11.1) as itself', () => {
      expect(ask(`01 04  00 05 02 0C  0C 02 3F FF FF  19 4B`)).toEqual([
        hex(`30 02 0C  ${DEVICE_1234} 19 4B  3E C4 02 00 04 D2 3F`).toString('hex'), // Object_Identifier (75)
      ]);
    });

    it('reads Object_List[0], the number of objects, as an Unsigned', () => {
      const [ack] = ask(`01 04  00 05 03 0C  ${DEVICE_1234} ${OBJECT_LIST} 29 00`);
      expect(ack.slice(0, 26)).toBe(hex(`30 03 0C  ${DEVICE_1234} ${OBJECT_LIST} 29 00 3E`).toString('hex'));
      expect(ack[26]).toBe('2'); // application tag 2, Unsigned
      expect(parseInt(ack.slice(28, -2), 16)).toBe(node.objectList.length);
      expect(ack.slice(-2)).toBe('3f');
    });
  });

  describe('Error PDUs with the standard error class and code (clause 18)', () => {
    it.each([
      ['an unknown object (Analog Input 9999): object / unknown-object', '0C 00 00 27 0F 19 55', '91 01 91 1F'],
      ['an unknown property (9999): property / unknown-property', `${DEVICE_1234} 1A 27 0F`, '91 02 91 20'],
      ['an array index on Object_Name: property / property-is-not-an-array', `${DEVICE_1234} ${OBJECT_NAME} 29 01`, '91 02 91 32'],
      ['Object_List[10000]: property / invalid-array-index', `${DEVICE_1234} ${OBJECT_LIST} 2A 27 10`, '91 02 91 2A'],
    ])('ReadProperty of %s', (_what, request, error) => {
      expect(ask(`01 04  00 05 04 0C  ${request}`)).toEqual([hex(`50 04 0C  ${error}`).toString('hex')]);
    });

    it('WriteProperty without a command interface: property / write-access-denied', async () => {
      // Binary Output 1 Present_Value := active (Enumerated 1) at priority 8.
      node.handle(datagram('01 04  00 05 05 0F  0C 01 00 00 01  19 55  3E 91 01 3F  49 08'), CLIENT, (d) => replies.push(d));
      replies = [];
      await new Promise((r) => setImmediate(r));
      expect(replies.map(apdu)).toEqual([hex('50 05 0F  91 02 91 28').toString('hex')]);
    });

    it('WriteProperty through the command interface: SimpleACK and the relay switches', async () => {
      start({ commands: fixtureCommands(site) });
      replies = [];
      node.handle(datagram('01 04  00 05 06 0F  0C 01 00 00 01  19 55  3E 91 01 3F  49 08'), CLIENT, (d) => replies.push(d));
      for (let i = 0; i < 5 && !replies.length; i++) await new Promise((r) => setImmediate(r));
      expect(replies.map(apdu)).toEqual([hex('20 06 0F').toString('hex')]);
      expect(site.snapshot().relays[0].on).toBe(true);
    });
  });

  describe('Reject PDUs (clause 18.8, BACnetRejectReason)', () => {
    it.each([
      ['an unexecuted service (ReinitializeDevice): unrecognized-service (9)', '00 05 07 14  09 00', '60 07 09'],
      ['a ReadProperty without its property: missing-required-parameter (5)', `00 05 07 0C  ${DEVICE_1234}`, '60 07 05'],
      ['a ReadProperty with an extra tag: too-many-arguments (7)', `00 05 07 0C  ${DEVICE_1234} ${OBJECT_NAME} 39 00`, '60 07 07'],
      ['a ReadProperty whose object id is an application tag: invalid-tag (4)', 'C4 02 00 04 D2 19 4D'.replace(/^/, '00 05 07 0C '), '60 07 04'],
      ['a WriteProperty at priority 17: parameter-out-of-range (6)', '00 05 07 0F  0C 01 00 00 01  19 55  3E 91 01 3F  49 11', '60 07 06'],
    ])('%s', async (_what, request, reject) => {
      replies = [];
      node.handle(datagram(`01 04  ${request}`), CLIENT, (d) => replies.push(d));
      await new Promise((r) => setImmediate(r));
      expect(replies.map(apdu)).toEqual([hex(reject).toString('hex')]);
    });

    it('DeviceCommunicationControl without bacnet.dccPassword is not offered: unrecognized-service', () => {
      expect(ask('01 04  00 05 08 11  19 01')).toEqual([hex('60 08 09').toString('hex')]);
    });
  });

  describe('Abort PDUs (clause 21, BACnetAbortReason)', () => {
    it('a segmented request: segmentation-not-supported (4), sent by the server', () => {
      expect(ask(`01 04  08 05 09 00 04 0C  ${DEVICE_1234} ${OBJECT_NAME}`)).toEqual([hex('71 09 04').toString('hex')]);
    });

    it('Object_List for a client that takes 50 octets and no segments: segmentation-not-supported (4)', () => {
      expect(ask(`01 04  00 00 0A 0C  ${DEVICE_1234} ${OBJECT_LIST}`)).toEqual([hex('71 0A 04').toString('hex')]);
    });

    it('Object_List in more segments than the client takes (2): apdu-too-long (11)', () => {
      expect(ask(`01 04  02 10 0B 0C  ${DEVICE_1234} ${OBJECT_LIST}`)).toEqual([hex('71 0B 0B').toString('hex')]);
    });
  });

  describe('segmented ComplexACK (clause 5.4.4) on the virtual clock', () => {
    // Object_List to a client that accepts segments of 128 octets (code 1), any number.
    const request = `01 04  02 01 0C 0C  ${DEVICE_1234} ${OBJECT_LIST}`;

    it('sends the first segment, resends it each APDU_Timeout (3 s) up to 3 retries, then gives up', () => {
      const first = ask(request);
      expect(first).toHaveLength(1);
      expect(first[0].slice(0, 10)).toBe('3c0c00100c'); // SEG+MOR, invoke 12, sequence 0, window 16, ReadProperty
      const resent: Buffer[] = [];
      // The retransmissions go through the reply function of the request.
      for (let i = 0; i < 5; i++) {
        replies = [];
        clock.advance(2999);
        expect(replies).toEqual([]);
        clock.advance(1);
        resent.push(...replies);
      }
      expect(resent.map(apdu)).toEqual([first[0], first[0], first[0]]);
    });

    it('sends the next window after each SegmentACK and ends with the last segment', () => {
      const all = ask(request);
      let seq = 0;
      for (let round = 0; round < 20; round++) {
        const last = all[all.length - 1];
        if (last.startsWith('38')) break; // SEG without MOR: the last segment
        seq = parseInt(last.slice(4, 6), 16);
        all.push(...ask(`01 00  40 0C ${seq.toString(16).padStart(2, '0')} 10`)); // SegmentACK, window 16
      }
      const seqs = all.map((a) => parseInt(a.slice(4, 6), 16));
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(all.slice(0, -1).every((a) => a.startsWith('3c'))).toBe(true);
      expect(all[all.length - 1].startsWith('38')).toBe(true);
      // The reassembled body is the whole Object_List: one object identifier per object.
      const body = Buffer.concat(all.map((a) => hex(a).subarray(5)));
      expect(body.subarray(0, 8).toString('hex')).toBe(hex(`${DEVICE_1234} ${OBJECT_LIST} 3E`).toString('hex'));
      expect(body[body.length - 1]).toBe(0x3f);
      expect((body.length - 9) / 5).toBe(node.objectList.length);
      // The acknowledged transaction is over: nothing is resent.
      replies = [];
      all.push(...ask(`01 00  40 0C ${(all.length - 1).toString(16).padStart(2, '0')} 10`));
      clock.advance(10_000);
      expect(replies).toEqual([]);
    });
  });

  describe('DeviceCommunicationControl (clause 16.1) on the virtual clock', () => {
    // [0] 1 minute, [1] disable (1), [2] password 'secret'.
    const disable = `09 01  19 01  2D 07 00 ${Buffer.from('secret').toString('hex')}`;
    const readName = `01 04  00 05 0E 0C  ${DEVICE_1234} ${OBJECT_NAME}`;

    it('a wrong password: security / password-failure', () => {
      start({ dccPassword: 'other' });
      expect(ask(`01 04  00 05 0D 11  ${disable}`)).toEqual([hex('50 0D 11  91 04 91 1A').toString('hex')]);
    });

    it('disable for 1 minute silences the device until the minute is over', () => {
      start({ dccPassword: 'secret' });
      expect(ask(`01 04  00 05 0D 11  ${disable}`)).toEqual([hex('20 0D 11').toString('hex')]);
      expect(ask(readName)).toEqual([]);
      expect(ask('01 00  10 08')).toEqual([]);
      clock.advance(59_999);
      expect(ask(readName)).toEqual([]);
      clock.advance(1);
      expect(ask(readName)).toHaveLength(1);
    });
  });

  describe('ReadPropertyMultiple (clause 15.7)', () => {
    it('Present_Value and Units of S01-M01 Voltage (AI 11), and an unknown object answered inline', () => {
      // AI 11 [Present_Value, Units], AI 9999 [Present_Value].
      const request = '0C 00 00 00 0B 1E 09 55 09 75 1F  0C 00 00 27 0F 1E 09 55 1F';
      expect(ask(`01 04  00 05 10 0E  ${request}`)).toEqual([hex(
        '30 10 0E'
        + ' 0C 00 00 00 0B 1E  29 55 4E 44 41 58 28 F6 4F  29 75 4E 91 05 4F  1F' // 13.51 V (REAL 0x415828F6), units volts (5)
        + ' 0C 00 00 27 0F 1E  29 55 5E 91 01 91 1F 5F  1F', // object / unknown-object
      ).toString('hex')]);
    });
  });

  describe('Who-Has -> I-Have (clause 16.9)', () => {
    it("by name 'Test site': I-Have (Device 1234) holds (Device 1234) named 'Test site'", () => {
      const name = `0A 00 ${Buffer.from('Test site').toString('hex')}`;
      expect(ask(`01 00  10 07  3D ${name}`)).toEqual([hex(`10 01  C4 02 00 04 D2  C4 02 00 04 D2  75 ${name}`).toString('hex')]);
    });

    it('by an object this device does not hold: no answer', () => {
      expect(ask('01 00  10 07  2C 00 00 27 0F')).toEqual([]);
    });
  });

  describe('SubscribeCOV and a confirmed COV notification (clauses 13.14, 13.1, 5.4.4) on the virtual clock', () => {
    // Process 1, AI 11, issueConfirmedNotifications TRUE, lifetime 60 s.
    const subscribe = '01 04  00 05 11 05  09 01  1C 00 00 00 0B  29 01  39 3C';
    // ConfirmedCOVNotification, invoke id 0: process 1, (Device 1234), (AI 11), 60 s remaining,
    // Present_Value 13.51, Status_Flags {} .
    const NOTIFICATION = hex(
      '00 05 00 01  09 01  1C 02 00 04 D2  2C 00 00 00 0B  39 3C'
      + '  4E 09 55 2E 44 41 58 28 F6 2F  09 6F 2E 82 04 00 2F 4F',
    ).toString('hex');
    const notifications = (ds: Buffer[]) => ds.map((d) => d.subarray(6).toString('hex'));

    it('SimpleACK, then the initial notification, resent each APDU_Timeout until 3 retries are spent', async () => {
      expect(ask(subscribe)).toEqual([hex('20 11 05').toString('hex')]);
      replies = [];
      await new Promise((r) => setImmediate(r));
      // The notification expects a reply: NPDU control 0x04.
      expect(replies.map((d) => d.subarray(4, 6).toString('hex'))).toEqual(['0104']);
      expect(notifications(replies)).toEqual([NOTIFICATION]);
      for (let i = 0; i < 3; i++) {
        replies = [];
        clock.advance(3000);
        // The retry says the same, 3 s later: time remaining is written when the notification is built.
        expect(notifications(replies)).toEqual([NOTIFICATION]);
      }
      replies = [];
      clock.advance(3000);
      expect(replies).toEqual([]);
      expect(warnings.join('\n')).toMatch(/did not acknowledge a confirmed notification after 3 retries/);
    });

    it("the subscriber's SimpleACK ends the transaction: nothing is resent", async () => {
      ask(subscribe);
      replies = [];
      await new Promise((r) => setImmediate(r));
      expect(notifications(replies)).toEqual([NOTIFICATION]);
      expect(ask('01 00  20 00 01')).toEqual([]); // SimpleACK, invoke 0, ConfirmedCOVNotification
      replies = [];
      clock.advance(20_000);
      expect(notifications(replies).filter((n) => n === NOTIFICATION)).toEqual([]);
    });

    it('the subscription shows in Active_COV_Subscriptions and expires after its lifetime', () => {
      ask(subscribe);
      expect(node.covSubscriptions()).toMatchObject([{ processId: 1, object: { type: 0, instance: 11 }, confirmed: true, timeRemainingS: 60 }]);
      clock.advance(30_000);
      expect(node.covSubscriptions()[0].timeRemainingS).toBe(30);
      clock.advance(30_000);
      expect(node.covSubscriptions()).toEqual([]);
    });
  });

  describe('intrinsic reporting (clause 13.3.6 OUT_OF_RANGE) on the virtual clock', () => {
    const RECIPIENT: UdpEndpoint = { address: '192.0.2.9', port: 47808 };
    const events = () => sent.filter((s) => s.to.address === RECIPIENT.address).map((s) => s.d.subarray(6).toString('hex'));
    const settle = () => new Promise((r) => setImmediate(r));

    beforeEach(() => start({ recipients: [{ address: '192.0.2.9' }] }));

    it('S01-M01 Voltage above High_Limit: an UnconfirmedEventNotification to-offnormal, high-limit', async () => {
      site.update((tx) => tx.moduleReadings(1, { voltageV: 14.6, temperatureC: 21.1, resistanceOhm: 0.0041, socPercent: 80.5 }));
      await settle();
      const [n] = events();
      // UnconfirmedEventNotification (3): process 1, (Device 1234), (AI 11), time stamp [3] dateTime [2] ...
      expect(n.startsWith(hex('10 03  09 01  1C 02 00 04 D2  2C 00 00 00 0B  3E 2E A4').toString('hex'))).toBe(true);
      // ... notification class 1, priority 64, event type out-of-range (5), notify type alarm (0),
      // ackRequired TRUE, from normal (0) to high-limit (3), then out-of-range [5] parameters:
      // exceeding value 14.6, status flags {in-alarm}, deadband 0.05, exceeded limit 14.4.
      const tail = hex('49 01  59 40  69 05  89 00  99 01  A9 00  B9 03'
        + '  CE 5E  0C 41 69 99 9A  1A 04 80  2C 3D 4C CC CD  3C 41 66 66 66  5F CF').toString('hex');
      expect(n.endsWith(tail)).toBe(true);
    });

    it('with Time_Delay 5 s the notification leaves only after 5 s above the limit', async () => {
      site.setThreshold('moduleVoltage', { delayMs: 5000 });
      site.update((tx) => tx.moduleReadings(1, { voltageV: 14.6, temperatureC: 21.1, resistanceOhm: 0.0041, socPercent: 80.5 }));
      await settle();
      clock.advance(4000);
      expect(events()).toEqual([]);
      clock.advance(1000);
      expect(events()).toHaveLength(1);
      expect(events()[0]).toContain(hex('A9 00  B9 03').toString('hex'));
    });
  });

  describe('robustness', () => {
    it('a malformed datagram is dropped with a log line, and the next is answered', () => {
      replies = [];
      node.handle(hex('81 0A 00 05 01'), CLIENT, (d) => replies.push(d));
      expect(replies).toEqual([]);
      expect(warnings.join('\n')).toMatch(/dropped a datagram from 192\.0\.2\.7:47808/);
      expect(ask('01 00  10 08')).toHaveLength(1);
    });

    it('a BBMD function is answered with its BVLC-Result NAK (Register-Foreign-Device: 0x0030)', () => {
      replies = [];
      node.handle(hex('81 05 00 06 00 3C'), CLIENT, (d) => replies.push(d));
      expect(replies.map((d) => d.toString('hex'))).toEqual(['810000060030']);
    });

    it('20 000 random datagrams (half with a valid BVLC header) never break a handler, and the device still answers', async () => {
      let seed = 0x2545f491;
      const random = () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) / 0x100000000;
      };
      for (let i = 0; i < 20_000; i++) {
        const body = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
        const d = i % 2 ? Buffer.concat([Buffer.from([0x81, 0x0a, 0, 4 + body.length]), body]) : body;
        expect(() => node.handle(d, CLIENT, () => {})).not.toThrow();
      }
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => /failed/.test(w))).toEqual([]);
      expect(ask('01 00  10 08')).toHaveLength(1);
    });

    it('after close() nothing is sent', () => {
      node.close();
      expect(ask('01 00  10 08')).toEqual([]);
    });
  });
});
