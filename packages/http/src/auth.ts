// Users, roles and sessions of the HTTP API: passwords checked with scrypt, session tokens kept in
// memory (a restart logs everyone out) with an idle timeout, an absolute lifetime and a cap per
// user; failed logins limited per client address and per user name, counted before the password
// check so parallel attempts cannot slip past the limit.
import { createHash, randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from './passwords';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export interface HttpUserConfig {
  name: string;
  role: Role;
  passwordHash: string;
}

export interface AuthUser {
  readonly name: string;
  readonly role: Role;
}

export interface Session extends AuthUser {
  readonly createdMs: number;
  expiresMs: number;
  readonly remote: string;
}

export class TooManyAttempts extends Error {
  constructor(readonly retryAfterS: number, scope: 'address' | 'user' = 'address') {
    super(`too many failed logins ${scope === 'address' ? 'from this address' : 'for this user'}: try again in ${retryAfterS} s`);
  }
}

/** Every session slot is taken (maxSessions); no other user's session is closed to make room. */
export class SessionsFull extends Error {
  constructor(max: number) {
    super(`${max} sessions are open: log out elsewhere or wait for sessions to expire`);
  }
}

export interface AuthOptions {
  readonly users: readonly HttpUserConfig[];
  /** A session ends after this long unused. */
  readonly sessionTtlMs: number;
  /** A session ends this long after its login however much it is used. Default 24 h. */
  readonly sessionMaxLifetimeMs?: number;
  /** Sessions open in all; a login beyond it is refused (503), never at another user's expense. Default 4096. */
  readonly maxSessions?: number;
  /** Sessions one user may have; a new login closes that user's oldest. Default 16. */
  readonly maxSessionsPerUser?: number;
  /** Failed logins per address within failureWindowMs before further attempts are refused. */
  readonly maxFailures?: number;
  /** Failed logins per user name within failureWindowMs before further attempts are refused. Default 30. */
  readonly maxFailuresPerUser?: number;
  readonly failureWindowMs?: number;
  /** Password hashes shipped in documentation (the demo's): a user with one is warned about. */
  readonly defaultHashes?: ReadonlyMap<string, string>;
  /** Passwords nobody should keep (documented defaults, the obvious ones). */
  readonly weakPasswords?: readonly string[];
  readonly clock?: () => number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Basic-auth checks are remembered this long so a scraper does not cost a scrypt per request. */
const BASIC_CACHE_MS = 60_000;

export class Auth {
  private readonly users = new Map<string, HttpUserConfig>();
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();
  private readonly basicCache = new Map<string, { user: AuthUser; untilMs: number }>();
  private readonly clock: () => number;
  /** Users known to have a documented default or obvious password. */
  readonly defaultPasswordUsers = new Set<string>();
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly options: AuthOptions) {
    this.clock = options.clock ?? Date.now;
    for (const u of options.users) this.users.set(u.name, u);
    for (const [name, hash] of options.defaultHashes ?? []) {
      if (this.users.get(name)?.passwordHash === hash) this.defaultPasswordUsers.add(name);
    }
  }

  get userCount(): number {
    return this.users.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  listUsers(): { name: string; role: Role; defaultPassword: boolean }[] {
    return [...this.users.values()].map((u) => ({ name: u.name, role: u.role, defaultPassword: this.defaultPasswordUsers.has(u.name) }));
  }

  /** The user, or null for a wrong name or password; throws TooManyAttempts when limited. */
  async checkPassword(name: string, password: string, remote: string): Promise<AuthUser | null> {
    const keys = [`address\u0000${remote}`, `user\u0000${name}`];
    this.checkLimit(keys[0], this.options.maxFailures ?? 10, 'address');
    this.checkLimit(keys[1], this.options.maxFailuresPerUser ?? 30, 'user');
    // Counted as a failure now, before the ~100 ms of scrypt, and taken back if the password is
    // right: attempts in flight count, so parallel logins meet the limit like sequential ones.
    const at = this.clock();
    for (const k of keys) this.recordFailure(k, at);
    const user = this.users.get(name);
    // An unknown name costs the same scrypt as a wrong password: timing does not tell names apart.
    const ok = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await this.dummy()), false);
    if (!ok || !user) return null;
    for (const k of keys) this.forgetFailure(k, at);
    if ([...(this.options.weakPasswords ?? []), user.name].includes(password)) this.defaultPasswordUsers.add(user.name);
    return { name: user.name, role: user.role };
  }

  async login(name: string, password: string, remote: string): Promise<{ token: string; session: Session } | null> {
    const user = await this.checkPassword(name, password, remote);
    if (!user) return null;
    this.expire();
    const perUser = this.options.maxSessionsPerUser ?? 16;
    const mine = [...this.sessions].filter(([, s]) => s.name === user.name);
    // Oldest first (a Map keeps insertion order): the user's own oldest sessions make room.
    while (mine.length >= perUser) this.sessions.delete(mine.shift()![0]);
    const max = this.options.maxSessions ?? 4096;
    if (this.sessions.size >= max) throw new SessionsFull(max);
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: Session = { ...user, createdMs: now, expiresMs: this.expiry(now, now), remote };
    this.sessions.set(sha256(token), session);
    return { token, session };
  }

  logout(token: string): boolean {
    return this.sessions.delete(sha256(token));
  }

  /** The session of a token, extending it (an idle timeout); null when unknown or expired. */
  session(token: string): Session | null {
    const key = sha256(token);
    const s = this.sessions.get(key);
    if (!s) return null;
    const now = this.clock();
    if (s.expiresMs <= now) {
      this.sessions.delete(key);
      return null;
    }
    s.expiresMs = this.expiry(s.createdMs, now);
    return s;
  }

  /** Unused for sessionTtlMs, or at the absolute lifetime, whichever comes first. */
  private expiry(createdMs: number, now: number): number {
    return Math.min(now + this.options.sessionTtlMs, createdMs + (this.options.sessionMaxLifetimeMs ?? 86_400_000));
  }

  /** HTTP Basic credentials, cached briefly by a hash of name and password. */
  async basic(name: string, password: string, remote: string): Promise<AuthUser | null> {
    const key = sha256(`${name}\u0000${password}`);
    const now = this.clock();
    const hit = this.basicCache.get(key);
    if (hit && hit.untilMs > now) {
      // A remembered password is no way around the limit: an address or user locked out of
      // logins is locked out of Basic as well, as with POST /api/login.
      this.checkLimit(`address\u0000${remote}`, this.options.maxFailures ?? 10, 'address');
      this.checkLimit(`user\u0000${name}`, this.options.maxFailuresPerUser ?? 30, 'user');
      return hit.user;
    }
    const user = await this.checkPassword(name, password, remote);
    if (user) {
      if (this.basicCache.size > 100) this.basicCache.clear();
      this.basicCache.set(key, { user, untilMs: now + BASIC_CACHE_MS });
    }
    return user;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }

  private checkLimit(key: string, max: number, scope: 'address' | 'user'): void {
    const list = this.recent(key);
    if (list.length >= max) {
      const window = this.options.failureWindowMs ?? 300_000;
      throw new TooManyAttempts(Math.max(1, Math.ceil((list[0] + window - this.clock()) / 1000)), scope);
    }
  }

  private recordFailure(key: string, at: number): void {
    const list = this.recent(key);
    list.push(at);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  private forgetFailure(key: string, at: number): void {
    const list = this.failures.get(key);
    const i = list?.indexOf(at) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  private recent(remote: string): number[] {
    const since = this.clock() - (this.options.failureWindowMs ?? 300_000);
    return (this.failures.get(remote) ?? []).filter((t) => t > since);
  }

  private expire(): void {
    const now = this.clock();
    for (const [k, s] of this.sessions) if (s.expiresMs <= now) this.sessions.delete(k);
  }
}
