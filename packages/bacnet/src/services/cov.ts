// Change of value (13.1, 13.14): SubscribeCOV, the subscriptions with their lifetimes, and the
// COV notifications sent when Present_Value moves by COV_Increment or Status_Flags change.
import { RejectReason } from '@bacnet-js/client';
import { DecodeError } from '../codec/tags';
import { asn1, EncodeBuffer, encodeValue } from '../codec/values';
import { ipMac } from '../framing/bvll';
import { BacnetObject, CovSubscriptionView, ERR, objectKey, P, ReadContext } from '../objects/objects';
import { OT } from '../objects/table';
import type { Peer } from '../transport/peer';
import { CONFIRMED, ConfirmedHandler, ServiceHost, UNCONFIRMED } from './service';

interface Subscription {
  readonly peer: Peer;
  readonly mac: Buffer;
  readonly processId: number;
  readonly object: BacnetObject;
  readonly confirmed: boolean;
  readonly lifetimeS: number;
  readonly expiresAtMs: number;
  lastValue: number | null;
  lastFlags: string;
}

export class CovSubscriptions {
  private readonly subs = new Map<string, Subscription>();

  constructor(private readonly host: () => ServiceHost) {}

  /** SubscribeCOV (13.14): create, renew or cancel one subscription. */
  readonly subscribe: ConfirmedHandler = (host, r, peer) => {
    const processId = r.contextUnsigned(0);
    const id = r.contextObjectId(1);
    const hasConfirmed = r.isContext(2);
    const confirmed = hasConfirmed ? r.contextBoolean(2) : false;
    const hasLifetime = r.isContext(3);
    const lifetimeS = hasLifetime ? r.contextUnsigned(3) : 0;
    r.done();
    const key = `${peer.key}|${processId}|${objectKey(id)}`;
    if (!hasConfirmed && !hasLifetime) {
      this.subs.delete(key); // cancelling one that does not exist is not an error (13.14.1.1.4)
      return { kind: 'simple' };
    }
    if (!hasConfirmed) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'issueConfirmedNotifications is required with a lifetime');
    const obj = host.findObject(id);
    if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
    if (!obj.presentValue || !obj.statusFlags) return { kind: 'error', error: ERR.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED };
    if (!this.subs.has(key)) {
      if (this.subs.size >= (host.options.maxSubscriptions ?? 256)) return { kind: 'error', error: ERR.COV_SUBSCRIPTION_FAILED };
      let mine = 0;
      for (const s of this.subs.values()) if (s.peer.host === peer.host) mine++;
      if (mine >= (host.options.maxSubscriptionsPerSubscriber ?? 64)) {
        host.problems.warn('cov-cap', `refused a COV subscription from ${peer.key}: ${mine} already held for ${peer.host} (bacnet.maxSubscriptionsPerSubscriber)`);
        return { kind: 'error', error: ERR.COV_SUBSCRIPTION_FAILED };
      }
    }
    // An indefinite (0) or longer request is granted for at most maxCovLifetimeS: a subscriber
    // that is gone stops costing notifications, one that is there renews as clients do.
    const maxLifetimeS = host.options.maxCovLifetimeS ?? 28_800;
    const grantedS = lifetimeS === 0 ? maxLifetimeS : Math.min(lifetimeS, maxLifetimeS);
    const sub: Subscription = {
      peer, mac: ipMac(`${peer.host}:${peer.port}`), processId, object: obj, confirmed, lifetimeS: grantedS,
      expiresAtMs: host.site.now() + grantedS * 1000, lastValue: null, lastFlags: '',
    };
    this.subs.set(key, sub);
    // The initial notification follows the SimpleACK (13.1.2).
    host.later('initial COV notification', () => {
      if (this.subs.get(key) === sub) this.notify(sub, host.context());
    });
    return { kind: 'simple' };
  };

  /** Active_COV_Subscriptions. */
  views(nowMs: number): readonly CovSubscriptionView[] {
    return [...this.subs.values()].map((s) => ({
      address: s.mac, processId: s.processId, object: s.object.id, confirmed: s.confirmed,
      timeRemainingS: remainingS(s, nowMs), covIncrement: s.object.analog ? s.object.analog.covIncrement : null,
    }));
  }

  expire(nowMs: number): void {
    for (const [key, s] of this.subs) if (s.expiresAtMs <= nowMs) this.subs.delete(key);
  }

  /** Notifies every subscriber whose object moved by its increment or changed its flags. */
  evaluate(ctx: ReadContext): void {
    for (const s of this.subs.values()) {
      const pv = s.object.presentValue!(ctx);
      const flags = JSON.stringify(s.object.statusFlags!(ctx));
      const inc = s.object.analog?.covIncrement;
      const moved = s.lastValue === null || (inc !== undefined ? Math.abs(pv - s.lastValue) >= inc : pv !== s.lastValue);
      if (moved || flags !== s.lastFlags) this.notify(s, ctx);
    }
  }

  private notify(s: Subscription, ctx: ReadContext): void {
    const host = this.host();
    const pv = s.object.presentValue!(ctx);
    const flags = s.object.statusFlags!(ctx);
    s.lastValue = pv;
    s.lastFlags = JSON.stringify(flags);
    if (host.dcc.state !== 'enable') return;
    const pvValue = s.object.byId.get(P.PRESENT_VALUE)!.read(ctx)[0];
    const remaining = remainingS(s, host.site.now());
    // Our own encoding: @bacnet-js/client's CovNotify writes the array index and priority when they are absent.
    const encode = (b: EncodeBuffer) => {
      asn1.encodeContextUnsigned(b, 0, s.processId);
      asn1.encodeContextObjectId(b, 1, OT.DEVICE, host.deviceInstance);
      asn1.encodeContextObjectId(b, 2, s.object.id.type, s.object.id.instance);
      asn1.encodeContextUnsigned(b, 3, remaining);
      asn1.encodeOpeningTag(b, 4);
      for (const [prop, v] of [[P.PRESENT_VALUE, pvValue], [P.STATUS_FLAGS, flags]] as const) {
        asn1.encodeContextEnumerated(b, 0, prop);
        asn1.encodeOpeningTag(b, 2);
        encodeValue(b, v);
        asn1.encodeClosingTag(b, 2);
      }
      asn1.encodeClosingTag(b, 4);
    };
    if (s.confirmed) void host.sendConfirmed(s.peer, CONFIRMED.CONFIRMED_COV_NOTIFICATION, encode);
    else host.sendUnconfirmed(s.peer, UNCONFIRMED.UNCONFIRMED_COV_NOTIFICATION, encode);
  }
}

function remainingS(s: Subscription, nowMs: number): number {
  return Math.max(0, Math.ceil((s.expiresAtMs - nowMs) / 1000));
}
