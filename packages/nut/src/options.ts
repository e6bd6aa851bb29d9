// createNutServer's options, validated at start-up with messages naming the option.
import type { Clock, CommandInterface } from '@kirchhoff/core';
import { KirchhoffError, type Logger, type ProblemLog } from '@kirchhoff/core';
import { NAME } from './protocol';
import type { NutUser } from './session';
import type { LowBatteryLimits } from './variables';

/** Core's logger (the name is kept for the package's users). */
export type NutLogger = Logger;

export interface NutServerOptions {
  /** Address to bind; default 127.0.0.1. */
  readonly host?: string;
  /** TCP port; default 3493 (NUT's). 0 = any free port (see server.port). */
  readonly port?: number;
  /** false = no TCP listener: serve streams of your own with `server.handle(stream, peer)`. Default true. */
  readonly listen?: boolean;
  /** The idle timeout's clock; default the system's. */
  readonly clock?: Clock;
  /** The NUT name of the site's UPS; default `kirchhoff`. */
  readonly upsName?: string;
  /** UPSDESC of the site's UPS; default the site's name. */
  readonly description?: string;
  /** Also serve each battery string as `<upsName>-string<N>`; default false. */
  readonly strings?: boolean;
  /** LB while on battery at or below either limit; default 20 % and 300 s. */
  readonly lowBattery?: Partial<LowBatteryLimits>;
  /** battery.date (YYYY/MM/DD); default none. */
  readonly batteryDate?: string;
  /** Checks a user's password (`remote` is the client's `address:port`, for a limit on guessing); absent = every LOGIN, PRIMARY, FSD, SET and INSTCMD is ACCESS-DENIED. */
  readonly authenticate?: (username: string, password: string, remote: string) => Promise<NutUser | null>;
  /** SET VAR and INSTCMD go here (protocol `nut`, principal the NUT user); null = none offered. */
  readonly commands?: CommandInterface | null;
  /** STARTTLS with this certificate and key (PEM); absent = ERR FEATURE-NOT-CONFIGURED. */
  readonly tls?: { readonly cert: string; readonly key: string } | null;
  /** Longest request line; default 1024 bytes (a longer one closes the connection). */
  readonly maxLineBytes?: number;
  /** Connections at once; default 256. When full, the longest idle one is closed for a new one. */
  readonly maxConnections?: number;
  /** Connections at once from one address; default 32 (the longest idle of that address gives way). */
  readonly maxConnectionsPerAddress?: number;
  /** A connection silent this long is closed; default 300 s (upsmon polls every 5 s). */
  readonly idleTimeoutS?: number;
  readonly logger?: NutLogger;
  /** Counts problems (for /metrics) and limits their lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
}

export class NutConfigError extends KirchhoffError {}

export function validateOptions(o: NutServerOptions): void {
  const fail = (key: string, msg: string): never => {
    throw new NutConfigError(`nut.${key}`, `nut.${key}: ${msg}`);
  };
  const intIn = (key: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) fail(key, `must be a whole number ${lo}..${hi}, got ${v}`);
  };
  intIn('port', o.port, 0, 65535);
  intIn('maxLineBytes', o.maxLineBytes, 64, 65536);
  intIn('maxConnections', o.maxConnections, 1, 100_000);
  intIn('maxConnectionsPerAddress', o.maxConnectionsPerAddress, 1, 100_000);
  intIn('idleTimeoutS', o.idleTimeoutS, 1, 86_400);
  intIn('lowBattery.chargePercent', o.lowBattery?.chargePercent, 0, 100);
  intIn('lowBattery.runtimeS', o.lowBattery?.runtimeS, 0, 86_400);
  if (o.upsName !== undefined && !NAME.test(o.upsName)) fail('upsName', `must be 1..64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(o.upsName)}`);
  if (o.batteryDate !== undefined && o.batteryDate !== '' && !/^\d{4}\/\d{2}\/\d{2}$/.test(o.batteryDate)) {
    fail('batteryDate', `must be YYYY/MM/DD (NUT's form), got ${JSON.stringify(o.batteryDate)}`);
  }
}
