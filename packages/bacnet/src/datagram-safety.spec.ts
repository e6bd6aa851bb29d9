// Datagrams that once took the whole gateway down or turned the device into a reflector
// (hardening issue, points 1 and 7). Needs no capture tool: raw datagrams on loopback and the
// device's own view of its subscriptions.
import { createSocket, Socket } from 'node:dgram';
import type { Site } from '@kirchhoff/core';
import type { BacnetDevice } from './index';
import { apduOf, confirmedRequest, fixtureSite, objectIdTag, rawExchange, startFixture } from './test-helpers/fixture';

const RP = 12;
const SUBSCRIBE_COV = 5;
const PV = 85;

/** The 27-byte Forwarded-NPDU from the report: originator 127.0.0.1 port 0, a SubscribeCOV inside. */
const KILLER = Buffer.from('8104001b7f000001000001040075040509071c0000000b2900393c', 'hex');

async function listen(host: string): Promise<{ sock: Socket; port: number; got: Buffer[] }> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return { sock, port: sock.address().port, got };
}

/** Forwarded-NPDU (BVLC 0x04) naming `originator`, carrying a confirmed request. */
function forwarded(originatorHost: string, originatorPort: number, apduAndNpdu: Buffer): Buffer {
  const inner = apduAndNpdu.subarray(4); // drop the Original-Unicast BVLC header
  const len = 10 + inner.length;
  const ip = originatorHost.split('.').map(Number);
  return Buffer.from([0x81, 0x04, len >> 8, len & 0xff, ...ip, originatorPort >> 8, originatorPort & 0xff, ...inner]);
}

describe('datagrams that must not take the device down', () => {
  let site: Site;
  let device: BacnetDevice;
  let port: number;
  const warnings: string[] = [];
  const logger = { info: () => {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const rp = confirmedRequest(RP, 7, [...objectIdTag(0, 11), 0x19, PV]);

  beforeEach(async () => {
    warnings.length = 0;
    site = fixtureSite();
    ({ device, port } = await startFixture(site, { logger, maxSubscriptionsPerSubscriber: 2 }));
  });

  afterEach(async () => {
    await device.close();
  });

  const stillAnswers = async () => {
    const replies = await rawExchange(port, [rp], { replies: 1, waitMs: 200 });
    expect(replies).toHaveLength(1);
    expect(apduOf(replies[0])[0] >> 4).toBe(3); // ComplexACK
  };

  it('survives the 27-byte Forwarded-NPDU with originator port 0 and keeps answering', async () => {
    expect(await rawExchange(port, [KILLER], { waitMs: 200 })).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await stillAnswers();
    expect(device.covSubscriptions()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/Forwarded-NPDU/);
  });

  it('survives 200 such datagrams with a log line per kind, not per datagram', async () => {
    const many = Array.from({ length: 200 }, (_, i) => {
      const d = Buffer.from(KILLER);
      d[7] = i; // another originator each time
      return d;
    });
    await rawExchange(port, many, { waitMs: 200 });
    await stillAnswers();
    expect(warnings.filter((w) => /Forwarded-NPDU/.test(w))).toHaveLength(1);
  });

  // Issue 19, point 6: the log said "BVLC length N differs from the datagram's M" once per distinct N.
  it('logs datagrams with 100 distinct bad BVLC lengths once', async () => {
    const bad = Array.from({ length: 100 }, (_, i) => Buffer.from([0x81, 0x0a, 0x01, i, 0x01, 0x00]));
    await rawExchange(port, bad, { waitMs: 200 });
    await stillAnswers();
    expect(warnings.filter((w) => /BVLC length/.test(w))).toHaveLength(1);
  });

  it('never answers the originator named in a Forwarded-NPDU that did not come from its BBMD', async () => {
    const victim = await listen('127.0.0.13');
    try {
      const whoIs = forwarded('127.0.0.13', victim.port, Buffer.from([0x81, 0x0a, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08]));
      const readAll = forwarded('127.0.0.13', victim.port, confirmedRequest(RP, 9, [...objectIdTag(8, 1234), 0x19, 76], { segmentedResponseAccepted: true }));
      expect(await rawExchange(port, [whoIs, readAll], { waitMs: 300 })).toEqual([]);
      expect(victim.got).toEqual([]);
      await stillAnswers();
    } finally {
      victim.sock.close();
    }
  });

  it('bounds an indefinite COV subscription and caps subscriptions per subscriber', async () => {
    // SubscribeCOV: process 1, object AI n, issueConfirmed FALSE, lifetime 0 (indefinite).
    const subscribe = (invokeId: number, instance: number) => confirmedRequest(SUBSCRIBE_COV, invokeId, [0x09, 0x01, ...objectIdTag(0, instance, 1), 0x29, 0x00, 0x39, 0x00]);
    const acksIn = (rs: readonly Buffer[]) => rs.filter((r) => apduOf(r)[0] >> 4 !== 1).length;
    const replies = await rawExchange(port, [subscribe(1, 11), subscribe(2, 12), subscribe(3, 13)], { until: (rs) => acksIn(rs) >= 3, waitMs: 300 });
    const acks = replies.map((r) => [...apduOf(r)]).filter((a) => a[0] >> 4 !== 1);
    // Two SimpleACKs, then Error(services, cov-subscription-failed) for the third from the same address.
    expect(acks).toEqual([[0x20, 1, SUBSCRIBE_COV], [0x20, 2, SUBSCRIBE_COV], [0x50, 3, SUBSCRIBE_COV, 0x91, 5, 0x91, 43]]);
    const subs = device.covSubscriptions();
    expect(subs).toHaveLength(2);
    for (const s of subs) expect(s.timeRemainingS).toBe(28_800);
    expect(warnings.join('\n')).toMatch(/maxSubscriptionsPerSubscriber/);
    // Another address still gets its own.
    const other = await rawExchange(port, [subscribe(4, 14)], { until: (rs) => acksIn(rs) >= 1, waitMs: 300, from: '127.0.0.9' });
    expect(other.map((r) => [...apduOf(r)]).filter((a) => a[0] >> 4 !== 1)).toEqual([[0x20, 4, SUBSCRIBE_COV]]);
  });

});
