// The data logger as a gateway service: opens the database, samples the site at the configured
// rates, logs alarms and audits commands from the change feed, and provides `history`.
import { resolve } from 'node:path';
import { KirchhoffError } from '@kirchhoff/core';
import type { ServiceDefinition } from '../types';
import { HistoryLogger, type HistoryStore } from '@kirchhoff/history';

/** Longest a command waits for its audit row's commit before it answers anyway. */
export const AUDIT_COMMIT_WAIT_MS = 5000;

export const historyService: ServiceDefinition<unknown, { readonly history: HistoryStore }> = {
  id: 'history',
  async start({ config, site, commands, logger }) {
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
    // A command is acknowledged only once its audit row is committed (issue 19 point 8: after a
    // kill -9, acknowledged relay switches had no audit row for the ~1 s flush window). A stuck disk
    // must not stall every write for ever: after AUDIT_COMMIT_WAIT_MS the command answers anyway.
    let lastStallLogMs = -Infinity;
    commands.setAuditCommit(() => new Promise<void>((resolveCommit) => {
      const timer = setTimeout(() => {
        if (Date.now() - lastStallLogMs >= 60_000) {
          lastStallLogMs = Date.now();
          logger.error(`an audit row was not committed within ${AUDIT_COMMIT_WAIT_MS} ms: commands are acknowledged without waiting for it`, { path });
        }
        resolveCommit();
      }, AUDIT_COMMIT_WAIT_MS);
      void store.flush().finally(() => {
        clearTimeout(timer);
        resolveCommit();
      });
    }));
    store.recordEvent({ category: 'gateway', action: 'started', severity: 'info', message: `gateway started, logging to ${path}` });
    logger.info(`logging history to ${path}`, { rates: c.rates, retention: c.retention });
    return {
      provides: { history: store },
      async close() {
        detach();
        commands.setAuditCommit(null);
        store.recordEvent({ category: 'gateway', action: 'stopped', severity: 'info', message: 'gateway stopped' });
        await store.close();
      },
    };
  },
};
