// Hostile input: malformed BER, wrong community, unknown user, wrong keys, wrong security level,
// oversized and random datagrams. The agent stays silent or sends the RFC 3414 report, counts
// it, and keeps answering a correct manager.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { describeWithTools, run } from '@kirchhoff/test-support';
import { ProblemLog } from '@kirchhoff/core';
import { createSnmpAgent, SnmpAgent } from './index';
import { V3, buildSite, env, parseLines, snmp } from './test-helpers/e2e';

/** Sends one datagram and collects what comes back within `waitMs`. */
function exchange(port: number, bytes: Buffer, waitMs = 300): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m) => got.push(m));
    s.send(bytes, port, '127.0.0.1');
    setTimeout(() => s.close(() => resolve(got)), waitMs);
  });
}

describeWithTools(['snmpget'], 'SNMP agent under hostile input', () => {
  let agent: SnmpAgent;
  let target: string;
  const warnings: string[] = [];
  const site = buildSite();
  const healthy = async () => {
    const out = parseLines(await snmp('snmpget', ['-v2c', '-c', 'good-community', target, '1.3.6.1.2.1.33.1.2.5.0']));
    expect(out[0][2]).toBe(String(Math.round(site.snapshot().ups!.battery.voltageV * 10)));
  };

  beforeAll(async () => {
    agent = await createSnmpAgent(site, {
      port: 0, address: '127.0.0.1',
      communities: [{ name: 'good-community' }],
      users: [{ name: 'ops', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'ops-auth-secret' }, priv: { protocol: 'aes', password: 'ops-priv-secret' } }],
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    target = `127.0.0.1:${agent.port}`;
  });
  afterAll(() => agent?.close());

  it('drops malformed, truncated, oversized and random datagrams silently and counts them', async () => {
    const before = agent.counters.inASNParseErrs;
    const datagrams = [
      Buffer.from('3084ffffffff020101', 'hex'), // length far past the end
      Buffer.from('308002010104067075626c6963a0800000', 'hex'), // indefinite lengths
      Buffer.from('302602010104067075626c6963a019020101020100020100300e300c06082b060102010105', 'hex'), // truncated varbind
      randomBytes(60_000),
      Buffer.concat([Buffer.from('3083', 'hex'), Buffer.from([0x00, 0xea, 0x5a]), randomBytes(60_000)]),
      ...Array.from({ length: 200 }, (_v, i) => randomBytes(1 + (i % 300))),
    ];
    for (const d of datagrams.slice(0, 5)) expect(await exchange(agent.port, d, 150)).toEqual([]);
    await Promise.all(datagrams.slice(5).map((d) => exchange(agent.port, d, 150)));
    expect(agent.counters.inASNParseErrs - before).toBeGreaterThanOrEqual(5);
    // Logged once per source and kind, not once per datagram.
    expect(warnings.filter((w) => w.includes('malformed')).length).toBe(1);
    await healthy();
  });

  it('drops a wrong community and an SNMPv1 request, counting snmpInBadCommunityNames and snmpInBadVersions', async () => {
    const r = await run('snmpget', ['-v2c', '-c', 'wrong', '-t', '0.3', '-r', '0', target, '1.3.6.1.2.1.1.3.0'], { env });
    expect(r.stderr).toMatch(/Timeout/);
    const v1 = await run('snmpget', ['-v1', '-c', 'good-community', '-t', '0.3', '-r', '0', target, '1.3.6.1.2.1.1.3.0'], { env });
    expect(v1.stderr).toMatch(/Timeout/);
    const counters = parseLines(await snmp('snmpget', ['-v2c', '-c', 'good-community', target, '1.3.6.1.2.1.11.4.0', '1.3.6.1.2.1.11.3.0']));
    expect(counters.map(([, , v]) => Number(v))).toEqual([1, 1]);
  });

  it('answers unknown user, wrong auth key, wrong priv key and wrong security level with RFC 3414 reports', async () => {
    const cases: [string[], RegExp, string][] = [
      [['-v3', '-l', 'authPriv', '-u', 'mallory', '-a', 'SHA', '-A', 'ops-auth-secret', '-x', 'AES', '-X', 'ops-priv-secret'], /Unknown user name/, '1.3.6.1.6.3.15.1.1.3.0'],
      [['-v3', '-l', 'authPriv', '-u', 'ops', '-a', 'SHA', '-A', 'not-the-key', '-x', 'AES', '-X', 'ops-priv-secret'], /Authentication failure/, '1.3.6.1.6.3.15.1.1.5.0'],
      [['-v3', '-l', 'authPriv', '-u', 'ops', '-a', 'SHA', '-A', 'ops-auth-secret', '-x', 'AES', '-X', 'not-the-key'], /Decryption error/, '1.3.6.1.6.3.15.1.1.6.0'],
      [['-v3', '-l', 'authNoPriv', '-u', 'ops', '-a', 'SHA', '-A', 'ops-auth-secret'], /Unsupported security level/, '1.3.6.1.6.3.15.1.1.1.0'],
    ];
    for (const [args, message, counterOid] of cases) {
      const r = await run('snmpget', [...args, '-t', '1', '-r', '0', target, '1.3.6.1.2.1.1.3.0'], { env });
      expect(r.stderr).toMatch(message);
      const v = parseLines(await snmp('snmpget', [...V3, target, counterOid]));
      expect(Number(v[0][2])).toBeGreaterThanOrEqual(1);
    }
    expect(agent.counters.usm).toMatchObject({ unknownUserNames: 1, wrongDigests: 1, decryptionErrors: 1, unsupportedSecLevels: 1 });
    await healthy();
  });

  it('logs one line per kind of problem however many addresses send it, and counts each datagram (issue 19, point 6)', async () => {
    // A representative slice of the report's 2,000 addresses: 150 loopback sources (127.0.1.1 ..).
    const lines: string[] = [];
    const problems = new ProblemLog();
    const own = await createSnmpAgent(site, { port: 0, address: '127.0.0.1', communities: [{ name: 'good-community' }], problems, logger: { info: () => undefined, warn: (m) => lines.push(m), error: (m) => lines.push(m) } });
    try {
      const sources = Array.from({ length: 150 }, (_v, i) => `127.0.1.${i + 1}`);
      await Promise.all(sources.map((address) => new Promise<void>((resolve) => {
        const s = createSocket('udp4');
        s.bind(0, address, () => s.send(Buffer.from('3084ffffffff020101', 'hex'), own.port, '127.0.0.1', () => s.close(() => resolve())));
      })));
      await new Promise<void>((resolve) => { const wait = () => (own.counters.inASNParseErrs >= sources.length ? resolve() : setTimeout(wait, 10)); wait(); });
      expect(lines.filter((l) => l.includes('malformed'))).toHaveLength(1);
      expect(problems.counts()).toEqual([{ source: 'snmp', kind: 'ber', count: sources.length, logged: 1 }]);
    } finally {
      await own.close();
    }
  });
});
