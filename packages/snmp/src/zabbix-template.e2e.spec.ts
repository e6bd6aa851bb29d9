// The Zabbix template in docs/ is the one generated from the agent's object table, and every OID
// it polls is answered by the agent: its items by snmpget, its discovery rules by an snmpwalk whose
// rows then answer each item prototype (the way Zabbix's SNMP low-level discovery expands them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithTools, freeUdpPort } from '@kirchhoff/test-support';
import { createSnmpAgent, SnmpAgent } from './index';
import { generateZabbixTemplate, ZABBIX_TEMPLATE_NAME } from './zabbix-template';
import { buildSite, parseLines, snmp } from './test-helpers/e2e';

interface Item { snmp_oid: string; key: string; value_type: string; units?: string; preprocessing?: { type: string; parameters: string[] }[]; valuemap?: { name: string } }
interface Rule { snmp_oid: string; key: string; item_prototypes: Item[] }
const SHIPPED = join(__dirname, '..', '..', '..', 'docs', 'zabbix-template.json');
const template = () => JSON.parse(readFileSync(SHIPPED, 'utf8')).zabbix_export as {
  version: string; templates: { template: string; items: Item[]; discovery_rules: Rule[]; valuemaps: { name: string }[] }[]; triggers: { expression: string }[];
};

describe('Zabbix template', () => {
  it('docs/zabbix-template.json is the generated one (npm run docs -w @kirchhoff/snmp)', () => {
    expect(readFileSync(SHIPPED, 'utf8')).toBe(generateZabbixTemplate());
  });

  it('is a Zabbix 6.0 export whose keys are unique, whose value maps exist and whose triggers name its items', () => {
    const z = template();
    expect(z.version).toBe('6.0');
    const t = z.templates[0];
    expect(t.template).toBe(ZABBIX_TEMPLATE_NAME);
    const all = [...t.items, ...t.discovery_rules, ...t.discovery_rules.flatMap((r) => r.item_prototypes)];
    expect(new Set(all.map((i) => i.key)).size).toBe(all.length);
    const maps = new Set(t.valuemaps.map((v) => v.name));
    for (const i of all as Item[]) if (i.valuemap) expect(maps).toContain(i.valuemap.name);
    for (const tr of z.triggers) {
      const key = /last\(\/([^/]+)\/([^)]+)\)/.exec(tr.expression)!;
      expect(key[1]).toBe(ZABBIX_TEMPLATE_NAME);
      expect(t.items.map((i) => i.key)).toContain(key[2]);
    }
    // Block voltages arrive in millivolts and are shown in volts.
    const voltage = t.discovery_rules.flatMap((r) => r.item_prototypes).find((i) => i.key === 'kirchhoff.bmsModuleVoltage[{#SNMPINDEX}]')!;
    expect(voltage).toMatchObject({ units: 'V', value_type: 'FLOAT', preprocessing: [{ type: 'MULTIPLIER', parameters: ['0.001'] }] });
  });
});

describeWithTools(['snmpget', 'snmpwalk'], 'Zabbix template against the agent (net-snmp tools)', () => {
  let agent: SnmpAgent;
  let target: string;
  beforeAll(async () => {
    // Every sensor read once: a value never read is absent by the MIB's own definition.
    const site = buildSite(2, 4);
    site.update((tx) => tx.sensor(2, 0.4));
    agent = await createSnmpAgent(site, {
      port: await freeUdpPort(), address: '127.0.0.1', communities: [{ name: 'zabbix' }],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    target = `127.0.0.1:${agent.port}`;
  });
  afterAll(() => agent?.close());

  it('every item OID answers snmpget with a value', async () => {
    const oids = template().templates[0].items.map((i) => i.snmp_oid);
    const got = parseLines(await snmp('snmpget', ['-v2c', '-c', 'zabbix', target, ...oids]));
    expect(got.map(([oid]) => oid.slice(1))).toEqual(oids);
    expect(got.filter(([, type, value]) => /No Such (Object|Instance)/.test(`${type} ${value}`))).toEqual([]);
  });

  it('each discovery rule finds the rows of its table, and each row answers every item prototype', async () => {
    const rules = template().templates[0].discovery_rules;
    const expectedRows: Record<string, number> = { 'kirchhoff.bmsString.discovery': 2, 'kirchhoff.bmsModule.discovery': 8, 'kirchhoff.bmsSensor.discovery': 2, 'kirchhoff.bmsIo.discovery': 3 };
    for (const rule of rules) {
      const column = /^discovery\[\{#SNMPVALUE\},([\d.]+)\]$/.exec(rule.snmp_oid)![1];
      const rows = parseLines(await snmp('snmpwalk', ['-v2c', '-c', 'zabbix', target, column])).map(([oid]) => oid.slice(column.length + 2));
      expect({ rule: rule.key, rows: rows.length }).toEqual({ rule: rule.key, rows: expectedRows[rule.key] });
      // The module table's index is string.module.
      if (rule.key === 'kirchhoff.bmsModule.discovery') expect(rows).toEqual(['1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '2.3', '2.4']);
      for (const index of rows) {
        // One request per row, as Zabbix polls them (a whole table would not fit one response).
        const oids = rule.item_prototypes.map((p) => p.snmp_oid.replace('{#SNMPINDEX}', index));
        const got = parseLines(await snmp('snmpget', ['-v2c', '-c', 'zabbix', target, ...oids]));
        expect(got.map(([oid]) => oid.slice(1))).toEqual(oids);
        const missing = got.filter(([, type, value]) => /No Such (Object|Instance)/.test(`${type} ${value}`)).map(([oid]) => oid);
        expect({ rule: rule.key, index, missing }).toEqual({ rule: rule.key, index, missing: [] });
      }
    }
  });
});
