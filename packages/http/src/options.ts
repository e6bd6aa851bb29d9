// What createHttpApi takes: the API's settings (the gateway's `http` configuration section), the
// site and its command interface, and what it reads from the rest of the gateway (services.ts).
import type { CommandInterface, Logger, ProblemLog, Site } from '@kirchhoff/core';
import type { HttpUserConfig } from './auth';
import type { ApiServices, LifeHooks } from './services';

/** Core's logger (the name is kept for the package's users). */
export type HttpLogger = Logger;

/** A weakness of the running configuration, in words an operator can act on (/api/security). */
export interface SecurityNotice {
  /** Stable id for programs: default-password, plain-http, snmp-v2c, ... */
  readonly id: string;
  readonly severity: 'warning' | 'critical';
  /** The configuration key to change. */
  readonly key: string;
  readonly message: string;
}

/** The API's settings; the gateway's `http` section (HTTP_SCHEMA there documents each). */
export interface HttpApiConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly cert: string; readonly key: string; readonly minVersion: 'TLSv1.2' | 'TLSv1.3' };
  readonly users: readonly HttpUserConfig[];
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly sessionTtlMin: number;
  readonly sessionMaxLifetimeH: number;
  readonly maxSessionsPerUser: number;
  readonly metricsPublic: boolean;
  readonly live: { readonly batchMs: number; readonly maxQueueKiB: number; readonly maxClients: number };
}

export interface HttpApiOptions {
  readonly config: HttpApiConfig;
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly logger: HttpLogger;
  /** Read on each request (a gateway's service registry fits). */
  readonly services?: ApiServices;
  readonly life?: LifeHooks;
  /** The TLS certificate chain and key (PEM) when config.tls names files; the caller reads them. */
  readonly tlsPem?: { readonly cert: string; readonly key: string };
  /** Counts hostile input (connections over the caps) for /metrics; one is made when not given. */
  readonly problems?: ProblemLog;
  /** The security notices of the whole configuration; the API's own (default passwords, plain HTTP) by default. */
  notices?(defaultPasswordUsers: readonly string[], tls: boolean): SecurityNotice[];
  /** The whole configuration for GET /api/config (secrets are redacted before it is sent); config by default. */
  configuration?(): unknown;
  /** Software version for /health and /metrics; default 0.0.0. */
  readonly version?: string;
  /** Serve the web pages (default true). */
  readonly webPages?: boolean;
}
