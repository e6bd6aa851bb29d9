// docs/rccmd.md lists what the code does: every placeholder with its meaning, every trigger and timing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_TIMINGS, JOB_TRIGGERS } from './jobs';
import { PLACEHOLDERS } from './placeholders';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'rccmd.md'), 'utf8');

it('lists every placeholder with the description the code has', () => {
  for (const [name, p] of Object.entries(PLACEHOLDERS)) expect(doc).toContain(`| \`${name}\` | ${p.doc} |`);
  const documented = [...doc.matchAll(/^\| `(#[A-Z]+)` \|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(PLACEHOLDERS).sort());
});

it('lists every trigger and timing', () => {
  for (const t of [...JOB_TRIGGERS, ...JOB_TIMINGS]) expect(doc).toMatch(new RegExp(`^\\| \`${t}\``, 'm'));
});
