// A polled device's answer state: stale until failAfterMisses polls are missed, then failed; one
// warning per distinct reason, one line when it answers again.
import { LinkState } from './link-state';

describe('LinkState', () => {
  it('counts misses into stale then failed, logs each reason once and the recovery once', () => {
    const lines: string[] = [];
    const link = new LinkState({ info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) }, 'UPS 10.0.0.5', 3);
    expect([link.miss('timeout'), link.miss('timeout'), link.miss('timeout'), link.miss('refused')]).toEqual(['stale', 'stale', 'failed', 'failed']);
    link.answered();
    link.answered();
    expect(lines).toEqual(['warn UPS 10.0.0.5: timeout', 'warn UPS 10.0.0.5: refused', 'info UPS 10.0.0.5 answers again']);
    expect(link.misses).toBe(0);
    link.problem('session error');
    link.answered();
    expect(lines.slice(3)).toEqual(['warn UPS 10.0.0.5: session error', 'info UPS 10.0.0.5 answers again']);
  });
});
