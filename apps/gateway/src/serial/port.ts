// A BusTransport over a real serial port (serialport). It reopens the port after an error or a
// disconnect, so the driver (and the emulator) keep running while a USB adapter is replugged.
import { SerialPort } from 'serialport';
import type { Logger } from '../log';
import type { BusTransport } from '../bus/transport';

export interface SerialTransportOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly logger: Logger;
  /** Wait between attempts to (re)open the port. */
  readonly reopenMs?: number;
  /**
   * Raise DTR and RTS after opening (some RS-232 bus converters draw power from them). On a
   * pty these ioctls fail: that is logged once and ignored.
   */
  readonly raiseModemLines?: boolean;
  /** Default none, 8 data bits, 1 stop bit (the module bus); Modbus RTU devices often use even. */
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

export class SerialTransport implements BusTransport {
  readonly description: string;
  private port: SerialPort | null = null;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private closed = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private lastOpenError = '';
  private warnedModemLines = false;

  constructor(private readonly options: SerialTransportOptions) {
    this.description = options.path;
  }

  /**
   * Opens the port. Resolves after the first attempt with whether it worked; after a failure it
   * keeps trying in the background (writes are dropped and counted meanwhile).
   */
  open(): Promise<boolean> {
    return new Promise((resolve) => {
      const attempt = () => {
        if (this.closed) return resolve(false);
        const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, parity: this.options.parity, stopBits: this.options.stopBits, autoOpen: false });
        port.open((err) => {
          if (err) {
            if (err.message !== this.lastOpenError) this.options.logger.warn('cannot open serial port; retrying', { port: this.options.path, error: err.message });
            this.lastOpenError = err.message;
            this.scheduleReopen(attempt);
            resolve(false);
            return;
          }
          this.lastOpenError = '';
          this.port = port;
          this.options.logger.info('serial port open', { port: this.options.path, baudRate: this.options.baudRate });
          port.on('data', (chunk: Buffer) => {
            for (const l of this.listeners) l(chunk);
          });
          port.on('error', (e: Error) => this.options.logger.warn('serial port error', { port: this.options.path, error: e.message }));
          port.on('close', () => {
            // Only the current port's close matters; serialport may report one close twice.
            if (this.port !== port) return;
            this.port = null;
            if (!this.closed) {
              this.options.logger.warn('serial port closed; reopening', { port: this.options.path });
              this.scheduleReopen(attempt);
            }
          });
          if (this.options.raiseModemLines) {
            port.set({ dtr: true, rts: true }, (e) => {
              if (e && !this.warnedModemLines) {
                this.warnedModemLines = true;
                this.options.logger.info('cannot set DTR/RTS on this port (normal for a pty); continuing without', { port: this.options.path, error: e.message });
              }
            });
          }
          resolve(true);
        });
      };
      attempt();
    });
  }

  private scheduleReopen(attempt: () => void): void {
    if (this.reopenTimer || this.closed) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      attempt();
    }, this.options.reopenMs ?? 1000);
  }

  get isOpen(): boolean {
    return !!this.port?.isOpen;
  }

  write(bytes: Uint8Array): boolean {
    const port = this.port;
    if (!port?.isOpen) return false;
    port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return true;
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const port = this.port;
    this.port = null;
    this.listeners.clear();
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }
}
