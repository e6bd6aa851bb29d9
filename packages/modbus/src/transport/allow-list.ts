// Client address allow-list: exact addresses and CIDR ranges, IPv4 and IPv6 (IPv4-mapped IPv6
// addresses match IPv4 entries). An empty list allows everyone.
import { BlockList, isIP } from 'node:net';
import { KirchhoffError } from '@kirchhoff/core';

export class ModbusConfigError extends KirchhoffError {}

export function buildAllowList(entries: readonly string[]): ((address: string) => boolean) | null {
  if (!entries.length) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (!family) throw new ModbusConfigError('modbus.tcp.allow', `modbus.tcp.allow: ${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 10.0.0.0/8)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
    } else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
        throw new ModbusConfigError('modbus.tcp.allow', `modbus.tcp.allow: ${JSON.stringify(entry)} has an invalid prefix length`);
      }
      list.addSubnet(address, bits, type);
    }
  }
  return (remote) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    if (mapped) return list.check(mapped[1], 'ipv4') || list.check(remote, 'ipv6');
    return list.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4');
  };
}
