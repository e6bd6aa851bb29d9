// `kirchhoff passport`: writes the battery passport of each string (Battery Pass data model 1.2.0,
// docs/passport.md) as JSON from a history database file; the gateway may keep running.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KirchhoffError } from '@kirchhoff/core';
import { openHistoryForCommand } from './history-file';
import { CliCommand, UsageError } from './types';

const USAGE = `usage: kirchhoff passport --db FILE --out DIR [--string N]
  --db FILE      history database (history.path of the gateway's configuration); the gateway
                 keeps the life records and the passport configuration there
  --out DIR      folder to write to (created): passport-string-N.json per string
  --string N     one string only (default: every string the database knows)

One JSON document per string (the string is the battery; its blocks' life records are inside),
with the aspects GeneralProductInformation, PerformanceAndDurability and Circularity of the Battery
Pass data model 1.2.0, where each value came from (sources), and the fields the gateway cannot know
(missing, by name and why). See docs/passport.md.`;

export const passportCommand: CliCommand = {
  name: 'passport',
  summary: 'write the battery passport of each string as JSON (Battery Pass data model 1.2.0)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: { db: { type: 'string' }, out: { type: 'string' }, string: { type: 'string' } }, allowPositionals: false, strict: true });
    if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (!values.db) throw new UsageError('--db FILE is required');
    if (!values.out) throw new UsageError('--out DIR is required');
    let only: number | undefined;
    if (values.string !== undefined) {
      only = Number(values.string);
      if (!/^\d+$/.test(values.string) || only < 1 || only > 16) throw new UsageError(`--string must be a string number from 1 to 16, got ${JSON.stringify(values.string)}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { passportForString, passportStrings } = require('../passport/passport') as typeof import('../passport/passport');
    const reader = openHistoryForCommand(values.db, 'passport');
    try {
      const known = await passportStrings(reader);
      if (!known.length) throw new KirchhoffError('passport.empty', `${values.db} has no life records and no passport data: a gateway of this version writes them at start when history.enabled is true`);
      if (only !== undefined && !known.includes(only)) throw new KirchhoffError('passport.string', `string ${only} is not in ${values.db} (it knows ${known.join(', ')})`);
      mkdirSync(values.out, { recursive: true });
      const now = Date.now();
      for (const n of only !== undefined ? [only] : known) {
        const doc = await passportForString(reader, n, now);
        const file = join(values.out, `passport-string-${n}.json`);
        writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
        io.err(`wrote ${file}: ${doc.missing.length} data-model fields missing (listed in it)`);
      }
    } finally {
      reader.close();
    }
    return 0;
  },
};
