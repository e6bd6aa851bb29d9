// Byte tables for BVLL (Annex J), NPDU (clause 6.2) and APDU headers (clause 20.1): each case the
// datagram's octets and the decoded frame, decoded and encoded both ways. The octets are written
// out by hand from the standard (Annex F's ReadProperty example for the APDU, Annex J's BVLC
// layouts, clause 6.2's control octet), not produced by the code under test.
import { Apdu, decodeApdu, encodeApdu } from './apdu';
import { BVLC, bvlcResult, decodeBvll, registerForeignDevice } from './bvll';
import { decodeFrame, encodeFrame } from './frame';
import { decodeNpdu, encodeNpdu, Npdu } from './npdu';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('APDU headers (clause 20.1)', () => {
  const cases: { name: string; bytes: string; apdu: Apdu }[] = [
    {
      name: 'F.3.5 ReadProperty request: max APDU 50, invoke id 1',
      bytes: '00 00 01 0C',
      apdu: { kind: 'confirmed', segmented: false, moreFollows: false, segmentedResponseAccepted: false, maxSegments: 0, maxApdu: 50, invokeId: 1, sequenceNumber: 0, proposedWindowSize: 0, service: 12 },
    },
    {
      name: 'Confirmed request, segmented response accepted, 64 segments, 1476 octets, invoke 0x55',
      bytes: '02 65 55 0E',
      apdu: { kind: 'confirmed', segmented: false, moreFollows: false, segmentedResponseAccepted: true, maxSegments: 64, maxApdu: 1476, invokeId: 0x55, sequenceNumber: 0, proposedWindowSize: 0, service: 14 },
    },
    {
      name: 'Segmented confirmed request, more follows, sequence 2, window 4',
      bytes: '0C 05 07 02 04 0F',
      apdu: { kind: 'confirmed', segmented: true, moreFollows: true, segmentedResponseAccepted: false, maxSegments: 0, maxApdu: 1476, invokeId: 7, sequenceNumber: 2, proposedWindowSize: 4, service: 15 },
    },
    { name: 'Unconfirmed Who-Is', bytes: '10 08', apdu: { kind: 'unconfirmed', service: 8 } },
    { name: 'SimpleACK for SubscribeCOV', bytes: '20 0F 05', apdu: { kind: 'simple-ack', invokeId: 15, service: 5 } },
    {
      name: 'F.3.5 ReadProperty ComplexACK, invoke id 1',
      bytes: '30 01 0C',
      apdu: { kind: 'complex-ack', invokeId: 1, service: 12, segmented: false, moreFollows: false, sequenceNumber: 0, proposedWindowSize: 0 },
    },
    {
      name: 'Segmented ComplexACK, more follows, sequence 0, window 16',
      bytes: '3C 09 00 10 0C',
      apdu: { kind: 'complex-ack', invokeId: 9, service: 12, segmented: true, moreFollows: true, sequenceNumber: 0, proposedWindowSize: 16 },
    },
    { name: 'SegmentACK from a client', bytes: '40 09 00 04', apdu: { kind: 'segment-ack', negative: false, server: false, invokeId: 9, sequenceNumber: 0, windowSize: 4 } },
    { name: 'Negative SegmentACK from a server', bytes: '43 09 03 01', apdu: { kind: 'segment-ack', negative: true, server: true, invokeId: 9, sequenceNumber: 3, windowSize: 1 } },
    { name: 'Error for ReadProperty', bytes: '50 01 0C', apdu: { kind: 'error', invokeId: 1, service: 12 } },
    { name: 'Reject unrecognized-service (9)', bytes: '60 02 09', apdu: { kind: 'reject', invokeId: 2, reason: 9 } },
    { name: 'Abort from the server, segmentation-not-supported (4)', bytes: '71 03 04', apdu: { kind: 'abort', invokeId: 3, reason: 4, server: true } },
    { name: 'Abort from the client, other (0)', bytes: '70 03 00', apdu: { kind: 'abort', invokeId: 3, reason: 0, server: false } },
  ];

  it.each(cases)('$name: $bytes decodes', ({ bytes, apdu }) => {
    const b = hex(bytes);
    expect(decodeApdu(b, 0)).toEqual({ ok: true, apdu, bodyOffset: b.length });
  });

  it.each(cases)('$name: encodes to $bytes', ({ bytes, apdu }) => {
    const b = Buffer.alloc(16);
    const end = encodeApdu(b, 0, apdu);
    expect(b.subarray(0, end).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it.each([
    ['', 'no APDU'],
    ['00 05', 'Confirmed-Request truncated before its invoke id'],
    ['10', 'Unconfirmed-Request without service choice'],
    ['80 00 00', 'APDU type 8 is reserved'],
  ])('%s is dropped: %s', (bytes, drop) => {
    expect(decodeApdu(hex(bytes), 0)).toEqual({ ok: false, drop });
  });

  it('a Confirmed-Request cut before its service choice is dropped naming the invoke id to reject', () => {
    expect(decodeApdu(hex('00 05 2A'), 0)).toEqual({ ok: false, drop: 'Confirmed-Request truncated', rejectInvokeId: 0x2a });
  });
});

describe('NPDU headers (clause 6.2)', () => {
  const cases: { name: string; bytes: string; npdu: Npdu }[] = [
    { name: 'local, no reply expected', bytes: '01 00', npdu: { expectingReply: false, priority: 0, destination: null, source: null, hopCount: null } },
    { name: 'local, expecting reply, priority urgent', bytes: '01 05', npdu: { expectingReply: true, priority: 1, destination: null, source: null, hopCount: null } },
    {
      name: 'global broadcast (DNET 0xFFFF, DLEN 0), hop count 255',
      bytes: '01 20 FF FF 00 FF',
      npdu: { expectingReply: false, priority: 0, destination: { net: 0xffff, adr: Buffer.alloc(0) }, source: null, hopCount: 255 },
    },
    {
      name: 'to DNET 5, DADR 0x0A (MS/TP), expecting reply, hop count 255',
      bytes: '01 24 00 05 01 0A FF',
      npdu: { expectingReply: true, priority: 0, destination: { net: 5, adr: hex('0A') }, source: null, hopCount: 255 },
    },
    {
      name: 'from SNET 2, SADR 10.0.0.9:47808 (through a router)',
      bytes: '01 0C 00 02 06 0A 00 00 09 BA C0',
      npdu: { expectingReply: true, priority: 0, destination: null, source: { net: 2, adr: hex('0A000009BAC0') }, hopCount: null },
    },
  ];

  it.each(cases)('$name: $bytes decodes', ({ bytes, npdu }) => {
    const b = hex(bytes);
    expect(decodeNpdu(b, 0)).toEqual({ ok: true, npdu, apduOffset: b.length });
  });

  it.each(cases)('$name: encodes to $bytes', ({ bytes, npdu }) => {
    const b = Buffer.alloc(32);
    expect(b.subarray(0, encodeNpdu(b, 0, npdu)).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it.each([
    ['02 00', 'NPDU version 2 is not 1'],
    ['01 40', 'NPDU reserved control bits set'],
    ['01 20 00 00 00 FF', 'NPDU DNET 0 is invalid'],
    ['01 08 FF FF 01 0A', 'NPDU source SNET/SLEN invalid'],
    ['01 20 00 05 06 0A', 'NPDU truncated'],
    ['01 80 00', 'network layer message (this device is not a router)'],
  ])('%s is dropped: %s', (bytes, drop) => {
    const r = decodeNpdu(hex(bytes), 0);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.drop).toBe(drop);
  });
});

describe('BVLL (Annex J) and whole datagrams', () => {
  it('J.2.11 Original-Unicast-NPDU carrying F.3.5\'s ReadProperty (Analog Input 5, Present_Value)', () => {
    const d = hex('81 0A 00 11  01 04  00 00 01 0C  0C 00 00 00 05 19 55');
    const r = decodeFrame(d);
    expect(r).toEqual({
      ok: true,
      frame: {
        bvlcFunction: BVLC.ORIGINAL_UNICAST, originator: null, expectingReply: true, priority: 0, source: null, remoteDestination: false,
        apdu: { kind: 'confirmed', segmented: false, moreFollows: false, segmentedResponseAccepted: false, maxSegments: 0, maxApdu: 50, invokeId: 1, sequenceNumber: 0, proposedWindowSize: 0, service: 12 },
        apduOffset: 6, bodyOffset: 10,
      },
    });
    const again = encodeFrame(Buffer.alloc(64), BVLC.ORIGINAL_UNICAST, { expectingReply: true }, r.ok ? r.frame.apdu : ({} as Apdu), d.subarray(10));
    expect(again.toString('hex')).toBe(d.toString('hex'));
  });

  it('F.3.5\'s ComplexACK (Present_Value 72.4) in an Original-Unicast-NPDU to a peer behind router DNET 5', () => {
    const body = hex('0C 00 00 00 05 19 55 3E 44 42 90 CC CD 3F');
    const d = encodeFrame(Buffer.alloc(64), BVLC.ORIGINAL_UNICAST, { dest: { net: 5, adr: hex('0A') } }, { kind: 'complex-ack', invokeId: 1, service: 12, segmented: false, moreFollows: false, sequenceNumber: 0, proposedWindowSize: 0 }, body);
    expect(d.toString('hex')).toBe(hex('81 0A 00 1C  01 20 00 05 01 0A FF  30 01 0C').toString('hex') + body.toString('hex'));
    // A frame addressed to a remote network decodes as such (this device is not a router).
    const r = decodeFrame(d);
    expect(r.ok && r.frame.remoteDestination).toBe(true);
  });

  it('J.2.12 Original-Broadcast-NPDU with a global-broadcast Who-Is', () => {
    const d = hex('81 0B 00 0C  01 20 FF FF 00 FF  10 08');
    expect(encodeFrame(Buffer.alloc(32), BVLC.ORIGINAL_BROADCAST, { globalBroadcast: true }, { kind: 'unconfirmed', service: 8 }).toString('hex')).toBe(d.toString('hex'));
    const r = decodeFrame(d);
    expect(r.ok && r.frame.remoteDestination).toBe(false);
    expect(r.ok && r.frame.apdu).toEqual({ kind: 'unconfirmed', service: 8 });
  });

  it('J.2.5 Forwarded-NPDU names its originator (B/IP address 10.1.2.3:47808)', () => {
    const d = hex('81 04 00 0E  0A 01 02 03 BA C0  01 00  10 08');
    expect(decodeBvll(d)).toEqual({ ok: true, bvll: { function: BVLC.FORWARDED_NPDU, originator: '10.1.2.3:47808' }, npduOffset: 10 });
  });

  it('J.2.1 BVLC-Result and J.2.6 Register-Foreign-Device', () => {
    expect(bvlcResult(0x0030).toString('hex')).toBe('810000060030');
    expect(registerForeignDevice(300).toString('hex')).toBe('81050006012c');
    expect(decodeBvll(hex('81 05 00 06 01 2C'))).toEqual({ ok: false, drop: 'BVLC function 0x5', bvlcFunction: BVLC.REGISTER_FOREIGN_DEVICE });
  });

  it.each([
    ['81 0A 00', 'datagram shorter than a BVLC header'],
    ['82 0A 00 06 01 00', 'BVLC type 0x82 is not BACnet/IP (0x81)'],
    ['81 0A 00 07 01 00', "BVLC length 7 differs from the datagram's 6"],
    ['81 04 00 08 7F 00 00 01', 'Forwarded-NPDU without originator address'],
  ])('%s is dropped: %s', (bytes, drop) => {
    const r = decodeFrame(hex(bytes));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.drop).toBe(drop);
  });
});
