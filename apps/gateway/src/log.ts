// Structured logs: one JSON object per line (for journald, Loki, syslog relays) or, on a
// terminal, one readable line. Every line carries a time, a level, a component and a message.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LogOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  write?: (line: string) => void;
  clock?: () => number;
}

export function createLogger(options: LogOptions = {}, component = 'gateway'): Logger {
  const min = RANK[options.level ?? 'info'];
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const clock = options.clock ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const time = new Date(clock()).toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level, component, msg, ...fields }, (_k, v) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v)));
    } else {
      const extra = fields && Object.keys(fields).length ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v)}`).join(' ') : '';
      write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${extra}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(options, c),
  };
}

/** A logger that keeps its lines, for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const make = (component: string): Logger => createLogger({ level, format: 'json', write: (l) => lines.push(JSON.parse(l)) }, component);
  return Object.assign(make('gateway'), { lines });
}
