// The agent's identity as an NMS reads it with snmpget/snmpwalk: sysObjectID names the product
// (not the MIB module), the agent version carries the version, and with snmp.enterpriseNumber the
// BMS MIB, sysObjectID and the notifications move under that Private Enterprise Number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithTools } from '@kirchhoff/test-support';
import { createSnmpAgent, SnmpAgent } from './index';
import { buildSite, parseLines, snmp } from './test-helpers/e2e';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describeWithTools(['snmpget', 'snmpwalk'], 'SNMP agent identity', () => {
  let agent: SnmpAgent;
  let custom: SnmpAgent;
  const site = buildSite(1, 2);
  const get = (a: SnmpAgent, ...oids: string[]) => snmp('snmpget', ['-v2c', '-c', 'public-test', `127.0.0.1:${a.port}`, ...oids]).then(parseLines);
  const walk = (a: SnmpAgent, oid: string) => snmp('snmpwalk', ['-v2c', '-c', 'public-test', `127.0.0.1:${a.port}`, oid]).then(parseLines);

  beforeAll(async () => {
    agent = await createSnmpAgent(site, { port: 0, address: '127.0.0.1', communities: [{ name: 'public-test' }], logger: quiet });
    custom = await createSnmpAgent(site, { port: 0, address: '127.0.0.1', communities: [{ name: 'public-test' }], enterpriseNumber: 99999, logger: quiet });
  });
  afterAll(async () => {
    await agent?.close();
    await custom?.close();
  });

  it('names the product in sysObjectID and its version in upsIdentAgentSoftwareVersion and sysDescr', async () => {
    const [objectId, agentVersion, descr] = await get(agent, '1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.33.1.1.4.0', '1.3.6.1.2.1.1.1.0');
    // kirchhoffGateway = { kirchhoffProducts 1 } = { kirchhoff 2 1 }; the MIB module is { kirchhoff 1 }.
    expect(objectId[2]).toBe('.1.3.6.1.4.1.32473.2.1');
    expect(agentVersion[2]).toBe(`"Kirchhoff ${VERSION}"`);
    expect(descr[2]).toContain(`Kirchhoff ${VERSION}`);
  });

  it('serves the BMS MIB and sysObjectID under snmp.enterpriseNumber, and nothing under 32473', async () => {
    const [objectId] = await get(custom, '1.3.6.1.2.1.1.2.0');
    expect(objectId[2]).toBe('.1.3.6.1.4.1.99999.2.1');
    const siteName = await walk(custom, '1.3.6.1.4.1.99999.1.1.1.1');
    expect(siteName).toEqual([['.1.3.6.1.4.1.99999.1.1.1.1.0', 'STRING', '"Test room"']]);
    expect(await walk(custom, '1.3.6.1.4.1.32473')).toEqual([['.1.3.6.1.4.1.32473', '', 'No Such Object available on this agent at this OID']]);
  });
});
