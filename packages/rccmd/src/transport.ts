// One delivery attempt of encoded bytes to one target over UDP, TCP or TLS 1.3, optionally
// waiting for the listener's ACK/NAK. Retries and scheduling belong to the sender, not here.
import { createSocket } from 'node:dgram';
import { connect as tcpConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { KirchhoffMessage, parseMessage, RCCMD_PORT } from './codec';
import { LineFramer } from './framing';
import { RccmdError } from './errors';

export type RccmdTransport = 'udp' | 'tcp' | 'tls';

export interface RccmdTarget {
  readonly host: string;
  readonly port: number;
  readonly transport: RccmdTransport;
  /** A broadcast address (UDP only): many listeners, so no acknowledgement is awaited. */
  readonly broadcast?: boolean;
}

/** PEM text (or buffers) of this side's certificate and key, and the CA that signs the peer. */
export interface TlsIdentity {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer;
}

export type AttemptResult =
  | { readonly outcome: 'sent' }
  | { readonly outcome: 'acknowledged'; readonly reply: KirchhoffMessage }
  | { readonly outcome: 'rejected'; readonly reason: string; readonly reply: KirchhoffMessage };

export interface AttemptOptions {
  /** Socket-level time limit: connect, write and wait for a reply. */
  readonly ioTimeoutMs: number;
  readonly tls?: TlsIdentity | null;
  /** When set, the attempt waits for an ACK/NAK this accepts (right `re`, right mac). */
  readonly isReply?: (reply: KirchhoffMessage) => boolean;
}

/** `host`, `host:port`, `[v6]:port`; the default port is 6003. */
export function parseTarget(text: string, transport: RccmdTransport = 'udp', broadcast = false): RccmdTarget {
  const t = text.trim();
  let host = t;
  let port = RCCMD_PORT;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if (/^[^:]+:\d+$/.test(t)) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i);
    port = Number(t.slice(i + 1));
  }
  if (!host || !/^[0-9A-Za-z.:_-]+$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RccmdError('rccmd.target', `RCCMD target ${JSON.stringify(text)} is not host[:port] (port 1..65535, default ${RCCMD_PORT})`);
  }
  if (broadcast && transport !== 'udp') throw new RccmdError('rccmd.target', `RCCMD broadcast ${host} needs transport udp`);
  return { host, port, transport, ...(broadcast ? { broadcast: true } : {}) };
}

export function targetLabel(t: RccmdTarget): string {
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  return `${t.transport}://${host}:${t.port}${t.broadcast ? ' (broadcast)' : ''}`;
}

function replyOf(frame: Buffer, isReply: (m: KirchhoffMessage) => boolean): AttemptResult | null {
  const parsed = parseMessage(frame);
  if (!parsed.ok || parsed.message.format !== 'kirchhoff') return null;
  const m = parsed.message;
  if ((m.kind !== 'ack' && m.kind !== 'nak') || !isReply(m)) return null;
  return m.kind === 'ack' ? { outcome: 'acknowledged', reply: m } : { outcome: 'rejected', reason: m.reason ?? 'rejected', reply: m };
}

function sendUdp(target: RccmdTarget, bytes: Buffer, options: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
    const wait = !!options.isReply && !target.broadcast;
    let done = false;
    const finish = (error: Error | null, result?: AttemptResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(result!);
    };
    const timer = setTimeout(() => finish(new RccmdError('rccmd.no-ack', `no acknowledgement within ${options.ioTimeoutMs} ms`)), options.ioTimeoutMs);
    socket.on('error', (e) => finish(e));
    socket.on('message', (msg) => {
      const r = wait ? replyOf(msg, options.isReply!) : null;
      if (r) finish(null, r);
    });
    socket.bind(0, () => {
      if (target.broadcast) socket.setBroadcast(true);
      socket.send(bytes, target.port, target.host, (error) => {
        if (error) finish(error);
        else if (!wait) finish(null, { outcome: 'sent' });
      });
    });
  });
}

function sendStream(target: RccmdTarget, bytes: Buffer, options: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const onOpen = () => {
      if (options.isReply) socket.write(bytes);
      // The public form has no terminator: closing the stream ends the message.
      else socket.end(bytes);
    };
    if (target.transport === 'tls') {
      if (!options.tls) {
        reject(new RccmdError('rccmd.tls', `${targetLabel(target)} needs a TLS client certificate, key and CA`));
        return;
      }
      socket = tlsConnect({
        host: target.host,
        port: target.port,
        cert: options.tls.cert,
        key: options.tls.key,
        ca: options.tls.ca,
        minVersion: 'TLSv1.3',
        ...(isIP(target.host) ? {} : { servername: target.host }),
      }, onOpen);
    } else {
      socket = tcpConnect({ host: target.host, port: target.port }, onOpen);
    }
    const framer = new LineFramer();
    let done = false;
    const finish = (error: Error | null, result?: AttemptResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) socket.destroy();
      else socket.end();
      if (error) reject(error);
      else resolve(result!);
    };
    const timer = setTimeout(() => finish(new RccmdError('rccmd.timeout', `${options.isReply ? 'no acknowledgement' : 'not delivered'} within ${options.ioTimeoutMs} ms`)), options.ioTimeoutMs);
    socket.on('error', (e) => finish(e));
    socket.on('data', (chunk: Buffer) => {
      if (!options.isReply) return;
      for (const frame of framer.push(chunk).frames) {
        const r = replyOf(frame, options.isReply);
        if (r) return finish(null, r);
      }
    });
    socket.on('close', () => {
      if (options.isReply) finish(new RccmdError('rccmd.closed', 'the listener closed the connection without an acknowledgement'));
      else finish(null, { outcome: 'sent' });
    });
  });
}

/** One attempt; rejects with the network error or timeout, resolves with what the listener said. */
export function attemptDelivery(target: RccmdTarget, bytes: Buffer, options: AttemptOptions): Promise<AttemptResult> {
  return target.transport === 'udp' ? sendUdp(target, bytes, options) : sendStream(target, bytes, options);
}
