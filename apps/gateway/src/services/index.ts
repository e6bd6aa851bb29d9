// The internal services of this build, in start order (a service may use what earlier ones
// registered). Add one line per service.
import type { Logger } from '../log';
import type { RunningService, ServiceContext, ServiceDefinition } from './types';
import { historyService } from './history/service';
import { schedulerService } from './scheduler/service';
import { modbusSensorsService, upsSourceService } from './sources';
import { actionsService } from './actions';
import { lifeService } from './life/service';

export const SERVICES: readonly ServiceDefinition[] = [
  historyService, lifeService,
  upsSourceService, modbusSensorsService,
  actionsService,
  schedulerService,
];

export async function startServices(ctx: ServiceContext): Promise<RunningService[]> {
  const running: RunningService[] = [];
  for (const service of SERVICES) {
    try {
      const r = await service.start({ ...ctx, logger: ctx.logger.child(service.id) });
      if (r) running.push(r);
    } catch (error) {
      await stopServices(running, ctx.logger);
      throw error;
    }
  }
  return running;
}

export async function stopServices(running: readonly RunningService[], logger: Logger): Promise<void> {
  for (const s of [...running].reverse()) {
    try {
      await s.close();
    } catch (error) {
      logger.error('a service did not stop cleanly', { error });
    }
  }
}
