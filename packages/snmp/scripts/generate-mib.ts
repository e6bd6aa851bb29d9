// Writes mibs/KIRCHHOFF-BMS-MIB.txt from the agent's object table (npm run docs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMib } from '../src/mib-text';

const file = join(__dirname, '..', 'mibs', 'KIRCHHOFF-BMS-MIB.txt');
writeFileSync(file, generateMib());
process.stdout.write(`wrote ${file}\n`);
