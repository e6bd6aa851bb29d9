// Test support (not built into dist): validates a passport export against the vendored Battery
// Pass 1.2.0 JSON Schemas (draft-04) with ajv, and checks that every required field the export
// leaves out is named in its `missing` list, and that nothing named missing is present.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { AspectName, PassportDocument } from './passport';

const FILES: Record<AspectName, string> = {
  generalProductInformation: 'GeneralProductInformation-schema.json',
  performanceAndDurability: 'PerformanceAndDurability-schema.json',
  circularity: 'Circularity-schema.json',
};

// strict: false: the generated schemas carry `components` and `x-samm-*` keywords that draft-04 does not define.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = Object.fromEntries(Object.entries(FILES).map(([aspect, file]) => [aspect, ajv.compile(JSON.parse(readFileSync(join(__dirname, 'schemas', file), 'utf8')) as object)])) as Record<AspectName, ReturnType<Ajv['compile']>>;

export interface SchemaReport {
  /** Violations other than a missing required field: must be none. */
  readonly violations: readonly string[];
  /** Required fields absent from the export (dotted paths from the document root). */
  readonly requiredAbsent: readonly string[];
  /** Required fields absent and not named in `missing`: must be none. */
  readonly unexplained: readonly string[];
  /** Fields named in `missing` that the export has all the same: must be none. */
  readonly missingButPresent: readonly string[];
}

function has(doc: unknown, path: string): boolean {
  let at: unknown = doc;
  for (const p of path.split('.')) {
    if (!at || typeof at !== 'object' || !(p in at)) return false;
    at = (at as Record<string, unknown>)[p];
  }
  return true;
}

export function checkPassport(doc: PassportDocument): SchemaReport {
  const violations: string[] = [];
  const absent = new Set<string>();
  for (const aspect of Object.keys(FILES) as AspectName[]) {
    const validate = validators[aspect];
    if (validate(doc[aspect])) continue;
    for (const e of validate.errors ?? []) {
      const at = [aspect, ...e.instancePath.split('/').slice(1)].join('.');
      if (e.keyword === 'required') absent.add(`${at}.${String((e.params as { missingProperty: string }).missingProperty)}`);
      else violations.push(`${at}: ${e.message ?? e.keyword}`);
    }
  }
  const named = doc.missing.map((m) => m.field);
  const requiredAbsent = [...absent].sort();
  return {
    violations,
    requiredAbsent,
    unexplained: requiredAbsent.filter((p) => !named.includes(p)),
    missingButPresent: named.filter((p) => has(doc, p)),
  };
}
