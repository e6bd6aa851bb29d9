// Generates the KIRCHHOFF-BMS-MIB SMIv2 module from the declarative table in bms-mib.ts, so the
// shipped file (mibs/KIRCHHOFF-BMS-MIB.txt) and what the agent serves cannot disagree.
import { BMS_NOTIFICATION_DEFS, BMS_TABLES, ENTERPRISE, SITE_SCALARS, Syntax, TC, ObjectDef } from './bms-mib';

/** Newest first. */
const REVISIONS: readonly [string, string][] = [
  ['202612072000Z', 'Battery health: bmsModuleSoh, bmsModuleSohMethod, bmsModuleRemainingCapacity, bmsModuleCapacityFade, bmsModuleResistanceIncrease, bmsModuleEndOfLife; bmsStringMeanSoh, bmsStringMinSoh, bmsStringRemainingCapacity, bmsStringBalancingStalled.'],
  ['202612070000Z', 'Charge mode recharge(6) added; idle(3) renamed rest(3), same meaning (charger off); SoC method idle(2) renamed rest(2).'],
  ['202601010000Z', 'First version.'],
];

function syntaxText(s: Syntax): string {
  switch (s.kind) {
    case 'Integer32': return s.range ? `Integer32 (${s.range[0]}..${s.range[1]})` : 'Integer32';
    case 'DisplayString': return s.size ? `DisplayString (SIZE (${s.size[0]}..${s.size[1]}))` : 'DisplayString';
    case 'enum': return `INTEGER {\n${Object.entries(s.values).map(([k, v]) => `        ${k}(${v})`).join(',\n')}\n    }`;
    case 'tc': return s.name;
    default: return s.kind;
  }
}

function quote(text: string): string {
  if (text.includes('"')) throw new Error(`MIB text may not contain double quotes: ${text}`);
  return `"${text}"`;
}

function objectType(o: ObjectDef<unknown>, parent: string): string {
  return [
    `${o.name} OBJECT-TYPE`,
    `    SYNTAX      ${syntaxText(o.syntax)}`,
    ...(o.units ? [`    UNITS       ${quote(o.units)}`] : []),
    `    MAX-ACCESS  ${o.access}`,
    '    STATUS      current',
    `    DESCRIPTION ${quote(o.description)}`,
    `    ::= { ${parent} ${o.sub} }`,
    '',
  ].join('\n');
}

const upperFirst = (s: string) => s[0].toUpperCase() + s.slice(1);

export function generateMib(): string {
  if (ENTERPRISE.length !== 7 || ENTERPRISE.slice(0, 6).join('.') !== '1.3.6.1.4.1') throw new Error('the enterprise arc must be directly under enterprises (1.3.6.1.4.1.N)');
  const out: string[] = [];
  out.push(`KIRCHHOFF-BMS-MIB DEFINITIONS ::= BEGIN

IMPORTS
    MODULE-IDENTITY, OBJECT-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE, Integer32, Unsigned32,
    Gauge32, Counter32, TimeTicks, enterprises
        FROM SNMPv2-SMI
    TEXTUAL-CONVENTION, DisplayString, TruthValue
        FROM SNMPv2-TC
    MODULE-COMPLIANCE, OBJECT-GROUP, NOTIFICATION-GROUP
        FROM SNMPv2-CONF;

kirchhoffBmsMIB MODULE-IDENTITY
    LAST-UPDATED ${quote(REVISIONS[0][0])}
    ORGANIZATION "Kirchhoff project"
    CONTACT-INFO "Kirchhoff project, https://github.com/kirchhoff-bms"
    DESCRIPTION  "Battery management of stationary battery rooms: strings, measuring
                  modules (blocks), sensors, digital I/O, active alarms and alarm
                  thresholds, with notifications for alarms. Generated from the
                  agent's object table; do not edit by hand. The enterprise arc
                  ${ENTERPRISE[6]} is reserved for documentation (RFC 5612) until a
                  Private Enterprise Number is registered."
${REVISIONS.map(([at, text]) => `    REVISION     ${quote(at)}\n    DESCRIPTION  ${quote(text)}\n`).join('')}    ::= { kirchhoff 1 }

kirchhoff OBJECT IDENTIFIER ::= { enterprises ${ENTERPRISE[6]} }

kirchhoffProducts OBJECT IDENTIFIER ::= { kirchhoff 2 }

kirchhoffGateway OBJECT-IDENTITY
    STATUS      current
    DESCRIPTION "The Kirchhoff battery management gateway: the sysObjectID of its agent."
    ::= { kirchhoffProducts 1 }

bmsNotifications OBJECT IDENTIFIER ::= { kirchhoffBmsMIB 0 }
bmsObjects       OBJECT IDENTIFIER ::= { kirchhoffBmsMIB 1 }
bmsConformance   OBJECT IDENTIFIER ::= { kirchhoffBmsMIB 2 }
bmsSite          OBJECT IDENTIFIER ::= { bmsObjects 1 }
`);
  for (const [name, tc] of Object.entries(TC)) {
    out.push(`${name} ::= TEXTUAL-CONVENTION
    STATUS      current
    DESCRIPTION ${quote(tc.description)}
    SYNTAX      INTEGER {
${Object.entries(tc.values).map(([k, v]) => `        ${k}(${v})`).join(',\n')}
    }
`);
  }
  out.push('-- Site scalars\n');
  for (const o of SITE_SCALARS) out.push(objectType(o as ObjectDef<unknown>, 'bmsSite'));

  for (const t of BMS_TABLES) {
    const entryType = `${upperFirst(t.name)}Entry`;
    out.push(`-- ${t.name}Table\n`);
    out.push(`${t.name}Table OBJECT-TYPE
    SYNTAX      SEQUENCE OF ${entryType}
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION ${quote(t.description)}
    ::= { bmsObjects ${t.sub} }

${t.name}Entry OBJECT-TYPE
    SYNTAX      ${entryType}
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION ${quote(t.entryDescription)}
    INDEX       { ${t.index.join(', ')} }
    ::= { ${t.name}Table 1 }

${entryType} ::= SEQUENCE {
${t.columns.map((c) => `    ${c.name.padEnd(32)} ${syntaxText(c.syntax).replace(/ \(.*\)$/, '').replace(/^INTEGER \{[\s\S]*\}$/, 'INTEGER')}`).join(',\n')}
}
`);
    for (const c of t.columns) out.push(objectType(c, `${t.name}Entry`));
  }

  out.push('-- Notifications\n');
  for (const n of BMS_NOTIFICATION_DEFS) {
    out.push(`${n.name} NOTIFICATION-TYPE
    OBJECTS     { ${n.objects.join(',\n                  ')} }
    STATUS      current
    DESCRIPTION ${quote(n.description)}
    ::= { bmsNotifications ${n.sub} }
`);
  }

  const groups: { name: string; objects: string[]; description: string }[] = [
    { name: 'bmsSiteGroup', objects: SITE_SCALARS.map((o) => o.name), description: 'Site scalars.' },
    ...BMS_TABLES.map((t) => ({
      name: `${t.name}Group`,
      objects: t.columns.filter((c) => c.access !== 'not-accessible').map((c) => c.name),
      description: `Objects of ${t.name}Table.`,
    })),
  ];
  out.push(`-- Conformance

bmsCompliances OBJECT IDENTIFIER ::= { bmsConformance 1 }
bmsGroups      OBJECT IDENTIFIER ::= { bmsConformance 2 }

bmsCompliance MODULE-COMPLIANCE
    STATUS      current
    DESCRIPTION "A Kirchhoff gateway implements every group."
    MODULE
        MANDATORY-GROUPS { ${[...groups.map((g) => g.name), 'bmsNotificationGroup'].join(',\n                           ')} }
    ::= { bmsCompliances 1 }
`);
  groups.forEach((g, i) => {
    out.push(`${g.name} OBJECT-GROUP
    OBJECTS     { ${g.objects.join(',\n                  ')} }
    STATUS      current
    DESCRIPTION ${quote(g.description)}
    ::= { bmsGroups ${i + 1} }
`);
  });
  out.push(`bmsNotificationGroup NOTIFICATION-GROUP
    NOTIFICATIONS { ${BMS_NOTIFICATION_DEFS.map((n) => n.name).join(',\n                    ')} }
    STATUS      current
    DESCRIPTION "Notifications of alarms."
    ::= { bmsGroups ${groups.length + 1} }

END
`);
  return out.join('\n');
}
