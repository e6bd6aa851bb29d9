// Freezes the numbers the register map puts on the wire for enumerations, alarm kinds and the fixed
// threshold blocks: the expected values are written out as docs/registers.md published them, not
// taken from the code, so a kind inserted in core or a list reordered fails here.
import { ALARM_KIND_NAMES, type AlarmKind, type SiteSnapshot } from '@kirchhoff/core';
import { DEVICE_ID_OBJECT_IDS } from '../pdu/functions';
import { REGISTER_MAP } from './table';
import type { SiteView } from './view';

/** `block.field` -> published values (docs/registers.md, "values:" lines). */
const PUBLISHED_ENUMS: Record<string, Record<string, number>> = {
  'strings.chargeMode': { unknown: 0, float: 1, boost: 2, rest: 3, discharge: 4, recharge: 5 },
  'ups.batteryStatus': { unknown: 1, normal: 2, low: 3, depleted: 4 },
  'ups.outputSource': { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 },
  'ups.testResultsSummary': { donePass: 1, doneWarning: 2, doneError: 3, aborted: 4, inProgress: 5, noTestsInitiated: 6 },
  'sensors.kind': { temperature: 1, humidity: 2, hydrogen: 3, current: 4, voltage: 5, analog: 6 },
  'threshold-moduleResistance.mode': { absolute: 0, 'string-mean': 1, baseline: 2 },
  'module-health.sohMethod': { 'capacity-test': 1, discharge: 2, resistance: 3, unknown: 4 },
};

/** Discrete input address -> alarm kind (docs/registers.md, "Alarm kinds: 1100 + (k-1)"). */
const PUBLISHED_ALARM_KIND_INPUTS: Record<number, AlarmKind> = {
  1100: 'module-voltage-high', 1101: 'module-voltage-low', 1102: 'module-temperature-high', 1103: 'module-temperature-low', 1104: 'module-resistance-high',
  1105: 'module-lost', 1106: 'module-fuse-blown', 1107: 'balancing-disabled', 1108: 'string-imbalance', 1109: 'string-current-high', 1110: 'string-current-low',
  1111: 'string-ripple-high', 1112: 'string-ground-fault', 1113: 'thermal-runaway', 1114: 'sensor-high', 1115: 'sensor-low', 1116: 'sensor-failed',
  1117: 'input-active', 1118: 'ups-on-battery', 1119: 'ups-battery-low', 1120: 'ups-battery-depleted', 1121: 'ups-test-failed', 1122: 'ups-test-in-progress',
  1123: 'ups-communication-lost', 1124: 'bus-failure', 1125: 'breaker-failed',
};

const viewWithKinds = (kinds: readonly AlarmKind[]): SiteView =>
  ({ snap: {} as SiteSnapshot, kindsByEntity: new Map(), severitiesByEntity: new Map(), activeKinds: new Set(kinds) });

describe('Modbus register map wire codes (frozen as published)', () => {
  it('every enum16 register has the published values, and there is no unpublished one', () => {
    const enums: Record<string, Record<string, number>> = {};
    for (const b of REGISTER_MAP.registers) {
      for (const f of b.fields) if (f.type === 'enum16') enums[`${b.id}.${f.name}`] = Object.fromEntries((f.values ?? []).map((v) => [v.name, v.value]));
    }
    // The Ri mode of the sensor threshold block does not exist; only the fixed Ri block has one.
    expect(enums).toEqual(PUBLISHED_ENUMS);
  });

  it('alarm-kind discrete inputs: each published address is its kind, and each kind is set only at its own address', () => {
    const block = REGISTER_MAP.discreteInputs.find((b) => b.id === 'alarm-kinds')!;
    expect(block.base).toBe(1100);
    const named = Object.fromEntries((block.names ?? []).map((n, i) => [block.base + i, n]));
    expect(named).toEqual(PUBLISHED_ALARM_KIND_INPUTS);
    for (const kind of ALARM_KIND_NAMES) {
      const view = viewWithKinds([kind]);
      const set = Array.from({ length: block.count(view.snap) }, (_, i) => i + 1).filter((n) => block.read(view, n)).map((n) => block.base + n - 1);
      expect([kind, set]).toEqual([kind, [Number(Object.keys(PUBLISHED_ALARM_KIND_INPUTS).find((a) => PUBLISHED_ALARM_KIND_INPUTS[Number(a)] === kind))]]);
    }
  });

  it('general status discrete inputs: 1000 + b is bit b of register 1000, named as published', () => {
    const block = REGISTER_MAP.discreteInputs.find((x) => x.id === 'general-status')!;
    expect(Object.fromEntries((block.names ?? []).map((n, i) => [block.base + i, n]))).toEqual({
      1000: 'running', 1001: 'connected', 1002: 'moduleLost', 1003: 'discharging', 1004: 'charging', 1005: 'dischargingStopped', 1006: 'floatCharging',
      1007: 'equalisation', 1008: 'systemFailure', 1009: 'voltageOutOfRange', 1010: 'temperatureOutOfRange', 1011: 'resistanceOutOfRange',
      1012: 'moduleAddressing', 1013: 'moduleSearching', 1014: 'dataStale', 1015: 'dataFailed',
    });
  });

  it('the fixed threshold blocks start at their published addresses', () => {
    const bases = Object.fromEntries(REGISTER_MAP.registers.filter((b) => b.id.startsWith('threshold-')).map((b) => [b.id, b.base]));
    expect(bases).toEqual({
      'threshold-moduleVoltage': 5000, 'threshold-moduleTemperature': 5010, 'threshold-moduleResistance': 5020, 'threshold-stringImbalance': 5030,
      'threshold-stringCurrent': 5040, 'threshold-stringRipple': 5050, 'threshold-stringGroundFault': 5060, 'threshold-sensors': 5100,
    });
    const voltage = REGISTER_MAP.registers.find((b) => b.id === 'threshold-moduleVoltage')!;
    expect(voltage.fields.map((f) => [f.offset, f.name])).toEqual([[0, 'warnHigh'], [1, 'alarmHigh'], [2, 'warnLow'], [3, 'alarmLow'], [4, 'hysteresis'], [5, 'delay']]);
  });

  it('Read Device Identification object ids are the specification\'s (Modbus Application Protocol 1.1b3, 6.21)', () => {
    expect(DEVICE_ID_OBJECT_IDS).toEqual({ vendorName: 0, productCode: 1, majorMinorRevision: 2, vendorUrl: 3, productName: 4, modelName: 5, userApplicationName: 6 });
  });
});
