// The logger shape the transports use (the gateway's structured logger fits it). Hostile input
// goes through the shared rate-limited log of @kirchhoff/core (one line per kind per minute).

import type { Logger } from '@kirchhoff/core';

/** The levels of core's logger the transports write. */
export type ModbusLogger = Pick<Logger, 'info' | 'warn'>;

export { silentLogger } from '@kirchhoff/core';
