// What a rule sends: one alarm event (raised, repeat, cleared) with the site it happened at, and
// its renderings as a subject line, a plain-text body and a JSON document.
import { KirchhoffError, entityId } from '@kirchhoff/core';
import type { Alarm, SiteInfo } from '@kirchhoff/core';
import type { ActionTrigger } from './record';

export interface AlarmNotification {
  readonly event: ActionTrigger;
  readonly rule: string;
  /** 0 for the first sending, n for the n-th repeat. */
  readonly repeat: number;
  readonly alarm: Alarm;
  readonly site: SiteInfo;
  readonly atMs: number;
}

/** What a destination reports on success. */
export interface Delivery {
  /** The receiver's answer or what was done: `250 2.0.0 Ok: queued`, `HTTP 204`. */
  readonly detail: string;
  readonly attempts: number;
}

/** A failed sending, after `attempts` tries. */
export class ActionError extends KirchhoffError {
  constructor(code: string, message: string, readonly attempts = 1) {
    super(code, message);
  }
}

/** A configured place notifications go to (a syslog server, a mailbox list, a webhook). */
export interface Notifier {
  readonly type: 'syslog' | 'email' | 'webhook';
  /** Its name in the configuration. */
  readonly name: string;
  /** Where it sends, without secrets. */
  readonly target: string;
  send(n: AlarmNotification): Promise<Delivery>;
  close(): Promise<void>;
}

const EVENT_WORD: Record<ActionTrigger, string> = { raised: 'raised', repeat: 'still active', cleared: 'cleared' };

export function subjectLine(n: AlarmNotification): string {
  const level = n.event === 'cleared' ? 'CLEARED' : n.alarm.severity.toUpperCase();
  return `[${level}] ${n.site.name}: ${n.alarm.message}`;
}

export function bodyText(n: AlarmNotification): string {
  const a = n.alarm;
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
  return [
    `Alarm ${EVENT_WORD[n.event]}${n.event === 'repeat' ? ` (repeat ${n.repeat})` : ''} at ${n.site.name}${n.site.location ? `, ${n.site.location}` : ''}.`,
    '',
    `Message:   ${a.message}`,
    `Kind:      ${a.kind}`,
    `Severity:  ${a.severity}`,
    `Entity:    ${entityId(a.entity)}`,
    `Value:     ${a.value ?? '-'}`,
    `Limit:     ${a.limit ?? '-'}`,
    `Alarm id:  ${a.id}`,
    `Raised:    ${iso(a.raisedAtMs)}`,
    `Cleared:   ${iso(a.clearedAtMs)}`,
    `Rule:      ${n.rule}`,
    '',
    n.site.contact ? `Site contact: ${n.site.contact}` : '',
    'Sent by the Kirchhoff battery management gateway.',
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

/** The webhook body: stable field names, times as ISO 8601 and as ms since the epoch. */
export function notificationJson(n: AlarmNotification): Record<string, unknown> {
  const a = n.alarm;
  return {
    event: `alarm.${n.event}`,
    rule: n.rule,
    repeat: n.repeat,
    sentAt: new Date(n.atMs).toISOString(),
    site: { name: n.site.name, location: n.site.location },
    alarm: {
      id: a.id, key: a.key, kind: a.kind, severity: a.severity, entity: entityId(a.entity), message: a.message,
      value: a.value, limit: a.limit, active: a.clearedAtMs === null,
      raisedAt: new Date(a.raisedAtMs).toISOString(), raisedAtMs: a.raisedAtMs,
      clearedAt: a.clearedAtMs === null ? null : new Date(a.clearedAtMs).toISOString(), clearedAtMs: a.clearedAtMs,
      acknowledged: a.acknowledged,
    },
  };
}

/**
 * Runs `attempt` up to 1 + retries times, waiting retryDelayMs, then twice that, ... between
 * tries, while `retryable` says the failure may pass. Stops early when `signal` aborts.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  o: { retries: number; retryDelayMs: number; retryable: (error: unknown) => boolean; signal?: AbortSignal },
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (error) {
      if (n > o.retries || !o.retryable(error) || o.signal?.aborted) {
        const message = error instanceof Error ? error.message : String(error);
        throw new ActionError(error instanceof ActionError ? error.code : 'action.failed', n > 1 ? `${message} (after ${n} attempts)` : message, n);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.retryDelayMs * 2 ** (n - 1));
        o.signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }
}
