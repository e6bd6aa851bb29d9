// The `kirchhoff` command line: start (demo or configured site), config check, help, version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--version')) {
    process.stdout.write(`kirchhoff ${version()}\n`);
    return;
  }
  process.stdout.write('usage: kirchhoff start --demo\n');
}
