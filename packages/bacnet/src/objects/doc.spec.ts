// The checked-in object list must be what the code's table generates, and name real objects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { objectTableMarkdown } from './doc';
import { buildPointObjects } from './objects';
import { fixtureSite } from '../test-helpers/fixture';

describe('docs/bacnet-objects.md', () => {
  it('equals the document generated from the object table (npm run docs -w @kirchhoff/bacnet)', () => {
    const checkedIn = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'bacnet-objects.md'), 'utf8');
    expect(checkedIn).toBe(objectTableMarkdown());
  });

  it('gives the example instances the objects really have', () => {
    const objects = buildPointObjects(fixtureSite(2, 20).snapshot());
    const find = (name: string) => objects.find((o) => o.name === name)?.id;
    expect(find('S02-M07 Voltage')).toEqual({ type: 0, instance: 271 });
    expect(find('S02-M07 Ri')).toEqual({ type: 0, instance: 273 });
    expect(find('S02 DC Current')).toEqual({ type: 0, instance: 10023 });
    expect(find('S02-M07 Equalize')).toEqual({ type: 5, instance: 27 });
    expect(find('S02 String')).toEqual({ type: 29, instance: 2 });
    expect(find('S02 Thermal runaway')).toEqual({ type: 5, instance: 10021 });
    expect(find('S02 Module alarm')).toEqual({ type: 5, instance: 10024 });
    expect(find('UPS on battery')).toEqual({ type: 5, instance: 10001 });
  });
});
