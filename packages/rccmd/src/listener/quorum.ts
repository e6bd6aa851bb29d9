// N of M: a shutdown or an execute runs only once `redundancy` different senders asked for it
// within the vote window. A shutdown runs once; later shutdown votes are ignored. No I/O.
import type { Clock } from '@kirchhoff/core';

export type VoteResult =
  /** A shutdown already started: nothing more to do. */
  | { readonly outcome: 'already-started' }
  | { readonly outcome: 'waiting'; readonly voters: readonly string[] }
  /** The quorum is reached: run it now (the votes are spent). */
  | { readonly outcome: 'reached'; readonly voters: readonly string[] };

export class Quorum {
  private readonly votes = new Map<string, Map<string, number>>();
  private shutdownStarted = false;

  constructor(readonly redundancy: number, private readonly voteWindowS: number, private readonly clock: Clock) {}

  vote(action: 'shutdown' | 'execute', command: string | null, sender: string): VoteResult {
    if (action === 'shutdown' && this.shutdownStarted) return { outcome: 'already-started' };
    const key = `${action}|${command ?? ''}`;
    const now = this.clock.now();
    const windowMs = this.voteWindowS * 1000;
    const votes = this.votes.get(key) ?? new Map<string, number>();
    for (const [s, at] of votes) if (now - at > windowMs) votes.delete(s);
    votes.set(sender, now);
    this.votes.set(key, votes);
    const voters = [...votes.keys()];
    if (voters.length < this.redundancy) return { outcome: 'waiting', voters };
    this.votes.delete(key);
    if (action === 'shutdown') this.shutdownStarted = true;
    return { outcome: 'reached', voters };
  }
}
