// What the HTTP API reads from the rest of a gateway, declared here so the package never imports
// one: each field is optional (a route whose service is missing answers 404 or 409 saying so) and
// read when a request comes, so services that start after the API are seen once they run.
import type { ProblemCount } from '@kirchhoff/core';
import type { HistoryStore, LifeRecord } from '@kirchhoff/history';

/** The battery health engine: each block's health and the capacity tests. */
export interface HealthApi {
  snapshot(): unknown;
  block(global: number): unknown;
  /** Throws an error with a `code` of `health.test-running` or `health.invalid` when it cannot start. */
  startTest(request: { readonly trigger: 'api'; readonly strings?: readonly number[]; readonly by?: string | null; readonly options?: { readonly endVoltsPerCell?: number; readonly maxDurationS?: number } }): unknown;
  /** False when no test runs. */
  abortTest(): boolean;
  /** A block was replaced (its health record starts again). */
  blockReplaced(global: number): void;
}

/** The record of alarm actions taken (relays, traps, mail, webhooks). */
export interface ActionsApi {
  list(options?: { afterId?: number; limit?: number }): readonly unknown[];
}

/** A NUT server's forced shutdown. */
export interface NutApi {
  readonly upsNames: readonly string[];
  fsd(ups: string): boolean;
  setFsd(ups: string | null, by: string): void;
  clearFsd(ups: string | null, by: string): void;
  connections(): number;
}

/** An MQTT publisher's figures for /metrics. */
export interface MqttFigures {
  readonly dropped: number;
  readonly json: { readonly queued: number } | null;
  readonly sparkplug: { readonly queued: number } | null;
}

/** The services the API reads; a gateway's service registry fits it as it is. */
export interface ApiServices {
  readonly history?: HistoryStore;
  readonly actions?: ActionsApi;
  readonly health?: HealthApi;
  readonly nut?: NutApi;
  /** Connected clients per adapter (for /metrics). */
  readonly adapterClients?: () => Readonly<Record<string, number>>;
  readonly mqttPublisher?: () => MqttFigures;
  /** Hostile or broken input per source and kind (for /metrics). */
  readonly problems?: { counts(): readonly ProblemCount[] };
}

/** What the gateway does beyond the API when life records change or a passport is asked for. */
export interface LifeHooks {
  /** Life records were written over the API: the gateway hands ratings and Ri baselines to its health engine. */
  recordsChanged?(records: readonly LifeRecord[]): void;
  /** The battery passport of one string (Battery Pass data model), or null when the gateway builds none. */
  passport?(string: number): Promise<unknown>;
}
