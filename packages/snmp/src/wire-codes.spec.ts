// Freezes every enumeration KIRCHHOFF-BMS-MIB publishes: the expected numbers are written out as the
// shipped MIB file (mibs/KIRCHHOFF-BMS-MIB.txt) published them, not taken from the code. A kind
// inserted in core, or a table reordered, fails here instead of renumbering what an NMS stored.
import { ALARM_KIND_NAMES, type Alarm, SENSOR_KINDS, type SensorState } from '@kirchhoff/core';
import { BMS_TABLES, SITE_SCALARS, TC, THRESHOLD_INDEX, columnByName, type ObjectDef, type Syntax } from './bms-mib';

const PUBLISHED: Record<string, Record<string, number>> = {
  BmsQuality: { fresh: 1, stale: 2, failed: 3 },
  BmsSeverity: { warning: 1, alarm: 2, critical: 3 },
  bmsHighestSeverity: { none: 0, warning: 1, alarm: 2, critical: 3 },
  bmsStringChargeMode: { float: 1, boost: 2, rest: 3, discharge: 4, unknown: 5, recharge: 6 },
  bmsModuleFuse: { ok: 1, blown: 2, unknown: 3 },
  bmsModuleCommunication: { ok: 1, lost: 2, unknown: 3 },
  bmsModuleSocMethod: { float: 1, rest: 2, discharge: 3, unknown: 4 },
  bmsModuleSohMethod: { capacityTest: 1, discharge: 2, resistance: 3, unknown: 4 },
  bmsSensorKind: { temperature: 1, humidity: 2, hydrogen: 3, current: 4, voltage: 5, analog: 6 },
  bmsIoDirection: { input: 1, output: 2 },
  bmsIoFunction: { none: 1, breaker: 2, ventilation: 3, airConditioning: 4, beacon: 5, general: 6 },
  bmsIoAlarmSeverity: { none: 0, warning: 1, alarm: 2, critical: 3 },
  bmsAlarmKind: {
    moduleVoltageHigh: 1, moduleVoltageLow: 2, moduleTemperatureHigh: 3, moduleTemperatureLow: 4, moduleResistanceHigh: 5, moduleLost: 6, moduleFuseBlown: 7,
    balancingDisabled: 8, stringImbalance: 9, stringCurrentHigh: 10, stringCurrentLow: 11, stringRippleHigh: 12, stringGroundFault: 13, thermalRunaway: 14,
    sensorHigh: 15, sensorLow: 16, sensorFailed: 17, inputActive: 18, upsOnBattery: 19, upsBatteryLow: 20, upsBatteryDepleted: 21, upsTestFailed: 22,
    upsTestInProgress: 23, upsCommunicationLost: 24, busFailure: 25, breakerFailed: 26,
  },
};

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function enumObjects(): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, tc] of Object.entries(TC)) out[name] = { ...tc.values };
  const objects: readonly ObjectDef<unknown>[] = [...(SITE_SCALARS as readonly ObjectDef<unknown>[]), ...BMS_TABLES.flatMap((t) => t.columns)];
  for (const o of objects) {
    const s: Syntax = o.syntax;
    if (s.kind === 'enum') out[o.name] = { ...s.values };
  }
  return out;
}

describe('KIRCHHOFF-BMS-MIB wire codes (frozen as published)', () => {
  it('every INTEGER enumeration of the MIB has the published numbers, and there is no unpublished one', () => {
    expect(enumObjects()).toEqual(PUBLISHED);
  });

  it('bmsAlarmKind reads every core alarm kind as its published number', () => {
    const { column } = columnByName('bmsAlarmKind');
    for (const kind of ALARM_KIND_NAMES) {
      expect([kind, column.read({ alarm: { kind } as Alarm }, undefined as never)]).toEqual([kind, PUBLISHED.bmsAlarmKind[camel(kind)]]);
    }
  });

  it('bmsSensorKind reads every core sensor kind as its published number', () => {
    const { column } = columnByName('bmsSensorKind');
    for (const kind of SENSOR_KINDS) expect([kind, column.read({ kind } as SensorState, undefined as never)]).toEqual([kind, PUBLISHED.bmsSensorKind[kind]]);
  });

  it('bmsThresholdIndex: 1 moduleVoltage .. 7 stringGroundFault, as the MIB describes it', () => {
    expect(THRESHOLD_INDEX).toEqual({ moduleVoltage: 1, moduleTemperature: 2, moduleResistance: 3, stringImbalance: 4, stringCurrent: 5, stringRipple: 6, stringGroundFault: 7 });
  });
});
