// Client address allow-list of the Modbus TCP server: core's address matcher, with errors that
// name modbus.tcp.allow. An empty list allows everyone.
import { KirchhoffError, addressMatcher } from '@kirchhoff/core';

export class ModbusConfigError extends KirchhoffError {}

export function buildAllowList(entries: readonly string[]): ((address: string) => boolean) | null {
  if (!entries.length) return null;
  return addressMatcher(entries, (entry, problem) => new ModbusConfigError('modbus.tcp.allow', problem === 'prefix'
    ? `modbus.tcp.allow: ${JSON.stringify(entry)} has an invalid prefix length`
    : `modbus.tcp.allow: ${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 10.0.0.0/8)`));
}
