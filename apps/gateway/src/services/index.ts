// The internal services of this build, in start order: each gets the base (configuration, site,
// commands, logger) and, by name, what earlier services and the gateway provide; the compiler
// checks every service gets what it declares. Add one line per service.
import type { Logger } from '../log';
import type { HealthService } from '../engine/health-service';
import type { SerialLines } from '../serial';
import type { RunningService, ServiceBase, ServiceDefinition } from './types';
import { historyService } from './history/service';
import { schedulerService } from './scheduler/service';
import { modbusSensorsService, upsSourceService } from './sources';
import { actionsService } from './actions';
import { lifeService } from './life/service';

/** What the gateway provides to the services before any starts. */
export interface GatewayParts {
  /** The serial-port owner (the bus port adopted into it when the bus runs). */
  readonly serialLines: SerialLines;
  /** Each block's health and the capacity tests, when engines run (the bus or the demo). */
  readonly health?: HealthService;
}

export async function startServices(base: ServiceBase & GatewayParts) {
  const running: RunningService[] = [];
  /** Starts one service with what it declared it needs; its `provides`, or nothing when it is off. */
  async function start<N, P>(service: ServiceDefinition<N, P>, ctx: N): Promise<Partial<P>> {
    const r = await service.start({ ...base, ...ctx, logger: base.logger.child(service.id) });
    if (!r) return {};
    running.push(r);
    return r.provides ?? {};
  }
  try {
    const { history } = await start(historyService, {});
    await start(lifeService, { history, health: base.health });
    const { ups } = await start(upsSourceService, { serialLines: base.serialLines });
    await start(modbusSensorsService, { serialLines: base.serialLines });
    const { actions } = await start(actionsService, {});
    const { scheduler } = await start(schedulerService, { history, health: base.health });
    return { running, provided: { history, ups, actions, scheduler } };
  } catch (error) {
    await stopServices(running, base.logger);
    throw error;
  }
}

/** What the services provided (each absent when its service is off). */
export type ServicesProvided = Awaited<ReturnType<typeof startServices>>['provided'];

export async function stopServices(running: readonly RunningService[], logger: Logger): Promise<void> {
  for (const s of [...running].reverse()) {
    try {
      await s.close();
    } catch (error) {
      logger.error('a service did not stop cleanly', { error });
    }
  }
}
