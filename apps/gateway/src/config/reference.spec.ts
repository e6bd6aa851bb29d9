import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultThresholds, THRESHOLD_KINDS } from '@kirchhoff/core';
import { withReference } from './reference';

describe('configuration reference in docs/configuration.md', () => {
  it('matches the schema (run `npm run docs` after changing the schema)', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
    expect(doc).toBe(withReference(doc));
  });

  it('states the built-in limits that apply when a threshold is not given (issue 16: it said "not checked")', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
    const d = defaultThresholds();
    for (const kind of THRESHOLD_KINDS) {
      for (const [field, value] of Object.entries(d[kind])) {
        if (typeof value !== 'number') continue;
        const row = doc.split('\n').find((l) => l.startsWith(`| \`thresholds.${kind}.${field}\` |`));
        expect([kind, field, row]).toEqual([kind, field, expect.stringContaining(`Not given: ${value}`)]);
      }
    }
  });
});
