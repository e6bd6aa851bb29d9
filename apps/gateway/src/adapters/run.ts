// Running the adapter list against the gateway's configuration: starting and stopping them, the
// start-up table, the command policy and the security notices.
import { KirchhoffError, type CommandPolicy } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import { ADAPTERS } from './index';
import type { AdapterBase, Listener, RunningAdapter, SecurityNotice } from './types';

type Adapter = (typeof ADAPTERS)[number];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type ProvidesOf<A> = A extends { start(ctx: never): Promise<RunningAdapter<infer P> | null> } ? P : never;
type NeedsOf<A> = A extends { start(ctx: infer C): Promise<unknown> } ? Omit<C, keyof AdapterBase<unknown>> : never;

/** What the adapters provide to each other (each absent until its adapter runs, and when it is off). */
export type AdapterProvided = Partial<UnionToIntersection<ProvidesOf<Adapter>>>;
/** What the gateway must hand the adapters: every need of every adapter, less what adapters provide each other. */
export type AdapterNeeds = Omit<UnionToIntersection<NeedsOf<Adapter>>, 'root' | keyof AdapterProvided> & { readonly root: GatewayConfig };

export interface ServiceInfo {
  readonly name: string;
  readonly endpoint: string;
  readonly state: 'running' | 'off';
}

/** Turns a failed listen into a message naming the key to change. */
function listenError(error: unknown, key: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new KirchhoffError('listen.in-use', `${key} ${port} is already in use by another program: stop it, or choose another port with --set ${key}=PORT`);
  if (code === 'EACCES') return new KirchhoffError('listen.denied', `${key} ${port} needs root: use a port above 1023, or run with CAP_NET_BIND_SERVICE`);
  return error;
}

export interface RunningAdapters {
  readonly running: readonly RunningAdapter[];
  /** What the adapters provided each other (and the gateway shows in `Gateway.deps`). */
  readonly provided: AdapterProvided;
}

/**
 * Starts every enabled adapter in list order, each with what the ones before it provided; stops
 * those already started if one fails.
 */
export async function startAdapters(base: Omit<AdapterBase<unknown>, 'config'> & AdapterNeeds): Promise<RunningAdapters> {
  const running: RunningAdapter[] = [];
  let provided: AdapterProvided = {};
  for (const definition of ADAPTERS) {
    const adapter = definition.bind(base.root);
    try {
      const r = await adapter.start({ ...base, ...provided, logger: base.logger.child(adapter.key) });
      if (r) {
        running.push(r);
        provided = { ...provided, ...r.provides };
      }
    } catch (error) {
      await stopAdapters(running, base.logger);
      const { key, port } = adapter.portKey;
      throw listenError(error, key, port);
    }
  }
  return { running, provided };
}

export async function stopAdapters(running: readonly RunningAdapter[], logger: Logger): Promise<void> {
  for (const a of [...running].reverse()) {
    try {
      await a.close();
    } catch (error) {
      logger.error(`${a.services.map((s) => s.name).join(', ')} did not stop cleanly`, { error });
    }
  }
}

/** The start-up table: every service, as bound when running. */
export function serviceList(config: GatewayConfig, running: readonly RunningAdapter[]): ServiceInfo[] {
  const bound = new Map(running.flatMap((r) => r.services.map((s) => [s.name, s.endpoint] as const)));
  return ADAPTERS.flatMap((a) => a.bind(config).services).map((s) => {
    const endpoint = bound.get(s.name);
    return endpoint ? { name: s.name, endpoint, state: 'running' as const } : { name: s.name, endpoint: s.endpoint, state: 'off' as const };
  });
}

/** Which protocol may submit which commands: only what the configuration turned on. */
export function commandPolicy(config: GatewayConfig): CommandPolicy {
  return Object.assign({ cli: 'all', internal: 'all' }, ...ADAPTERS.map((a) => a.bind(config).writes));
}

/** The sockets the enabled adapters listen on, in list order (port 0, any free port, left out). */
export function configListeners(config: GatewayConfig): Listener[] {
  return ADAPTERS.flatMap((a) => a.bind(config).listens).filter((l) => l.port !== 0);
}

/** The keys of the adapters the configuration turns on, in list order. */
export function enabledAdapters(config: GatewayConfig): string[] {
  return ADAPTERS.map((a) => a.bind(config)).filter((a) => a.enabled).map((a) => a.key);
}

/** What the configuration weakens, adapter by adapter, for the start-up log and /api/security. */
export function configNotices(config: GatewayConfig): SecurityNotice[] {
  return ADAPTERS.flatMap((a) => a.bind(config).notices);
}
