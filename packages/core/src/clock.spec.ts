import { VirtualClock } from './clock';

describe('VirtualClock', () => {
  it('runs due timers in time order, equal times in the order they were set', () => {
    const clock = new VirtualClock(0);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20);
    const gone = clock.setTimeout(() => ran.push('cleared'), 5);
    clock.clearTimeout(gone);
    clock.advance(15);
    expect([ran, clock.now()]).toEqual([['a@10'], 15]);
    clock.advance(100);
    expect([ran, clock.now(), clock.pending]).toEqual([['a@10', 'b@20', 'c@20'], 115, 0]);
  });

  it('jumps to the next timer only, one at a time', () => {
    const clock = new VirtualClock(1000);
    const ran: number[] = [];
    clock.setTimeout(() => ran.push(clock.now()), 50);
    clock.setTimeout(() => {
      ran.push(clock.now());
      // A timer set while running falls due from the time it was set.
      clock.setTimeout(() => ran.push(clock.now()), 1);
    }, 30);
    expect(clock.advanceToNext()).toBe(true);
    expect(ran).toEqual([1030]);
    expect(clock.advanceToNext()).toBe(true);
    expect(ran).toEqual([1030, 1031]);
    expect(clock.advanceToNext()).toBe(true);
    expect(clock.advanceToNext()).toBe(false);
    expect([ran, clock.now()]).toEqual([[1030, 1031, 1050], 1050]);
  });
});
