// The byte pipe under the bus driver and the emulator: a serial port in the field, an in-memory
// pair in fast tests. Neither end knows which one it has.

export interface BusTransport {
  /** For logs: the port path, or `memory:a`. */
  readonly description: string;
  /** True while bytes can be written. */
  readonly isOpen: boolean;
  /** Sends bytes; false when the transport is not open (the bytes are dropped). */
  write(bytes: Uint8Array): boolean;
  /** Registers the receiver of incoming bytes; returns a function that removes it. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

/** One end of an in-memory pair. */
export interface MemoryEnd extends BusTransport {
  /** Pulls the plug (false) or plugs it back in (true): bytes written while unplugged vanish. */
  setConnected(connected: boolean): void;
  /** Writes of either end not yet delivered: 0 when the line is quiet (a test may let time pass). */
  readonly inTransit: number;
}

/**
 * Two connected ends: bytes written at one arrive at the other on a later tick, like a pty
 * pair but without timing. `chunkBytes` splits deliveries to exercise reassembly.
 */
export function createMemoryPair(options: { chunkBytes?: number } = {}): [MemoryEnd, MemoryEnd] {
  let connected = true;
  let inTransit = 0;
  const make = (name: string): MemoryEnd & { deliver(bytes: Uint8Array): void } => {
    const listeners = new Set<(bytes: Uint8Array) => void>();
    let open = true;
    return {
      description: `memory:${name}`,
      get isOpen() {
        return open;
      },
      write(bytes) {
        if (!open) return false;
        if (connected && peerOf(name).isOpen) {
          const copy = Uint8Array.from(bytes);
          inTransit++;
          setImmediate(() => {
            inTransit--;
            peerOf(name).deliver(copy);
          });
        }
        return true;
      },
      onData(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async close() {
        open = false;
        listeners.clear();
      },
      setConnected(c) {
        connected = c;
      },
      get inTransit() {
        return inTransit;
      },
      deliver(bytes) {
        if (!connected || !open) return;
        const size = options.chunkBytes ?? bytes.length;
        for (let i = 0; i < bytes.length; i += size) {
          const part = bytes.subarray(i, i + size);
          for (const l of listeners) l(part);
        }
      },
    };
  };
  const a = make('a');
  const b = make('b');
  const peerOf = (name: string) => (name === 'a' ? b : a);
  return [a, b];
}
