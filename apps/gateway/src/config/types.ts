// The validated configuration's shape (schema.ts is the source of truth for ranges and defaults).
import type { ModuleType, RelayFunction, ResistanceMode, SensorKind, Severity, Threshold } from '@kirchhoff/core';
import type { LogLevel } from '../log';
import type { ModbusConfig } from '../adapters/modbus';
import type { SnmpConfig } from '../adapters/snmp';
import type { MqttConfig } from '../adapters/mqtt';
import type { BacnetConfig } from '../adapters/bacnet';
import type { RccmdConfig } from '../adapters/rccmd';
import type { NutConfig } from '../adapters/nut';
import type { HistoryConfig } from '../services/history/config';
import type { ScheduleConfig } from '../services/scheduler/config';
import type { HttpConfig } from '../adapters/http';
import type { ModbusSensorsConfig, UpsConfig } from '../services/sources/config';
import type { ActionsConfig } from '../services/actions/config';
import type { PassportConfig, StringBatteryConfig, StringBlocksConfig } from '../services/life/config';

export interface ThresholdConfig extends Partial<Threshold> { mode?: ResistanceMode }

export interface GatewayConfig {
  site: { name: string; location: string; contact: string };
  strings: { name?: string; modules: number; moduleType: ModuleType; capacityAh: number; battery: StringBatteryConfig; blocks: StringBlocksConfig }[];
  bus: { port: string; baudRate: number; pollIntervalMs: number; resistanceIntervalS: number; timeoutMs: number; retries: number; lostAfterMisses: number };
  balancing: { enabled: boolean; deadbandV: number; maxTemperatureC: number };
  health: {
    testEndVoltsPerCell: number; testMaxHours: number; collapsedEarlyFraction: number; riEndOfLifePercent: number;
    designLifeYears: number; lifeReferenceC: number; lifeHalvingK: number; highTemperatureC: number; lowTemperatureC: number;
  };
  chargeMode: {
    floatVoltsPerCell: number; boostVoltsPerCell: number; temperatureCoefficientVPerCellK: number; floatBandVPerCell: number;
    currentOffsetA: number; rechargeCurrentAPerAh: number; dischargeCurrentAPerAh: number;
  };
  runaway: {
    enabled: boolean; breakerRelay: number;
    breakers: { relay: number; strings: number[]; statusInput: number; inputActiveMeans: 'closed' | 'open' }[]; breakerConfirmS: number;
    riseRateCPerHour: number; rateWindowS: number; differenceC: number; aboveAmbientC: number; floatCurrentRisePercent: number; floatCurrentRiseA: number;
    settleS: number; settledCurrentAPerAh: number; floatCurrentLimitAPerAh: number; tripTemperatureC: number; delayS: number;
  };
  ups: UpsConfig;
  sensors: { name: string; kind: SensorKind; unit?: string }[];
  modbusSensors: ModbusSensorsConfig;
  inputs: { name: string; alarm: 'none' | Severity }[];
  relays: { name: string; function: RelayFunction }[];
  thresholds: {
    moduleVoltage: ThresholdConfig; moduleTemperature: ThresholdConfig; moduleResistance: ThresholdConfig;
    stringImbalance: ThresholdConfig; stringCurrent: ThresholdConfig; stringRipple: ThresholdConfig; stringGroundFault: ThresholdConfig;
    sensors: Record<string, ThresholdConfig>;
  };
  modbus: ModbusConfig;
  snmp: SnmpConfig;
  bacnet: BacnetConfig;
  mqtt: MqttConfig;
  rccmd: RccmdConfig;
  nut: NutConfig;
  actions: ActionsConfig;
  http: HttpConfig;
  history: HistoryConfig;
  passport: PassportConfig;
  schedule: ScheduleConfig;
  log: { level: LogLevel; format: 'auto' | 'json' | 'pretty' };
  demo: { enabled: boolean; seed: number };
}
