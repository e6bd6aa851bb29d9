// The UPS and sensor sources as gateway services: the configured UPS source (q1 or snmp; the
// simulated one is the demo's) provides `ups` for the command executor, and the Modbus sensor
// poller fills sensors and string currents. Serial ports are shared through the gateway's
// serial-line owner (serial/: one queue per port, the bus port included when the gateway adopts it).
import { KirchhoffError } from '@kirchhoff/core';
import type { ConfigProblem } from '../../config/schema-dsl';
import type { ServiceDefinition } from '../types';
import type { SerialLines } from '../../serial';
import type { UpsSource } from './types';
import { sourcesCrossChecks } from './config';
import { Q1UpsSource } from './q1/source';
import { SnmpUpsSource } from './snmp-ups';
import { RegisterReader, RtuReader, TcpReader } from './modbus/client';
import { ModbusSensorPoller } from './modbus/sensors';

export type { UpsSource, UpsCommand } from './types';
export { sourcesCrossChecks, UPS_SCHEMA, MODBUS_SENSORS_SCHEMA } from './config';
export type { UpsConfig, ModbusSensorsConfig } from './config';

/** The same words as a ConfigError, without pulling the whole schema in here. */
function invalid(problems: readonly ConfigProblem[]): KirchhoffError {
  return new KirchhoffError('config.invalid', `configuration: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
}

interface SourceNeeds {
  readonly serialLines: SerialLines;
}

export const upsSourceService: ServiceDefinition<SourceNeeds, { readonly ups: UpsSource }> = {
  id: 'ups-source',
  async start({ config, site, logger, serialLines }) {
    const u = config.ups;
    if (u.source !== 'q1' && u.source !== 'snmp') return null;
    const problems = sourcesCrossChecks(config).filter((p) => p.path.startsWith('ups.'));
    if (problems.length) throw invalid(problems);
    let source: Q1UpsSource | SnmpUpsSource;
    if (u.source === 'q1') {
      const line = await serialLines.open(u.q1.port, { baudRate: u.q1.baudRate });
      source = new Q1UpsSource({ site, line, config: u, logger });
      logger.info(`UPS source q1 on ${u.q1.port} at ${u.q1.baudRate} baud, polled every ${u.pollIntervalMs} ms`);
    } else {
      source = new SnmpUpsSource({ site, config: u, logger });
      logger.info(`UPS source snmp ${u.snmp.version} at ${u.snmp.host}:${u.snmp.port}, polled every ${u.pollIntervalMs} ms`);
      if (u.snmp.version === 'v2c') logger.warn('ups.snmp uses SNMP v2c: the community travels in clear text; prefer v3 (ups.snmp.version v3) where the card supports it');
    }
    if (u.controls) logger.warn(`ups.controls is on: battery tests and shutdowns from permitted protocols are forwarded to the UPS`);
    source.start();
    return {
      provides: { ups: source },
      close: async () => {
        await source.close();
      },
    };
  },
};

/** A device's serial framing, as the line is opened and as the RTU silence is timed. */
const serial = (d: { baudRate: number; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 }) => ({ baudRate: d.baudRate, parity: d.parity, stopBits: d.stopBits });

export const modbusSensorsService: ServiceDefinition<SourceNeeds> = {
  id: 'modbus-sensors',
  async start({ config, site, logger, serialLines }) {
    const m = config.modbusSensors;
    if (!m.enabled || !m.devices.length) return null;
    const problems = sourcesCrossChecks(config).filter((p) => p.path.startsWith('modbusSensors.'));
    if (problems.length) throw invalid(problems);
    const readers: RegisterReader[] = [];
    try {
      for (const d of m.devices) {
        readers.push(d.transport === 'rtu'
          ? new RtuReader(await serialLines.open(d.port, serial(d)), serial(d), d.timeoutMs)
          : new TcpReader(d.host, d.tcpPort, d.timeoutMs));
      }
    } catch (error) {
      await Promise.all(readers.map((r) => r.close()));
      throw error;
    }
    const poller = new ModbusSensorPoller(site, m, m.devices.map((device, i) => ({ device, reader: readers[i] })), logger);
    poller.start();
    logger.info(`Modbus sensors: ${m.devices.map((d, i) => `${d.name} (${readers[i].description}, ${d.points.length} points)`).join(', ')}, every ${m.pollIntervalMs} ms`);
    return { close: () => poller.close() };
  },
};
