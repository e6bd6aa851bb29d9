// Actions other components take on site events, into the same record: RCCMD sends (shutdown,
// message, execute, trap) as their sender reports them. SNMP traps and MQTT alarm events do not
// report individual sends, so they are not recorded here.
import type { SenderEvent } from '@kirchhoff/rccmd';
import type { ActionRecord } from './record';

/** What the bridge needs of an RccmdSender. */
export interface RccmdEvents {
  onEvent(listener: (e: SenderEvent) => void): () => void;
}

/** Records every finished RCCMD send of a job (alive messages are not actions); returns the stop function. */
export function recordRccmdSends(sender: RccmdEvents, record: ActionRecord): () => void {
  return sender.onEvent((e) => {
    if (e.type !== 'send' || !e.result.job) return;
    const r = e.result;
    record.add({
      startedAtMs: r.atMs, finishedAtMs: r.atMs, rule: r.job!, type: 'rccmd', destination: r.job!, target: `${r.kind} ${r.format} to ${r.target}`,
      trigger: 'raised', repeat: 0, alarm: null,
      outcome: r.outcome === 'acknowledged' || r.outcome === 'sent' ? 'ok' : 'failed',
      detail: `${r.outcome}${r.detail ? `: ${r.detail}` : ''}`, attempts: r.attempts,
    });
  });
}
