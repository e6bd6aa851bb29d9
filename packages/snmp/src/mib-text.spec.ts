import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMib } from './mib-text';
import { KIRCHHOFF_ENTERPRISE_OID } from './bms-mib';

describe('KIRCHHOFF-BMS-MIB file', () => {
  it('is the one the agent\'s object table generates (run npm run docs after changing bms-mib.ts)', () => {
    expect(readFileSync(join(__dirname, '..', 'mibs', 'KIRCHHOFF-BMS-MIB.txt'), 'utf8')).toBe(generateMib());
  });

  it('roots the module under the enterprise constant', () => {
    const arc = KIRCHHOFF_ENTERPRISE_OID.split('.').pop();
    expect(generateMib()).toContain(`kirchhoff OBJECT IDENTIFIER ::= { enterprises ${arc} }`);
  });
});
