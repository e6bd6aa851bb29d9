// Serial-port ownership for the UPS and sensor sources: one queue per port (the bus driver's
// BusPort), whoever uses it. The bus's own port is adopted; other ports are opened here once.
import { BusPort, LineLease } from '../bus/port';
import { SerialTransport } from './port';
import type { Logger } from '../log';

export interface LineSettings {
  readonly baudRate: number;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

interface Owned {
  readonly queue: BusPort;
  readonly settings: LineSettings;
  /** Null for an adopted port: its owner closes it. */
  readonly transport: SerialTransport | null;
  users: number;
}

export class LineSettingsError extends Error {
  readonly code = 'serial.settings';
}

/** A serial line as its users see it: exchanges take turns with every other user of the port. */
export interface SharedLine {
  readonly path: string;
  lease<T>(task: (line: LineLease) => Promise<T>): Promise<T>;
  /** Gives the line back; the last user closes a port opened here. */
  release(): Promise<void>;
}

export class SerialLines {
  private readonly owned = new Map<string, Owned>();

  constructor(private readonly logger: Logger) {}

  /** Registers a port someone else owns (the battery bus), so its users queue behind the bus. */
  adopt(path: string, queue: BusPort, settings: LineSettings): void {
    this.owned.set(path, { queue, settings, transport: null, users: 1 });
  }

  /** Opens (or shares) `path`; a port already open with other settings is refused. */
  async open(path: string, settings: LineSettings): Promise<SharedLine> {
    let o = this.owned.get(path);
    if (o) {
      const a = o.settings;
      if (a.baudRate !== settings.baudRate || (a.parity ?? 'none') !== (settings.parity ?? 'none') || (a.stopBits ?? 1) !== (settings.stopBits ?? 1)) {
        throw new LineSettingsError(`${path} is open at ${a.baudRate} baud, parity ${a.parity ?? 'none'}, ${a.stopBits ?? 1} stop bit(s); cannot also use it at ${settings.baudRate} baud, parity ${settings.parity ?? 'none'}, ${settings.stopBits ?? 1} stop bit(s)`);
      }
      o.users++;
    } else {
      const transport = new SerialTransport({ path, baudRate: settings.baudRate, parity: settings.parity, stopBits: settings.stopBits, logger: this.logger });
      await transport.open();
      // The bus timing options do not matter: this queue only lends the line out.
      o = { queue: new BusPort({ transport, baudRate: settings.baudRate, timeoutMs: 0, logger: this.logger }), settings, transport, users: 1 };
      this.owned.set(path, o);
    }
    const owned = o;
    let released = false;
    return {
      path,
      lease: (task) => owned.queue.lease(task),
      release: async () => {
        if (released) return;
        released = true;
        if (--owned.users > 0 || !owned.transport) return;
        this.owned.delete(path);
        owned.queue.stop();
        await owned.transport.close();
      },
    };
  }
}

/**
 * Collects bytes from a leased line until `complete` says a reply is whole, or the time is up.
 * Resolves with the bytes (or null on timeout); never rejects.
 */
export function readReply(line: LineLease, complete: (bytes: Buffer) => boolean, timeoutMs: number, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const done = (result: Buffer | null) => {
      clearTimeout(timer);
      off();
      resolve(result);
    };
    const off = line.onData((bytes) => {
      buf = Buffer.concat([buf, bytes]);
      if (buf.length > maxBytes) done(buf.subarray(0, maxBytes));
      else if (complete(buf)) done(buf);
    });
    const timer = setTimeout(() => done(null), timeoutMs);
  });
}
