// The `actions` service: alarm-to-action rules from actions.*, and the action record it offers
// to the HTTP API and the RCCMD sender as `actions`.
import type { ServiceDefinition } from '../types';
import { buildActions } from './config';
import { ActionEngine } from './rules';
import { MemoryActionRecord, type ActionRecord } from './record';

export { ACTIONS_SCHEMA, actionsProblems, redactActionsConfig } from './config';
export { recordRccmdSends } from './external';
export type { ActionsConfig } from './config';
export type { ActionEntry, ActionRecord, ActionType, ActionTrigger } from './record';
export { ActionEngine } from './rules';
export type { ActionRule } from './rules';

export const actionsService: ServiceDefinition<unknown, { readonly actions: ActionRecord }> = {
  id: 'actions',
  async start({ config, site, commands, logger }) {
    const c = config.actions;
    if (!c.enabled) return null;
    const { rules, notifiers } = buildActions(c, site.snapshot().relays.length);
    const record = new MemoryActionRecord(c.recordSize, (error) => logger.error('an action-record listener failed', { error }));
    if (!rules.length) logger.warn('actions.enabled is true but actions.rules is empty: no action will be taken');
    for (const r of rules) {
      const what = [...r.relays.map((x) => `relay ${x.relay} ${x.on ? 'on' : 'off'}`), ...r.notifiers.map((n) => `${n.type} ${n.name} (${n.target})`)];
      const when = `${r.kinds.length ? r.kinds.join('/') : 'any kind'}, ${r.severities.length ? r.severities.join('/') : 'any severity'}`;
      const timing = `${r.delayMs ? `after ${r.delayMs / 1000} s` : 'at once'}${r.repeatEveryMs ? `, repeat every ${r.repeatEveryMs / 1000} s${r.repeatMax ? ` at most ${r.repeatMax} times` : ''}` : ''}${r.onClear ? ', and on clear' : ''}`;
      logger.info(`rule ${r.name}: on ${when} ${timing}: ${what.join(', ')}`);
    }
    for (const n of notifiers) {
      if (n.type === 'syslog' && n.target.startsWith('udp ')) logger.info(`syslog ${n.name} goes over UDP (${n.target}): unencrypted and may be lost; use transport tls across untrusted networks`);
      if (n.type === 'webhook' && n.target.startsWith('http:')) logger.warn(`webhook ${n.name} is plain http (${n.target}): its token and the alarm travel unencrypted`);
    }
    const engine = new ActionEngine({ site, commands, record, rules, logger });
    engine.start();
    return {
      provides: { actions: record },
      async close() {
        await engine.stop();
      },
    };
  },
};
