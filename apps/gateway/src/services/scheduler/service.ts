// The scheduler as a gateway service (after the data logger, whose registry entry it writes
// runs to): offers `registry.scheduler` (job status, run a job now).
import { dirname, join, resolve } from 'node:path';
import { KirchhoffError } from '@kirchhoff/core';
import type { ServiceDefinition } from '../types';
import { Scheduler } from './scheduler';

export const schedulerService: ServiceDefinition = {
  id: 'scheduler',
  async start({ config, site, commands, logger, registry }) {
    const c = config.schedule;
    if (!c.enabled) return null;
    const seen = new Set<string>();
    c.jobs.forEach((j, i) => {
      if (seen.has(j.name)) throw new KirchhoffError('config.invalid', `schedule.jobs.${i}.name: ${JSON.stringify(j.name)} is used by an earlier job: job names must be unique`);
      seen.add(j.name);
    });
    const scheduler = new Scheduler({
      site, commands, logger, jobs: c.jobs, timeZone: c.timeZone,
      reportDirectory: join(dirname(resolve(config.history.path)), 'reports'),
      history: () => registry.history,
      health: () => registry.health,
    });
    scheduler.start();
    for (const s of scheduler.status()) {
      logger.info(`job ${s.name} (${s.action}) at "${s.cron}"`, { nextRun: s.nextRunMs === null ? null : new Date(s.nextRunMs).toISOString(), timeZone: c.timeZone });
    }
    registry.scheduler = scheduler;
    return {
      async close() {
        scheduler.stop();
        if (registry.scheduler === scheduler) delete registry.scheduler;
      },
    };
  },
};
