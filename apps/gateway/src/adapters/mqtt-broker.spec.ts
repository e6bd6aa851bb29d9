// The embedded broker's pieces without a network: topic filters, the framing guard over an
// in-memory socket pair, the configuration keys and the security notices.
import { Duplex, PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { applySets, ConfigError, finishConfig, parseConfigText } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { GuardedSocket, topicMatches } from './mqtt-broker';
import { mqttNotices } from './mqtt';

describe('topicMatches (MQTT 3.1.1 section 4.7)', () => {
  it.each([
    ['kirchhoff/site/#', 'kirchhoff/site', true], // '#' also matches the parent level
    ['kirchhoff/site/#', 'kirchhoff/site/status', true],
    ['kirchhoff/site/#', 'kirchhoff/other/status', false],
    ['kirchhoff/site/relay/+/set', 'kirchhoff/site/relay/1/set', true],
    ['kirchhoff/site/relay/+/set', 'kirchhoff/site/relay/1/2/set', false],
    ['kirchhoff/site/relay/+/set', 'kirchhoff/site/relay/1', false],
    ['spBv1.0/kirchhoff/+/edge', 'spBv1.0/kirchhoff/NCMD/edge', true],
    ['spBv1.0/kirchhoff/+/edge', 'spBv1.0/kirchhoff/NCMD/edge/x', false],
  ])('%s against %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

/** A socket stand-in: what the client sends is written to `wire`, what the guard lets through is read from `guard`. */
function guarded(limit: number) {
  const wire = new PassThrough();
  const socket = Object.assign(wire as Duplex, { remoteAddress: '127.0.0.1', remotePort: 1 }) as unknown as Socket;
  const refusals: string[] = [];
  const guard = new GuardedSocket(socket, (i) => (i === 0 ? 16 : limit), (why) => refusals.push(why));
  const passed: Buffer[] = [];
  guard.on('data', (d: Buffer) => passed.push(d));
  guard.on('error', () => undefined);
  return { wire, guard, refusals, passed: () => Buffer.concat(passed) };
}

describe('GuardedSocket', () => {
  it('passes packets within the limits, split anywhere, byte for byte', async () => {
    const g = guarded(100);
    // CONNECT-sized first packet (14 bytes), then a PINGREQ (2 bytes) and a 99-byte PUBLISH cut into single bytes.
    const bytes = Buffer.concat([Buffer.from([0x10, 12]), Buffer.alloc(12, 1), Buffer.from([0xc0, 0]), Buffer.from([0x30, 97]), Buffer.alloc(97, 2)]);
    for (const b of bytes) g.wire.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
    expect(g.refusals).toEqual([]);
    expect(g.passed()).toEqual(bytes);
  });

  it('closes at the header of an oversized packet, before its body is buffered', async () => {
    const g = guarded(100);
    g.wire.write(Buffer.from([0x10, 2, 0, 0]));
    // Remaining length 200 000 000 as a 4-byte varint: 0x80 0x84 0xaf 0x5f.
    g.wire.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f, 1, 2, 3]));
    await new Promise((r) => setImmediate(r));
    expect(g.refusals).toEqual(['a packet of 200000005 bytes (the limit is 100)']);
    expect(g.passed()).toEqual(Buffer.from([0x10, 2, 0, 0]));
    expect(g.wire.destroyed).toBe(true);
  });

  it('applies the CONNECT limit to the first packet and refuses a 5-byte remaining length', async () => {
    const first = guarded(100);
    first.wire.write(Buffer.from([0x10, 17]));
    await new Promise((r) => setImmediate(r));
    expect(first.refusals).toEqual(['a packet of 19 bytes (the limit is 16 for CONNECT)']);
    const bad = guarded(100);
    bad.wire.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
    await new Promise((r) => setImmediate(r));
    expect(bad.refusals).toEqual(['a remaining length longer than 4 bytes']);
  });
});

describe('mqtt.broker configuration', () => {
  const problems = (sets: string[]) => {
    try {
      finishConfig(applySets(parseConfigText('strings: [{modules: 2}]\nmqtt: {enabled: true, broker: {enabled: true}}\n', 'site.yaml'), sets));
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
      throw e;
    }
    return [];
  };

  it('names the key, the bad value and what is valid', () => {
    expect(problems(['mqtt.broker.maxPacketKiB=0'])).toEqual(['mqtt.broker.maxPacketKiB: 0 is not valid: expected a whole number from 1 to 262144 (KiB) (out of range)']);
    expect(problems(['mqtt.broker.maxRetained=-1'])[0]).toMatch(/^mqtt\.broker\.maxRetained: -1 is not valid: expected a whole number from 0 to 1000000/);
    expect(problems(['mqtt.broker.users.0.name=bob', 'mqtt.broker.users.0.passwordHash=secret'])[0]).toMatch(/^mqtt\.broker\.users\.0\.passwordHash: "secret" is not valid: expected a scrypt hash/);
  });

  it('warns about the demo passwords and about listening beyond loopback', () => {
    const demo = finishConfig(applySets(demoConfig(), []));
    expect(mqttNotices(demo.mqtt).map((n) => [n.id, n.severity, n.key])).toEqual([['mqtt-default-password', 'critical', 'mqtt.broker.users']]);
    expect(mqttNotices(demo.mqtt)[0].message).toContain('admin, operator, viewer');
    const open = finishConfig(applySets(demoConfig(), ['mqtt.broker.host=0.0.0.0']));
    expect(mqttNotices(open.mqtt).map((n) => n.id)).toEqual(['mqtt-default-password', 'mqtt-broker-network']);
    expect(mqttNotices(open.mqtt)[1].message).toMatch(/listens on 0\.0\.0\.0, beyond loopback, without TLS/);
    expect(mqttNotices(finishConfig(applySets(demoConfig(), ['mqtt.broker.host=::1', 'mqtt.broker.users=[]'])).mqtt)).toEqual([]);
  });
});
