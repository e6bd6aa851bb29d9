// The adapter contract: what a protocol adapter declares to the gateway in one object (its
// configuration key and schema, demo values, security notices, the commands it may submit, its
// rows in the start-up table, and how to start it). One file per adapter in this folder; the
// gateway composes the list in index.ts. Nothing here knows the whole configuration: each adapter
// sees its own section, plus any other keys it names in what it needs.
import type { CommandInterface, CommandPolicy, ProblemLog, Site } from '@kirchhoff/core';
import type { Infer, ObjectNode } from '../config/schema-dsl';
import type { Logger } from '../log';

export interface SecurityNotice {
  /** Stable id for programs: default-password, plain-http, snmp-v2c, ... */
  readonly id: string;
  readonly severity: 'warning' | 'critical';
  /** The configuration key to change. */
  readonly key: string;
  readonly message: string;
}

export interface RunningService {
  /** As in the start-up table: `Modbus TCP`. */
  readonly name: string;
  /** As actually bound (port 0 resolved): `tcp 0.0.0.0:5020`. */
  readonly endpoint: string;
}

/** P: what the adapter offers to the adapters after it (the NUT server to the HTTP API's FSD routes, ...). */
export interface RunningAdapter<P extends object = object> {
  readonly services: readonly RunningService[];
  /** Connected clients (or live subscriptions) now, per figure name, for /metrics. */
  clients?(): Readonly<Record<string, number>>;
  readonly provides?: P;
  close(): Promise<void>;
}

/** A socket the adapter listens on as configured (port 0, any free port, is left out by the checks). */
export interface Listener { readonly key: string; readonly proto: 'tcp' | 'udp'; readonly host: string; readonly port: number }

export interface ConfiguredService {
  readonly name: string;
  readonly endpoint: string;
  readonly enabled: boolean;
}

/** What every adapter gets; C is its own configuration section. */
export interface AdapterBase<C> {
  readonly config: C;
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly logger: Logger;
  /** Hostile or broken input, counted per adapter and kind (for /metrics), one log line per kind a minute. */
  readonly problems: ProblemLog;
}

/** A section value as the demo (`--demo`) sets it: any part of it; the schema fills the rest. */
export type DemoValues<T> = { [K in keyof T]?: T[K] extends readonly (infer E)[] ? readonly DemoValues<E>[] : T[K] extends object ? DemoValues<T[K]> : T[K] };

/**
 * One adapter. K: its configuration key; S: its schema; C: its section's type, inferred from S;
 * N: what it needs besides the base (services' results, earlier adapters' `provides`, other
 * configuration keys as `root`); P: what it provides to later adapters.
 */
export interface AdapterSpec<K extends string, S extends ObjectNode, N, P extends object, C = Infer<S>> {
  readonly key: K;
  readonly schema: S;
  /** The section in the demo site (every adapter on, on loopback, on an unprivileged port). */
  readonly demo: NoInfer<DemoValues<C>>;
  /** What this configuration weakens, for the start-up log and /api/security. */
  notices?(c: C): SecurityNotice[];
  /** Which commands it may submit through the command interface, as configured (writes); none when absent. */
  writes?(c: C): CommandPolicy;
  /** Services as configured, enabled or not, for the start-up table. */
  services(c: C): ConfiguredService[];
  /** The config key whose port a failed listen is about, for the error message. */
  portKey(c: C): { key: string; port: number };
  /** The sockets it listens on as configured, for the two-services-on-one-port check; none when absent. */
  listens?(c: C): Listener[];
  /** Starts what the configuration enables; null when it enables nothing. */
  start(ctx: AdapterBase<C> & N): Promise<RunningAdapter<P> | null>;
}

/** An adapter bound to the gateway's whole configuration (which has its section under its key). */
export interface BoundAdapter<N, P extends object> {
  readonly key: string;
  readonly notices: SecurityNotice[];
  readonly writes: CommandPolicy;
  readonly services: ConfiguredService[];
  readonly portKey: { key: string; port: number };
  readonly listens: Listener[];
  readonly enabled: boolean;
  start(ctx: Omit<AdapterBase<unknown>, 'config'> & N): Promise<RunningAdapter<P> | null>;
}

export interface AdapterDefinition<K extends string, S extends ObjectNode, N, P extends object, C = Infer<S>> extends AdapterSpec<K, S, N, P, C> {
  /** The adapter with its section taken from the whole configuration. */
  bind(root: { readonly [key in K]: C }): BoundAdapter<N, P>;
}

/** C is always the section's type inferred from S: the demo values are checked against it, never taken for it. */
export function defineAdapter<K extends string, S extends ObjectNode, N = unknown, P extends object = object, C = Infer<S>>(spec: AdapterSpec<K, S, N, P, C>): AdapterDefinition<K, S, N, P, C> {
  return {
    ...spec,
    bind(root) {
      const c = root[spec.key];
      return {
        key: spec.key,
        notices: spec.notices?.(c) ?? [],
        writes: spec.writes?.(c) ?? {},
        services: spec.services(c),
        portKey: spec.portKey(c),
        listens: spec.listens?.(c) ?? [],
        enabled: spec.services(c).some((s) => s.enabled),
        start: (ctx) => spec.start({ ...ctx, config: c }),
      };
    },
  };
}
