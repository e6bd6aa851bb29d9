// A Zabbix template (export format 6.0, JSON) generated from the same declarative table as the
// MIB (bms-mib.ts): the site scalars as items, each table (strings, modules, sensors, digital I/O)
// as a low-level discovery rule with one item prototype per readable column, values converted to
// base units (mV -> V, tenths of a degree -> degrees, minutes -> seconds) by Zabbix preprocessing.
// The alarm and threshold tables are left out: alarms come as traps, thresholds are settings.
import { createHash } from 'node:crypto';
import { ALARM_TABLE, BMS_TABLES, SITE_OID, SITE_SCALARS, TC, entryOid, type ObjectDef, type Syntax, type TableDef } from './bms-mib';

export const ZABBIX_TEMPLATE_NAME = 'Kirchhoff BMS by SNMP';
const GROUP = 'Templates/Power';

/** Zabbix units and the multiplier from the MIB's units. */
const UNITS: Readonly<Record<string, { units: string; multiplier?: number }>> = {
  millivolts: { units: 'V', multiplier: 0.001 },
  milliamperes: { units: 'A', multiplier: 0.001 },
  'tenths of a degree Celsius': { units: '°C', multiplier: 0.1 },
  'tenths of a percent': { units: '%', multiplier: 0.1 },
  'micro-ohms': { units: 'Ω', multiplier: 0.000001 },
  milliseconds: { units: 's', multiplier: 0.001 },
  minutes: { units: 's', multiplier: 60 },
  percent: { units: '%' },
  watts: { units: 'W' },
  'ampere-hours': { units: 'Ah' },
  'tenths of an ampere-hour': { units: 'Ah', multiplier: 0.1 },
  'seconds since 1970-01-01 00:00 UTC': { units: 'unixtime' },
  'thousandths of bmsSensorUnit': { units: '', multiplier: 0.001 },
};

/** Zabbix wants a UUIDv4-shaped 32-hex id per entity; derived from the key so regeneration is stable. */
function uuid(key: string): string {
  const h = createHash('md5').update(`kirchhoff-zabbix:${key}`).digest('hex').split('');
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return h.join('');
}

function valueMapOf(s: Syntax): { name: string; values: Readonly<Record<string, number>> } | null {
  if (s.kind === 'enum') return null; // named per object below
  if (s.kind === 'tc') return { name: s.name, values: TC[s.name].values };
  if (s.kind === 'TruthValue') return { name: 'TruthValue', values: { true: 1, false: 2 } };
  return null;
}

interface ZabbixItem {
  uuid: string; name: string; type: 'SNMP_AGENT'; snmp_oid: string; key: string; delay: string; history: string; trends: string;
  value_type: 'FLOAT' | 'UNSIGNED' | 'CHAR'; units?: string; description: string;
  valuemap?: { name: string }; preprocessing?: { type: 'MULTIPLIER' | 'CHANGE_PER_SECOND'; parameters: string[] }[]; tags: { tag: string; value: string }[];
}

function item(o: Pick<ObjectDef<unknown>, 'name' | 'syntax' | 'units' | 'description'>, oid: string, key: string, name: string, component: string, valueMaps: Map<string, Readonly<Record<string, number>>>): ZabbixItem {
  const s = o.syntax;
  const conv = o.units ? UNITS[o.units] : undefined;
  if (o.units && !conv) throw new Error(`no Zabbix unit for the MIB units "${o.units}" of ${o.name}`);
  let valuemap: { name: string } | undefined;
  const tc = valueMapOf(s);
  if (tc) {
    valueMaps.set(tc.name, tc.values);
    valuemap = { name: tc.name };
  } else if (s.kind === 'enum') {
    valueMaps.set(o.name, s.values);
    valuemap = { name: o.name };
  }
  const text = s.kind === 'DisplayString';
  const scaled = conv?.multiplier !== undefined;
  const preprocessing: ZabbixItem['preprocessing'] = [];
  if (scaled) preprocessing.push({ type: 'MULTIPLIER', parameters: [String(conv!.multiplier)] });
  if (s.kind === 'Counter32') preprocessing.push({ type: 'CHANGE_PER_SECOND', parameters: [''] });
  return {
    uuid: uuid(key), name, type: 'SNMP_AGENT', snmp_oid: oid, key, delay: text ? '1h' : '1m', history: '31d', trends: text || valuemap ? '0' : '365d',
    value_type: text ? 'CHAR' : scaled || s.kind === 'Integer32' || s.kind === 'Counter32' ? 'FLOAT' : 'UNSIGNED',
    ...(conv?.units ? { units: s.kind === 'Counter32' ? `${conv.units}/s` : conv.units } : s.kind === 'Counter32' ? { units: '/s' } : {}),
    description: `${o.name}: ${o.description}`,
    ...(valuemap ? { valuemap } : {}),
    ...(preprocessing.length ? { preprocessing } : {}),
    tags: [{ tag: 'component', value: component }],
  };
}

const TABLE_WORD: Readonly<Record<string, string>> = { bmsString: 'String', bmsModule: 'Module', bmsSensor: 'Sensor', bmsIo: 'Digital I/O' };

/** The template, as the JSON text Zabbix 6.0 and later import (Data collection > Templates > Import). */
export function generateZabbixTemplate(): string {
  const valueMaps = new Map<string, Readonly<Record<string, number>>>();
  const items = SITE_SCALARS.filter((o) => o.access !== 'not-accessible').map((o) =>
    item(o, [...SITE_OID, o.sub, 0].join('.'), `kirchhoff.${o.name}`, `Site: ${o.name.replace(/^bms/, '')}`, 'site', valueMaps));
  const discovery = BMS_TABLES.filter((t) => t !== ALARM_TABLE && t.name !== 'bmsThreshold').map((t: TableDef<unknown>) => {
    const readable = t.columns.filter((c) => c.access !== 'not-accessible');
    // The rows are found by walking the first readable column; {#SNMPINDEX} is the row's index.
    const first = readable[0];
    const word = TABLE_WORD[t.name] ?? t.name;
    const component = word.toLowerCase().replace(/[^a-z]/g, '');
    return {
      uuid: uuid(`${t.name}.discovery`), name: `${word}s`, type: 'SNMP_AGENT',
      snmp_oid: `discovery[{#SNMPVALUE},${[...entryOid(t), first.sub].join('.')}]`, key: `kirchhoff.${t.name}.discovery`, delay: '1h',
      description: `${t.description} Found by walking ${first.name}; {#SNMPINDEX} is the row index (${t.index.join('.')}).`,
      item_prototypes: readable.map((c) =>
        item(c, `${[...entryOid(t), c.sub].join('.')}.{#SNMPINDEX}`, `kirchhoff.${c.name}[{#SNMPINDEX}]`, `${word} {#SNMPINDEX} ({#SNMPVALUE}): ${c.name.replace(t.name, '')}`, component, valueMaps)),
    };
  });
  const template = {
    uuid: uuid('template'), template: ZABBIX_TEMPLATE_NAME, name: ZABBIX_TEMPLATE_NAME,
    description: 'Battery strings, blocks, room sensors and digital I/O of a Kirchhoff gateway over SNMP (KIRCHHOFF-BMS-MIB, generated from the agent\'s own object table). The OIDs are under enterprise 32473; a gateway with its own snmp.enterpriseNumber serves them under that number: replace .32473. in this file. Alarms arrive as traps (bmsModuleAlarmRaised, bmsThermalRunaway, ...); the trigger below also catches them by polling.',
    groups: [{ name: GROUP }],
    items,
    discovery_rules: discovery,
    valuemaps: [...valueMaps].map(([name, values]) => ({ uuid: uuid(`valuemap.${name}`), name, mappings: Object.entries(values).map(([k, v]) => ({ value: String(v), newvalue: k })) })),
  };
  const triggers = [
    { uuid: uuid('trigger.alarms'), expression: `last(/${ZABBIX_TEMPLATE_NAME}/kirchhoff.bmsAlarmsPresent)>0`, name: 'Kirchhoff: {ITEM.LASTVALUE} battery alarm(s) active', priority: 'AVERAGE', description: 'The gateway holds active alarms; its web pages or bmsAlarmTable say which.' },
    { uuid: uuid('trigger.critical'), expression: `last(/${ZABBIX_TEMPLATE_NAME}/kirchhoff.bmsHighestSeverity)=3`, name: 'Kirchhoff: a critical battery alarm is active', priority: 'HIGH', description: 'Critical: for example thermal runaway, breaker not confirmed, bus failure.' },
  ];
  const doc = { zabbix_export: { version: '6.0', groups: [{ uuid: uuid(`group.${GROUP}`), name: GROUP }], templates: [template], triggers } };
  return JSON.stringify(doc, null, 2) + '\n';
}
