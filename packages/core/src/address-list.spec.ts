// Address allow-lists: what matches, and which entries are refused and why.
import { addressEntryProblem, addressMatcher } from './address-list';

const never = (entry: string, problem: string) => new Error(`${entry}: ${problem}`);

describe('address allow-list', () => {
  it('matches exact addresses and CIDR ranges, IPv4 and IPv6, and IPv4-mapped IPv6 against IPv4 entries', () => {
    const allowed = addressMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'], never);
    expect(['10.1.2.3', '192.168.1.7', '::ffff:10.9.9.9', 'fd12::5', '::1'].map(allowed)).toEqual([true, true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.8', '::ffff:11.0.0.1', 'fe80::1', 'not-an-address'].map(allowed)).toEqual([false, false, false, false, false]);
  });

  it('names what is wrong with an entry', () => {
    expect(['10.0.0.0/8', 'fd00::/128', '1.2.3.4'].map(addressEntryProblem)).toEqual([null, null, null]);
    expect(['example.org', '10.0.0.0/8/1', '10.0.0.300'].map(addressEntryProblem)).toEqual(['address', 'address', 'address']);
    expect(['10.0.0.0/33', 'fd00::/129', '10.0.0.0/+8', '10.0.0.0/'].map(addressEntryProblem)).toEqual(['prefix', 'prefix', 'prefix', 'prefix']);
    expect(() => addressMatcher(['10.0.0.0/33'], never)).toThrow('10.0.0.0/33: prefix');
  });
});
