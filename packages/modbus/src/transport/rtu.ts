// Modbus RTU transport on a serial line: frames end at 3.5 character times of silence, bad CRCs
// and other addresses get no answer, broadcasts (address 0) execute writes silently and never
// reads. RS-485 direction control raises RTS while sending and tolerates ports (ptys) that
// cannot do it.
import type { Duplex } from 'node:stream';
import type { SerialPort } from 'serialport';
import type { ModbusDataModel, RequestContext } from '../pdu/data-model';
import { FunctionCode, handlePdu } from '../pdu/functions';
import { RtuFrameAssembler, SerialLineSettings, interFrameSilenceMs, parseRtuFrame, rtuResponse } from '../framing/rtu';
import { ModbusConfigError } from './allow-list';
import { ProblemLog, type RateLimitedLog } from '@kirchhoff/core';
import type { ModbusLogger } from './log';

/** serialport (native) is an optional peer: a Modbus TCP-only user need not install it. */
function loadSerialPort(): typeof SerialPort {
  try {
    // A synchronous load on first use, so that importing the package never needs the native module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('serialport') as typeof import('serialport')).SerialPort;
  } catch {
    throw new ModbusConfigError('modbus.rtu.port', 'Modbus RTU needs the serialport package: npm install serialport');
  }
}

export interface ModbusRtuOptions {
  /** Serial device, e.g. /dev/ttyUSB0. */
  readonly path: string;
  /** Default 19200. */
  readonly baudRate?: number;
  /** Default even (the serial line specification's default). */
  readonly parity?: 'even' | 'odd' | 'none';
  /** Default 1; the specification wants 2 with no parity. */
  readonly stopBits?: 1 | 2;
  /** `rts`: RTS high while sending, for RS-485 adapters without automatic direction control. Default none. */
  readonly rs485?: 'none' | 'rts';
}

const BROADCAST_FUNCTIONS: ReadonlySet<number> = new Set([
  FunctionCode.WriteSingleCoil, FunctionCode.WriteSingleRegister, FunctionCode.WriteMultipleCoils, FunctionCode.WriteMultipleRegisters,
]);

export interface RtuStats {
  readonly frames: number;
  readonly answered: number;
  readonly crcErrors: number;
  readonly otherUnits: number;
  readonly broadcasts: number;
  readonly discarded: number;
}

/** What the RTU server needs of a serial port: a duplex stream, plus RTS control when it has it. */
export type SerialStream = Duplex & {
  set?: (options: { rts?: boolean }, callback: (error: Error | null) => void) => void;
  drain?: (callback: (error: Error | null) => void) => void;
};

export class ModbusRtuServer {
  private port: SerialPort | null = null;
  private counters = { frames: 0, answered: 0, crcErrors: 0, otherUnits: 0, broadcasts: 0, discarded: 0 };

  constructor(
    private readonly model: ModbusDataModel,
    private readonly options: ModbusRtuOptions,
    private readonly unitId: number,
    private readonly logger: ModbusLogger,
    private readonly log: RateLimitedLog = new ProblemLog().source('modbus', logger),
  ) {
    if (!Number.isInteger(unitId) || unitId < 1 || unitId > 247) {
      throw new ModbusConfigError('modbus.unitId', `modbus.unitId ${unitId} cannot be an RTU address: use 1..247`);
    }
  }

  get stats(): RtuStats {
    return { ...this.counters };
  }

  private get line(): SerialLineSettings {
    return { baudRate: this.options.baudRate ?? 19200, parity: this.options.parity ?? 'even', stopBits: this.options.stopBits ?? 1, dataBits: 8 };
  }

  async open(): Promise<void> {
    const line = this.line;
    const port = new (loadSerialPort())({ path: this.options.path, baudRate: line.baudRate, parity: line.parity, stopBits: line.stopBits, dataBits: 8, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new ModbusConfigError('modbus.rtu.port', `modbus.rtu.port ${this.options.path} cannot be opened: ${e.message}`)) : resolve())));
    this.port = port;
    this.handle(port as unknown as SerialStream, this.options.path);
    this.logger.info('modbus rtu listening', { path: this.options.path, ...line, unitId: this.unitId });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  /** Serves Modbus RTU on any duplex byte stream (a serial port, a pty, an in-memory pair). */
  handle(stream: SerialStream, name: string): void {
    const assembler = new RtuFrameAssembler();
    const silenceMs = Math.max(1, Math.ceil(interFrameSilenceMs(this.line)));
    let timer: NodeJS.Timeout | null = null;
    let chain: Promise<void> = Promise.resolve();
    const context: RequestContext = { transport: 'rtu', remote: name, broadcast: false };

    const onSilence = () => {
      timer = null;
      const { frame, overlong } = assembler.take();
      if (overlong) {
        this.counters.discarded++;
        return;
      }
      // One request at a time: the master waits for each answer anyway.
      chain = chain.then(() => this.serve(stream, frame, context)).catch((e) => void this.log.warn('rtu', 'modbus rtu: request failed', { error: String(e) }));
    };
    stream.on('data', (chunk: Buffer) => {
      assembler.push(chunk);
      if (timer) clearTimeout(timer);
      timer = setTimeout(onSilence, silenceMs);
    });
    stream.on('error', (e) => this.log.warn('rtu-port', `modbus rtu: ${name}: ${e.message}`));
    stream.on('close', () => timer && clearTimeout(timer));
  }

  private async serve(stream: SerialStream, frame: Buffer, context: RequestContext): Promise<void> {
    this.counters.frames++;
    const parsed = parseRtuFrame(frame);
    if (!parsed.ok) {
      // The specification requires silence for a frame failing its check: the master times out and retries.
      if (parsed.reason === 'crc') this.counters.crcErrors++;
      else this.counters.discarded++;
      return;
    }
    if (parsed.address === 0) {
      this.counters.broadcasts++;
      if (BROADCAST_FUNCTIONS.has(parsed.pdu[0])) await handlePdu(parsed.pdu, this.model, { ...context, broadcast: true });
      return;
    }
    if (parsed.address !== this.unitId) {
      this.counters.otherUnits++;
      return;
    }
    const pdu = await handlePdu(parsed.pdu, this.model, context, (error) => this.log.warn('handler', 'modbus: request failed inside the server', { remote: context.remote, error: String(error) }));
    await this.send(stream, rtuResponse(this.unitId, pdu));
    this.counters.answered++;
  }

  private async send(stream: SerialStream, frame: Buffer): Promise<void> {
    const rts = this.options.rs485 === 'rts' && stream.set;
    if (rts) await this.setRts(stream, true);
    stream.write(frame);
    if (rts) {
      await new Promise<void>((r) => (stream.drain ? stream.drain(() => r()) : r()));
      await this.setRts(stream, false);
    }
  }

  private setRts(stream: SerialStream, on: boolean): Promise<void> {
    return new Promise((resolve) => stream.set!({ rts: on }, (error) => {
      // ptys and some USB adapters refuse the ioctl: keep serving, the adapter may switch by itself.
      if (error) this.log.warn('rts', `modbus rtu: cannot set RTS for RS-485 direction control (${error.message}); continuing without it`);
      resolve();
    }));
  }
}
