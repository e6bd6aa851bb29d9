// createModbusServer: a site's register map served over Modbus TCP and/or RTU. The options
// mirror the gateway's `modbus.*` configuration keys.
import { ProblemLog, type CommandInterface, type Site } from '@kirchhoff/core';
import type { DeviceIdentification } from './pdu/data-model';
import { SiteDataModel } from './map/site-model';
import { ModbusTcpOptions, ModbusTcpServer, TcpStats } from './transport/tcp';
import { ModbusRtuOptions, ModbusRtuServer, RtuStats } from './transport/rtu';
import { ModbusConfigError } from './transport/allow-list';
import { ModbusLogger, silentLogger } from './transport/log';

export interface ModbusServerOptions {
  /** Writes (FC5, 6, 15, 16, 23) go through this command interface; without it they are refused. */
  readonly commands?: CommandInterface | null;
  /** `modbus.writes`: accept writes at all (default false: exception 01). */
  readonly writes?: boolean;
  /** `modbus.unitId`: 1..247, default 1. TCP also answers 0 and 255. */
  readonly unitId?: number;
  /** `modbus.tcp`; false or absent = no TCP listener. */
  readonly tcp?: ModbusTcpOptions | false;
  /** `modbus.rtu`; false or absent = no serial port. */
  readonly rtu?: ModbusRtuOptions | false;
  /** Overrides for Read Device Identification (43/14). */
  readonly identification?: Partial<DeviceIdentification>;
  /** Where connection refusals and bad frames are reported (rate-limited). Default: nowhere. */
  readonly logger?: ModbusLogger;
  /** Counts problems (for /metrics) and limits their lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
}

export interface ModbusServer {
  /** Starts the TCP listener and opens the serial port. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** The TCP address actually bound (useful with port 0), or null. */
  tcpAddress(): { host: string; port: number } | null;
  stats(): { tcp: TcpStats | null; rtu: RtuStats | null };
  /** The data model, for serving Modbus on a stream of your own (`tcp.handle`, `rtu.handle`). */
  readonly model: SiteDataModel;
  readonly tcp: ModbusTcpServer | null;
  readonly rtu: ModbusRtuServer | null;
}

export function createModbusServer(site: Site, options: ModbusServerOptions = {}): ModbusServer {
  const unitId = options.unitId ?? 1;
  if (!Number.isInteger(unitId) || unitId < 1 || unitId > 247) throw new ModbusConfigError('modbus.unitId', `modbus.unitId must be 1..247, got ${unitId}`);
  if (options.writes && !options.commands) {
    throw new ModbusConfigError('modbus.writes', 'modbus.writes is on but no command interface was given: pass `commands: new CommandInterface(site, executor, policy)`');
  }
  const logger = options.logger ?? silentLogger;
  const model = new SiteDataModel(site, { commands: options.commands, writes: options.writes, identification: options.identification });
  const log = (options.problems ?? new ProblemLog()).source('modbus', logger);
  const tcp = options.tcp ? new ModbusTcpServer(model, options.tcp, unitId, logger, log) : null;
  const rtu = options.rtu ? new ModbusRtuServer(model, options.rtu, unitId, logger, log) : null;
  return {
    model, tcp, rtu,
    async start() {
      await tcp?.listen();
      try {
        await rtu?.open();
      } catch (e) {
        await tcp?.close();
        throw e;
      }
    },
    async close() {
      await Promise.all([tcp?.close(), rtu?.close()]);
    },
    tcpAddress: () => tcp?.address() ?? null,
    stats: () => ({ tcp: tcp?.stats ?? null, rtu: rtu?.stats ?? null }),
  };
}
