// Connection caps of the HTTP listener: a cap per client address (further connections closed at
// once), and a cap in all at which a new connection closes the least recently active idle one of
// the address holding the most, so idle or slow connections from one address cannot lock others out.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RateLimitedLog } from '@kirchhoff/core';

interface Tracked {
  readonly socket: Socket;
  readonly address: string;
  lastActiveMs: number;
  /** Requests being answered (an event stream stays busy while it is open). */
  busy: number;
}

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
}

export class ConnectionGuard {
  /** By `address:port`: the TCP socket and, under TLS, the TLS socket on top of it share it. */
  private readonly tracked = new Map<string, Tracked>();
  private readonly perAddress = new Map<string, number>();
  refused = 0;
  evicted = 0;

  constructor(private readonly limits: ConnectionLimits, private readonly log: RateLimitedLog) {}

  get size(): number {
    return this.tracked.size;
  }

  /** Watches `server`'s raw connections and its requests. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('request', (req: { socket: Socket }, res: { once(e: 'close', f: () => void): void }) => {
      const t = this.tracked.get(keyOf(req.socket));
      if (!t) return;
      t.busy++;
      t.lastActiveMs = Date.now();
      res.once('close', () => {
        t.busy--;
        t.lastActiveMs = Date.now();
      });
    });
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const key = keyOf(socket);
    const mine = this.perAddress.get(address) ?? 0;
    if (mine >= this.limits.maxConnectionsPerAddress) {
      this.refused++;
      this.log.warn('max-connections-per-address', `http: ${mine} connections open from ${address} (http.maxConnectionsPerAddress): new connection closed`);
      socket.destroy();
      return;
    }
    if (this.tracked.size >= this.limits.maxConnections && !this.evictIdle()) {
      this.refused++;
      this.log.warn('max-connections', `http: ${this.tracked.size} connections open and all busy (http.maxConnections): new connection closed`);
      socket.destroy();
      return;
    }
    const t: Tracked = { socket, address, lastActiveMs: Date.now(), busy: 0 };
    this.tracked.set(key, t);
    this.perAddress.set(address, mine + 1);
    socket.on('data', () => (t.lastActiveMs = Date.now()));
    socket.once('close', () => this.forget(key, t));
  }

  private evictIdle(): boolean {
    const most = Math.max(...this.perAddress.values());
    let oldest: [string, Tracked] | null = null;
    for (const entry of this.tracked) {
      if (entry[1].busy || this.perAddress.get(entry[1].address) !== most) continue;
      if (!oldest || entry[1].lastActiveMs < oldest[1].lastActiveMs) oldest = entry;
    }
    if (!oldest) return false;
    this.evicted++;
    this.log.warn('evicted', `http: ${this.tracked.size} connections open (http.maxConnections): closed the least recently active idle one, from ${oldest[1].address}, for a new client`);
    this.forget(oldest[0], oldest[1]);
    oldest[1].socket.destroy();
    return true;
  }

  private forget(key: string, t: Tracked): void {
    if (this.tracked.get(key) !== t) return;
    this.tracked.delete(key);
    const n = (this.perAddress.get(t.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(t.address, n);
    else this.perAddress.delete(t.address);
  }
}

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
