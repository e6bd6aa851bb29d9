// Internal gateway services (UPS and sensor sources, data logger, alarm actions, scheduler):
// one file per service in this folder, started in SERVICES order before the protocol adapters,
// stopped in reverse. Services that others need register themselves in the shared registry.
import { ProblemLog, type CommandInterface, type Site } from '@kirchhoff/core';
import type { PublisherStats } from '@kirchhoff/mqtt';
import type { NutServer } from '@kirchhoff/nut';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import type { SerialLines, UpsSource } from './sources';
import type { HistoryStore } from '@kirchhoff/history';
import type { Scheduler } from './scheduler/scheduler';
import type { ActionRecord } from './actions/record';
import type { HealthService } from '../engine/health-service';

/**
 * What started services offer to later ones and to adapters (the HTTP API reads history and the
 * action record from here). Each service adds its own optional field.
 */
export interface ServiceRegistry {
  history?: HistoryStore;
  scheduler?: Scheduler;
  actions?: ActionRecord;
  /** The UPS source (q1, snmp): the command executor sends ups-test/ups-control/ups-settings to it. */
  ups?: UpsSource;
  /** Serial-port owner shared by the UPS and sensor sources (adopt the bus port here). */
  serialLines?: SerialLines;
  /** The NUT server, for the FSD API (set by the nut adapter). */
  nut?: NutServer;
  /** Connected clients per adapter figure, set by the gateway once adapters run (for /metrics). */
  adapterClients?: () => Readonly<Record<string, number>>;
  /** The MQTT publisher's figures (messages dropped and queued, for /metrics), while it runs. */
  mqttPublisher?: () => PublisherStats;
  /** Each block's health and the capacity tests (set by the gateway when engines run: the bus or the demo). */
  health?: HealthService;
  /** Hostile or broken input, counted per adapter and kind (for /metrics), one log line per kind a minute. */
  problems?: ProblemLog;
  [name: string]: unknown;
}

/** The gateway's one rate-limited problem log, created by the first adapter or service that needs it. */
export function problemsOf(registry: ServiceRegistry): ProblemLog {
  registry.problems ??= new ProblemLog();
  return registry.problems;
}

export interface ServiceContext {
  readonly config: GatewayConfig;
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly logger: Logger;
  readonly registry: ServiceRegistry;
}

export interface RunningService {
  close(): Promise<void>;
}

export interface ServiceDefinition {
  readonly id: string;
  /** Starts what the configuration enables; null when it enables nothing. */
  start(ctx: ServiceContext): Promise<RunningService | null>;
}
