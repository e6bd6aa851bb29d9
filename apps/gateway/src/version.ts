// The software version, as --version, /health, kirchhoff_build_info and the protocol identities say it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SOFTWARE_VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
