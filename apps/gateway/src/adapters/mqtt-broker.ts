// The embedded MQTT 3.1.1 broker: aedes behind a TCP listener we own, with users from
// mqtt.broker.users (scrypt hashes, checked like http.users), topic ACLs, the gateway's client ids
// kept for the gateway, and bounds on packets, retained messages, sessions, wills and connections
// (per client address and in all: the least recently active one gives way, never the gateway's own).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { AuthenticateError, Client } from 'aedes' with { 'resolution-mode': 'import' };
import { roleAtLeast, serialPasswordChecker, type Role } from '@kirchhoff/http';
import type { ProblemLog } from '@kirchhoff/core';
import type { Logger } from '../log';

export interface BrokerUser {
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
}

/** Topic filters (MQTT `+` and `#`) that decide who publishes where. */
export interface BrokerAcl {
  /** Only the gateway publishes here (its JSON tree, its discovery configs, its Sparkplug node). */
  readonly gatewayTopics: readonly string[];
  /** Commands (`.../set`, Sparkplug NCMD and DCMD): operator or admin. */
  readonly commandTopics: readonly string[];
  /** Any authenticated user, viewers included (Home Assistant's birth message). */
  readonly openTopics: readonly string[];
}

export interface BrokerCommandOrigin {
  readonly principal: string;
  readonly remote: string;
}

export interface BrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly users: readonly BrokerUser[];
  /** Client ids nobody but the gateway may connect with. */
  readonly gatewayClientIds: readonly string[];
  readonly acl: BrokerAcl;
  readonly maxPacketBytes: number;
  /** Retained messages of clients other than the gateway (the gateway's are one per entity). */
  readonly maxRetained: number;
  readonly maxRetainedBytes: number;
  /** Connections at once from one address: a new one closes that address's least recently active. */
  readonly maxConnectionsPerAddress?: number;
  /** Connections at once in all: a new one closes the least recently active of the address holding the most. */
  readonly maxConnections?: number;
  /** A permitted command publish, with who sent it; true when the gateway took it as a write. It is forwarded to subscribers as well. */
  readonly onCommand: (topic: string, payload: Buffer, origin: BrokerCommandOrigin) => boolean;
  readonly logger: Logger;
  readonly problems: ProblemLog;
}

export interface EmbeddedBroker {
  readonly port: number;
  /** What the gateway's own publisher connects with: a user name and a password made at start. */
  readonly gatewayLogin: { readonly username: string; readonly password: string };
  clients(): number;
  /** TCP connections open, logged in or not. */
  connections(): number;
  close(): Promise<void>;
}

/** The gateway's own user: `$` cannot start a configured user name, so it never collides. */
export const GATEWAY_USER = '$gateway';
/** A CONNECT (client id, will, user name, password) fits in this; a larger first packet is refused. */
export const MAX_CONNECT_BYTES = 16 * 1024;
/** Password checks run one at a time (each is ~100 ms and 32 MiB of scrypt); beyond this many waiting, CONNACK 3. */
const MAX_WAITING_LOGINS = 8;
/** The gateway's own packets are as large as the site needs (a Sparkplug birth of 512 modules). */
const GATEWAY_MAX_PACKET_BYTES = 256 * 1024 * 1024;
/** Inbound QoS 2 messages awaiting PUBREL per client (aedes allows 1000 by default). */
const MAX_INFLIGHT_INBOUND = 16;

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3). */
const CONNACK = { identifierRejected: 2, serverUnavailable: 3, badUserNameOrPassword: 4, notAuthorized: 5 } as const;

interface Identity {
  readonly gateway: boolean;
  readonly name: string;
  readonly role: Role;
}

/** True when `topic` matches the MQTT topic filter `filter` (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

const anyMatch = (filters: readonly string[], topic: string) => filters.some((f) => topicMatches(f, topic));

/**
 * The socket as aedes sees it, with a framing guard in between: it follows the fixed headers of
 * the byte stream and closes the connection as soon as a header announces a packet over the limit,
 * before its bytes are buffered. Reading pauses while aedes has not taken what was read.
 */
export class GuardedSocket extends Duplex {
  private packets = 0;
  /** Bytes of the current packet's body still to come. */
  private remaining = 0;
  /** -1: the next byte is a packet type; otherwise how many remaining-length bytes were read. */
  private lengthBytes = -1;
  private length = 0;

  constructor(readonly socket: Socket, private readonly limit: (packetIndex: number) => number, private readonly refused: (why: string) => void) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (!this.check(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private check(chunk: Buffer): boolean {
    for (let i = 0; i < chunk.length;) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      const b = chunk[i++];
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0;
        this.length = 0;
        continue;
      }
      this.length += (b & 0x7f) * 128 ** this.lengthBytes++;
      if (b & 0x80) {
        if (this.lengthBytes === 4) return this.refuse('a remaining length longer than 4 bytes');
        continue;
      }
      const total = 1 + this.lengthBytes + this.length;
      const max = this.limit(this.packets);
      if (total > max) return this.refuse(`a packet of ${total} bytes (the limit is ${max}${this.packets === 0 ? ' for CONNECT' : ''})`);
      this.packets++;
      this.remaining = this.length;
      this.lengthBytes = -1;
    }
    return true;
  }

  private refuse(why: string): false {
    this.refused(why);
    this.socket.destroy();
    return false;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

/** Marks an error whose refusal was already logged. */
const LOGGED = Symbol('logged');
type Publish = { topic: string; payload: Buffer | string; retain: boolean };
/** Every connection aedes handles comes from our listener, wrapped. */
const connOf = (client: Client) => client.conn as GuardedSocket;

/** A TCP connection of the listener, before and after it logs in. */
interface Tracked {
  readonly socket: Socket;
  readonly address: string;
  lastActiveMs: number;
  conn: GuardedSocket | null;
}

export async function startBroker(o: BrokerOptions): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  // One line per kind of refusal a minute however many clients cause it, each counted in /metrics.
  const log = o.problems.source('mqtt-broker', o.logger);
  const users = new Map(o.users.map((u) => [u.name, u]));
  const gatewayPassword = randomBytes(32).toString('base64url');
  const identities = new WeakMap<GuardedSocket, Identity>();
  const wills = new WeakMap<GuardedSocket, Publish>();
  /** Retained messages of clients other than the gateway: topic -> bytes. */
  const retained = new Map<string, number>();
  let retainedBytes = 0;
  const checkHash = serialPasswordChecker(MAX_WAITING_LOGINS);
  const perAddressCap = o.maxConnectionsPerAddress ?? 32;
  const totalCap = o.maxConnections ?? 256;
  const byAddress = new Map<string, Set<Tracked>>();
  let open = 0;

  const refuse = (code: number, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode: code as AuthenticateError['returnCode'], [LOGGED]: true });

  /** Checks a password one login at a time; an unknown name costs the same scrypt as a wrong password. */
  const checkPassword = (user: BrokerUser | undefined, password: string): Promise<boolean> | null => checkHash(password, user?.passwordHash);

  /** Why `who` may not publish `p` (as a message or as its will), or null when it may. */
  const publishProblem = (who: Identity, p: Publish): string | null => {
    if (who.gateway) return null;
    if (p.topic.startsWith('$')) return `${p.topic} is reserved`;
    if (anyMatch(o.acl.commandTopics, p.topic)) return roleAtLeast(who.role, 'operator') ? null : `${p.topic} is a command topic: it needs the operator or admin role`;
    if (anyMatch(o.acl.gatewayTopics, p.topic)) return `${p.topic} is the gateway's own topic`;
    if (anyMatch(o.acl.openTopics, p.topic) || roleAtLeast(who.role, 'operator')) return p.retain ? retainedProblem(p) : null;
    return `a viewer may publish only to ${o.acl.openTopics.join(', ') || 'nothing'}`;
  };

  /** Keeps the count and bytes of client-retained messages under the limits; reserves room when allowed. */
  const retainedProblem = (p: Publish): string | null => {
    const size = Buffer.byteLength(p.payload);
    const before = retained.get(p.topic);
    if (size === 0) {
      retained.delete(p.topic);
      retainedBytes -= before ?? 0;
      return null;
    }
    const bytes = size + Buffer.byteLength(p.topic);
    const count = retained.size + (before === undefined ? 1 : 0);
    const total = retainedBytes - (before ?? 0) + bytes;
    if (count > o.maxRetained) return `retained message ${p.topic} refused: ${o.maxRetained} retained messages is the limit (mqtt.broker.maxRetained)`;
    if (total > o.maxRetainedBytes) return `retained message ${p.topic} refused: ${Math.ceil(o.maxRetainedBytes / 1024)} KiB of retained messages is the limit (mqtt.broker.maxRetainedKiB)`;
    retained.set(p.topic, bytes);
    retainedBytes = total;
    return null;
  };

  const broker = await Aedes.createBroker({
    connectTimeout: 10_000,
    maxInflightInbound: MAX_INFLIGHT_INBOUND,
    // Persistent sessions would queue messages for absent clients without bound: every session is clean.
    preConnect: (client, packet, callback) => {
      packet.clean = true;
      if (packet.will) wills.set(connOf(client), { topic: packet.will.topic, payload: packet.will.payload, retain: packet.will.retain === true });
      callback(null, true);
    },
    authenticate: (client, username, password, callback) => {
      const conn = connOf(client);
      const remote = conn.remote;
      const fail = (code: number, message: string, kind: string) => {
        log.warn(kind, `embedded MQTT broker refused ${remote}: ${message}`, { remote, clientId: client.id });
        callback(refuse(code, message), false);
      };
      const gatewayId = o.gatewayClientIds.includes(client.id);
      if (username === GATEWAY_USER) {
        const given = password ?? Buffer.alloc(0);
        const ok = gatewayId && given.length === gatewayPassword.length && timingSafeEqual(given, Buffer.from(gatewayPassword));
        if (!ok) return fail(CONNACK.badUserNameOrPassword, `bad password for ${GATEWAY_USER}`, 'login');
        identities.set(conn, { gateway: true, name: GATEWAY_USER, role: 'admin' });
        return callback(null, true);
      }
      if (gatewayId) return fail(CONNACK.identifierRejected, `client id ${client.id} is the gateway's own`, 'client-id');
      if (!username) return fail(CONNACK.notAuthorized, 'no user name (anonymous clients are not allowed: mqtt.broker.users)', 'anonymous');
      const user = users.get(username);
      const check = checkPassword(user, password?.toString('utf8') ?? '');
      if (!check) return fail(CONNACK.serverUnavailable, `more than ${MAX_WAITING_LOGINS} logins waiting for their password check`, 'busy');
      check.then((ok) => {
        if (!ok || !user) return fail(CONNACK.badUserNameOrPassword, `bad user name or password for ${JSON.stringify(username)}`, 'login');
        const who: Identity = { gateway: false, name: user.name, role: user.role };
        const will = wills.get(conn);
        const problem = will ? publishProblem(who, will) : null;
        if (problem) return fail(CONNACK.notAuthorized, `will refused: ${problem}`, 'acl');
        identities.set(conn, who);
        callback(null, true);
      }, (e: Error) => fail(CONNACK.serverUnavailable, `password check failed: ${e.message}`, 'busy'));
    },
    authorizePublish: (client, packet, callback) => {
      // Wills come without a client; they were checked at CONNECT.
      if (!client) return callback(null);
      const conn = connOf(client);
      const who = identities.get(conn);
      if (!who) return callback(new Error('not authenticated'));
      const problem = publishProblem(who, packet);
      if (problem) {
        // MQTT 3.1.1 cannot say no to a PUBLISH: the connection is closed (section 3.3.5).
        log.warn('acl', `embedded MQTT broker: ${who.name} at ${conn.remote} may not publish: ${problem}; disconnected`, { user: who.name, topic: packet.topic });
        return callback(Object.assign(new Error(problem), { [LOGGED]: true }));
      }
      if (!who.gateway && anyMatch(o.acl.commandTopics, packet.topic)) {
        // A command acts once, now: it is never kept for later subscribers.
        packet.retain = false;
        o.onCommand(packet.topic, Buffer.from(packet.payload), { principal: who.name, remote: conn.remote });
      }
      callback(null);
    },
  });

  /** The least recently active of `among`, except the gateway's own connection. */
  const leastActive = (among: Iterable<Tracked>): Tracked | null => {
    let oldest: Tracked | null = null;
    for (const t of among) {
      if (t.conn && identities.get(t.conn)?.gateway) continue;
      if (!oldest || t.lastActiveMs < oldest.lastActiveMs) oldest = t;
    }
    return oldest;
  };
  const forget = (t: Tracked): void => {
    const set = byAddress.get(t.address);
    if (!set?.delete(t)) return;
    open--;
    if (!set.size) byAddress.delete(t.address);
  };
  const evict = (t: Tracked, why: string): void => {
    log.warn('evicted', `embedded MQTT broker: ${why}: closed the least recently active connection, from ${t.address}, for a new one`, { address: t.address });
    forget(t);
    t.socket.destroy();
  };
  /** Makes room for a connection from `address`; false when nothing may give way. */
  const admit = (address: string): boolean => {
    const mine = byAddress.get(address);
    if (mine && mine.size >= perAddressCap) {
      const oldest = leastActive(mine);
      if (!oldest) return false;
      evict(oldest, `${mine.size} connections open from ${address} (mqtt.broker.maxConnectionsPerAddress)`);
    }
    if (open >= totalCap) {
      let most: Set<Tracked> | null = null;
      for (const set of byAddress.values()) if (!most || set.size > most.size) most = set;
      const oldest = most && leastActive(most);
      if (!oldest) return false;
      evict(oldest, `${open} connections open (mqtt.broker.maxConnections)`);
    }
    return true;
  };

  const server: Server = createServer((socket) => {
    const address = socket.remoteAddress ?? '';
    socket.on('error', () => undefined);
    if (!admit(address)) {
      log.warn('max-connections', `embedded MQTT broker: no room for a connection from ${address} (only the gateway's own are open): closed`, { address });
      socket.destroy();
      return;
    }
    const tracked: Tracked = { socket, address, lastActiveMs: Date.now(), conn: null };
    let set = byAddress.get(address);
    if (!set) byAddress.set(address, (set = new Set()));
    set.add(tracked);
    open++;
    socket.on('data', () => (tracked.lastActiveMs = Date.now()));
    socket.once('close', () => forget(tracked));
    const conn: GuardedSocket = new GuardedSocket(
      socket,
      (index) => (index === 0 ? MAX_CONNECT_BYTES : identities.get(conn)?.gateway ? GATEWAY_MAX_PACKET_BYTES : o.maxPacketBytes),
      (why) => log.warn('packet-size', `embedded MQTT broker closed ${conn.remote}: ${why} (mqtt.broker.maxPacketKiB)`, { remote: conn.remote }),
    );
    tracked.conn = conn;
    conn.on('error', () => undefined);
    broker.handle(conn);
  });
  // Refusals were logged by kind where they were decided; the rest is logged here.
  broker.on('clientError', (client, error) => !(LOGGED in error) && log.warn('client', `embedded MQTT broker: client ${client.id} at ${connOf(client).remote}: ${error.message}`));
  broker.on('connectionError', (client, error) => !(LOGGED in error) && log.warn('connection', `embedded MQTT broker: ${connOf(client).remote}: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    gatewayLogin: { username: GATEWAY_USER, password: gatewayPassword },
    clients: () => broker.connectedClients,
    connections: () => open,
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
