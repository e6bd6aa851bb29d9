// Renders the configuration reference (a Markdown table per section) from the schema, so the
// reference cannot drift from the code: a test compares docs/configuration.md with this output.
import { describeValid, leaves, ObjectNode, SchemaNode } from './schema-dsl';
import { CONFIG_SCHEMA } from './schema';

export const REFERENCE_BEGIN = '<!-- config-reference:begin (generated from apps/gateway/src/config/schema.ts by `npm run docs`) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

function defaultOf(node: SchemaNode): string {
  if (node.type === 'object' || node.type === 'map') return '';
  if (node.type === 'array') return node.default !== undefined ? `\`${JSON.stringify(node.default)}\`` : node.optional ? '`[]`' : 'required';
  if (node.default !== undefined) return `\`${node.default === '' ? '""' : String(node.default)}\``;
  return node.optional ? '' : 'required';
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function configReference(schema: ObjectNode = CONFIG_SCHEMA): string {
  const out: string[] = [];
  for (const [section, node] of Object.entries(schema.fields)) {
    out.push(`## \`${section}\``, '', node.doc, '', '| key | valid | default | meaning |', '|---|---|---|---|');
    for (const { path, node: leaf } of leaves(node, section)) {
      out.push(`| \`${path}\` | ${cell(describeValid(leaf))} | ${defaultOf(leaf)} | ${cell(leaf.doc)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Replaces the generated section between the markers in `text`. */
export function withReference(text: string): string {
  const a = text.indexOf(REFERENCE_BEGIN);
  const b = text.indexOf(REFERENCE_END);
  if (a < 0 || b < a) throw new Error('docs/configuration.md has no config-reference markers');
  return `${text.slice(0, a + REFERENCE_BEGIN.length)}\n${configReference()}\n${text.slice(b)}`;
}
