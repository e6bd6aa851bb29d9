// The outgoing buffer and rate limit: bounded, coalescing, ordered, counted.
import { Outbox, OutMessage, RateLimiter } from './outbox';

const msg = (topic: string, payload = topic, session?: number): OutMessage => ({ topic, payload, qos: 1, retain: false, ...(session !== undefined ? { session } : {}) });
const drain = (o: Outbox) => {
  const out: string[] = [];
  for (let m = o.shift(); m; m = o.shift()) out.push(`${m.topic}=${m.payload}`);
  return out;
};

describe('Outbox', () => {
  it('keeps only the latest state of a topic, in the place the topic first took', () => {
    const o = new Outbox(100);
    o.putState(msg('a', '1'));
    o.putState(msg('b', '1'));
    o.putState(msg('a', '2'));
    expect(drain(o)).toEqual(['a=2', 'b=1']);
    expect(o.stats()).toEqual({ queued: 0, dropped: 0, coalesced: 1 });
  });

  it('sends events first and in order', () => {
    const o = new Outbox(100);
    o.putState(msg('s'));
    o.putEvent(msg('e1'));
    o.putEvent(msg('e2'));
    expect(drain(o)).toEqual(['e1=e1', 'e2=e2', 's=s']);
  });

  it('never holds more events than its limit: the oldest go and are counted; states stay one per topic', () => {
    const o = new Outbox(10);
    for (let i = 0; i < 25; i++) o.putEvent(msg(`e${i}`));
    expect(o.size).toBe(10);
    expect(o.dropped).toBe(15);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 12; i++) o.putState(msg(`s${i}`, String(round)));
    expect(o.size).toBe(22);
    expect(o.dropped).toBe(15);
    const out = drain(o);
    expect(out[0]).toBe('e15=e15');
    expect(out.slice(10)).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}=2`));
  });

  it('discards the events of an ended Sparkplug session and counts them', () => {
    const o = new Outbox(100);
    o.putEvent(msg('old', 'x', 1));
    o.putEvent(msg('alarm'));
    o.putEvent(msg('new', 'y', 2));
    o.discardEvents((m) => m.session === 1);
    expect(drain(o)).toEqual(['alarm=alarm', 'new=y']);
    expect(o.dropped).toBe(1);
  });
});

describe('RateLimiter', () => {
  it('allows a burst of a tenth of the rate, then one message per 1/rate seconds', () => {
    let now = 0;
    const r = new RateLimiter(100, () => now);
    let sent = 0;
    while (r.take()) sent++;
    expect(sent).toBe(10);
    expect(r.waitMs()).toBe(10);
    now += 10;
    expect(r.take()).toBe(true);
    expect(r.take()).toBe(false);
    now += 1000;
    sent = 0;
    while (r.take()) sent++;
    expect(sent).toBe(10);
  });
});
