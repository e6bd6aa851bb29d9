// Regenerates the configuration reference (docs/configuration.md) from the schema (`npm run docs`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withReference } from '../src/config/reference';

const file = join(__dirname, '../../../docs/configuration.md');
writeFileSync(file, withReference(readFileSync(file, 'utf8')));
process.stdout.write(`wrote the configuration reference into ${file}\n`);
