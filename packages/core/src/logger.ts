// The one logger shape every Kirchhoff package takes: the gateway's structured logger fits it, and
// so does `console`. A package that writes only some levels takes a Pick of it.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Drops every line (a package used on its own with no logger given, tests). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** One line per message on stderr, prefixed with the package (`snmp: WARNING: ...`). */
export function stderrLogger(prefix: string): Logger {
  return {
    info: (m) => process.stderr.write(`${prefix}: ${m}\n`),
    warn: (m) => process.stderr.write(`${prefix}: WARNING: ${m}\n`),
    error: (m) => process.stderr.write(`${prefix}: ERROR: ${m}\n`),
  };
}
