// Reconnect back-off on a virtual clock (issue 19 point 9): after a broker outage the publisher
// is back within the cap, whatever the outage length and jitter. Before, with a 60 s cap, a 60 s
// outage kept it away 47-55 s after the broker returned.
import { reconnectDelayMs } from './connection';
import { DEFAULT_RECONNECT_MAX_MS } from './options';

const MIN_MS = 1000; // reconnectMinMs default

/** Virtual time from the broker's return to the first attempt after it; attempts during the outage fail at once. */
function awayAfterReturnMs(outageMs: number, maxMs: number, jitter: () => number): number {
  let t = 0;
  for (let attempt = 0; ; attempt++) {
    t += reconnectDelayMs(attempt, MIN_MS, maxMs, jitter());
    if (t >= outageMs) return t - outageMs;
  }
}

/** Seeded jitter (xorshift32), so a failure names a sequence that can be replayed. */
function jitterSource(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('MQTT reconnect back-off', () => {
  it('caps the default wait at a few seconds', () => {
    expect(DEFAULT_RECONNECT_MAX_MS).toBeLessThanOrEqual(5000);
    expect(reconnectDelayMs(0, MIN_MS, DEFAULT_RECONNECT_MAX_MS, 1)).toBe(1000);
    expect(reconnectDelayMs(30, MIN_MS, DEFAULT_RECONNECT_MAX_MS, 1)).toBe(5000);
    expect(reconnectDelayMs(30, MIN_MS, DEFAULT_RECONNECT_MAX_MS, 0)).toBe(3750);
  });

  it('is back within the cap after outages of 1 s to 1 h, for 200 jitter sequences', () => {
    let worst = 0;
    for (let seed = 1; seed <= 200; seed++) {
      for (const outageMs of [1_000, 10_000, 60_000, 61_234, 300_000, 3_600_000]) {
        worst = Math.max(worst, awayAfterReturnMs(outageMs, DEFAULT_RECONNECT_MAX_MS, jitterSource(seed)));
      }
    }
    expect(worst).toBeLessThanOrEqual(DEFAULT_RECONNECT_MAX_MS);
  });

  it('shows the reported defect with the old 60 s cap: tens of seconds away after a 60 s outage', () => {
    const away = Array.from({ length: 50 }, (_, i) => awayAfterReturnMs(60_000, 60_000, jitterSource(i + 1)));
    expect(Math.max(...away)).toBeGreaterThan(20_000);
  });
});
