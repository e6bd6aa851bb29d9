// Writes docs/registers.md and docs/registers.csv from the register table (`npm run docs`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRegisterCsv, renderRegisterMarkdown } from './render';

export const DOCS_DIR = join(__dirname, '..', '..', '..', '..', 'docs');

if (require.main === module) {
  writeFileSync(join(DOCS_DIR, 'registers.md'), renderRegisterMarkdown());
  writeFileSync(join(DOCS_DIR, 'registers.csv'), renderRegisterCsv());
  process.stdout.write(`wrote ${join(DOCS_DIR, 'registers.md')} and registers.csv\n`);
}
