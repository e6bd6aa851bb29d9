// One NUT connection on any duplex stream (a TCP socket, or an in-memory pair in tests): request
// lines framed with a length guard, answered one at a time in order, bounded input and output
// (a client that does not read its answers stops being read), an idle timeout on the server's
// clock, and STARTTLS (the stream wrapped in a TLS socket; node wraps any duplex).
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Clock, ClockTimer } from '@kirchhoff/core';
import type { NutSession } from './session';

/** Answers waiting unread beyond this many bytes: the connection is not read until they drain. */
export const MAX_UNREAD_OUTPUT_BYTES = 256 * 1024;
/** Request lines waiting beyond this many: the connection is not read until they are answered. */
export const MAX_QUEUED_LINES = 64;

export interface NutConnectionContext {
  readonly session: NutSession;
  readonly address: string;
  readonly maxLine: number;
  readonly idleMs: number;
  readonly clock: Clock;
  readonly tls: SecureContext | null;
  /** Each request line read (the eviction of the idle compares these). */
  activity(): void;
  tooLong(): void;
  failed(error: Error): void;
  closed(): void;
}

/** Serves NUT on `raw` until it closes; returns the function that closes it (eviction, shutdown). */
export function serveNutConnection(raw: Duplex, ctx: NutConnectionContext): () => void {
  let stream: Duplex = raw;
  let buffer = '';
  let queue: string[] = [];
  let busy = false;
  let lastActivityMs = ctx.clock.now();
  let idleTimer: ClockTimer | null = null;

  const destroy = (): void => {
    ctx.clock.clearTimeout(idleTimer);
    idleTimer = null;
    if (stream !== raw) stream.destroy();
    raw.destroy();
  };
  // One timer per connection, moved on lazily: activity only records the time.
  const armIdle = (ms: number): void => {
    idleTimer = ctx.clock.setTimeout(() => {
      const silentMs = ctx.clock.now() - lastActivityMs;
      if (silentMs >= ctx.idleMs) destroy();
      else armIdle(ctx.idleMs - silentMs);
    }, ms);
  };
  armIdle(ctx.idleMs);

  raw.on('error', () => raw.destroy());
  raw.on('close', () => {
    ctx.clock.clearTimeout(idleTimer);
    idleTimer = null;
    queue = [];
    ctx.closed();
  });

  const write = (lines: readonly string[]): void => {
    if (lines.length && !stream.destroyed) stream.write(lines.map((l) => `${l}\n`).join(''));
  };

  const startTls = (tls: SecureContext): void => {
    queue = [];
    buffer = '';
    raw.removeListener('data', onData);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: tls });
    secure.on('error', () => destroy());
    secure.on('close', () => raw.destroy());
    secure.on('data', onData);
    stream = secure;
  };

  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length && !stream.destroyed) {
        const line = queue.shift() as string;
        const answer = await ctx.session.handle(line);
        write(answer.lines);
        if (answer.close) {
          stream.end();
          return;
        }
        if (answer.startTls && ctx.tls) return startTls(ctx.tls);
        // Bounded output: a client that does not read its answers stops being read.
        if (stream.writableLength > MAX_UNREAD_OUTPUT_BYTES) {
          stream.pause();
          await new Promise<void>((resolve) => {
            stream.once('drain', resolve);
            stream.once('close', resolve);
          });
          stream.resume();
        }
      }
    } catch (error) {
      ctx.failed(error as Error);
      write(['ERR INVALID-ARGUMENT']);
    } finally {
      busy = false;
    }
    if (queue.length === 0 && stream.isPaused() && !stream.destroyed) stream.resume();
  };

  function onData(chunk: Buffer | string): void {
    lastActivityMs = ctx.clock.now();
    ctx.activity();
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      queue.push(buffer.slice(0, nl).replace(/\r$/, ''));
      buffer = buffer.slice(nl + 1);
    }
    if (buffer.length > ctx.maxLine || queue.some((l) => l.length > ctx.maxLine)) {
      ctx.tooLong();
      stream.end('ERR INVALID-ARGUMENT\n');
      queue = [];
      buffer = '';
      stream.removeListener('data', onData);
      return;
    }
    // Bounded input: at most MAX_QUEUED_LINES lines wait; the stream is not read meanwhile.
    if (queue.length > MAX_QUEUED_LINES) stream.pause();
    void pump();
  }
  raw.on('data', onData);
  return destroy;
}
