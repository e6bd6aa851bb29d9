// The scheduler as a gateway service (after the data logger, which it writes runs to): provides
// `scheduler` (job status, run a job now).
import { dirname, join, resolve } from 'node:path';
import { KirchhoffError } from '@kirchhoff/core';
import type { ServiceDefinition } from '../types';
import type { HistoryStore } from '@kirchhoff/history';
import type { HealthService } from '../../engine/health-service';
import { Scheduler } from './scheduler';

interface SchedulerNeeds {
  readonly history?: HistoryStore;
  readonly health?: HealthService;
}

export const schedulerService: ServiceDefinition<SchedulerNeeds, { readonly scheduler: Scheduler }> = {
  id: 'scheduler',
  async start({ config, site, commands, logger, history, health }) {
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
      history: () => history,
      health: () => health,
    });
    scheduler.start();
    for (const s of scheduler.status()) {
      logger.info(`job ${s.name} (${s.action}) at "${s.cron}"`, { nextRun: s.nextRunMs === null ? null : new Date(s.nextRunMs).toISOString(), timeZone: c.timeZone });
    }
    return {
      provides: { scheduler },
      async close() {
        scheduler.stop();
      },
    };
  },
};
