// The record of every action taken on an alarm and its result: bounded, in memory, newest last.
// The HTTP API lists it and the data logger persists it (both find it as `registry.actions`).
import type { AlarmKind, Severity } from '@kirchhoff/core';

export type ActionType = 'relay' | 'syslog' | 'email' | 'webhook' | 'snmp-trap' | 'mqtt' | 'rccmd';
export const ACTION_TYPES: readonly ActionType[] = ['relay', 'syslog', 'email', 'webhook', 'snmp-trap', 'mqtt', 'rccmd'];

/** What made the action run: the alarm was raised (after the rule's delay), a repeat, or it cleared. */
export type ActionTrigger = 'raised' | 'repeat' | 'cleared';

export interface ActionEntry {
  /** Increases with every entry, never reused. */
  readonly id: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  /** The rule's name (or the adapter's job name for entries other components add). */
  readonly rule: string;
  readonly type: ActionType;
  /** The destination's name in the configuration (`noc`), or `relay 2`. */
  readonly destination: string;
  /** Where it went, without secrets: `tcp 10.0.0.5:514`, `https://hooks.example.com`. */
  readonly target: string;
  readonly trigger: ActionTrigger;
  /** 0 for the first sending, n for the n-th repeat. */
  readonly repeat: number;
  /** The alarm acted on; null for actions of other components not tied to one alarm (RCCMD jobs). */
  readonly alarm: { readonly id: number; readonly kind: AlarmKind; readonly severity: Severity; readonly entity: string; readonly message: string } | null;
  readonly outcome: 'ok' | 'failed';
  /** The receiver's answer (`250 2.0.0 queued`, `HTTP 200`) or why it failed. */
  readonly detail: string;
  readonly attempts: number;
}

export type ActionListener = (entry: ActionEntry) => void;

export interface ActionRecord {
  /** How many entries are kept; older ones are dropped. */
  readonly capacity: number;
  /** Entries with id > afterId, oldest first, at most limit (the newest ones when cut). */
  list(options?: { afterId?: number; limit?: number }): ActionEntry[];
  /** Called with every new entry; returns the unsubscribe function. */
  subscribe(listener: ActionListener): () => void;
  /** Adds an entry (components that act on alarms by themselves may record here too). */
  add(entry: Omit<ActionEntry, 'id'>): ActionEntry;
}

export class MemoryActionRecord implements ActionRecord {
  private readonly entries: ActionEntry[] = [];
  private readonly listeners = new Set<ActionListener>();
  private nextId = 1;

  constructor(readonly capacity = 1000, private readonly onListenerError: (error: unknown) => void = () => {}) {}

  list(options: { afterId?: number; limit?: number } = {}): ActionEntry[] {
    const after = options.afterId ?? 0;
    const newer = after > 0 ? this.entries.filter((e) => e.id > after) : [...this.entries];
    return options.limit !== undefined && newer.length > options.limit ? newer.slice(newer.length - options.limit) : newer;
  }

  subscribe(listener: ActionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(entry: Omit<ActionEntry, 'id'>): ActionEntry {
    const e: ActionEntry = Object.freeze({ id: this.nextId++, ...entry, alarm: entry.alarm && Object.freeze({ ...entry.alarm }) });
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return e;
  }
}
