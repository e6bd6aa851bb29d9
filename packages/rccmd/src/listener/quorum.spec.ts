// N of M alone: votes in, decisions out, on a virtual clock.
import { VirtualClock } from '@kirchhoff/core';
import { Quorum } from './quorum';

describe('Quorum', () => {
  it('2 of 3: the second different sender within the window decides; the same sender twice does not', () => {
    const q = new Quorum(2, 600, new VirtualClock());
    expect(q.vote('shutdown', null, 'gw-a')).toEqual({ outcome: 'waiting', voters: ['gw-a'] });
    expect(q.vote('shutdown', null, 'gw-a')).toEqual({ outcome: 'waiting', voters: ['gw-a'] });
    expect(q.vote('shutdown', null, 'gw-b')).toEqual({ outcome: 'reached', voters: ['gw-a', 'gw-b'] });
  });

  it('a vote older than the window no longer counts', () => {
    const clock = new VirtualClock();
    const q = new Quorum(2, 600, clock);
    q.vote('shutdown', null, 'gw-a');
    clock.advance(600_001);
    expect(q.vote('shutdown', null, 'gw-b')).toEqual({ outcome: 'waiting', voters: ['gw-b'] });
  });

  it('a shutdown is decided once; executes are counted per command and may run again', () => {
    const q = new Quorum(1, 600, new VirtualClock());
    expect(q.vote('shutdown', null, 'gw-a').outcome).toBe('reached');
    expect(q.vote('shutdown', null, 'gw-b')).toEqual({ outcome: 'already-started' });
    expect(q.vote('execute', 'stop-db', 'gw-a').outcome).toBe('reached');
    expect(q.vote('execute', 'stop-db', 'gw-a').outcome).toBe('reached');
  });

  it('votes for different execute commands do not add up', () => {
    const q = new Quorum(2, 600, new VirtualClock());
    q.vote('execute', 'stop-db', 'gw-a');
    expect(q.vote('execute', 'stop-web', 'gw-b')).toEqual({ outcome: 'waiting', voters: ['gw-b'] });
  });
});
