// One RCCMD stream (a TCP or TLS connection, or any duplex stream): cuts it into messages with
// the line framer and passes each with a reply function; the public form's last message ends at
// the end of the stream. A message past the size limit closes the stream.
import type { Duplex } from 'node:stream';
import { LineFramer } from '../framing';

export interface StreamHandlers {
  /** One message; `reply` writes to this stream while it is open. */
  message(bytes: Buffer, reply: (bytes: Buffer) => void): void;
  /** More than the limit without a line end: the stream is closed after this. */
  overflow(): void;
  /** A handler threw: the stream is closed after this. */
  failed(error: Error): void;
}

export function serveStream(stream: Duplex, on: StreamHandlers): void {
  const framer = new LineFramer();
  const reply = (bytes: Buffer) => {
    if (!stream.destroyed && stream.writable) stream.write(bytes);
  };
  stream.on('error', () => stream.destroy());
  stream.on('data', (chunk: Buffer) => {
    try {
      const { frames, overflow } = framer.push(chunk);
      for (const f of frames) on.message(f, reply);
      if (overflow) {
        on.overflow();
        stream.destroy();
      }
    } catch (error) {
      on.failed(error as Error);
      stream.destroy();
    }
  });
  stream.on('end', () => {
    try {
      const last = framer.end();
      if (last) on.message(last, reply);
    } catch (error) {
      on.failed(error as Error);
    }
    stream.end();
  });
}
