// scrypt password hashes: PHC strings that verify the right password only, and stored hashes
// that are checked for what they claim.
import { scryptSync } from 'node:crypto';
import { hashPassword, hashProblem, verifyPassword } from './passwords';
import { DEMO_HTTP_USERS } from './demo-users';

describe('password hashes', () => {
  it('makes a PHC scrypt string that verifies the password and nothing else', async () => {
    const h = await hashPassword('correct horse battery staple');
    expect(h).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hashProblem(h)).toBeNull();
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', h)).toBe(false);
    expect(await hashPassword('x')).not.toBe(await hashPassword('x'));
  });

  it('is plain scrypt (N = 2^ln, r, p) over the NFC password, as any scrypt implementation computes it', async () => {
    const h = await hashPassword('Kirchhoff', { ln: 10, r: 8, p: 1 });
    const [, , , salt, key] = h.split('$');
    expect(scryptSync('Kirchhoff', Buffer.from(salt, 'base64'), 32, { N: 1024, r: 8, p: 1 }).toString('base64').replace(/=+$/, '')).toBe(key);
    // The same text composed differently (e + combining acute) verifies.
    const e = await hashPassword('caf\u00e9', { ln: 10, r: 8, p: 1 });
    expect(await verifyPassword('cafe\u0301', e)).toBe(true);
  });

  it('ships demo hashes of the documented demo passwords', async () => {
    for (const u of DEMO_HTTP_USERS) expect(await verifyPassword(u.password, u.passwordHash)).toBe(true);
  });

  it('names what is wrong with an unusable hash, and never verifies one', async () => {
    expect(hashProblem('secret')).toContain('is not a scrypt hash');
    expect(hashProblem('$scrypt$ln=25,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toContain('ln=25: expected 10..20');
    expect(await verifyPassword('secret', 'secret')).toBe(false);
  });
});
