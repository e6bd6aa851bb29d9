// Users, roles and sessions of the HTTP API: passwords checked with scrypt, session tokens kept in
// memory (a restart logs everyone out), failed logins limited per client address.
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
  constructor(readonly retryAfterS: number) {
    super(`too many failed logins from this address: try again in ${retryAfterS} s`);
  }
}

export interface AuthOptions {
  readonly users: readonly HttpUserConfig[];
  readonly sessionTtlMs: number;
  readonly maxSessions?: number;
  /** Failed logins per address within failureWindowMs before further attempts are refused. */
  readonly maxFailures?: number;
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
    this.checkLimit(remote);
    const user = this.users.get(name);
    // An unknown name costs the same scrypt as a wrong password: timing does not tell names apart.
    const ok = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await this.dummy()), false);
    if (!ok || !user) {
      this.recordFailure(remote);
      return null;
    }
    if ([...(this.options.weakPasswords ?? []), user.name].includes(password)) this.defaultPasswordUsers.add(user.name);
    return { name: user.name, role: user.role };
  }

  async login(name: string, password: string, remote: string): Promise<{ token: string; session: Session } | null> {
    const user = await this.checkPassword(name, password, remote);
    if (!user) return null;
    this.expire();
    const max = this.options.maxSessions ?? 1000;
    while (this.sessions.size >= max) this.sessions.delete(this.sessions.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: Session = { ...user, createdMs: now, expiresMs: now + this.options.sessionTtlMs, remote };
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
    s.expiresMs = now + this.options.sessionTtlMs;
    return s;
  }

  /** HTTP Basic credentials, cached briefly by a hash of name and password. */
  async basic(name: string, password: string, remote: string): Promise<AuthUser | null> {
    const key = sha256(`${name}\u0000${password}`);
    const now = this.clock();
    const hit = this.basicCache.get(key);
    if (hit && hit.untilMs > now) return hit.user;
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

  private checkLimit(remote: string): void {
    const list = this.recent(remote);
    const max = this.options.maxFailures ?? 10;
    if (list.length >= max) {
      const window = this.options.failureWindowMs ?? 300_000;
      throw new TooManyAttempts(Math.max(1, Math.ceil((list[0] + window - this.clock()) / 1000)));
    }
  }

  private recordFailure(remote: string): void {
    const list = this.recent(remote);
    list.push(this.clock());
    this.failures.set(remote, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
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
