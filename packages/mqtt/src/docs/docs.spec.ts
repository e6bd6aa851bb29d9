// docs/mqtt-topics.md is generated from the table: this fails when someone edits one without the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTopicsMarkdown } from './render';

describe('docs/mqtt-topics.md', () => {
  it('equals the document generated from the topic and metric table (run npm run docs -w @kirchhoff/mqtt)', () => {
    expect(readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'mqtt-topics.md'), 'utf8')).toBe(renderTopicsMarkdown());
  });
});
