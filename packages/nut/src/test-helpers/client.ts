// A minimal line client for the tests: sends one request line, reads its answer (one line, or
// a BEGIN LIST ... END LIST block), as upsc and PyNUTClient do; over TCP or any duplex stream.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface LineClient {
  /** Sends `line` and resolves with the answer lines. */
  ask(line: string): Promise<string[]>;
  /** Resolves with the next answer line. */
  next(): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed(): Promise<void>;
  readonly socket: Duplex;
  close(): void;
}

export async function lineClient(port: number, host = '127.0.0.1', localAddress?: string): Promise<LineClient> {
  const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return streamClient(socket);
}

/** The line client on a stream already open (the client's end of an in-memory pair). */
export function streamClient(socket: Duplex): LineClient {
  socket.on('error', () => {});
  let buffer = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const endedP = new Promise<void>((resolve) => {
    const done = () => {
      ended = true;
      wake?.();
      resolve();
    };
    socket.once('close', done);
    socket.once('end', done);
  });
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    wake?.();
  });
  const next = async (): Promise<string> => {
    while (!lines.length) {
      if (socket.destroyed || ended) throw new Error('connection closed');
      await new Promise<void>((r) => (wake = r));
    }
    return lines.shift() as string;
  };
  return {
    socket,
    next,
    async ask(line) {
      socket.write(`${line}\n`);
      const first = await next();
      if (!first.startsWith('BEGIN LIST ')) return [first];
      const out = [first];
      const end = `END LIST ${first.slice('BEGIN LIST '.length)}`;
      for (let l = await next(); ; l = await next()) {
        out.push(l);
        if (l === end) return out;
      }
    },
    closed: () => endedP,
    close: () => socket.destroy(),
  };
}
