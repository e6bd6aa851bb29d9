import { VirtualClock } from './clock';
import { ProblemLog } from './problem-log';

function recorder() {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  return { lines, warn: (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...(fields ? { fields } : {}) }) };
}

describe('ProblemLog', () => {
  it('writes one line per source and kind a minute, counts every problem, and reports what it suppressed', () => {
    const clock = new VirtualClock();
    const problems = new ProblemLog({ clock });
    const out = recorder();
    const modbus = problems.source('modbus', out);
    const snmp = problems.source('snmp', out);
    for (let i = 0; i < 1000; i++) modbus.warn('framing', `bad frame ${i}`);
    modbus.warn('idle', 'idle');
    snmp.warn('framing', 'snmp bad');
    expect(out.lines.map((l) => l.message)).toEqual(['bad frame 0', 'idle', 'snmp bad']);
    clock.advance(59_999);
    expect(modbus.warn('framing', 'still suppressed')).toBe(false);
    clock.advance(1);
    expect(modbus.warn('framing', 'a minute later')).toBe(true);
    expect(out.lines.at(-1)).toEqual({ message: 'a minute later', fields: { suppressedSinceLast: 1000 } });
    expect(problems.counts()).toEqual([
      { source: 'modbus', kind: 'framing', count: 1002, logged: 2 },
      { source: 'modbus', kind: 'idle', count: 1, logged: 1 },
      { source: 'snmp', kind: 'framing', count: 1, logged: 1 },
    ]);
  });

  it('keeps the number of kinds per source bounded (extra kinds are counted as other)', () => {
    const problems = new ProblemLog({ clock: new VirtualClock(), maxKindsPerSource: 3 });
    const out = recorder();
    const log = problems.source('bacnet', out);
    for (let i = 0; i < 100; i++) log.warn(`kind-${i}`, `problem ${i}`);
    expect(problems.counts().map((c) => [c.kind, c.count])).toEqual([['kind-0', 1], ['kind-1', 1], ['kind-2', 1], ['other', 97]]);
    expect(out.lines).toHaveLength(4);
  });
});
