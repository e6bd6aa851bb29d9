// Address allow-lists: exact addresses and CIDR ranges, IPv4 and IPv6; an IPv4-mapped IPv6 address
// (::ffff:10.0.0.1) matches IPv4 entries. The one parser for every listener that filters clients
// or senders by address (Modbus TCP, the RCCMD listener).
import { BlockList, isIP } from 'node:net';

/** What is wrong with an entry: not an address at all, or a prefix length its family cannot have. */
export type AddressEntryProblem = 'address' | 'prefix';

/** Checks one entry; null when it is an address or a CIDR range. */
export function addressEntryProblem(entry: string): AddressEntryProblem | null {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return 'address';
  if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128))) return 'prefix';
  return null;
}

/**
 * A matcher for `entries`; `invalid` makes the error thrown for the first entry that is not an
 * address or a CIDR range (each caller names its own configuration key).
 */
export function addressMatcher(entries: readonly string[], invalid: (entry: string, problem: AddressEntryProblem) => Error): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const problem = addressEntryProblem(entry);
    if (problem) throw invalid(entry, problem);
    const [address, prefix] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (remote) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    if (mapped) return list.check(mapped[1], 'ipv4') || list.check(remote, 'ipv6');
    const family = isIP(remote);
    return family !== 0 && list.check(remote, family === 6 ? 'ipv6' : 'ipv4');
  };
}
