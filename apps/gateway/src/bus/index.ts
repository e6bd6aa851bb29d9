// The module bus: codec, master (driver), module emulator, transports, and the one call the
// gateway needs to drive a configured serial bus.
import type { Site } from '@kirchhoff/core';
import type { Logger } from '../log';
import { BusDriver, BusDriverOptions } from './driver';
import { SerialTransport } from '../serial/port';

export * from './protocol';
export * from './frame';
export * from './messages';
export * from './transport';
export * from './port';
export * from './driver';
export * from './emulator';
export * from './fixed-bank';
export type { ModuleBank, ModuleReadout } from './module-bank';

/** The `bus` section of the gateway configuration. */
export interface SerialBusConfig {
  readonly port: string;
  readonly baudRate: number;
  readonly pollIntervalMs: number;
  readonly resistanceIntervalS: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly lostAfterMisses: number;
}

export interface SerialBus {
  readonly driver: BusDriver;
  readonly transport: SerialTransport;
  /** Stops the cycles and closes the port. */
  close(): Promise<void>;
}

/**
 * Opens the configured port (retrying in the background if it is not there yet) and starts the
 * driver over every string of the site. The driver is the balancing engine's BypassActuator.
 */
export async function startSerialBus(
  config: SerialBusConfig,
  site: Site,
  logger: Logger,
  extra: Partial<Omit<BusDriverOptions, 'site' | 'ports' | 'logger'>> = {},
): Promise<SerialBus> {
  const busLogger = logger.child('bus');
  const transport = new SerialTransport({ path: config.port, baudRate: config.baudRate, logger: busLogger, raiseModemLines: true });
  await transport.open();
  const driver = new BusDriver({
    site,
    logger: busLogger,
    ports: [{ transport, baudRate: config.baudRate, strings: site.topology.strings.map((_, i) => i + 1) }],
    pollIntervalMs: config.pollIntervalMs,
    riIntervalMs: config.resistanceIntervalS * 1000,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    lostAfterMisses: config.lostAfterMisses,
    ...extra,
  });
  driver.start();
  return {
    driver,
    transport,
    close: async () => {
      await driver.stop();
      await transport.close();
    },
  };
}
