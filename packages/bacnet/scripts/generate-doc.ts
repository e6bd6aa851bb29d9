// Writes docs/bacnet-objects.md from the object table (npm run docs -w @kirchhoff/bacnet).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { objectTableMarkdown } from '../src/objects/doc';

const file = join(__dirname, '..', '..', '..', 'docs', 'bacnet-objects.md');
writeFileSync(file, objectTableMarkdown());
process.stdout.write(`wrote ${file}\n`);
