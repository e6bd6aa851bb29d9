// `kirchhoff report`: the service report of a period (site summary, alarms, capacity tests, health
// rankings and plots) as one self-contained HTML file from a data logger file, and a PDF of it where
// Chromium is installed. The gateway may keep running: the file is opened read-only beside its writer.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { joinRelativeTimes, openHistoryForCommand, periodOf } from './history-file';
import { CliCommand, UsageError } from './types';

const USAGE = `usage: kirchhoff report --db FILE --out FILE.html [--from TIME] [--to TIME] [--pdf FILE.pdf]
  --db FILE       history database (history.path of the gateway's configuration)
  --out FILE      the HTML report to write (one file: styles and plots inline, no scripts)
  --from TIME     start of the period, inclusive (default -30d)
  --to TIME       end, exclusive (default now)
                  TIME: ISO 8601 (2026-01-05 or 2026-01-05T10:00:00Z), ms since the epoch,
                  now, or relative to now: -30m, -2h, -7d
  --pdf FILE      also print the report to FILE as PDF with headless Chromium (Debian package
                  chromium, or KIRCHHOFF_CHROMIUM=path); without Chromium the HTML is still written
                  and the command exits 1

The report: the site summary (strings, blocks, identity from the life records, blocks replaced),
the alarms and events of the period, the capacity tests and discharges that started in it (per
block results, discharge curves, the end-of-discharge ranking), the state-of-health ranking with
the remaining capacity, and the Ri trend with its end-of-life projection. See docs/health.md.`;

/** Writes so that a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'write the service report of a period as HTML (and PDF): alarms, capacity tests, health rankings, plots',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: joinRelativeTimes(argv),
      options: { db: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, pdf: { type: 'string' } },
      allowPositionals: false,
      strict: true,
    });
    if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (!values.db) throw new UsageError('--db FILE is required');
    if (!values.out) throw new UsageError('--out FILE.html is required');
    if (!/\.html?$/i.test(values.out)) throw new UsageError(`--out must name an .html file, got ${JSON.stringify(values.out)}`);
    if (values.pdf !== undefined && !/\.pdf$/i.test(values.pdf)) throw new UsageError(`--pdf must name a .pdf file, got ${JSON.stringify(values.pdf)}`);
    const now = Date.now();
    const { fromMs, toMs } = periodOf(values, '-30d', now);

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { serviceReport, findChromium, printPdf, NO_CHROMIUM } = require('../report') as typeof import('../report');
    const reader = openHistoryForCommand(values.db, 'report');
    let report: Awaited<ReturnType<typeof serviceReport>>;
    try {
      report = await serviceReport(reader, { fromMs, toMs, nowMs: now });
    } finally {
      reader.close();
    }
    writeAtomically(values.out, report.html);
    const d = report.data;
    io.err(`wrote ${values.out}: ${d.strings.length} strings, ${d.alarms.length} alarm log entries, ${d.tests.length} capacity tests, ${d.health ? d.health.blocks.length : 0} blocks with health figures`);
    if (values.pdf === undefined) return 0;
    const chromium = findChromium();
    if (!chromium) {
      io.err(`kirchhoff report: no PDF written: ${NO_CHROMIUM}`);
      return 1;
    }
    mkdirSync(dirname(values.pdf), { recursive: true });
    await printPdf(values.out, values.pdf, chromium);
    io.err(`wrote ${values.pdf}`);
    return 0;
  },
};
