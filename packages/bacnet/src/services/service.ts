// What every service handler receives and returns: one signature for all confirmed services,
// one for unconfirmed ones; the device turns a Reply into a SimpleACK, ComplexACK, Error or Reject.
import type { RateLimitedLog, Site } from '@kirchhoff/core';
import type { TagReader } from '../codec/tags';
import type { EncodeBuffer } from '../codec/values';
import type { BacnetObject, EventInfo, ObjectId, PropertyError, ReadContext } from '../objects/objects';
import type { BacnetDeviceOptions, BacnetLogger } from '../options';
import type { Peer } from '../transport/peer';

/** Confirmed services (BACnetConfirmedServiceChoice, clause 21) this device executes or sends. */
export const CONFIRMED = {
  ACKNOWLEDGE_ALARM: 0, CONFIRMED_COV_NOTIFICATION: 1, CONFIRMED_EVENT_NOTIFICATION: 2, SUBSCRIBE_COV: 5, READ_PROPERTY: 12,
  READ_PROPERTY_MULTIPLE: 14, WRITE_PROPERTY: 15, DEVICE_COMMUNICATION_CONTROL: 17, REINITIALIZE_DEVICE: 20, GET_EVENT_INFORMATION: 29,
} as const;
/** Unconfirmed services (BACnetUnconfirmedServiceChoice, clause 21). */
export const UNCONFIRMED = { I_AM: 0, I_HAVE: 1, UNCONFIRMED_COV_NOTIFICATION: 2, UNCONFIRMED_EVENT_NOTIFICATION: 3, WHO_HAS: 7, WHO_IS: 8 } as const;

export type Reply =
  | { readonly kind: 'simple' }
  | { readonly kind: 'complex'; readonly encode: (b: EncodeBuffer) => void }
  | { readonly kind: 'error'; readonly error: PropertyError }
  | { readonly kind: 'reject'; readonly reason: number };

/** An object's event state as intrinsic reporting tracks it (reporting/intrinsic.ts). */
export interface EventTrack extends EventInfo {
  pending: { target: number; sinceMs: number } | null;
}

export type DccState = 'enable' | 'disable' | 'disable-initiation';

/**
 * The parts of the device the services reach, as far as they reach them: declared here, not
 * imported, because those parts (cov.ts, dcc.ts, reporting/intrinsic.ts) are services themselves.
 */
export interface ServiceParts {
  readonly cov: { readonly subscribe: ConfirmedHandler };
  readonly events: {
    info(o: BacnetObject): EventTrack | undefined;
    acknowledge(o: BacnetObject, e: EventTrack, category: number, state: number): void;
  };
  readonly dcc: { readonly state: DccState; set(state: DccState, minutes: number): void };
}

/** What the services use of the device. */
export interface ServiceHost extends ServiceParts {
  readonly site: Site;
  readonly options: BacnetDeviceOptions;
  readonly deviceInstance: number;
  readonly vendorId: number;
  readonly objects: readonly BacnetObject[];
  readonly notificationPriorities: readonly [number, number, number];
  readonly log: BacnetLogger;
  readonly problems: RateLimitedLog;
  /** Relay id -> its 16-slot Priority_Array (null: relinquished). */
  readonly priorityArrays: Map<number, (boolean | null)[]>;
  findObject(id: ObjectId): BacnetObject | undefined;
  findObjectByName(name: string): BacnetObject | undefined;
  /** A read context over the present snapshot. */
  context(): ReadContext;
  /** Sends an unconfirmed request to a peer, or broadcasts it (peer null). */
  sendUnconfirmed(peer: Peer | null, service: number, encode: (b: EncodeBuffer) => void): void;
  /** Sends a confirmed request, retried until acknowledged; false when it never was. */
  sendConfirmed(peer: Peer, service: number, encode: (b: EncodeBuffer) => void): Promise<boolean>;
  /** COV and event evaluation on the next turn (changes coalesce). */
  scheduleEvaluate(): void;
  /** Runs `fn` on the next turn of the event loop; an error there is logged. */
  later(what: string, fn: () => void): void;
  /** Encodes into the device's scratch buffer and returns a copy. */
  scratchEncode(encode: (b: EncodeBuffer) => void): Buffer;
}

export type ConfirmedHandler = (host: ServiceHost, request: TagReader, peer: Peer) => Reply | Promise<Reply>;
export type UnconfirmedHandler = (host: ServiceHost, request: TagReader, peer: Peer) => void;

/** A reply too long for any answer this device sends (Abort apdu-too-long). */
export class TooLong extends Error {}
