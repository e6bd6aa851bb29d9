// The logger shape sender and listener use (the gateway's structured logger fits it). Refused
// input goes through the shared rate-limited log of @kirchhoff/core (one line per kind per minute).

export interface RccmdLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RccmdLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Calls every event listener with `event`; one that throws is logged (as `who`) and the others still run. */
export function emitToAll<E>(listeners: ReadonlySet<(event: E) => void>, event: E, logger: RccmdLogger, who: string): void {
  for (const l of [...listeners]) {
    try {
      l(event);
    } catch (error) {
      logger.error(`RCCMD ${who} event listener failed`, { error: (error as Error).message });
    }
  }
}
