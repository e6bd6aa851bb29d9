// Confirmed requests this device sends (notifications) as the requesting client (clause 5.4.4):
// an invoke id per request, resent after APDU_Timeout up to Number_Of_APDU_Retries times.
import type { Clock, ClockTimer } from '@kirchhoff/core';
import { BVLC, encodeFrame } from '../framing/frame';
import type { EncodeBuffer } from '../codec/values';
import { samePeer, type Peer } from '../transport/peer';

/** The largest APDU this device sends or accepts (B/IP, clause 20.1.2.5 code 5). */
export const MAX_APDU = 1476;

interface PendingRequest {
  readonly resolve: (ok: boolean) => void;
  readonly peer: Peer;
  retries: number;
  timer: ClockTimer | null;
}

export interface RequestOptions {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly send: (datagram: Buffer, peer: Peer) => void;
  /** Called when a peer never acknowledged a request. */
  readonly onNoAck: (peer: Peer) => void;
}

export class ConfirmedRequests {
  private readonly pending = new Map<number, PendingRequest>();
  private invokeCounter = 0;

  constructor(private readonly o: RequestOptions) {}

  /** Sends a confirmed request, retried until acknowledged; resolves false when it never was. */
  send(peer: Peer, service: number, encode: (b: EncodeBuffer) => void): Promise<boolean> {
    const invokeId = this.nextInvokeId();
    if (invokeId === null) return Promise.resolve(false);
    const datagram = Buffer.from(encodeFrame(Buffer.allocUnsafe(MAX_APDU + 64), BVLC.ORIGINAL_UNICAST, { dest: peer.dest, expectingReply: true }, {
      kind: 'confirmed', segmented: false, moreFollows: false, segmentedResponseAccepted: false, maxSegments: 0, maxApdu: MAX_APDU,
      invokeId, sequenceNumber: 0, proposedWindowSize: 0, service,
    }, encode));
    return new Promise((resolve) => {
      const p: PendingRequest = { resolve, peer, retries: 0, timer: null };
      const attempt = () => {
        this.o.send(datagram, peer);
        p.timer = this.o.clock.setTimeout(() => {
          if (++p.retries > this.o.retries) {
            this.pending.delete(invokeId);
            this.o.onNoAck(peer);
            resolve(false);
          } else attempt();
        }, this.o.timeoutMs);
      };
      this.pending.set(invokeId, p);
      attempt();
    });
  }

  /** An answer (ACK: ok; Error, Reject, Abort: not ok) from the peer the request went to. */
  settle(invokeId: number, peer: Peer, ok: boolean): void {
    const p = this.pending.get(invokeId);
    if (!p || !samePeer(p.peer, peer)) return;
    this.o.clock.clearTimeout(p.timer);
    this.pending.delete(invokeId);
    p.resolve(ok);
  }

  /** Ends every request as unacknowledged. */
  close(): void {
    for (const p of this.pending.values()) {
      this.o.clock.clearTimeout(p.timer);
      p.resolve(false);
    }
    this.pending.clear();
  }

  private nextInvokeId(): number | null {
    for (let i = 0; i < 256; i++) {
      const id = this.invokeCounter;
      this.invokeCounter = (this.invokeCounter + 1) & 0xff;
      if (!this.pending.has(id)) return id;
    }
    return null;
  }
}
