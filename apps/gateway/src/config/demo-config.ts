// The embedded demo site: a complete simulated site with every protocol on an unprivileged port,
// needing no hardware and no other server.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawConfig } from './load';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { DEMO_NUT_USER } from '../adapters/nut';

/**
 * The demo logs here (kept across demo runs; retention keeps it to a few MB); reports go to reports/
 * beside it. KIRCHHOFF_DEMO_DIR moves the folder: the test suite gives each test file its own, so
 * that demo gateways in tests neither share one file (SQLite: "database is locked") nor write into
 * the data logger of a demo the user runs.
 */
export const DEMO_HISTORY_PATH = join(process.env.KIRCHHOFF_DEMO_DIR || join(tmpdir(), 'kirchhoff-demo'), 'history.db');

/**
 * The demo listens on loopback only and announces BACnet there: a demo started on a laptop in a
 * plant must not answer the plant's network nor collide with its BACnet devices. `--set
 * modbus.tcp.host=0.0.0.0` (and the other hosts, README) opens it up.
 */
export const LOOPBACK = '127.0.0.1';

export const DEMO_PORTS = { modbus: 5020, snmp: 1161, bacnet: 47808, http: 8080, mqttBroker: 11883, nut: 13493 } as const;

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
      modbus: { enabled: true, tcp: { host: LOOPBACK, port: DEMO_PORTS.modbus } },
      snmp: {
        enabled: true, host: LOOPBACK, port: DEMO_PORTS.snmp,
        communities: [{ name: 'public', access: 'read-only' }],
        // The README gives these keys; the agent warns about them (and about `public`) at start-up.
        users: [{ name: 'demo', securityLevel: 'authPriv', authProtocol: 'sha', authKey: 'kirchhoff-demo-auth', privProtocol: 'aes', privKey: 'kirchhoff-demo-priv', access: 'read-only' }],
      },
      // I-Am and every other announcement on loopback too: never a broadcast into a real building's network.
      bacnet: { enabled: true, address: LOOPBACK, broadcastAddress: LOOPBACK, port: DEMO_PORTS.bacnet },
      // The broker's users are the HTTP demo users with the same documented passwords (README), warned about at start-up.
      mqtt: { enabled: true, broker: { enabled: true, host: LOOPBACK, port: DEMO_PORTS.mqttBroker, users: DEMO_HTTP_USERS.map(({ name, role, passwordHash }) => ({ name, role, passwordHash })) }, modes: { json: true, homeAssistant: true, sparkplug: true } },
      // A text message only, never a shutdown, to a loopback port: harmless when nothing listens.
      // Watch it with `kirchhoff rccmd-listen --config packages/rccmd/examples/demo-listener.yaml`.
      rccmd: {
        enabled: true,
        jobs: [{ name: 'demo-powerfail', trigger: 'ups-on-battery', kind: 'message', format: 'rccmd', targets: ['127.0.0.1:16003'], clearText: 'Powerfail on #UPSNAME: restored.' }],
      },
      // NUT on loopback with Synology's fixed remote-NUT user (monuser/secret, documented and warned about).
      nut: { enabled: true, host: LOOPBACK, port: DEMO_PORTS.nut, strings: true, users: [{ name: DEMO_NUT_USER.name, passwordHash: DEMO_NUT_USER.passwordHash, upsmon: 'secondary' }] },
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
      // Documented default passwords (README): warned about at start-up and in the API.
      http: { enabled: true, host: LOOPBACK, port: DEMO_PORTS.http, users: DEMO_HTTP_USERS.map(({ name, role, passwordHash }) => ({ name, role, passwordHash })) },
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
