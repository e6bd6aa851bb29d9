// Alarm and event services (13.5, 13.12): AcknowledgeAlarm and GetEventInformation over the
// event states kept by intrinsic reporting.
import { EVENT_ENABLE, EVENT_STATE, encodeTimeStamp, ERR } from '../objects/objects';
import { asn1, bitString } from '../codec/values';
import { transitionOf } from '../reporting/intrinsic';
import type { ConfirmedHandler } from './service';

/** Objects per GetEventInformation answer; moreEvents says when another page follows. */
const EVENT_INFORMATION_PAGE = 20;

export const getEventInformation: ConfirmedHandler = (host, r) => {
  const last = r.isContext(0) ? r.contextObjectId(0) : null;
  r.done();
  const active = host.objects.filter((o) => {
    const e = host.events.info(o);
    return e && (e.eventState !== EVENT_STATE.NORMAL || e.ackedTransitions.some((x) => !x));
  });
  let start = 0;
  if (last) start = active.findIndex((o) => o.id.type === last.type && o.id.instance === last.instance) + 1;
  const page = active.slice(start, start + EVENT_INFORMATION_PAGE);
  const more = start + EVENT_INFORMATION_PAGE < active.length;
  return {
    kind: 'complex',
    encode: (b) => {
      asn1.encodeOpeningTag(b, 0);
      for (const o of page) {
        const e = host.events.info(o)!;
        asn1.encodeContextObjectId(b, 0, o.id.type, o.id.instance);
        asn1.encodeContextEnumerated(b, 1, e.eventState);
        asn1.encodeContextBitstring(b, 2, bitString(3, e.ackedTransitions.flatMap((x, i) => (x ? [i] : []))));
        asn1.encodeOpeningTag(b, 3);
        for (const ts of e.timeStamps) encodeTimeStamp(b, ts);
        asn1.encodeClosingTag(b, 3);
        asn1.encodeContextEnumerated(b, 4, 0); // notify-type alarm
        asn1.encodeContextBitstring(b, 5, bitString(3, [...EVENT_ENABLE]));
        asn1.encodeOpeningTag(b, 6);
        for (const p of host.notificationPriorities) asn1.encodeApplicationUnsigned(b, p);
        asn1.encodeClosingTag(b, 6);
      }
      asn1.encodeClosingTag(b, 0);
      asn1.encodeContextBoolean(b, 1, more);
    },
  };
};

export const acknowledgeAlarm: ConfirmedHandler = (host, r) => {
  r.contextUnsigned(0);
  const id = r.contextObjectId(1);
  const state = r.contextEnumerated(2);
  r.opening(3);
  const tsStart = r.pos;
  r.skipElement();
  const stamp = r.bytes(tsStart, r.pos);
  r.closing(3);
  r.contextCharacterString(4);
  r.opening(5);
  r.skipElement();
  r.closing(5);
  r.done();
  const obj = host.findObject(id);
  if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
  const e = host.events.info(obj);
  if (!e) return { kind: 'error', error: ERR.INVALID_EVENT_STATE };
  const category = transitionOf(state);
  if (category < 0) return { kind: 'error', error: ERR.INVALID_EVENT_STATE };
  const ours = host.scratchEncode((b) => encodeTimeStamp(b, e.timeStamps[category]));
  if (!ours.equals(stamp)) return { kind: 'error', error: ERR.INVALID_TIME_STAMP };
  host.events.acknowledge(obj, e, category, state);
  return { kind: 'simple' };
};
