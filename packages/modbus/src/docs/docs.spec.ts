// The checked-in register documents must be what the table generates: regenerate with `npm run docs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRegisterCsv, renderRegisterMarkdown, renderSiteRegisterCsv } from './render';
import { fixtureSite } from '../__fixtures__/site';
import { PACKAGE_VERSION } from '../map/site-model';

const docs = join(__dirname, '..', '..', '..', '..', 'docs');

describe('register documents', () => {
  it('docs/registers.md equals the generated document', () => {
    expect(readFileSync(join(docs, 'registers.md'), 'utf8')).toBe(renderRegisterMarkdown());
  });

  it('docs/registers.csv equals the generated CSV', () => {
    expect(readFileSync(join(docs, 'registers.csv'), 'utf8')).toBe(renderRegisterCsv());
  });

  it('lists every register of a site once, at the documented addresses', () => {
    const rows = renderSiteRegisterCsv(fixtureSite()).trim().split('\n').slice(1).map((l) => l.split(','));
    const holding = rows.filter((r) => r[0] === 'holding+input');
    const addresses = holding.map((r) => Number(r[1]));
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(holding.find((r) => r[2] === 'modules.7.voltage')?.[1]).toBe('10060');
    expect(holding.find((r) => r[2] === 'bacs-strings.16.dcCurrent')?.[1]).toBe('1085');
    expect(rows.find((r) => r[0] === 'coil')?.[2]).toBe('relays.1');
  });

  it('reports the package version in device identification', () => {
    expect(PACKAGE_VERSION).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version);
  });
});
