// Core's code tables: every wire number belongs to one name (a duplicate would make two values
// indistinguishable on the wire), and the ordered name lists follow the codes.
import { ALARM_KIND_BY_CODE, ALARM_KIND_CODES } from './alarms/types';
import { codeNames, namesByCode } from './codes';
import { SENSOR_KINDS, SENSOR_KIND_CODES, UPS_BATTERY_STATUS_CODES, UPS_OUTPUT_SOURCES, UPS_OUTPUT_SOURCE_CODES, UPS_TEST_ID_CODES, UPS_TEST_RESULT_CODES } from './model';

const TABLES: Record<string, Readonly<Record<string, number>>> = {
  ALARM_KIND_CODES, SENSOR_KIND_CODES, UPS_BATTERY_STATUS_CODES, UPS_OUTPUT_SOURCE_CODES, UPS_TEST_RESULT_CODES, UPS_TEST_ID_CODES,
};

describe('code tables', () => {
  it.each(Object.entries(TABLES))('%s gives each name its own positive integer', (_name, codes) => {
    const values = Object.values(codes);
    expect(values.every((v) => Number.isInteger(v) && v > 0)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('RFC 1628 numbers: upsOutputSource, upsBatteryStatus, upsTestResultsSummary, upsWellKnownTests arcs', () => {
    expect(UPS_OUTPUT_SOURCE_CODES).toEqual({ other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 });
    expect(UPS_BATTERY_STATUS_CODES).toEqual({ unknown: 1, normal: 2, low: 3, depleted: 4 });
    expect(UPS_TEST_RESULT_CODES).toEqual({ donePass: 1, doneWarning: 2, doneError: 3, aborted: 4, inProgress: 5, noTestsInitiated: 6 });
    expect(UPS_TEST_ID_CODES).toEqual({ none: 1, abort: 2, general: 3, quick: 4, deep: 5 });
  });

  it('name lists follow the codes, and codeNames inverts a table', () => {
    expect(namesByCode({ b: 2, a: 3, c: 1 })).toEqual(['c', 'b', 'a']);
    expect([...codeNames({ b: 2, a: 3 })]).toEqual([[2, 'b'], [3, 'a']]);
    expect(UPS_OUTPUT_SOURCES).toEqual(['other', 'none', 'normal', 'bypass', 'battery', 'booster', 'reducer']);
    expect(SENSOR_KINDS).toEqual(['temperature', 'humidity', 'hydrogen', 'current', 'voltage', 'analog']);
    expect(ALARM_KIND_BY_CODE.get(14)).toBe('thermal-runaway');
  });
});
