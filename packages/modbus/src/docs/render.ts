// Renders the register map as the reference document (docs/registers.md), a compact CSV of
// every field (docs/registers.csv) and a flat per-site CSV a SCADA tool can import directly.
import type { Site, SiteSnapshot } from '@kirchhoff/core';
import { REGISTER_MAP } from '../map/table';
import { BitBlock, NOT_AVAILABLE, REGISTER_WORDS, RegisterBlock, RegisterField, RegisterMap } from '../map/types';

const HEADER = `<!-- Generated from packages/modbus/src/map/table.ts by \`npm run docs -w @kirchhoff/modbus\`. Do not edit: a test fails when this file and the code disagree. -->`;

function accessOf(f: RegisterField): string {
  return f.writable ? 'read/write' : 'read';
}

function formula(b: { base: number; stride?: number; instance: string | null; maxInstances: number }): string {
  if (!b.instance) return String(b.base);
  const letter = b.instance[0];
  const stride = b.stride ?? 1;
  return `${b.base} + ${stride === 1 ? '' : stride}(${letter}-1), ${letter} = 1..${b.maxInstances}`;
}

function scaleText(f: RegisterField): string {
  if (f.type === 'float32' || f.type === 'bits16' || f.type === 'enum16') return '-';
  return String(f.scale);
}

function naText(f: RegisterField): string {
  switch (f.type) {
    case 'float32': return 'NaN';
    case 'bits16': return '-';
    case 'int16': return '-32768 (0x8000)';
    case 'int32': return '0x80000000';
    default: return `0x${NOT_AVAILABLE[f.type].toString(16).toUpperCase()}`;
  }
}

function escape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function blockMarkdown(b: RegisterBlock): string[] {
  const lines = [`### ${b.title}: ${formula(b)}`, '', b.description, ''];
  lines.push('| Offset | Address | Name | Type | Scale | Unit | Not available | Access | Description |', '|---:|---:|---|---|---|---|---|---|---|');
  for (const f of b.fields) {
    lines.push(`| ${f.offset} | ${b.base + f.offset} | ${f.name} | ${f.type} | ${scaleText(f)} | ${f.unit || '-'} | ${naText(f)} | ${accessOf(f)} | ${escape(f.description)} |`);
  }
  const used = b.fields.reduce((n, f) => n + REGISTER_WORDS[f.type], 0);
  if (used < b.stride) lines.push('', `Offsets not listed (up to ${b.stride - 1}) are reserved and read 0.`);
  for (const f of b.fields) {
    if (f.bits) {
      lines.push('', `\`${f.name}\` bits:`, '', '| Mask | Name | Meaning |', '|---|---|---|');
      for (const bit of f.bits) lines.push(`| 0x${bit.mask.toString(16).toUpperCase().padStart(4, '0')} | ${bit.name} | ${escape(bit.description)} |`);
    }
    if (f.values) lines.push('', `\`${f.name}\` values: ${f.values.map((v) => `${v.value} = ${v.name}`).join(', ')}; 65535 = not available.`);
  }
  lines.push('');
  return lines;
}

function bitBlockMarkdown(b: BitBlock, writable: boolean): string[] {
  const lines = [`### ${b.title}: ${b.base} + (${b.instance[0]}-1), ${b.instance[0]} = 1..${b.maxInstances}`, '', `${b.description} Access: ${writable ? 'read/write' : 'read'}.`, ''];
  if (b.names) lines.push(b.names.map((n, i) => `${b.base + i} ${n}`).join(', ') + '.', '');
  return lines;
}

export function renderRegisterMarkdown(map: RegisterMap = REGISTER_MAP): string {
  const registers = [...map.registers].sort((a, b) => a.base - b.base);
  const lines = [
    HEADER, '', '# Modbus register map (@kirchhoff/modbus)', '',
    'Conventions:', '',
    '- Addresses are 0-based PDU addresses, the numbers on the wire (`mbpoll -0 -r <address>`; a 1-based "4xxxx" tool adds 1).',
    '- Function 3 (holding) and function 4 (input) read the same registers.',
    '- Integer registers: value in the unit = raw x scale; int16/int32 are two\'s complement. Values beyond the range saturate.',
    '- A reading that is not available (never read, failed) has the "not available" raw value; its block\'s status bits say why. A stale reading keeps its last value and sets the `stale` status bit.',
    '- 32-bit registers (uint32, int32, float32) put the high word first (big-endian, "ABCD": `mbpoll -B`). Floats are IEEE 754 single precision in the unit shown, without scale.',
    '- Blocks with an instance (string, module, sensor, relay) exist only for the instances the site has; registers outside the map answer exception 02. Within an existing instance, offsets without a field are reserved and read 0.',
    '- Read/write registers accept writes only when writes are enabled (`modbus.writes`) and the command interface allows them; see the package README for the exception each refusal gives.',
    '',
    '## Holding and input registers', '',
    '| Block | Addresses | Instances |', '|---|---|---|',
    ...registers.map((b) => `| ${b.title} | ${b.base}..${b.base + b.stride * b.maxInstances - 1} | ${b.instance ? `${b.maxInstances} ${b.instance}s` : '1'} |`),
    '',
    ...registers.flatMap(blockMarkdown),
    '## Coils', '',
    ...map.coils.flatMap((b) => bitBlockMarkdown(b, !!b.toCommand)),
    '## Discrete inputs', '',
    ...map.discreteInputs.flatMap((b) => bitBlockMarkdown(b, false)),
  ];
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows: (string | number)[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** One row per field: the address of instance 1 and the stride to the next instance. */
export function renderRegisterCsv(map: RegisterMap = REGISTER_MAP): string {
  const rows: (string | number)[][] = [['table', 'block', 'instance', 'first_address', 'stride', 'max_instances', 'name', 'type', 'words', 'scale', 'unit', 'access', 'description']];
  for (const b of [...map.registers].sort((x, y) => x.base - y.base)) {
    for (const f of b.fields) {
      rows.push(['holding+input', b.id, b.instance ?? '', b.base + f.offset, b.stride, b.maxInstances, f.name, f.type, REGISTER_WORDS[f.type], scaleText(f), f.unit, accessOf(f), f.description]);
    }
  }
  for (const [table, blocks] of [['coil', map.coils], ['discrete-input', map.discreteInputs]] as const) {
    for (const b of blocks) rows.push([table, b.id, b.instance, b.base, 1, b.maxInstances, b.id, 'bit', 1, '-', '', b.toCommand ? 'read/write' : 'read', b.description]);
  }
  return csv(rows);
}

/** Every register and bit of one site, one row each, named like `module.12.voltage`. */
export function renderSiteRegisterCsv(site: Site | SiteSnapshot, map: RegisterMap = REGISTER_MAP): string {
  const snap = 'snapshot' in site ? site.snapshot() : site;
  const rows: (string | number)[][] = [['table', 'address', 'name', 'type', 'words', 'scale', 'unit', 'access', 'description']];
  for (const b of [...map.registers].sort((x, y) => x.base - y.base)) {
    const count = Math.min(b.count(snap), b.maxInstances);
    for (let n = 1; n <= count; n++) {
      for (const f of b.fields) {
        const name = b.instance ? `${b.id}.${n}.${f.name}` : `${b.id}.${f.name}`;
        rows.push(['holding+input', b.base + b.stride * (n - 1) + f.offset, name, f.type, REGISTER_WORDS[f.type], scaleText(f), f.unit, accessOf(f), f.description]);
      }
    }
  }
  for (const [table, blocks] of [['coil', map.coils], ['discrete-input', map.discreteInputs]] as const) {
    for (const b of blocks) {
      const count = Math.min(b.count(snap), b.maxInstances);
      for (let n = 1; n <= count; n++) rows.push([table, b.base + n - 1, `${b.id}.${b.names?.[n - 1] ?? n}`, 'bit', 1, '-', '', b.toCommand ? 'read/write' : 'read', b.description]);
    }
  }
  return csv(rows);
}
