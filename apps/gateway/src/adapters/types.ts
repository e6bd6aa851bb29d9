// What the gateway knows of a protocol adapter: its configuration section, the services it
// shows in the start-up table, and how to start it. One file per adapter in this folder.
import type { GatewayConfig } from '../config/types';
import type { ServiceContext } from '../services/types';

/** Adapters get what internal services get (configuration, site, commands, logger, registry). */
export type AdapterContext = ServiceContext;

export interface RunningService {
  /** As in the start-up table: `Modbus TCP`. */
  readonly name: string;
  /** As actually bound (port 0 resolved): `tcp 0.0.0.0:5020`. */
  readonly endpoint: string;
}

export interface RunningAdapter {
  readonly services: readonly RunningService[];
  /** Connected clients (or live subscriptions) now, per figure name, for /metrics. */
  clients?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

export interface ConfiguredService {
  readonly name: string;
  readonly endpoint: string;
  readonly enabled: boolean;
}

export interface AdapterDefinition {
  /** Services as configured, enabled or not, for the start-up table. */
  services(config: GatewayConfig): ConfiguredService[];
  /** Starts what the configuration enables; null when it enables nothing. */
  start(ctx: AdapterContext): Promise<RunningAdapter | null>;
  /** The config key whose port a failed listen is about, for the error message. */
  readonly portKey: (config: GatewayConfig) => { key: string; port: number };
}
