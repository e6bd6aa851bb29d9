// The embedded demo site: a complete simulated site with every protocol on an unprivileged port,
// needing no hardware and no other server.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawConfig } from './load';
import { ADAPTERS } from '../adapters';
import { modbusAdapter } from '../adapters/modbus';
import { snmpAdapter } from '../adapters/snmp';
import { bacnetAdapter } from '../adapters/bacnet';
import { httpAdapter } from '../adapters/http';
import { mqttAdapter } from '../adapters/mqtt';
import { nutAdapter } from '../adapters/nut';

/**
 * The demo logs here (kept across demo runs; retention keeps it to a few MB); reports go to reports/
 * beside it. KIRCHHOFF_DEMO_DIR moves the folder: the test suite gives each test file its own, so
 * that demo gateways in tests neither share one file (SQLite: "database is locked") nor write into
 * the data logger of a demo the user runs.
 */
export const DEMO_HISTORY_PATH = join(process.env.KIRCHHOFF_DEMO_DIR || join(tmpdir(), 'kirchhoff-demo'), 'history.db');

/** The demo's ports, as each adapter's demo values set them (every one unprivileged). */
export const DEMO_PORTS = {
  modbus: modbusAdapter.demo.tcp?.port, snmp: snmpAdapter.demo.port, bacnet: bacnetAdapter.demo.port, http: httpAdapter.demo.port,
  mqttBroker: mqttAdapter.demo.broker?.port, nut: nutAdapter.demo.port,
};

export interface DemoOptions {
  strings?: number;
  modules?: number;
}

export function demoConfig(options: DemoOptions = {}): RawConfig {
  const strings = options.strings ?? 2;
  const modules = options.modules ?? 20;
  return {
    source: '--demo',
    lines: new Map(),
    data: {
      site: { name: 'Kirchhoff demo site', location: 'Battery room 1 (simulated)', contact: 'site engineer' },
      strings: Array.from({ length: strings }, (_, i) => ({ name: `String ${i + 1}`, modules, moduleType: 'C20', capacityAh: 100 })),
      bus: { port: '' },
      // One site breaker, its auxiliary contact on input 1 verified after a trip.
      runaway: { enabled: true, breakers: [{ relay: 1, statusInput: 1 }], delayS: 10 },
      ups: { source: 'simulated', name: 'UPS-A' },
      sensors: [
        { name: 'Room temperature', kind: 'temperature' },
        { name: 'Room humidity', kind: 'humidity' },
        { name: 'Hydrogen', kind: 'hydrogen' },
      ],
      inputs: [
        { name: 'Battery breaker closed', alarm: 'none' },
        { name: 'Room door open', alarm: 'warning' },
        { name: 'Fire panel alarm', alarm: 'critical' },
        { name: 'Ventilation fault', alarm: 'alarm' },
      ],
      relays: [
        { name: 'Battery breaker trip', function: 'breaker' },
        { name: 'Ventilation', function: 'ventilation' },
        { name: 'Air conditioning', function: 'air-conditioning' },
        { name: 'Alarm beacon', function: 'beacon' },
      ],
      thresholds: {
        sensors: {
          1: { warnHigh: 30, alarmHigh: 35, warnLow: 10, alarmLow: 5, hysteresis: 0.5, delayMs: 30_000 },
          2: { warnHigh: 70, alarmHigh: 85, hysteresis: 2, delayMs: 30_000 },
          3: { warnHigh: 10, alarmHigh: 25, hysteresis: 1, delayMs: 5_000 },
        },
      },
      // Every adapter on, on loopback, at an unprivileged port: each adapter's demo values.
      ...Object.fromEntries(ADAPTERS.map((a) => [a.key, structuredClone(a.demo)])),
      // Syslog over UDP to a loopback port (dropped when nothing listens) and the simulated beacon
      // relay: harmless. Watch it with `socat -u UDP-RECV:5514 STDOUT`.
      actions: {
        enabled: true,
        syslog: { local: { transport: 'udp', host: '127.0.0.1', port: 5514 } },
        rules: [
          { name: 'demo-syslog', syslog: ['local'] },
          { name: 'demo-beacon', severities: ['critical'], relays: [{ relay: 4 }] },
        ],
      },
      history: {
        enabled: true, path: DEMO_HISTORY_PATH,
        rates: { modules: 60, strings: 10, ups: 10, sensors: 10 },
        retention: { rawDays: 2, minuteDays: 14, hourDays: 365, eventDays: 365, auditDays: 365 },
      },
      // Nothing that acts on a battery: an hourly report and a daily Ri run (the simulation takes it as a no-op).
      schedule: {
        enabled: true,
        jobs: [
          { name: 'demo-hourly-report', cron: '0 * * * *', action: 'report', format: 'json', periodH: 1, keep: 48 },
          { name: 'demo-daily-ri', cron: '0 3 * * *', action: 'measure-ri' },
        ],
      },
      demo: { enabled: true, seed: 1 },
    },
  };
}
