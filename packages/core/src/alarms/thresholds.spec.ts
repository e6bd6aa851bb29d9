import { evaluateLevel, LevelState, NORMAL, resistanceForMode, Threshold, thresholdProblems } from './thresholds';

const volts: Threshold = { warnHigh: 14.1, alarmHigh: 14.4, warnLow: 12.0, alarmLow: 11.4, hysteresis: 0.05, delayMs: 0 };

function run(t: Threshold, series: [number, number | null][]): LevelState[] {
  let s: LevelState = NORMAL;
  return series.map(([at, v]) => (s = evaluateLevel(v, t, s, at)));
}
const levels = (states: LevelState[]) => states.map((s) => (s.level === 'normal' ? 'normal' : `${s.level}-${s.direction}`));

describe('evaluateLevel', () => {
  it('raises warning then alarm, high and low', () => {
    expect(levels(run(volts, [[0, 13.6], [1, 14.1], [2, 14.4], [3, 12.0], [4, 11.4]]))).toEqual(['normal', 'warning-high', 'alarm-high', 'warning-low', 'alarm-low']);
  });

  it('holds a raised level inside the hysteresis band and clears past it', () => {
    // Raised at 14.1; stays while above 14.05; clears at or below 14.05.
    expect(levels(run(volts, [[0, 14.12], [1, 14.07], [2, 14.051], [3, 14.05]]))).toEqual(['warning-high', 'warning-high', 'warning-high', 'normal']);
    // Low side: raised at 12.0, holds below 12.05.
    expect(levels(run(volts, [[0, 11.99], [1, 12.04], [2, 12.05]]))).toEqual(['warning-low', 'warning-low', 'normal']);
    // Alarm steps down to warning past the alarm band, not at the alarm limit itself.
    expect(levels(run(volts, [[0, 14.5], [1, 14.36], [2, 14.35]]))).toEqual(['alarm-high', 'alarm-high', 'warning-high']);
  });

  it('does not chatter around a limit without hysteresis either way', () => {
    const noHyst = { ...volts, hysteresis: 0 };
    expect(levels(run(noHyst, [[0, 14.1], [1, 14.09], [2, 14.1]]))).toEqual(['warning-high', 'normal', 'warning-high']);
  });

  it('raises only after the delay, measured from when the condition began', () => {
    const delayed = { ...volts, delayMs: 10_000 };
    const states = run(delayed, [[0, 14.2], [5_000, 14.2], [9_999, 14.25], [10_000, 14.2]]);
    expect(levels(states)).toEqual(['normal', 'normal', 'normal', 'warning-high']);
    expect(states[1].pending).toEqual({ level: 'warning', direction: 'high', sinceMs: 0 });
  });

  it('restarts the delay when the condition lapses, and clears at once', () => {
    const delayed = { ...volts, delayMs: 10_000 };
    expect(levels(run(delayed, [[0, 14.2], [6_000, 13.6], [8_000, 14.2], [16_000, 14.2], [18_000, 14.2], [18_001, 13.6]])))
      .toEqual(['normal', 'normal', 'normal', 'normal', 'warning-high', 'normal']);
  });

  it('keeps the state when the reading is missing', () => {
    const s = evaluateLevel(14.5, volts, NORMAL, 0);
    expect(evaluateLevel(null, volts, s, 1)).toBe(s);
    expect(evaluateLevel(Number.NaN, volts, s, 1)).toBe(s);
  });

  it('judges only the limits that are set', () => {
    const highOnly: Threshold = { alarmHigh: 45, hysteresis: 1, delayMs: 0 };
    expect(levels(run(highOnly, [[0, -40], [1, 44], [2, 45]]))).toEqual(['normal', 'normal', 'alarm-high']);
  });
});

describe('resistanceForMode: the three Ri modes', () => {
  it('absolute compares ohms as they are', () => {
    expect(resistanceForMode(0.0062, 'absolute', 0.004, 0.005)).toBe(0.0062);
  });
  it('string-mean gives percent above the string mean', () => {
    expect(resistanceForMode(0.006, 'string-mean', 0.004, 0.005)).toBeCloseTo(50, 9);
  });
  it('baseline gives percent above the commissioning baseline', () => {
    expect(resistanceForMode(0.006, 'baseline', 0.004, 0.005)).toBeCloseTo(20, 9);
  });
  it('gives no value when the reference is unknown', () => {
    expect(resistanceForMode(0.006, 'baseline', 0.004, null)).toBeNull();
    expect(resistanceForMode(0.006, 'string-mean', null, 0.005)).toBeNull();
    expect(resistanceForMode(null, 'absolute', 0.004, 0.005)).toBeNull();
  });
});

describe('thresholdProblems', () => {
  it('accepts a well-ordered threshold', () => {
    expect(thresholdProblems(volts)).toEqual([]);
  });
  it('names limits out of order and bad numbers', () => {
    expect(thresholdProblems({ ...volts, warnHigh: 15 })).toEqual(['warnHigh (15) must be below alarmHigh (14.4)']);
    expect(thresholdProblems({ ...volts, hysteresis: -1 })).toEqual(['hysteresis must be >= 0, got -1']);
    expect(thresholdProblems({ ...volts, alarmHigh: Number.POSITIVE_INFINITY })[0]).toMatch(/alarmHigh must be a finite number/);
  });
});
