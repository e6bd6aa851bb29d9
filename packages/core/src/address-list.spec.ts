// Address allow-lists: what matches, and which entries are refused and why.
import { addressEntryProblem, addressMatcher } from './address-list';

const never = (entry: string, problem: string) => new Error(`${entry}: ${problem}`);

describe('address allow-list', () => {
  it('matches exact addresses and CIDR ranges, IPv4 and IPv6, and IPv4-mapped IPv6 against IPv4 entries', () => {
    const allowed = addressMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'], never);
    expect(['10.1.2.3', '192.168.1.7', '::ffff:10.9.9.9', 'fd12::5', '::1'].map(allowed)).toEqual([true, true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.8', '::ffff:11.0.0.1', 'fe80::1', 'not-an-address'].map(allowed)).toEqual([false, false, false, false, false]);
  });

  it('takes only a whole IPv4-mapped address as IPv4: an IPv6 address ending in ::ffff:a.b.c.d, or text after one, is not', () => {
    const allowed = addressMatcher(['10.0.0.0/8'], never);
    // fe80::ffff:10.0.0.1 is a link-local IPv6 address (fe80::ffff:a00:1), not ::ffff:0:0/96 (RFC 4291 2.5.5.2).
    expect(['::ffff:10.0.0.1', '::FFFF:10.0.0.1', 'fe80::ffff:10.0.0.1', '::ffff:10.0.0.1x', '::ffff:10.0.0.1/8'].map(allowed)).toEqual([true, true, false, false, false]);
  });

  it('names what is wrong with an entry', () => {
    expect(['10.0.0.0/8', 'fd00::/128', '1.2.3.4'].map(addressEntryProblem)).toEqual([null, null, null]);
    expect(['example.org', '10.0.0.0/8/1', '10.0.0.300'].map(addressEntryProblem)).toEqual(['address', 'address', 'address']);
    expect(['10.0.0.0/33', 'fd00::/129', '10.0.0.0/+8', '10.0.0.0/', '10.0.0.0/8x', '10.0.0.0/0008'].map(addressEntryProblem)).toEqual(['prefix', 'prefix', 'prefix', 'prefix', 'prefix', 'prefix']);
    expect(() => addressMatcher(['10.0.0.0/33'], never)).toThrow('10.0.0.0/33: prefix');
  });
});
