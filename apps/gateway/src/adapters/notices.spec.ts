// The shipped example configuration's placeholder SNMP v3 keys (issue 19 point 9): a site that
// copied the file unchanged is warned at start-up (the agent's log) and in /api/security.
import { join } from 'node:path';
import { securityWarnings } from '@kirchhoff/snmp';
import { loadConfig } from '../config/load';
import { configNotices } from './run';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'site.yaml');

describe('security notices for the example configuration', () => {
  const config = loadConfig(EXAMPLE);

  it('names the placeholder v3 keys as a critical notice with the key to change', () => {
    const notices = configNotices(config).filter((n) => n.id === 'snmp-default-key');
    expect(notices).toEqual([{ id: 'snmp-default-key', severity: 'critical', key: 'snmp.users', message: expect.stringMatching(/^SNMP v3 user nms uses a default, published or placeholder authKey and privKey/) }]);
  });

  it('makes the SNMP agent warn at start-up about both keys', () => {
    const u = config.snmp.users[0];
    const warnings = securityWarnings({ users: [{ name: u.name, securityLevel: u.securityLevel, auth: { protocol: u.authProtocol, password: u.authKey }, priv: { protocol: u.privProtocol, password: u.privKey } }] });
    expect(warnings).toEqual([
      'SNMPv3 user "nms" uses a default or published auth password: change it before connecting this gateway to a network.',
      'SNMPv3 user "nms" uses a default or published priv password: change it before connecting this gateway to a network.',
    ]);
  });

  it('says nothing about keys a site chose itself', () => {
    const own = loadConfig(EXAMPLE, ['snmp.users.0.authKey=Vq7#pL2m-site-auth', 'snmp.users.0.privKey=Zr4!kT9w-site-priv']);
    expect(configNotices(own).filter((n) => n.id === 'snmp-default-key')).toEqual([]);
  });
});
