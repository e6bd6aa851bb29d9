// Messages between the logger (main thread) and its writer worker. Queries travel the same way
// so no SQLite call ever runs on the thread that polls the bus.
import type { Batch, Retention } from './db';

export interface WorkerInit {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
}

export type QueryMethod = 'series' | 'measurements' | 'summary' | 'events' | 'audit' | 'engineState' | 'setEngineState'
  | 'saveCapacityTest' | 'appendTestSamples' | 'capacityTests' | 'capacityTest' | 'capacityTestSamples' | 'capacityHistory' | 'testSamplesAt'
  | 'lifeRecords' | 'applyConfiguredIdentity' | 'setIdentity' | 'replaceBlock' | 'passportInfo' | 'setPassportInfo';

export type ToWorker =
  | { readonly type: 'batch'; readonly seq: number; readonly batch: Batch }
  | { readonly type: 'maintain'; readonly seq: number; readonly nowMs: number; readonly retention: Retention }
  | { readonly type: 'query'; readonly seq: number; readonly method: QueryMethod; readonly args: readonly unknown[] }
  | { readonly type: 'close'; readonly seq: number };

export type FromWorker =
  | { readonly type: 'ready'; readonly fileBytes: number }
  | { readonly type: 'open-failed'; readonly message: string }
  | { readonly type: 'done'; readonly seq: number; readonly result: unknown; readonly fileBytes: number }
  | { readonly type: 'failed'; readonly seq: number; readonly message: string };
