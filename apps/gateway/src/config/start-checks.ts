// What `kirchhoff start` would refuse, checked on the configuration alone so that `config check`
// refuses it too: two services on one port, the Modbus RTU server on a serial port that another
// part of the gateway owns, TLS settings that cannot work, user names given twice. The files the
// configuration names are checked separately (`configFiles`), since they depend on the machine.
import type { GatewayConfig } from './types';
import type { ConfigProblem } from './schema-dsl';
import { configListeners } from '../adapters/run';
import type { Listener } from '../adapters/types';

const ANY = new Set(['0.0.0.0', '::', '']);
/** Two listen addresses that would collide on one port. */
const overlaps = (a: string, b: string) => a === b || ANY.has(a) || ANY.has(b);

export type { Listener };
export { configListeners };

/** The serial ports other parts of the gateway open: key -> path. */
function serialOwners(c: GatewayConfig): [string, string][] {
  const out: [string, string][] = [];
  if (!c.demo.enabled && c.bus.port) out.push(['bus.port', c.bus.port]);
  if (c.ups.source === 'q1' && c.ups.q1.port) out.push(['ups.q1.port', c.ups.q1.port]);
  c.modbusSensors.devices.forEach((d, i) => {
    if (d.transport === 'rtu' && d.port) out.push([`modbusSensors.devices.${i}.port`, d.port]);
  });
  return out;
}

function duplicateNames(key: string, users: readonly { name: string }[]): ConfigProblem[] {
  return users.flatMap((u, i) => (users.findIndex((x) => x.name === u.name) !== i ? [{ path: `${key}.${i}.name`, message: `${JSON.stringify(u.name)} is given twice: user names must be unique` }] : []));
}

export function startChecks(c: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const ls = configListeners(c);
  ls.forEach((l, i) => {
    const earlier = ls.slice(0, i).find((o) => o.proto === l.proto && o.port === l.port && overlaps(o.host, l.host));
    if (earlier) problems.push({ path: l.key, message: `${l.port} is also ${earlier.key} (${l.proto}): two services cannot listen on one port; choose another` });
  });
  if (c.modbus.enabled && c.modbus.rtu.port) {
    const owner = serialOwners(c).find(([, path]) => path === c.modbus.rtu.port);
    if (owner) problems.push({ path: 'modbus.rtu.port', message: `${c.modbus.rtu.port} is already ${owner[0]}: the Modbus RTU server (a slave for the BMS) needs a serial port of its own` });
  }
  const tls = c.http.tls;
  if (!!tls.cert !== !!tls.key) {
    const [given, missing] = tls.cert ? ['cert', 'key'] : ['key', 'cert'];
    problems.push({ path: `http.tls.${missing}`, message: `is required when http.tls.${given} is set (both PEM files, or neither for plain HTTP)` });
  }
  if (c.nut.enabled && c.nut.starttls && (!tls.cert || !tls.key)) problems.push({ path: 'nut.starttls', message: 'needs http.tls.cert and http.tls.key (the certificate STARTTLS presents)' });
  if (c.mqtt.enabled && !c.mqtt.url && !c.mqtt.broker.enabled) problems.push({ path: 'mqtt.url', message: 'is empty and mqtt.broker.enabled is false: set mqtt.url to your broker, or turn on the embedded broker' });
  problems.push(...duplicateNames('http.users', c.http.users), ...duplicateNames('mqtt.broker.users', c.mqtt.broker.users));
  return problems;
}

/** Every file the configuration names (certificates, keys, CA bundles): key -> path, empty paths included. */
export function configFiles(c: GatewayConfig): [string, string][] {
  const files: [string, string][] = [];
  if (c.http.enabled || (c.nut.enabled && c.nut.starttls)) files.push(['http.tls.cert', c.http.tls.cert], ['http.tls.key', c.http.tls.key]);
  if (c.mqtt.enabled) files.push(['mqtt.tls.ca', c.mqtt.tls.ca], ['mqtt.tls.cert', c.mqtt.tls.cert], ['mqtt.tls.key', c.mqtt.tls.key]);
  if (c.rccmd.enabled && c.rccmd.jobs.some((j) => j.transport === 'tls')) files.push(['rccmd.tls.cert', c.rccmd.tls.cert], ['rccmd.tls.key', c.rccmd.tls.key], ['rccmd.tls.ca', c.rccmd.tls.ca]);
  if (c.actions.enabled) {
    for (const [name, s] of Object.entries(c.actions.syslog)) files.push([`actions.syslog.${name}.tls.ca`, s.tls.ca], [`actions.syslog.${name}.tls.cert`, s.tls.cert], [`actions.syslog.${name}.tls.key`, s.tls.key]);
    for (const [name, e] of Object.entries(c.actions.email)) files.push([`actions.email.${name}.tls.ca`, e.tls.ca]);
    for (const [name, w] of Object.entries(c.actions.webhooks)) files.push([`actions.webhooks.${name}.tls.ca`, w.tls.ca]);
  }
  return files;
}

/** What start would run with but a site engineer should hear about. */
export function startWarnings(c: GatewayConfig): string[] {
  const out: string[] = [];
  if (!c.demo.enabled && !c.bus.port) out.push('bus.port is empty: no battery bus is polled and module values stay unread (set it to the bus converter, e.g. /dev/ttyUSB0)');
  return out;
}
