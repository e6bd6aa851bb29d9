// The protocol adapters, started in order and stopped in reverse, and the start-up table.
import { KirchhoffError } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import { modbusAdapter } from './modbus';
import { snmpAdapter } from './snmp';
import { mqttAdapter } from './mqtt';
import { bacnetAdapter } from './bacnet';
import { rccmdAdapter } from './rccmd';
import { nutAdapter } from './nut';
import { httpAdapter } from './http';
import type { AdapterContext, AdapterDefinition, RunningAdapter } from './types';

export const ADAPTERS: readonly { readonly id: string; readonly adapter: AdapterDefinition }[] = [
  { id: 'modbus', adapter: modbusAdapter },
  { id: 'snmp', adapter: snmpAdapter },
  { id: 'mqtt', adapter: mqttAdapter },
  { id: 'bacnet', adapter: bacnetAdapter },
  { id: 'rccmd', adapter: rccmdAdapter },
  { id: 'nut', adapter: nutAdapter },
  { id: 'http', adapter: httpAdapter },
];

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

/** Starts every enabled adapter; stops those already started if one fails. */
export async function startAdapters(ctx: AdapterContext): Promise<RunningAdapter[]> {
  const running: RunningAdapter[] = [];
  // Read at scrape time by /metrics: whatever the running adapters report.
  ctx.registry.adapterClients = () => Object.assign({}, ...running.map((a) => a.clients?.() ?? {}));
  for (const { id, adapter } of ADAPTERS) {
    try {
      const r = await adapter.start({ ...ctx, logger: ctx.logger.child(id) });
      if (r) running.push(r);
    } catch (error) {
      await stopAdapters(running, ctx.logger);
      const { key, port } = adapter.portKey(ctx.config);
      throw listenError(error, key, port);
    }
  }
  return running;
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
  return ADAPTERS.flatMap(({ adapter }) => adapter.services(config)).map((s) => {
    const endpoint = bound.get(s.name);
    return endpoint ? { name: s.name, endpoint, state: 'running' as const } : { name: s.name, endpoint: s.endpoint, state: 'off' as const };
  });
}
