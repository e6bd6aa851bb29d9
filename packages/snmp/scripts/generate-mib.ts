// Writes mibs/KIRCHHOFF-BMS-MIB.txt and the Zabbix template docs/zabbix-template.json from the
// agent's object table (npm run docs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateMib } from '../src/mib-text';
import { generateZabbixTemplate } from '../src/zabbix-template';

const file = join(__dirname, '..', 'mibs', 'KIRCHHOFF-BMS-MIB.txt');
writeFileSync(file, generateMib());
process.stdout.write(`wrote ${file}\n`);
const zabbix = join(__dirname, '..', '..', '..', 'docs', 'zabbix-template.json');
writeFileSync(zabbix, generateZabbixTemplate());
process.stdout.write(`wrote ${zabbix}\n`);
