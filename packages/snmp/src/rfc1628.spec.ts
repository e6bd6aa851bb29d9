// The RFC 1628 table against the RFC: OIDs, enumerations and scales written out from RFC 1628's
// text (not from the table), and the two directions the agent and the SNMP UPS source use.
import { UPS_MIB_SCALARS, UPS_MIB_TABLES, upsSetValues, upsStateFromWire } from './rfc1628';

/** RFC 1628 object descriptor -> OID under upsObjects (1.3.6.1.2.1.33.1). */
const RFC_OIDS: Record<string, string> = {
  upsIdentManufacturer: '1.1', upsIdentModel: '1.2', upsIdentUPSSoftwareVersion: '1.3', upsIdentAgentSoftwareVersion: '1.4', upsIdentName: '1.5', upsIdentAttachedDevices: '1.6',
  upsBatteryStatus: '2.1', upsSecondsOnBattery: '2.2', upsEstimatedMinutesRemaining: '2.3', upsEstimatedChargeRemaining: '2.4', upsBatteryVoltage: '2.5', upsBatteryCurrent: '2.6', upsBatteryTemperature: '2.7',
  upsInputLineBads: '3.1', upsInputNumLines: '3.2', upsOutputSource: '4.1', upsOutputFrequency: '4.2', upsOutputNumLines: '4.3', upsBypassFrequency: '5.1', upsBypassNumLines: '5.2',
  upsTestId: '7.1', upsTestSpinLock: '7.2', upsTestResultsSummary: '7.3', upsTestResultsDetail: '7.4', upsTestStartTime: '7.5', upsTestElapsedTime: '7.6',
  upsShutdownType: '8.1', upsShutdownAfterDelay: '8.2', upsStartupAfterDelay: '8.3', upsRebootWithDuration: '8.4', upsAutoRestart: '8.5',
  upsConfigInputVoltage: '9.1', upsConfigInputFreq: '9.2', upsConfigOutputVoltage: '9.3', upsConfigOutputFreq: '9.4', upsConfigOutputVA: '9.5', upsConfigOutputPower: '9.6',
  upsConfigLowBattTime: '9.7', upsConfigAudibleStatus: '9.8', upsConfigLowVoltageTransferPoint: '9.9', upsConfigHighVoltageTransferPoint: '9.10',
};

/** The RFC's enumerations (upsTestId: the upsWellKnownTests arcs), by the model's names. */
const RFC_ENUMS: Record<string, Record<string, number>> = {
  upsBatteryStatus: { unknown: 1, normal: 2, low: 3, depleted: 4 },
  upsOutputSource: { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 },
  upsTestId: { none: 1, abort: 2, general: 3, quick: 4, deep: 5 },
  upsTestResultsSummary: { donePass: 1, doneWarning: 2, doneError: 3, aborted: 4, inProgress: 5, noTestsInitiated: 6 },
  upsShutdownType: { output: 1, system: 2 },
  upsAutoRestart: { true: 1, false: 2 },
  upsConfigAudibleStatus: { disabled: 1, enabled: 2, muted: 3 },
};

/** Units of 0.1 (Volt DC, Amp, Hertz) and TimeInterval (0.01 s). */
const RFC_DIVISORS: Record<string, number> = {
  upsBatteryVoltage: 10, upsBatteryCurrent: 10, upsOutputFrequency: 10, upsBypassFrequency: 10, upsTestElapsedTime: 100, upsConfigInputFreq: 10, upsConfigOutputFreq: 10,
  upsInputFrequency: 10, upsInputCurrent: 10, upsOutputCurrent: 10, upsBypassCurrent: 10,
};

describe('RFC 1628 table', () => {
  it('has every scalar at its RFC 1628 OID', () => {
    expect(Object.fromEntries(UPS_MIB_SCALARS.map((o) => [o.name, o.sub.join('.')]))).toEqual(RFC_OIDS);
  });

  it('line tables: upsInputEntry 3.3.1, upsOutputEntry 4.4.1, upsBypassEntry 5.3.1 and their columns', () => {
    expect(UPS_MIB_TABLES.map((t) => [t.name, t.entry.join('.'), t.columns.map((c) => `${c.column} ${c.name}`)])).toEqual([
      ['upsInputTable', '3.3.1', ['1 upsInputLineIndex', '2 upsInputFrequency', '3 upsInputVoltage', '4 upsInputCurrent', '5 upsInputTruePower']],
      ['upsOutputTable', '4.4.1', ['1 upsOutputLineIndex', '2 upsOutputVoltage', '3 upsOutputCurrent', '4 upsOutputPower', '5 upsOutputPercentLoad']],
      ['upsBypassTable', '5.3.1', ['1 upsBypassLineIndex', '2 upsBypassVoltage', '3 upsBypassCurrent', '4 upsBypassPower']],
    ]);
  });

  it('has the RFC\'s enumeration numbers', () => {
    const enums = Object.fromEntries(UPS_MIB_SCALARS.filter((o) => o.codes).map((o) => [o.name, Object.fromEntries(o.codes!.map(([k, v]) => [String(k), v]))]));
    expect(enums).toEqual(RFC_ENUMS);
  });

  it('scales as the RFC\'s units say', () => {
    const divisors = Object.fromEntries([
      ...UPS_MIB_SCALARS.filter((o) => o.divisor).map((o) => [o.name, o.divisor]),
      ...UPS_MIB_TABLES.flatMap((t) => t.columns.filter((c) => c.divisor).map((c) => [c.name, c.divisor])),
    ]);
    expect(divisors).toEqual(RFC_DIVISORS);
  });

  it('reads a card\'s answers into the UPS state (tenths undone, enumerations named, unknown numbers as the RFC\'s fallback)', () => {
    const scalars = new Map<string, number | string>([
      ['upsIdentModel', 'Smart 3000'], ['upsBatteryStatus', 3], ['upsBatteryVoltage', 2165], ['upsOutputSource', 99], ['upsOutputFrequency', 499],
      ['upsTestId', '1.3.6.1.2.1.33.1.7.7.4'], ['upsTestElapsedTime', 1250], ['upsAutoRestart', 2], ['upsTestStartTime', 12345],
    ]);
    const input = new Map([[1, new Map([[1, 1], [2, 501], [3, 230], [4, 123], [5, 2800]])]]);
    const state = upsStateFromWire(scalars, { input, output: new Map(), bypass: new Map() });
    expect(state).toEqual({
      ident: { model: 'Smart 3000' },
      battery: { status: 'low', voltageV: 216.5 },
      input: { lines: [{ frequencyHz: 50.1, voltageV: 230, currentA: 12.3, truePowerW: 2800 }] },
      output: { source: 'other', frequencyHz: 49.9, lines: [] },
      bypass: { lines: [] },
      test: { id: 'quick', elapsedS: 12.5 },
      control: { autoRestart: false },
    });
  });

  it('turns control and settings patches into the SETs RFC 1628 defines', () => {
    expect(upsSetValues('ups-control', { shutdownType: 'system', shutdownAfterDelayS: 60, autoRestart: true })).toEqual([
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 8, 1, 0], syntax: 'INTEGER', value: 2 },
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 8, 2, 0], syntax: 'INTEGER', value: 60 },
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 8, 5, 0], syntax: 'INTEGER', value: 1 },
    ]);
    expect(upsSetValues('ups-settings', { attachedDevices: 'rack 4', inputFrequencyHz: 50, audibleStatus: 'muted' })).toEqual([
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 1, 6, 0], syntax: 'DisplayString', value: 'rack 4' },
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 9, 2, 0], syntax: 'INTEGER', value: 500 },
      { oid: [1, 3, 6, 1, 2, 1, 33, 1, 9, 8, 0], syntax: 'INTEGER', value: 3 },
    ]);
  });
});
