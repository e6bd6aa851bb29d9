// NUT's password check (the NUT server came after issue 19, whose point 5 found the HTTP login
// limit bypassed): wrong passwords per client address and per user name are limited as HTTP's
// logins are, counted before the check so parallel attempts meet the limit, one check at a time.
// A virtual clock and a counting stand-in for scrypt (which answers "right" for `right`).
import { verifyPassword } from '@kirchhoff/http';
import { DEMO_NUT_USER, NUT_FAILURE_WINDOW_MS, NUT_MAX_FAILURES, NutUserConfig, nutAuthenticator } from './nut';

const USERS: NutUserConfig[] = [{ name: 'upsmon', passwordHash: 'hash-of-right', upsmon: 'primary', actions: [], instcmds: [] }];

function setup() {
  let now = 1_000_000;
  let checks = 0;
  let running = 0;
  let most = 0;
  const verify = async (password: string, hash: string) => {
    checks++;
    most = Math.max(most, ++running);
    await new Promise((r) => setImmediate(r));
    running--;
    return hash === 'hash-of-right' && password === 'right';
  };
  const auth = nutAuthenticator(USERS, () => now, verify);
  return { auth, checks: () => checks, most: () => most, tick: (ms: number) => (now += ms) };
}

describe('NUT password check', () => {
  it(`refuses an address after ${NUT_MAX_FAILURES.perAddress} wrong passwords, even the right one, until the window passes; other addresses log in`, async () => {
    const { auth, checks, tick } = setup();
    for (let i = 0; i < NUT_MAX_FAILURES.perAddress; i++) expect(await auth('upsmon', `guess-${i}`, '10.0.0.1:4000')).toBeNull();
    expect(await auth('upsmon', 'right', '10.0.0.1:4001')).toBeNull();
    expect(checks()).toBe(NUT_MAX_FAILURES.perAddress);
    expect(await auth('upsmon', 'right', '10.0.0.2:4000')).toMatchObject({ name: 'upsmon', upsmon: 'primary' });
    tick(NUT_FAILURE_WINDOW_MS);
    expect(await auth('upsmon', 'right', '10.0.0.1:4002')).toMatchObject({ name: 'upsmon' });
  });

  it('checks 8 of 60 parallel wrong passwords from one address, one at a time, and refuses the other 52 unchecked', async () => {
    const { auth, checks, most } = setup();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => auth('upsmon', `guess-${i}`, `10.0.0.3:${5000 + i}`)));
    expect(answers.every((a) => a === null)).toBe(true);
    // Eight may wait for the check at once; the rest are refused before any scrypt.
    expect([checks(), most()]).toEqual([8, 1]);
    // The eight counted against the address: two more wrong ones reach its limit of 10.
    for (let i = 0; i < 2; i++) expect(await auth('upsmon', 'wrong', '10.0.0.3:6000')).toBeNull();
    expect(await auth('upsmon', 'right', '10.0.0.3:6001')).toBeNull();
    expect(checks()).toBe(10);
  });

  it(`limits wrong passwords for one user name across addresses (${NUT_MAX_FAILURES.perUser})`, async () => {
    const { auth, checks } = setup();
    for (let i = 0; i < NUT_MAX_FAILURES.perUser; i++) expect(await auth('upsmon', 'wrong', `10.1.${i}.1:4000`)).toBeNull();
    expect(await auth('upsmon', 'right', '10.2.0.1:4000')).toBeNull();
    expect(checks()).toBe(NUT_MAX_FAILURES.perUser);
  });

  it('costs an unknown user name the same check as a wrong password', async () => {
    const { auth, checks } = setup();
    expect(await auth('nobody', 'right', '10.0.0.4:4000')).toBeNull();
    expect(checks()).toBe(1);
  });

  it('ships a demo hash of the documented demo password', async () => {
    expect(await verifyPassword(DEMO_NUT_USER.password, DEMO_NUT_USER.passwordHash)).toBe(true);
  });
});
