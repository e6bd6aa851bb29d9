// docs/nut.md lists what the server does: every variable the site UPS shows, every writable
// variable and instant command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { siteUps } from './variables';
import { fixtureSite } from './__fixtures__/site';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'nut.md'), 'utf8');

it('documents every variable, writable variable and instant command of the site UPS', () => {
  const ups = siteUps('kirchhoff', 'test');
  const site = fixtureSite();
  site.reconcileAlarms('t', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'site' }, message: 'x', value: null, limit: null }]);
  const names = [...ups.variables(site.snapshot(), { limits: { chargePercent: 20, runtimeS: 300 }, fsd: false, batteryDate: '2024/01/02', version: '0' }).keys()];
  const table = doc.slice(doc.indexOf('| variable | from where |'), doc.indexOf('When the gateway has no fresh data'));
  for (const name of names) {
    const family = name.split('.')[0];
    expect([name, table.includes(`\`${name}\``) || table.includes(`\`${family}.*\``)]).toEqual([name, true]);
  }
  for (const name of [...Object.keys(ups.writable), ...Object.keys(ups.commands)]) expect(doc).toContain(`\`${name}\``);
});
