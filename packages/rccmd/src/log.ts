// The logger shape sender and listener use (the gateway's structured logger fits it). Refused
// input goes through the shared rate-limited log of @kirchhoff/core (one line per kind per minute).

import type { Logger } from '@kirchhoff/core';

/** Core's logger (the name is kept for the package's users). */
export type RccmdLogger = Logger;

export { silentLogger } from '@kirchhoff/core';

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
