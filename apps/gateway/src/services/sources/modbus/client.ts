// Modbus clients for reading registers: RTU through a shared serial line (turns in the port's
// queue, the 3.5-character silence kept before giving the line back) and TCP (one connection per
// server, one request in flight, reconnect on the next request after an error or a timeout).
import { Socket } from 'node:net';
import { readReply, SharedLine } from '../../../serial';
import { interFrameSilenceMs, MbapFramer, SerialLineSettings } from '@kirchhoff/modbus';
import { decodeRtuReply, decodeTcpReply, ModbusReplyError, ReadRequest, rtuReplyLength, rtuRequest, tcpRequest } from './codec';

export interface RegisterReader {
  readonly description: string;
  /** Resolves with the registers; rejects with a ModbusReplyError (timeout, exception, malformed). */
  read(request: ReadRequest): Promise<number[]>;
  close(): Promise<void>;
}

export class RtuReader implements RegisterReader {
  readonly description: string;

  constructor(private readonly line: SharedLine, private readonly serial: SerialLineSettings, private readonly timeoutMs: number) {
    this.description = `rtu ${line.path}`;
  }

  read(request: ReadRequest): Promise<number[]> {
    return this.line.lease(async (l) => {
      const reply = readReply(l, (b) => {
        const n = rtuReplyLength(request, b);
        return n > 0 && b.length >= n;
      }, this.timeoutMs, 256);
      if (!l.write(rtuRequest(request))) throw new ModbusReplyError('timeout', `serial port ${this.line.path} is not open`);
      const bytes = await reply;
      await new Promise((r) => setTimeout(r, Math.ceil(interFrameSilenceMs(this.serial))));
      if (!bytes) throw new ModbusReplyError('timeout', `no reply from unit ${request.unitId} within ${this.timeoutMs} ms`);
      return decodeRtuReply(request, bytes);
    });
  }

  async close(): Promise<void> {
    await this.line.release();
  }
}

export class TcpReader implements RegisterReader {
  readonly description: string;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private transactionId = 0;
  private closed = false;

  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs: number) {
    this.description = `tcp ${host}:${port}`;
  }

  read(request: ReadRequest): Promise<number[]> {
    const run = this.chain.then(() => this.exchange(request));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = new Socket();
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ModbusReplyError('timeout', `cannot connect to ${this.host}:${this.port} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new ModbusReplyError('timeout', `cannot connect to ${this.host}:${this.port}: ${e.message}`));
      });
      s.connect(this.port, this.host, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => s.destroy());
        s.setNoDelay(true);
        this.socket = s;
        resolve(s);
      });
    }).finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async exchange(request: ReadRequest): Promise<number[]> {
    if (this.closed) throw new ModbusReplyError('timeout', `${this.description} is closed`);
    const socket = await this.connect();
    const id = (this.transactionId = (this.transactionId + 1) & 0xffff);
    return new Promise<number[]>((resolve, reject) => {
      const framer = new MbapFramer();
      let done = false;
      const finish = (error: Error | null, regs?: number[]) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        // After a timeout or a broken frame the stream position is unknown: start over.
        if (error && !(error instanceof ModbusReplyError && error.code === 'exception')) socket.destroy();
        if (error) reject(error);
        else resolve(regs!);
      };
      const onData = (chunk: Buffer) => {
        try {
          const error = framer.push(chunk, (frame) => finish(null, decodeTcpReply(request, frame, id)));
          if (error) finish(new ModbusReplyError('malformed', error.message));
        } catch (e) {
          finish(e as Error);
        }
      };
      const onClose = () => finish(new ModbusReplyError('timeout', `${this.description} closed the connection`));
      const timer = setTimeout(() => finish(new ModbusReplyError('timeout', `no reply from ${this.description} unit ${request.unitId} within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(tcpRequest(request, id));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    this.socket?.destroy();
  }
}
