import { formatIdentity, formatQ1, formatRating, parseIdentity, parseQ1, parseRating, parseShutdownCommand, shutdownCommand } from './codec';

describe('Q1 codec', () => {
  it('parses the status line NUT documents', () => {
    // The example reply in NUT's blazer.c.
    const r = parseQ1('(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r');
    expect(r).toEqual({
      ok: true,
      value: {
        inputVoltageV: 226, inputFaultVoltageV: 195, outputVoltageV: 226, loadPercent: 14, inputFrequencyHz: 49, batteryVoltageV: 27.5, temperatureC: 30,
        flags: { utilityFail: false, batteryLow: false, bypassBoostBuck: false, upsFailed: false, standby: true, testInProgress: false, shutdownActive: false, beeperOn: false },
      },
    });
  });

  it('reads each status bit from b7 (first) to b0 (last)', () => {
    const names = ['utilityFail', 'batteryLow', 'bypassBoostBuck', 'upsFailed', 'standby', 'testInProgress', 'shutdownActive', 'beeperOn'];
    names.forEach((name, i) => {
      const bits = '00000000'.split('').map((_, j) => (j === i ? '1' : '0')).join('');
      const r = parseQ1(`(230.0 230.0 230.0 010 50.0 2.27 25.0 ${bits}\r`);
      if (!r.ok) throw new Error(r.reason);
      expect(Object.entries(r.value.flags).filter(([, v]) => v).map(([k]) => k)).toEqual([name]);
    });
  });

  it('treats a non-numeric field as unknown and refuses broken lines with a reason', () => {
    const r = parseQ1('(230.0 ---.- 230.0 010 50.0 2.27 --.- 10000000\r');
    expect(r.ok && [r.value.inputFaultVoltageV, r.value.temperatureC, r.value.flags.utilityFail]).toEqual([null, null, true]);
    expect(parseQ1('230.0 230.0 230.0 010 50.0 2.27 25.0 00000000\r')).toEqual({ ok: false, reason: expect.stringContaining('does not start with "("') });
    expect(parseQ1('(230.0 230.0 010 50.0 2.27 25.0 00000000\r')).toEqual({ ok: false, reason: 'status reply has 7 fields, expected 8' });
    expect(parseQ1('(230.0 230.0 230.0 010 50.0 2.27 25.0 0000200\r')).toEqual({ ok: false, reason: expect.stringContaining('not 8 binary digits') });
    expect(parseQ1('Q1\r').ok).toBe(false);
  });

  it('parses identity and rating in their fixed columns', () => {
    expect(parseIdentity('#-------------   ------     VT12046Q  \r')).toEqual({ ok: true, value: { manufacturer: '-------------', model: '------', version: 'VT12046Q' } });
    expect(parseRating('#220.0 000 024.0 50.0\r')).toEqual({ ok: true, value: { voltageV: 220, currentA: 0, batteryVoltageV: 24, frequencyHz: 50 } });
    expect(parseRating('(220.0 000 024.0 50.0\r').ok).toBe(false);
  });

  it('formats what it parses', () => {
    const flags = { utilityFail: true, batteryLow: false, bypassBoostBuck: false, upsFailed: false, standby: false, testInProgress: true, shutdownActive: false, beeperOn: true };
    const line = formatQ1({ inputVoltageV: 0, inputFaultVoltageV: 0, outputVoltageV: 230, loadPercent: 34, inputFrequencyHz: 0, batteryVoltageV: 27.4, temperatureC: 25, flags });
    expect(line).toBe('(000.0 000.0 230.0 034 00.0 27.4 25.0 10000101\r');
    expect(line.length).toBe(47);
    expect(parseQ1(line).ok && (parseQ1(line) as { value: { flags: unknown } }).value.flags).toEqual(flags);
    const id = { manufacturer: 'Kirchhoff', model: 'Q1-EMU 3k', version: 'V1.2' };
    expect(formatIdentity(id)).toHaveLength(39);
    expect(parseIdentity(formatIdentity(id))).toEqual({ ok: true, value: id });
    expect(formatRating({ voltageV: 230, currentA: 13, batteryVoltageV: 24, frequencyHz: 50 })).toBe('#230.0 013 24.00 50.0\r');
  });

  it('builds shutdown commands like NUT (delays truncated to what the UPS can set)', () => {
    expect(shutdownCommand(30, { kind: 'after', minutes: 3 })).toEqual({ command: 'S.5R0003\r', offDelayS: 30 });
    expect(shutdownCommand(0, { kind: 'stay-off' })).toEqual({ command: 'S00R0000\r', offDelayS: 0 });
    expect(shutdownCommand(130, { kind: 'on-mains' })).toEqual({ command: 'S02\r', offDelayS: 120 });
    expect(shutdownCommand(5000, { kind: 'after', minutes: 20000 })).toEqual({ command: 'S10R9999\r', offDelayS: 600 });
    expect(shutdownCommand(11, { kind: 'on-mains' }).command).toBe('S00\r');
    expect(parseShutdownCommand('S.5R0003')).toEqual({ offDelayS: 30, restartMin: 3 });
    expect(parseShutdownCommand('S02')).toEqual({ offDelayS: 120, restartMin: null });
    expect(parseShutdownCommand('S.1')).toBeNull();
    expect(parseShutdownCommand('S11')).toBeNull();
  });
});
