// Users, sessions and the login limit on a virtual clock.
import { Auth, TooManyAttempts } from './auth';
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

  it('counts wrong HTTP Basic credentials with the logins of the address, and a remembered right one does not get past the limit', async () => {
    const { auth, tick } = await setup();
    expect(await auth.basic('ann', 'ann-secret-1', '10.0.0.9')).toMatchObject({ name: 'ann' });
    for (let i = 0; i < 2; i++) expect(await auth.basic('ann', `guess${i}`, '10.0.0.9')).toBeNull();
    expect(await auth.login('ann', 'guess2', '10.0.0.9')).toBeNull();
    // Three failures (two by Basic, one by login): the address is refused both ways, even with the
    // password that Basic remembers.
    await expect(auth.basic('ann', 'ann-secret-1', '10.0.0.9')).rejects.toBeInstanceOf(TooManyAttempts);
    await expect(auth.login('ann', 'ann-secret-1', '10.0.0.9')).rejects.toBeInstanceOf(TooManyAttempts);
    tick(10_001);
    expect(await auth.basic('ann', 'ann-secret-1', '10.0.0.9')).toMatchObject({ name: 'ann' });
  });

  it('ends a session at logout', async () => {
    const { auth } = await setup();
    const s = (await auth.login('olaf', 'admin', '10.0.0.5'))!;
    expect(auth.logout(s.token)).toBe(true);
    expect(auth.session(s.token)).toBeNull();
  });

  // Issue 19, point 5: the limit was checked before the scrypt and counted after it, so 60 parallel
  // wrong logins from one address all got 401 and none 429. Production defaults (10 per address).
  it('limits 60 parallel wrong logins from one address: 10 are checked, the other 50 refused', async () => {
    const users = [{ name: 'ann', role: 'admin' as const, passwordHash: await hashPassword('ann-secret-1', P) }];
    const auth = new Auth({ users, sessionTtlMs: 60_000 });
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => auth.login('ann', `guess-${i}`, '10.0.0.9').then((r) => (r ? 'ok' : 'wrong'), (e) => (e instanceof TooManyAttempts ? 'limited' : String(e)))));
    expect(outcomes.filter((o) => o === 'wrong')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'limited')).toHaveLength(50);
  });

  it('limits wrong logins per user name across addresses (30 by default), and a right password costs nothing', async () => {
    const users = [{ name: 'ann', role: 'admin' as const, passwordHash: await hashPassword('ann-secret-1', P) }];
    const auth = new Auth({ users, sessionTtlMs: 60_000 });
    for (let i = 0; i < 20; i++) expect(await auth.login('ann', 'ann-secret-1', '10.0.1.1')).not.toBeNull();
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => auth.login('ann', 'wrong', `10.0.2.${i}`).then((r) => (r ? 'ok' : 'wrong'), (e: Error) => e.message)));
    expect(outcomes.filter((o) => o === 'wrong')).toHaveLength(30);
    expect(outcomes.filter((o) => /for this user/.test(o))).toHaveLength(10);
  });

  it('ends a session at its absolute lifetime (24 h by default) however much it is used', async () => {
    const { auth, tick } = await setup(3_600_000);
    const s = (await auth.login('ann', 'ann-secret-1', '10.0.0.6'))!;
    // Used every 50 min, well inside the 1 h idle timeout: alive for 23 h 20 min, gone at 24 h 10 min.
    for (let i = 0; i < 28; i++) {
      tick(3_000_000);
      expect(auth.session(s.token)?.name).toBe('ann');
    }
    tick(3_000_000);
    expect(auth.session(s.token)).toBeNull();
  });

  it('caps sessions per user (16 by default) at that user\'s expense: 1,008 viewer logins leave the admin logged in', async () => {
    const users = [
      { name: 'ann', role: 'admin' as const, passwordHash: await hashPassword('ann-secret-1', P) },
      { name: 'vic', role: 'viewer' as const, passwordHash: await hashPassword('vic-secret-1', P) },
    ];
    const auth = new Auth({ users, sessionTtlMs: 60_000 });
    const admin = (await auth.login('ann', 'ann-secret-1', '10.0.0.7'))!;
    const viewers = [];
    for (let i = 0; i < 1008; i++) viewers.push((await auth.login('vic', 'vic-secret-1', '10.0.0.8'))!);
    expect(auth.session(admin.token)?.name).toBe('ann');
    expect(auth.sessionCount).toBe(17);
    expect(auth.session(viewers[1007].token)?.name).toBe('vic');
    expect(auth.session(viewers[0].token)).toBeNull();
  }, 120_000);
});
