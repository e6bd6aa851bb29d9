// `kirchhoff export`: CSV of the logged measurements, alarm/event log or audit log from a history
// database file (the gateway may keep running: the file is opened read-only beside its writer).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { CSV_WHATS, CsvWhat, historyCsv, RESOLUTIONS, type Resolution } from '@kirchhoff/history';
import { joinRelativeTimes, openHistoryForCommand, periodOf } from './history-file';
import { CliCommand, UsageError } from './types';

const USAGE = `usage: kirchhoff export --db FILE --what ${CSV_WHATS.join('|')} [options]
  --db FILE           history database (history.path of the gateway's configuration)
  --what KIND         measurements, alarms (alarm log), events (alarm and event log), audit,
                      tests (capacity tests and discharges: one row per block and record)
  --from TIME         start, inclusive (default -24h)
  --to TIME           end, exclusive (default now)
                      TIME: ISO 8601 (2026-01-05 or 2026-01-05T10:00:00Z), ms since the epoch,
                      now, or relative to now: -30m, -2h, -7d
  --entity ID         entity id, or a prefix ending in * (string/1/module/3, string/1/*, ups, sensor/2)
  --field NAME        measurements: one field only (voltageV, battery.voltageV, reading, ...)
  --resolution RES    measurements: raw, minute, hour or auto (default: the finest still kept)
  --out FILE          write to FILE instead of standard output`;


export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write logged measurements, alarms or the audit log as CSV',
  usage: USAGE,
  async run(argv, io) {
    const args = joinRelativeTimes(argv);
    const { values, positionals } = parseArgs({
      args,
      options: {
        db: { type: 'string' }, what: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, entity: { type: 'string' },
        field: { type: 'string' }, resolution: { type: 'string' }, out: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    });
    if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (!values.db) throw new UsageError('--db FILE is required');
    if (!values.what || !(CSV_WHATS as readonly string[]).includes(values.what)) throw new UsageError(`--what must be one of ${CSV_WHATS.join(', ')}${values.what ? `, got ${JSON.stringify(values.what)}` : ''}`);
    const resolution = values.resolution ?? 'auto';
    if (resolution !== 'auto' && !(RESOLUTIONS as readonly string[]).includes(resolution)) throw new UsageError(`--resolution must be raw, minute, hour or auto, got ${JSON.stringify(resolution)}`);
    const { fromMs, toMs } = periodOf(values, '-24h');

    const reader = openHistoryForCommand(values.db, 'export');
    const sink = values.out ? createWriteStream(values.out) : process.stdout;
    let rows = -1;
    try {
      for await (const chunk of historyCsv(reader, { what: values.what as CsvWhat, fromMs, toMs, entity: values.entity, field: values.field, resolution: resolution as Resolution | 'auto' })) {
        rows += chunk.split('\r\n').length - 1;
        if (!sink.write(chunk)) await once(sink, 'drain');
      }
    } finally {
      reader.close();
      if (values.out) {
        sink.end();
        await once(sink, 'finish');
      }
    }
    if (values.out) io.err(`wrote ${rows} ${values.what} rows to ${values.out}`);
    return 0;
  },
};
