// createBacnetDevice's options, validated at start-up with messages naming the option.
import type { Clock, CommandInterface, ProblemLog } from '@kirchhoff/core';
import { KirchhoffError, stderrLogger as prefixedStderrLogger, type Logger } from '@kirchhoff/core';

/** Core's logger (the name is kept for the package's users). */
export type BacnetLogger = Logger;

export const stderrLogger: BacnetLogger = prefixedStderrLogger('bacnet');

/** A Notification Class recipient: where OUT_OF_RANGE and CHANGE_OF_STATE (alarm Binary Value) event notifications go. */
export interface EventRecipient {
  /** `a.b.c.d:port` (port defaults to 47808). */
  readonly address: string;
  /** Process identifier put in each notification; default 1. */
  readonly processId?: number;
  /** ConfirmedEventNotification (retried until acknowledged) instead of unconfirmed; default false. */
  readonly confirmed?: boolean;
  /** Which transitions it receives: to-offnormal, to-fault, to-normal; default all. */
  readonly transitions?: readonly [boolean, boolean, boolean];
}

export interface BacnetDeviceOptions {
  /** UDP port; default 47808. 0 = any free port (see device.port). */
  readonly port?: number;
  /** Address to bind; default 0.0.0.0. */
  readonly address?: string;
  /** Where I-Am announcements go; default 255.255.255.255. */
  readonly broadcastAddress?: string;
  /** Broadcast an I-Am when started; default true. */
  readonly announce?: boolean;
  /** Device object instance 0..4194302; default 260001. */
  readonly deviceInstance?: number;
  /** Device Object_Name; default the site's name. */
  readonly deviceName?: string;
  readonly vendorName?: string;
  /** ASHRAE-assigned vendor identifier; default 0 (none assigned to this project). */
  readonly vendorId?: number;
  readonly modelName?: string;
  readonly firmwareRevision?: string;
  readonly applicationSoftwareVersion?: string;
  readonly location?: string;
  readonly description?: string;
  /** WriteProperty (relay Binary Outputs) goes here; null/absent = every write is denied. */
  readonly commands?: CommandInterface | null;
  /** DeviceCommunicationControl is offered only with a password (1..20 characters). */
  readonly dccPassword?: string;
  readonly recipients?: readonly EventRecipient[];
  /** Notification Class Priority for to-offnormal, to-fault, to-normal; default [64, 64, 128]. */
  readonly notificationPriorities?: readonly [number, number, number];
  /** Notification Class Ack_Required; default [true, false, false]. */
  readonly ackRequired?: readonly [boolean, boolean, boolean];
  /** Register as a foreign device with this BBMD (`a.b.c.d:port`). */
  readonly bbmd?: { readonly address: string; readonly ttlS?: number } | null;
  /** For confirmed notifications and segmented responses; default 3000 ms and 3 retries. */
  readonly apduTimeoutMs?: number;
  readonly apduRetries?: number;
  /** Most COV subscriptions held at once; default 256. */
  readonly maxSubscriptions?: number;
  /** Most COV subscriptions held for one subscriber address; default 64. */
  readonly maxSubscriptionsPerSubscriber?: number;
  /** Longest COV subscription granted, seconds; an indefinite (0) request gets this; default 28800 (8 h). */
  readonly maxCovLifetimeS?: number;
  readonly logger?: BacnetLogger;
  /** Counts hostile input (for /metrics) and limits its lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
  /** Timers for APDU timeouts, segment windows, DCC durations, subscription expiry and BBMD renewal; default the system clock. Tests pass a VirtualClock. */
  readonly clock?: Clock;
}

export class BacnetConfigError extends KirchhoffError {}

const HOST_PORT = /^(\d{1,3}\.){3}\d{1,3}(:\d{1,5})?$/;

export function withDefaultPort(hostPort: string): string {
  return hostPort.includes(':') ? hostPort : `${hostPort}:47808`;
}

export function validateOptions(o: BacnetDeviceOptions): void {
  const fail = (key: string, msg: string): never => {
    throw new BacnetConfigError(`bacnet.${key}`, `bacnet.${key}: ${msg}`);
  };
  const intIn = (key: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) fail(key, `must be a whole number ${lo}..${hi}, got ${v}`);
  };
  intIn('port', o.port, 0, 65535);
  intIn('deviceInstance', o.deviceInstance, 0, 4194302);
  intIn('vendorId', o.vendorId, 0, 65535);
  intIn('apduTimeoutMs', o.apduTimeoutMs, 100, 60000);
  intIn('apduRetries', o.apduRetries, 0, 10);
  intIn('maxSubscriptions', o.maxSubscriptions, 1, 10000);
  intIn('maxSubscriptionsPerSubscriber', o.maxSubscriptionsPerSubscriber, 1, 10000);
  intIn('maxCovLifetimeS', o.maxCovLifetimeS, 60, 2_592_000);
  if (o.dccPassword !== undefined && o.dccPassword !== '' && o.dccPassword.length > 20) fail('dccPassword', 'BACnet passwords are at most 20 characters');
  (o.recipients ?? []).forEach((r, i) => {
    if (!HOST_PORT.test(r.address)) fail(`recipients[${i}].address`, `must be a.b.c.d or a.b.c.d:port, got ${JSON.stringify(r.address)}`);
    intIn(`recipients[${i}].processId`, r.processId, 0, 4294967295);
  });
  if (o.bbmd) {
    if (!HOST_PORT.test(o.bbmd.address)) fail('bbmd.address', `must be a.b.c.d or a.b.c.d:port, got ${JSON.stringify(o.bbmd.address)}`);
    intIn('bbmd.ttlS', o.bbmd.ttlS, 30, 65535);
  }
  (o.notificationPriorities ?? []).forEach((p, i) => intIn(`notificationPriorities[${i}]`, p, 0, 255));
}
