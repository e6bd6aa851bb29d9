// No import cycles, value or type-only, in the gateway or any package (issue 18 point 1): a cycle
// means two modules that cannot be understood, tested or moved without each other.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importCycles } from '@kirchhoff/test-support';

const ROOT = join(__dirname, '..', '..', '..');

describe('import cycles', () => {
  it('there are none in apps/gateway/src and packages/*/src', async () => {
    const dirs = ['apps/gateway/src', ...readdirSync(join(ROOT, 'packages')).map((p) => `packages/${p}/src`)];
    expect(await importCycles(ROOT, dirs)).toEqual([]);
  });

  it('finds a type-only cycle made by a re-export, and no cycle where there is none', async () => {
    const fixtures = 'tools/test-support/src/__fixtures__/cycles';
    expect(await importCycles(ROOT, [fixtures])).toEqual([[`${fixtures}/a.ts`, `${fixtures}/b.ts`]]);
  });
});
