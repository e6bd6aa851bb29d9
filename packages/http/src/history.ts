// Reading the data logger (services.history) and the action record (services.actions) for the
// HTTP API: query parsing, and the alarm history in one shape whether it comes from the logger
// or from the gateway's memory.
import { entityId, type Alarm, type Severity } from '@kirchhoff/core';
import type { EventRecord, HistoryStore } from '@kirchhoff/history';
import type { ApiServices } from './services';
import { ApiError } from './errors';

/** One alarm change, as /api/alarms/history lists it. */
export interface AlarmHistoryEntry {
  readonly atMs: number;
  readonly action: string;
  readonly alarmId: number | null;
  readonly kind: string | null;
  readonly severity: Severity | 'info';
  readonly entity: string | null;
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export function historyStore(services: ApiServices): HistoryStore {
  if (!services.history) throw noLogger('stored history');
  return services.history;
}

export function noLogger(what: string): ApiError {
  return new ApiError(404, 'no-logger', `no ${what}: the data logger is not running in this gateway (it keeps measurements, events and the audit log when history is enabled in the configuration)`);
}

export function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const s = String(value);
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(ms)) throw new ApiError(400, 'invalid', `query ${field} must be an ISO 8601 time or milliseconds since 1970, got ${JSON.stringify(s)}`, field);
  return ms;
}

export function timeRange(query: Record<string, unknown>, defaultSpanMs: number | null, nowMs: number): { fromMs?: number; toMs?: number } {
  let fromMs = parseTime(query.from, 'from');
  let toMs = parseTime(query.to, 'to');
  if (defaultSpanMs !== null) {
    toMs ??= nowMs + 1;
    fromMs ??= toMs - defaultSpanMs;
  }
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new ApiError(400, 'invalid', 'query to must be after from', 'to');
  return { fromMs, toMs };
}

export function fromMemory(a: Alarm): AlarmHistoryEntry {
  return {
    atMs: a.clearedAtMs ?? a.raisedAtMs, action: a.clearedAtMs === null ? 'raised' : 'cleared', alarmId: a.id, kind: a.kind, severity: a.severity,
    entity: entityId(a.entity), message: a.message, detail: { value: a.value, limit: a.limit, raisedAtMs: a.raisedAtMs, acknowledged: a.acknowledged },
  };
}

export function fromLogger(e: EventRecord): AlarmHistoryEntry {
  return { atMs: e.atMs, action: e.action, alarmId: e.alarmId, kind: e.alarmKind, severity: e.severity, entity: e.entity, message: e.message, detail: e.detail };
}
