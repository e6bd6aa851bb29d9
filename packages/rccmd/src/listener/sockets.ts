// The listener's sockets: UDP, TCP and TLS 1.3 (client certificates required) servers on the
// configured addresses. A connection from an address no sender is allowed at, or beyond
// MAX_CONNECTIONS, is closed at once; an idle one after CONNECTION_IDLE_MS. What arrives goes to
// the handlers: the protocol is not here.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, isIPv6, Server, Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { RccmdLogger } from '../log';
import type { ListenerOptions, ListenerTransport } from './options';
import { plainAddress } from './senders';

export const MAX_CONNECTIONS = 64;
export const CONNECTION_IDLE_MS = 10_000;

export interface StreamPeer {
  /** The peer's plain address. */
  readonly remote: string;
  readonly transport: 'tcp' | 'tls';
  /** The TLS client certificate was verified against the CA. */
  readonly certOk: boolean;
}

export interface SocketHandlers {
  datagram(bytes: Buffer, remote: string, reply: (bytes: Buffer) => void): void;
  /** Whether a connection from `remote` is served at all. */
  accepts(remote: string): boolean;
  stream(stream: Socket, peer: StreamPeer): void;
  reject(remote: string, transport: ListenerTransport, kind: string, reason: string): void;
}

export class ListenerSockets {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private tls: Server | null = null;
  private readonly connections = new Set<Socket>();

  constructor(private readonly handlers: SocketHandlers, private readonly logger: RccmdLogger) {}

  async start(o: Pick<ListenerOptions, 'udp' | 'tcp' | 'tls'>): Promise<void> {
    try {
      if (o.udp) await this.startUdp(o.udp.host ?? '0.0.0.0', o.udp.port);
      if (o.tcp) this.tcp = await this.listen(createTcpServer((s) => this.onConnection(s, 'tcp')), o.tcp.host ?? '0.0.0.0', o.tcp.port);
      if (o.tls) {
        const server = createTlsServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s) => this.onConnection(s, 'tls'));
        server.on('tlsClientError', (error, socket) => this.handlers.reject(plainAddress(socket.remoteAddress ?? '?'), 'tls', 'tls-handshake', `TLS handshake refused: ${error.message}`));
        this.tls = await this.listen(server, o.tls.host ?? '0.0.0.0', o.tls.port);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Bound endpoints, e.g. `udp 0.0.0.0:6003`. */
  endpoints(): string[] {
    const out: string[] = [];
    if (this.udp) out.push(`udp ${this.udp.address().address}:${this.udp.address().port}`);
    for (const [name, s] of [['tcp', this.tcp], ['tls', this.tls]] as const) {
      const a = s?.address();
      if (a && typeof a === 'object') out.push(`${name} ${a.address}:${a.port}`);
    }
    return out;
  }

  /** Bound ports (port 0 resolved). */
  ports(): { udp?: number; tcp?: number; tls?: number } {
    const port = (s: Server | null) => {
      const a = s?.address();
      return a && typeof a === 'object' ? a.port : undefined;
    };
    return { udp: this.udp?.address().port, tcp: port(this.tcp), tls: port(this.tls) };
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    for (const s of [this.tcp, this.tls]) if (s) await new Promise<void>((r) => s.close(() => r()));
    this.tcp = null;
    this.tls = null;
  }

  private startUdp(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.logger.error(`RCCMD listener UDP socket error: ${e.message}`));
        socket.on('message', (msg, rinfo) => {
          try {
            const reply = (bytes: Buffer) => this.udp?.send(bytes, rinfo.port, rinfo.address, () => {});
            this.handlers.datagram(msg, plainAddress(rinfo.address), reply);
          } catch (error) {
            this.logger.error(`RCCMD listener: datagram from ${rinfo.address} failed: ${(error as Error).message}`);
          }
        });
        this.udp = socket;
        resolve();
      });
    });
  }

  private listen(server: Server, host: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.error(`RCCMD listener server error: ${e.message}`));
        resolve(server);
      });
    });
  }

  private onConnection(socket: Socket, transport: 'tcp' | 'tls'): void {
    const remote = plainAddress(socket.remoteAddress ?? '?');
    socket.on('error', () => socket.destroy());
    if (!this.handlers.accepts(remote)) {
      this.handlers.reject(remote, transport, 'unknown-sender', 'unknown sender (not in the allowed-sender list)');
      socket.destroy();
      return;
    }
    if (this.connections.size >= MAX_CONNECTIONS) {
      this.handlers.reject(remote, transport, 'too-many-connections', `too many connections (${MAX_CONNECTIONS})`);
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.setTimeout(CONNECTION_IDLE_MS, () => socket.destroy());
    this.handlers.stream(socket, { remote, transport, certOk: transport === 'tls' && (socket as TLSSocket).authorized });
  }
}
