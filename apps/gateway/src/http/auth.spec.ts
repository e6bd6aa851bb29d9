// Users, sessions and the login limit on a virtual clock.
import { Auth } from './auth';
import { hashPassword } from './passwords';

const P = { ln: 10, r: 8, p: 1 };

async function setup(ttlMs = 60_000) {
  let now = 1_000_000;
  const users = [
    { name: 'ann', role: 'admin' as const, passwordHash: await hashPassword('ann-secret-1', P) },
    { name: 'olaf', role: 'operator' as const, passwordHash: await hashPassword('admin', P) },
  ];
  const auth = new Auth({ users, sessionTtlMs: ttlMs, maxFailures: 3, failureWindowMs: 10_000, weakPasswords: ['admin'], defaultHashes: new Map([['ann', users[0].passwordHash]]), clock: () => now });
  return { auth, tick: (ms: number) => (now += ms) };
}

describe('Auth', () => {
  it('opens sessions that expire when unused and extend when used', async () => {
    const { auth, tick } = await setup(60_000);
    const s = (await auth.login('ann', 'ann-secret-1', '10.0.0.1'))!;
    expect(s.session).toMatchObject({ name: 'ann', role: 'admin' });
    tick(50_000);
    expect(auth.session(s.token)?.name).toBe('ann');
    tick(50_000);
    expect(auth.session(s.token)?.name).toBe('ann');
    tick(60_001);
    expect(auth.session(s.token)).toBeNull();
    expect(await auth.login('ann', 'wrong', '10.0.0.1')).toBeNull();
  });

  it('flags documented default hashes at start and obvious passwords at login', async () => {
    const { auth } = await setup();
    expect([...auth.defaultPasswordUsers]).toEqual(['ann']);
    await auth.login('olaf', 'admin', '10.0.0.2');
    expect(auth.listUsers()).toEqual([{ name: 'ann', role: 'admin', defaultPassword: true }, { name: 'olaf', role: 'operator', defaultPassword: true }]);
  });

  it('refuses an address after too many failures until the window passes, others not', async () => {
    const { auth, tick } = await setup();
    for (let i = 0; i < 3; i++) expect(await auth.login('ann', `guess${i}`, '10.0.0.3')).toBeNull();
    await expect(auth.login('ann', 'ann-secret-1', '10.0.0.3')).rejects.toMatchObject({ retryAfterS: 10 });
    expect(await auth.login('ann', 'ann-secret-1', '10.0.0.4')).not.toBeNull();
    tick(10_001);
    expect(await auth.login('ann', 'ann-secret-1', '10.0.0.3')).not.toBeNull();
  });

  it('ends a session at logout', async () => {
    const { auth } = await setup();
    const s = (await auth.login('olaf', 'admin', '10.0.0.5'))!;
    expect(auth.logout(s.token)).toBe(true);
    expect(auth.session(s.token)).toBeNull();
  });
});
