// Segmented ComplexACKs (clause 5.2, 5.4.4): this device as the responding server sends a long
// answer in segments, a window at a time, and resends a window whose SegmentACK does not come.
import type { Clock, ClockTimer } from '@kirchhoff/core';
import { AbortReason } from '@bacnet-js/client';
import { BVLC, encodeFrame } from '../framing/frame';
import type { Peer } from '../transport/peer';

/** Our own limit on segments per response (a whole 16 x 32 Object_List needs 8). */
export const MAX_RESPONSE_SEGMENTS = 64;
/** Proposed-window-size of our segments; a client's SegmentACK may ask for less. */
export const PROPOSED_WINDOW = 16;

interface SegmentedTx {
  readonly peer: Peer;
  readonly invokeId: number;
  readonly service: number;
  readonly chunks: Buffer[];
  window: number;
  /** First sequence number of the window in flight. */
  base: number;
  retries: number;
  timer: ClockTimer | null;
}

export interface SegmentationOptions {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Sends a datagram to a peer (checks the device is open). */
  readonly send: (datagram: Buffer, peer: Peer) => void;
}

export type SegmentedStart = { readonly ok: true } | { readonly ok: false; readonly abort: number };

export class SegmentedResponses {
  private readonly txs = new Map<string, SegmentedTx>();
  private readonly buf = Buffer.allocUnsafe(1476 + 64);

  constructor(private readonly o: SegmentationOptions) {}

  /** A confirmed request whose segmented answer is still in flight (a retry: ignored). */
  has(peer: Peer, invokeId: number): boolean {
    return this.txs.has(key(peer, invokeId));
  }

  /** Starts sending `body` in segments of at most `maxApdu`; an abort reason when it cannot. */
  start(peer: Peer, invokeId: number, service: number, body: Buffer, maxApdu: number, maxSegments: number): SegmentedStart {
    const chunk = maxApdu - 5;
    const count = Math.ceil(body.length / chunk);
    const limit = Math.min(MAX_RESPONSE_SEGMENTS, maxSegments === 0 ? MAX_RESPONSE_SEGMENTS : maxSegments);
    if (count > limit) return { ok: false, abort: AbortReason.APDU_TOO_LONG };
    const chunks: Buffer[] = [];
    for (let i = 0; i < count; i++) chunks.push(Buffer.from(body.subarray(i * chunk, (i + 1) * chunk)));
    const tx: SegmentedTx = { peer, invokeId, service, chunks, window: 1, base: 0, retries: 0, timer: null };
    this.txs.set(key(peer, invokeId), tx);
    this.sendWindow(tx);
    return { ok: true };
  }

  /** A SegmentACK from the client; an abort reason to send when its window is out of range. */
  onSegmentAck(peer: Peer, invokeId: number, seq: number, window: number): number | null {
    const tx = this.txs.get(key(peer, invokeId));
    if (!tx) return null;
    if (seq >= tx.chunks.length - 1) {
      this.end(tx);
      return null;
    }
    if (window < 1 || window > 127) {
      this.end(tx);
      return AbortReason.WINDOW_SIZE_OUT_OF_RANGE;
    }
    tx.window = Math.min(window, PROPOSED_WINDOW);
    tx.base = seq + 1;
    tx.retries = 0;
    this.sendWindow(tx);
    return null;
  }

  /** The client aborted the transaction; true when it was one of ours. */
  abort(peer: Peer, invokeId: number): boolean {
    const tx = this.txs.get(key(peer, invokeId));
    if (tx) this.end(tx);
    return !!tx;
  }

  close(): void {
    for (const tx of this.txs.values()) this.o.clock.clearTimeout(tx.timer);
    this.txs.clear();
  }

  private sendWindow(tx: SegmentedTx): void {
    const last = tx.chunks.length - 1;
    for (let seq = tx.base; seq <= Math.min(last, tx.base + tx.window - 1); seq++) {
      const d = encodeFrame(this.buf, BVLC.ORIGINAL_UNICAST, { dest: tx.peer.dest }, {
        kind: 'complex-ack', invokeId: tx.invokeId, service: tx.service, segmented: true, moreFollows: seq < last,
        sequenceNumber: seq & 0xff, proposedWindowSize: PROPOSED_WINDOW,
      }, tx.chunks[seq]);
      this.o.send(d, tx.peer);
    }
    this.o.clock.clearTimeout(tx.timer);
    tx.timer = this.o.clock.setTimeout(() => {
      if (++tx.retries > this.o.retries) return this.end(tx);
      this.sendWindow(tx);
    }, this.o.timeoutMs);
  }

  private end(tx: SegmentedTx): void {
    this.o.clock.clearTimeout(tx.timer);
    this.txs.delete(key(tx.peer, tx.invokeId));
  }
}

function key(peer: Peer, invokeId: number): string {
  return `${peer.key}#${invokeId}`;
}
