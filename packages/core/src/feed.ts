// The change feed: typed events adapters subscribe to (COV, traps, MQTT). A listener that throws
// is reported and never stops delivery to the others, nor the writer that caused the change.
import type { Alarm } from './alarms/types';
import type { AlarmAction } from './alarms/table';
import type { Threshold, ThresholdKey } from './alarms/thresholds';
import type { Command, CommandOrigin } from './command-types';
import type { EntityRef, Quality } from './model';

export type FieldValue = number | string | boolean | null;

export interface ValueChange {
  readonly entity: EntityRef;
  /** Field path in the entity's state, e.g. `voltageV`, `battery.secondsOnBattery`. */
  readonly field: string;
  readonly value: FieldValue;
  readonly quality: Quality;
  readonly atMs: number;
}

export type ChangeEvent =
  | { readonly type: 'values'; readonly version: number; readonly atMs: number; readonly changes: readonly ValueChange[] }
  | { readonly type: 'alarm'; readonly version: number; readonly action: AlarmAction; readonly alarm: Alarm }
  | { readonly type: 'thresholds'; readonly version: number; readonly key: ThresholdKey; readonly threshold: Threshold }
  | { readonly type: 'command'; readonly version: number; readonly command: Command; readonly origin: CommandOrigin; readonly outcome: 'ok' | 'rejected' | 'failed'; readonly error?: { readonly code: string; readonly message: string } };

export type ChangeListener = (event: ChangeEvent) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onListenerError: (error: unknown, event: ChangeEvent) => void) {}

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(event: ChangeEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
