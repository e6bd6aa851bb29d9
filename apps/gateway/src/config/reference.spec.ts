import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withReference } from './reference';

describe('configuration reference in the README', () => {
  it('matches the schema (run `npm run docs` after changing the schema)', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
  });
});
