// Modbus TCP transport: a listener that owns connections (limits per address and in all, eviction
// of the least recently active when full, idle timeout, allow-list) and a per-connection loop
// feeding MBAP frames to the shared PDU handlers. Reads are answered synchronously and the answers
// to one chunk go out in one write; a write request holds the connection's later requests until it
// is answered, so responses keep request order. A client that does not read its answers is paused
// (no more requests read) and closed when its unread answers pass MAX_UNREAD_OUTPUT_BYTES.
import { createServer, Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ModbusDataModel, RequestContext } from '../pdu/data-model';
import { ExceptionCode, exceptionPdu } from '../pdu/exceptions';
import { handlePdu } from '../pdu/functions';
import { MbapFrame, MbapFramer, mbapResponse } from '../framing/mbap';
import { ModbusConfigError, buildAllowList } from './allow-list';
import { ProblemLog, type RateLimitedLog } from '@kirchhoff/core';
import type { ModbusLogger } from './log';

export interface ModbusTcpOptions {
  /** 0 picks a free port (read it from `address()`). */
  readonly port: number;
  /** Default `0.0.0.0`. */
  readonly host?: string;
  /** Default 32; when reached, a new connection evicts the least recently active idle one. */
  readonly maxConnections?: number;
  /** Default 8; further connections from the same address are closed at once. */
  readonly maxConnectionsPerAddress?: number;
  /** Close connections idle this long; 0 = never. Default 300. */
  readonly idleTimeoutS?: number;
  /** Client addresses or CIDR ranges allowed; empty = all. */
  readonly allow?: readonly string[];
}

/** Requests one connection may have waiting behind a write before it gets exception 06. */
const MAX_QUEUED_REQUESTS = 16;
/**
 * Answers a connection may leave unread before it is closed. Reading pauses as soon as the socket's
 * buffer is full, so only the answers to the chunk already read pile up here (a 64 KiB chunk of
 * pipelined 125-register reads answers with 1.4 MB): a master that waits for its answers never gets near.
 */
export const MAX_UNREAD_OUTPUT_BYTES = 1024 * 1024;

export interface TcpStats {
  readonly connections: number;
  readonly accepted: number;
  readonly refused: number;
  readonly requests: number;
  readonly framingErrors: number;
  /** Connections closed because the client left more than MAX_UNREAD_OUTPUT_BYTES of answers unread. */
  readonly slowReadersClosed: number;
  /** Idle connections closed to make room when maxConnections was reached. */
  readonly evicted: number;
  /** Answers written but not yet taken by the clients, all connections together. */
  readonly unreadOutputBytes: number;
  /** Connections whose requests are not read now because their answers are not (back-pressure). */
  readonly pausedConnections: number;
}

interface Connection {
  readonly address: string;
  lastActiveMs: number;
  busy: boolean;
}

export class ModbusTcpServer {
  private server: Server | null = null;
  private readonly connections = new Map<Duplex, Connection>();
  private readonly perAddress = new Map<string, number>();
  private readonly allowed: ((address: string) => boolean) | null;
  private readonly unitIds: ReadonlySet<number>;
  private counters = { accepted: 0, refused: 0, requests: 0, framingErrors: 0, slowReadersClosed: 0, evicted: 0 };

  constructor(
    private readonly model: ModbusDataModel,
    private readonly options: ModbusTcpOptions,
    unitId: number,
    private readonly logger: ModbusLogger,
    private readonly log: RateLimitedLog = new ProblemLog().source('modbus', logger),
  ) {
    this.allowed = buildAllowList(options.allow ?? []);
    // 0 and 255 are what TCP masters send to "the device behind this address" (Messaging on TCP/IP guide 4.4.2).
    this.unitIds = new Set([unitId, 0, 255]);
  }

  get stats(): TcpStats {
    let unread = 0;
    let paused = 0;
    for (const stream of this.connections.keys()) {
      unread += stream.writableLength;
      if (stream.isPaused()) paused++;
    }
    return { connections: this.connections.size, ...this.counters, unreadOutputBytes: unread, pausedConnections: paused };
  }

  async listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    const host = this.options.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, host, this.options.port)));
      server.listen(this.options.port, host, () => resolve());
    });
    server.on('error', (e) => this.logger.warn('modbus tcp listener error', { error: String(e) }));
    this.logger.info('modbus tcp listening', { host, port: this.address()?.port });
  }

  address(): { host: string; port: number } | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.connections.keys()) c.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const remote = `${address}:${socket.remotePort}`;
    if (this.allowed && !this.allowed(address)) {
      this.counters.refused++;
      this.log.warn('not-allowed', 'modbus tcp: connection from an address not in modbus.tcp.allow closed', { remote });
      socket.destroy();
      return;
    }
    const perAddress = this.options.maxConnectionsPerAddress ?? 8;
    if ((this.perAddress.get(address) ?? 0) >= perAddress) {
      this.counters.refused++;
      this.log.warn('max-connections-per-address', `modbus tcp: ${perAddress} connections open from ${address} (modbus.tcp.maxConnectionsPerAddress): new connection closed`, { remote });
      socket.destroy();
      return;
    }
    const max = this.options.maxConnections ?? 32;
    if (this.connections.size >= max && !this.evictIdle()) {
      this.counters.refused++;
      this.log.warn('max-connections', `modbus tcp: ${max} connections open and all busy (modbus.tcp.maxConnections): new connection closed`, { remote });
      socket.destroy();
      return;
    }
    const idleS = this.options.idleTimeoutS ?? 300;
    if (idleS > 0) {
      socket.setTimeout(idleS * 1000, () => {
        this.log.warn('idle', 'modbus tcp: idle connection closed', { remote, idleTimeoutS: idleS });
        socket.destroy();
      });
    }
    this.handle(socket, remote);
  }

  /**
   * Closes the least recently active connection without a request in progress, from the address
   * holding the most connections (so a flood from a few addresses evicts its own connections, not a
   * master's only one); false when all are busy.
   */
  private evictIdle(): boolean {
    const most = Math.max(...this.perAddress.values());
    let oldest: [Duplex, Connection] | null = null;
    for (const entry of this.connections) {
      if (entry[1].busy || this.perAddress.get(entry[1].address) !== most) continue;
      if (!oldest || entry[1].lastActiveMs < oldest[1].lastActiveMs) oldest = entry;
    }
    if (!oldest) return false;
    this.counters.evicted++;
    this.log.warn('evicted', `modbus tcp: ${this.connections.size} connections open (modbus.tcp.maxConnections): closed the least recently active one, from ${oldest[1].address}, for a new client`);
    this.forget(oldest[0]);
    oldest[0].destroy();
    return true;
  }

  private forget(stream: Duplex): void {
    const c = this.connections.get(stream);
    if (!c) return;
    this.connections.delete(stream);
    const n = (this.perAddress.get(c.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(c.address, n);
    else this.perAddress.delete(c.address);
  }

  /** Serves Modbus TCP on any duplex stream (a socket, or an in-memory pair in tests). */
  handle(stream: Duplex, remote: string): void {
    this.counters.accepted++;
    const address = (stream as Partial<Socket>).remoteAddress ?? remote;
    const conn: Connection = { address, lastActiveMs: Date.now(), busy: false };
    this.connections.set(stream, conn);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    const framer = new MbapFramer();
    const context: RequestContext = { transport: 'tcp', remote, broadcast: false };
    const queue: MbapFrame[] = [];
    let busy = false;
    let batch: Buffer[] = [];

    const respond = (frame: MbapFrame, pdu: Buffer) => batch.push(mbapResponse(frame.transactionId, frame.unitId, pdu));
    const flush = () => {
      if (!batch.length || stream.destroyed) return void (batch = []);
      const fits = stream.write(batch.length === 1 ? batch[0] : Buffer.concat(batch));
      batch = [];
      if (stream.writableLength > MAX_UNREAD_OUTPUT_BYTES) {
        this.counters.slowReadersClosed++;
        this.log.warn('slow-reader', `modbus tcp: client left more than ${MAX_UNREAD_OUTPUT_BYTES} bytes of answers unread: connection closed`, { remote });
        stream.destroy();
      } else if (!fits && !stream.isPaused()) {
        // Read no more requests until the client has taken its answers.
        stream.pause();
        stream.once('drain', () => stream.resume());
      }
    };
    const report = (error: unknown, pdu: Buffer) => this.log.warn('handler', 'modbus: request failed inside the server', { remote, function: pdu[0], error: String(error) });

    // Serves frames until one needs to wait (a write); that one resumes the queue when answered.
    const serve = (frame: MbapFrame) => {
      this.counters.requests++;
      if (!this.unitIds.has(frame.unitId)) return respond(frame, exceptionPdu(frame.pdu[0], ExceptionCode.GatewayTargetFailedToRespond));
      const result = handlePdu(frame.pdu, this.model, context, report);
      if (Buffer.isBuffer(result)) return respond(frame, result);
      busy = conn.busy = true;
      void result.then((pdu) => {
        busy = conn.busy = false;
        respond(frame, pdu);
        while (!busy && queue.length) serve(queue.shift()!);
        flush();
      });
    };

    stream.on('data', (chunk: Buffer) => {
      conn.lastActiveMs = Date.now();
      const error = framer.push(chunk, (frame) => {
        if (!busy) return serve(frame);
        if (queue.length >= MAX_QUEUED_REQUESTS) return respond(frame, exceptionPdu(frame.pdu[0], ExceptionCode.ServerDeviceBusy));
        // Queued frames outlive this chunk: copy them out of it.
        queue.push({ ...frame, pdu: Buffer.from(frame.pdu) });
      });
      flush();
      if (error) {
        this.counters.framingErrors++;
        this.log.warn('framing', `modbus tcp: ${error.message}: connection closed`, { remote });
        stream.destroy();
      }
    });
    stream.on('error', () => stream.destroy());
    stream.on('close', () => this.forget(stream));
  }
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EACCES') return new ModbusConfigError('modbus.tcp.port', `modbus.tcp.port ${port} needs root: use a port above 1023 or run with CAP_NET_BIND_SERVICE`);
  if (e.code === 'EADDRINUSE') return new ModbusConfigError('modbus.tcp.port', `modbus.tcp.port ${port} on ${host} is already in use by another program`);
  if (e.code === 'EADDRNOTAVAIL') return new ModbusConfigError('modbus.tcp.host', `modbus.tcp.host ${host} is not an address of this machine`);
  return e;
}
