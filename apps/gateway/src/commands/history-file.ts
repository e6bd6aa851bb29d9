// What the commands that read a data logger file share (export, passport, report): the file opened
// read-only beside a running gateway's writer, and the --from/--to period.
import { KirchhoffError } from '@kirchhoff/core';
import { openHistoryFile } from '@kirchhoff/history';
import { UsageError } from './types';

export type HistoryFile = ReturnType<typeof openHistoryFile>;

/** Opens the data logger file `db` for `command`; a file that cannot be opened is `<command>.open`. */
export function openHistoryForCommand(db: string, command: string): HistoryFile {
  // Only these commands load the native SQLite module in the CLI's own thread: @kirchhoff/history
  // loads it when a file is opened, not when imported.
  try {
    return openHistoryFile(db);
  } catch (error) {
    throw new KirchhoffError(`${command}.open`, `${(error as Error).message.replace(/^cannot open the history database/, 'cannot open')}`);
  }
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ISO 8601, epoch ms, `now`, or `-<n><s|m|h|d>` relative to nowMs. */
export function parseTime(text: string, nowMs: number, option: string): number {
  if (text === 'now') return nowMs;
  const rel = /^-(\d+(?:\.\d+)?)([smhd])$/.exec(text);
  if (rel) return nowMs - Number(rel[1]) * UNITS[rel[2]];
  if (/^\d{10,}$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`${option} ${JSON.stringify(text)} is not a time: use ISO 8601 (2026-01-05T10:00:00Z), ms since the epoch, now, or -30m/-2h/-7d`);
  return ms;
}

/** The period of --from (default `defaultFrom`) and --to (default now); --to must come after --from. */
export function periodOf(values: { readonly from?: string; readonly to?: string }, defaultFrom: string, nowMs = Date.now()): { fromMs: number; toMs: number } {
  const fromMs = parseTime(values.from ?? defaultFrom, nowMs, '--from');
  const toMs = parseTime(values.to ?? 'now', nowMs, '--to');
  if (toMs <= fromMs) throw new UsageError(`--to (${new Date(toMs).toISOString()}) must be after --from (${new Date(fromMs).toISOString()})`);
  return { fromMs, toMs };
}

/** `--from -2h` would read as an unknown option -2: joins a relative time to its option. */
export function joinRelativeTimes(argv: readonly string[]): string[] {
  return argv.flatMap((a, i) => ((a === '--from' || a === '--to') && /^-\d/.test(argv[i + 1] ?? '') ? [] : (i > 0 && (argv[i - 1] === '--from' || argv[i - 1] === '--to') && /^-\d/.test(a) ? [`${argv[i - 1]}=${a}`] : [a])));
}
