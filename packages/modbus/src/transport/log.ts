// The logger shape the transports use (the gateway's structured logger fits it). Hostile input
// goes through the shared rate-limited log of @kirchhoff/core (one line per kind per minute).

export interface ModbusLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ModbusLogger = { info: () => {}, warn: () => {} };
