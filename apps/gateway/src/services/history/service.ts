// The data logger as a gateway service: opens the database, samples the site at the configured
// rates, logs alarms and audits commands from the change feed, and offers `registry.history`.
import { resolve } from 'node:path';
import { KirchhoffError } from '@kirchhoff/core';
import type { ServiceDefinition } from '../types';
import { HistoryLogger } from './store';

export const historyService: ServiceDefinition = {
  id: 'history',
  async start({ config, site, logger, registry }) {
    const c = config.history;
    if (!c.enabled) return null;
    const path = resolve(c.path);
    let store: HistoryLogger;
    try {
      store = await HistoryLogger.open({
        path, synchronous: c.synchronous, queueCapacity: c.queueCapacity, flushIntervalMs: c.flushIntervalMs, retention: c.retention,
        logger, clock: () => site.now(),
      });
    } catch (error) {
      throw new KirchhoffError('history.open', `history.path: ${(error as Error).message}`);
    }
    const detach = store.attach(site, c.rates);
    registry.history = store;
    store.recordEvent({ category: 'gateway', action: 'started', severity: 'info', message: `gateway started, logging to ${path}` });
    logger.info(`logging history to ${path}`, { rates: c.rates, retention: c.retention });
    return {
      async close() {
        detach();
        store.recordEvent({ category: 'gateway', action: 'stopped', severity: 'info', message: 'gateway stopped' });
        if (registry.history === store) delete registry.history;
        await store.close();
      },
    };
  },
};
