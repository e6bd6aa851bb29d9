// One client's conversation with the server, free of I/O: a request line in, answer lines out.
// The commands and answers of NUT's network protocol 1.3 (docs/net-protocol.txt of NUT).
import type { Command } from '@kirchhoff/core';
import { NAME, NutRequestError, quote, splitWords, type NutError } from './protocol';
import { DESCRIPTIONS, type NutUps } from './variables';

/** A NUT user as upsd.users defines one: an upsmon role, actions and instant commands. */
export interface NutUser {
  readonly name: string;
  /** `upsmon primary` may LOGIN, PRIMARY and FSD; `upsmon secondary` may LOGIN; null = neither. */
  readonly upsmon: 'primary' | 'secondary' | null;
  /** SET (SET VAR) and FSD. */
  readonly actions: readonly ('SET' | 'FSD')[];
  /** Instant commands allowed, or 'all'. */
  readonly instcmds: readonly string[] | 'all';
}

/** What a session needs of its server. */
export interface SessionHost {
  readonly version: string;
  readonly tlsAvailable: boolean;
  ups(name: string): NutUps | undefined;
  upsList(): readonly NutUps[];
  /** The UPS's variables now; null when the gateway has no fresh data at all (ERR DATA-STALE, as upsd says when its driver is silent). */
  variables(ups: NutUps): ReadonlyMap<string, string> | null;
  /** Resolves the user when the password is right, else null; `remote` is the client's `address:port`. */
  authenticate(username: string, password: string, remote: string): Promise<NutUser | null>;
  numLogins(ups: string): number;
  clients(ups: string): readonly string[];
  setFsd(ups: string, by: string): void;
  /** Through the site's command interface; rejects with the reason. */
  execute(command: Command, user: NutUser, remote: string): Promise<void>;
  /** Whether the command interface would take this command type from NUT at all. */
  allows(command: Command): boolean;
}

export interface Answer {
  readonly lines: readonly string[];
  /** Close the connection after the lines are written (LOGOUT, too many failed logins). */
  readonly close?: boolean;
  /** Start TLS after the lines are written (STARTTLS). */
  readonly startTls?: boolean;
}

/** Wrong passwords tolerated on one connection before it is closed. */
export const MAX_AUTH_FAILURES = 3;

const err = (code: NutError): never => {
  throw new NutRequestError(code);
};

export class NutSession {
  private username: string | null = null;
  private password: string | null = null;
  private user: NutUser | null = null;
  private authFailures = 0;
  private tls = false;
  /** The UPS this client is logged in to (LOGIN), as NUMLOGINS counts it. */
  loggedInTo: string | null = null;
  /** The user name once authenticated, for logs and the audit. */
  get principal(): string | null {
    return this.user?.name ?? null;
  }

  constructor(
    private readonly host: SessionHost,
    readonly remote: string,
  ) {}

  /** Answers one request line. Never rejects: every problem is an `ERR` line. */
  async handle(line: string): Promise<Answer> {
    const words = splitWords(line.trim());
    if (words === null) return { lines: ['ERR INVALID-ARGUMENT'] };
    if (words.length === 0) return { lines: [] };
    try {
      return await this.dispatch(words);
    } catch (error) {
      if (error instanceof NutRequestError) {
        const close = error.code === 'ACCESS-DENIED' && this.authFailures >= MAX_AUTH_FAILURES;
        return { lines: [`ERR ${error.code}`], close };
      }
      throw error;
    }
  }

  private async dispatch(words: string[]): Promise<Answer> {
    const [verb, ...args] = words;
    switch (verb.toUpperCase()) {
      case 'HELP': return one('Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS');
      case 'VER': return one(`Network UPS Tools compatible: Kirchhoff upsd ${this.host.version}`);
      case 'NETVER': case 'PROTVER': return one('1.3');
      case 'USERNAME': return this.setCredential('username', args);
      case 'PASSWORD': return this.setCredential('password', args);
      case 'LOGIN': return this.login(args);
      case 'LOGOUT': return { lines: ['OK Goodbye'], close: true };
      case 'PRIMARY': case 'MASTER': {
        this.upsArg(args, 1);
        await this.authorize((u) => u.upsmon === 'primary');
        return one(verb.toUpperCase() === 'MASTER' ? 'OK MASTER-GRANTED' : 'OK PRIMARY-GRANTED');
      }
      case 'FSD': {
        const ups = this.upsArg(args, 1);
        const user = await this.authorize((u) => u.upsmon === 'primary' || u.actions.includes('FSD'));
        this.host.setFsd(ups.name, `${user.name}@${this.remote}`);
        return one('OK FSD-SET');
      }
      case 'GET': return this.get(args);
      case 'LIST': return this.list(args);
      case 'SET': return this.set(args);
      case 'INSTCMD': return this.instcmd(args);
      case 'STARTTLS':
        if (args.length) err('INVALID-ARGUMENT');
        if (this.tls) err('ALREADY-SSL-MODE');
        if (!this.host.tlsAvailable) err('FEATURE-NOT-CONFIGURED');
        this.tls = true;
        return { lines: ['OK STARTTLS'], startTls: true };
      default:
        return err('UNKNOWN-COMMAND');
    }
  }

  private setCredential(which: 'username' | 'password', args: string[]): Answer {
    if (args.length !== 1) err('INVALID-ARGUMENT');
    if (which === 'username') {
      if (this.username !== null) err('ALREADY-SET-USERNAME');
      if (!NAME.test(args[0])) err('INVALID-USERNAME');
      this.username = args[0];
    } else {
      if (this.password !== null) err('ALREADY-SET-PASSWORD');
      if (args[0].length === 0 || args[0].length > 256) err('INVALID-PASSWORD');
      this.password = args[0];
    }
    return one('OK');
  }

  /** The authenticated user if the credentials are right and `may` grants the request. */
  private async authorize(may: (u: NutUser) => boolean): Promise<NutUser> {
    if (this.username === null) err('USERNAME-REQUIRED');
    if (this.password === null) err('PASSWORD-REQUIRED');
    if (!this.user) {
      const user = await this.host.authenticate(this.username as string, this.password as string, this.remote);
      if (!user) {
        this.authFailures++;
        // Let the client try other credentials without reconnecting, as upsd does.
        this.username = null;
        this.password = null;
        err('ACCESS-DENIED');
      }
      this.user = user;
    }
    if (!may(this.user as NutUser)) err('ACCESS-DENIED');
    return this.user as NutUser;
  }

  private async login(args: string[]): Promise<Answer> {
    const ups = this.upsArg(args, 1);
    if (this.loggedInTo !== null) err('ALREADY-LOGGED-IN');
    await this.authorize((u) => u.upsmon !== null);
    this.loggedInTo = ups.name;
    return one('OK');
  }

  private upsArg(args: string[], count: number): NutUps {
    if (args.length !== count) err('INVALID-ARGUMENT');
    const ups = this.host.ups(args[0]);
    if (!ups) return err('UNKNOWN-UPS');
    return ups;
  }

  private variables(ups: NutUps): ReadonlyMap<string, string> {
    return this.host.variables(ups) ?? err('DATA-STALE');
  }

  private get(args: string[]): Answer {
    const [what, ...rest] = args;
    switch ((what ?? '').toUpperCase()) {
      case 'NUMLOGINS': {
        const ups = this.upsArg(rest, 1);
        return one(`NUMLOGINS ${ups.name} ${this.host.numLogins(ups.name)}`);
      }
      case 'UPSDESC': {
        const ups = this.upsArg(rest, 1);
        return one(`UPSDESC ${ups.name} ${quote(ups.description)}`);
      }
      case 'VAR': case 'TYPE': case 'DESC': {
        if (rest.length !== 2) err('INVALID-ARGUMENT');
        const ups = this.upsArg(rest.slice(0, 1), 1);
        const name = rest[1];
        const value = this.variables(ups).get(name);
        if (value === undefined) err('VAR-NOT-SUPPORTED');
        if (what.toUpperCase() === 'VAR') return one(`VAR ${ups.name} ${name} ${quote(value as string)}`);
        if (what.toUpperCase() === 'DESC') return one(`DESC ${ups.name} ${name} ${quote(DESCRIPTIONS[name] ?? 'Description unavailable')}`);
        const rw = ups.writable[name];
        const numeric = rw ? rw.type === 'NUMBER' : /^-?\d+(\.\d+)?$/.test(value as string);
        return one(`TYPE ${ups.name} ${name}${rw ? ' RW RANGE' : ''} ${numeric ? 'NUMBER' : `STRING:${Math.max(32, (value as string).length)}`}`);
      }
      case 'CMDDESC': {
        if (rest.length !== 2) err('INVALID-ARGUMENT');
        const ups = this.upsArg(rest.slice(0, 1), 1);
        const cmd = this.offered(ups)[rest[1]];
        if (!cmd) err('CMD-NOT-SUPPORTED');
        return one(`CMDDESC ${ups.name} ${rest[1]} ${quote(cmd.description)}`);
      }
      default:
        return err('INVALID-ARGUMENT');
    }
  }

  /** Instant commands the command interface takes from NUT at all. */
  private offered(ups: NutUps): Record<string, NutUps['commands'][string]> {
    return Object.fromEntries(Object.entries(ups.commands).filter(([, c]) => this.host.allows(c.command)));
  }
  private writable(ups: NutUps): Record<string, NutUps['writable'][string]> {
    return Object.fromEntries(Object.entries(ups.writable).filter(([, w]) => this.host.allows(w.toCommand(w.range[0]))));
  }

  private list(args: string[]): Answer {
    const [what, ...rest] = args;
    const kind = (what ?? '').toUpperCase();
    if (kind === 'UPS') {
      if (rest.length) err('INVALID-ARGUMENT');
      return block('UPS', this.host.upsList().map((u) => `UPS ${u.name} ${quote(u.description)}`));
    }
    if (kind === 'VAR' || kind === 'RW' || kind === 'CMD' || kind === 'CLIENT') {
      const ups = this.upsArg(rest, 1);
      const head = `${kind} ${ups.name}`;
      if (kind === 'CMD') return block(head, Object.keys(this.offered(ups)).map((c) => `CMD ${ups.name} ${c}`));
      if (kind === 'CLIENT') return block(head, this.host.clients(ups.name).map((c) => `CLIENT ${ups.name} ${c}`));
      const vars = this.variables(ups);
      const names = (kind === 'VAR' ? [...vars.keys()] : Object.keys(this.writable(ups)).filter((n) => vars.has(n))).sort();
      return block(head, names.map((n) => `${kind} ${ups.name} ${n} ${quote(vars.get(n) as string)}`));
    }
    if (kind === 'ENUM' || kind === 'RANGE') {
      if (rest.length !== 2) err('INVALID-ARGUMENT');
      const ups = this.upsArg(rest.slice(0, 1), 1);
      const name = rest[1];
      if (!this.variables(ups).has(name)) err('VAR-NOT-SUPPORTED');
      const rw = this.writable(ups)[name];
      const lines = kind === 'RANGE' && rw ? [`RANGE ${ups.name} ${name} ${quote(String(rw.range[0]))} ${quote(String(rw.range[1]))}`] : [];
      return block(`${kind} ${ups.name} ${name}`, lines);
    }
    return err('INVALID-ARGUMENT');
  }

  private async set(args: string[]): Promise<Answer> {
    if ((args[0] ?? '').toUpperCase() !== 'VAR' || args.length !== 4) err('INVALID-ARGUMENT');
    const ups = this.upsArg(args.slice(1, 2), 1);
    const [name, text] = args.slice(2);
    if (!this.variables(ups).has(name)) err('VAR-NOT-SUPPORTED');
    const rw = this.writable(ups)[name];
    if (!rw) err('READONLY');
    const user = await this.authorize((u) => u.actions.includes('SET'));
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < rw.range[0] || value > rw.range[1]) err('INVALID-VALUE');
    try {
      await this.host.execute(rw.toCommand(value), user, this.remote);
    } catch {
      err('SET-FAILED');
    }
    return one('OK');
  }

  private async instcmd(args: string[]): Promise<Answer> {
    if (args.length !== 2 && args.length !== 3) err('INVALID-ARGUMENT');
    const ups = this.upsArg(args.slice(0, 1), 1);
    const cmd = this.offered(ups)[args[1]];
    if (!cmd) err('CMD-NOT-SUPPORTED');
    const user = await this.authorize((u) => u.instcmds === 'all' || u.instcmds.includes(args[1]));
    try {
      await this.host.execute(cmd.command, user, this.remote);
    } catch {
      err('INSTCMD-FAILED');
    }
    return one('OK');
  }
}

function one(line: string): Answer {
  return { lines: [line] };
}

function block(head: string, lines: readonly string[]): Answer {
  return { lines: [`BEGIN LIST ${head}`, ...lines, `END LIST ${head}`] };
}
