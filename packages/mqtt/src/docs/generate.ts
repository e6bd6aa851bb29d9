// Writes docs/mqtt-topics.md from the topic and metric table (`npm run docs -w @kirchhoff/mqtt`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTopicsMarkdown } from './render';

export const DOC = join(__dirname, '..', '..', '..', '..', 'docs', 'mqtt-topics.md');

if (require.main === module) {
  writeFileSync(DOC, renderTopicsMarkdown());
  process.stdout.write(`wrote ${DOC}\n`);
}
