// Internal gateway services (UPS and sensor sources, data logger, alarm actions, scheduler): one
// file per service in this folder, started in the order of services/index.ts before the protocol
// adapters, stopped in reverse. A service declares what it needs besides the base (N) and what it
// provides to the services and adapters after it (P); index.ts hands each what it declared.
import type { CommandInterface, Site } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';

/** What every service gets. */
export interface ServiceBase {
  readonly config: GatewayConfig;
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly logger: Logger;
}

export interface RunningService<P = unknown> {
  /** What the service offers to later services and to the adapters. */
  readonly provides?: P;
  close(): Promise<void>;
}

export interface ServiceDefinition<N = unknown, P = unknown> {
  readonly id: string;
  /** Starts what the configuration enables; null when it enables nothing. */
  start(ctx: ServiceBase & N): Promise<RunningService<P> | null>;
}
