// Structured logs: one JSON object per line (for journald, Loki, syslog relays) or, on a
// terminal, one readable line. Every line carries a time, a level, a component and a message.
// Under systemd (stderr connected to the journal) each line starts with its syslog priority
// (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug), which journald strips and records, so
// `journalctl -p err` finds the errors. An error in the fields keeps its causes and its stack.
import { fstatSync } from 'node:fs';
import type { LogFields, Logger as PackageLogger } from '@kirchhoff/core';

export type { LogFields } from '@kirchhoff/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Core's logger with every level and per-component children: what every package is handed. */
export interface Logger extends PackageLogger {
  debug(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LogOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  write?: (line: string) => void;
  clock?: () => number;
  /** Prefix each line with its syslog priority for journald; default: stderr is the journal (JOURNAL_STREAM). */
  journal?: boolean;
}

/** syslog priorities (RFC 5424), as journald reads them from a `<N>` line prefix. */
export const SYSLOG_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/** True when systemd connected stderr to the journal: JOURNAL_STREAM names stderr's device:inode (systemd.exec(5)). */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(2);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** An error as one line: its message, then each cause's ("... (cause: ...)"). */
export function errorText(error: Error): string {
  let text = error.message || error.name;
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    text += ` (cause: ${cause instanceof Error ? cause.message || cause.name : String(cause)})`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/** Fields with each Error as its text, plus `<key>Code` and `<key>Stack` so the stack is not lost. */
function expandErrors(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return fields;
  let out: LogFields | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (!(v instanceof Error)) continue;
    out ??= { ...fields };
    out[k] = errorText(v);
    const code = (v as NodeJS.ErrnoException).code;
    if (code !== undefined) out[`${k}Code`] = code;
    if (v.stack) out[`${k}Stack`] = v.stack;
  }
  return out ?? fields;
}

export function createLogger(options: LogOptions = {}, component = 'gateway'): Logger {
  const min = RANK[options.level ?? 'info'];
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const clock = options.clock ?? Date.now;
  const journal = options.journal ?? (options.write === undefined && stderrIsJournal());
  const emit = (level: LogLevel, msg: string, given?: LogFields) => {
    if (RANK[level] < min) return;
    const time = new Date(clock()).toISOString();
    const fields = expandErrors(given);
    const prefix = journal ? `<${SYSLOG_PRIORITY[level]}>` : '';
    if (format === 'json') {
      write(prefix + JSON.stringify({ time, level, component, msg, ...fields }, (_k, v) => (v instanceof Error ? errorText(v) : typeof v === 'bigint' ? String(v) : v)));
    } else {
      // A readable line: the stack only from debug on.
      const shown = fields ? Object.entries(fields).filter(([k]) => min <= RANK.debug || !k.endsWith('Stack')) : [];
      const extra = shown.length ? ' ' + shown.map(([k, v]) => `${k}=${typeof v === 'string' ? v : v instanceof Error ? errorText(v) : JSON.stringify(v)}`).join(' ') : '';
      write(`${prefix}${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${extra}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger({ ...options, journal }, c),
  };
}

/** A logger that keeps its lines, for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const make = (component: string): Logger => createLogger({ level, format: 'json', write: (l) => lines.push(JSON.parse(l)) }, component);
  return Object.assign(make('gateway'), { lines });
}
