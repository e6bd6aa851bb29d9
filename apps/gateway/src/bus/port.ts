// One bus port on the master's side: a queue with exactly one request in flight, the deadline
// rules of docs/module-bus.md, and matching of answers to the request. Counts what went wrong.
import { performance } from 'node:perf_hooks';
import { Clock, ClockTimer, systemClock } from '@kirchhoff/core';
import type { Logger } from '../log';
import { encodeFrame, Frame, FrameParser } from './frame';
import { BusRequest, BusResponse, decodeResponse, encodeRequest } from './messages';
import { BROADCAST_ADDRESS, COMMAND_MASK, frameBytes, MAX_FRAME, SLOT_CHARS, wireMs } from './protocol';
import type { BusTransport } from './transport';

export interface PortCounters {
  /** Frames sent. */
  requests: number;
  /** Requests (or range members) whose answer did not come before the deadline. */
  timeouts: number;
  /** Frames rejected for a bad CRC or an impossible length. */
  crcErrors: number;
  /** Requests not sent (port closed, queue stopped) and answers discarded (late, unexpected). */
  dropped: number;
  /** Bytes outside any frame. */
  garbageBytes: number;
  /** Frames that decoded but did not answer the request in flight. */
  unexpected: number;
  /** Error answers (the module refused). */
  refused: number;
  /** Bytes on the wire both ways, for the wire-time figures. */
  bytesSent: number;
  bytesReceived: number;
}

export interface ExchangeResult {
  /** Answers that matched the request, in arrival order. */
  readonly responses: readonly BusResponse[];
  /** False when the request was dropped without being sent. */
  readonly sent: boolean;
  /** True when expected answers were still missing at the deadline. */
  readonly timedOut: boolean;
}

export interface BusPortOptions {
  readonly transport: BusTransport;
  readonly baudRate: number;
  /** How long a module may take to start answering, beyond the wire time. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Time for deadlines: monotonic system time by default; a virtual clock in tests, so a
   *  deadline passes only when the test lets time pass, however busy the machine is. */
  readonly timers?: Clock;
}

/** performance.now() (a wall-clock step never shortens a deadline) with the host's timers. Each
 *  timer keeps the process alive: someone awaits the exchange or the pause it ends. */
export function monotonicClock(): Clock {
  const host = systemClock();
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) => host.setTimeout(fn, ms, { keepAlive: true }),
    clearTimeout: (timer) => host.clearTimeout(timer),
  };
}

type Expectation =
  | { readonly kind: 'none' }
  | { readonly kind: 'one'; readonly address: number }
  | { readonly kind: 'range'; readonly first: number; readonly last: number }
  | { readonly kind: 'any' };

interface Job {
  readonly request: BusRequest;
  readonly resolve: (r: ExchangeResult) => void;
}

/** The line lent to another protocol on the same serial port (a Q1 UPS, Modbus RTU sensors). */
export interface LineLease {
  /** False when the port is not open (the bytes are dropped). */
  write(bytes: Uint8Array): boolean;
  /** Bytes received while the lease is held; returns a function that removes the listener. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
}

/** Thrown by lease() when the port has stopped before the task could run. */
export class PortStoppedError extends Error {
  constructor(port: string) {
    super(`serial port ${port} is closed`);
  }
}

interface LeaseJob {
  readonly run: () => Promise<void>;
  readonly cancel: () => void;
}

interface InFlight {
  readonly expect: Expectation;
  readonly command: number;
  readonly responses: BusResponse[];
  lastAddress: number;
  deadline: number;
  timer: ClockTimer | null;
  readonly finish: (timedOut: boolean) => void;
}

export class BusPort {
  readonly counters: PortCounters = { requests: 0, timeouts: 0, crcErrors: 0, dropped: 0, garbageBytes: 0, unexpected: 0, refused: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly queue: (Job | LeaseJob)[] = [];
  /** Receivers of the bytes while the line is lent out; null while the bus protocol has it. */
  private leased: Set<(bytes: Uint8Array) => void> | null = null;
  private readonly parser = new FrameParser();
  private inFlight: InFlight | null = null;
  private busy = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly slotMs: number;
  private readonly measurementFrameMs: number;
  private readonly timers: Clock;

  constructor(private readonly options: BusPortOptions) {
    this.timers = options.timers ?? monotonicClock();
    this.unsubscribe = options.transport.onData((bytes) => this.receive(bytes));
    this.slotMs = wireMs(SLOT_CHARS, options.baudRate);
    this.measurementFrameMs = wireMs(frameBytes(9), options.baudRate);
  }

  get description(): string {
    return this.options.transport.description;
  }

  /** Queues a request; `urgent` ones go before everything not yet sent. Never rejects. */
  exchange(request: BusRequest, urgent = false): Promise<ExchangeResult> {
    return new Promise((resolve) => {
      if (this.stopped) {
        this.counters.dropped++;
        resolve({ responses: [], sent: false, timedOut: false });
        return;
      }
      if (urgent) this.queue.unshift({ request, resolve });
      else this.queue.push({ request, resolve });
      this.pump();
    });
  }

  /**
   * Lends the line to `task` in turn with the bus requests, so other protocols on the same port
   * (one owner per port) never talk over the bus. Bytes arriving meanwhile go to the task only.
   */
  lease<T>(task: (line: LineLease) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.stopped) return reject(new PortStoppedError(this.description));
      const listeners = new Set<(bytes: Uint8Array) => void>();
      const line: LineLease = {
        write: (bytes) => {
          if (this.leased !== listeners || !this.options.transport.write(bytes)) return false;
          this.counters.bytesSent += bytes.length;
          return true;
        },
        onData: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
      this.queue.push({
        run: async () => {
          this.leased = listeners;
          try {
            resolve(await task(line));
          } catch (e) {
            reject(e);
          } finally {
            this.leased = null;
            this.parser.reset();
          }
        },
        cancel: () => reject(new PortStoppedError(this.description)),
      });
      this.pump();
    });
  }

  /** Ends the queue: requests not yet sent are dropped and counted. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const job of this.queue.splice(0)) {
      this.counters.dropped++;
      if ('cancel' in job) job.cancel();
      else job.resolve({ responses: [], sent: false, timedOut: false });
    }
    this.inFlight?.finish(true);
  }

  private pump(): void {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    if ('run' in job) {
      job.run().then(() => {
        this.busy = false;
        this.pump();
      });
      return;
    }
    this.run(job.request).then((r) => {
      this.busy = false;
      job.resolve(r);
      this.pump();
    });
  }

  private run(request: BusRequest): Promise<ExchangeResult> {
    let frame: Frame;
    try {
      frame = encodeRequest(request);
    } catch (e) {
      // A caller's bug (an out-of-range value): refuse it here rather than on the wire.
      this.options.logger.error('bus request cannot be encoded; dropped', { port: this.description, request: request.kind, error: e as Error });
      this.counters.dropped++;
      return Promise.resolve({ responses: [], sent: false, timedOut: false });
    }
    const bytes = encodeFrame(frame);
    const stale = this.parser.reset();
    if (stale) this.counters.garbageBytes += stale;
    if (!this.options.transport.write(bytes)) {
      this.counters.dropped++;
      return Promise.resolve({ responses: [], sent: false, timedOut: false });
    }
    this.counters.requests++;
    this.counters.bytesSent += bytes.length;
    const expect = expectationOf(request, frame);
    const now = this.timers.now();
    const requestMs = wireMs(bytes.length, this.options.baudRate);
    if (expect.kind === 'none') {
      // A broadcast is done once it has left; the next request may follow directly.
      return Promise.resolve({ responses: [], sent: true, timedOut: false });
    }
    return new Promise((resolve) => {
      const flight: InFlight = {
        expect,
        command: frame.command & COMMAND_MASK,
        responses: [],
        lastAddress: expect.kind === 'range' ? expect.first - 1 : -1,
        deadline: now + requestMs + this.options.timeoutMs + (expect.kind === 'range'
          ? (expect.last - expect.first + 1) * Math.max(this.slotMs, this.measurementFrameMs) + this.measurementFrameMs
          : wireMs(MAX_FRAME, this.options.baudRate)),
        timer: null,
        finish: (timedOut) => {
          if (this.inFlight !== flight) return;
          this.inFlight = null;
          this.timers.clearTimeout(flight.timer);
          // A range member whose slot passed in silence timed out too, even if later ones
          // answered. An exchange abandoned by stop() timed out on nobody's account.
          if (!this.stopped) this.counters.timeouts += missing(flight);
          resolve({ responses: flight.responses, sent: true, timedOut });
        },
      };
      this.inFlight = flight;
      this.arm(flight);
    });
  }

  private arm(flight: InFlight): void {
    this.timers.clearTimeout(flight.timer);
    flight.timer = this.timers.setTimeout(() => {
      flight.timer = null;
      if (this.timers.now() + 0.5 < flight.deadline) return this.arm(flight);
      // Judged after the input that is already waiting: when this process was paused (a busy
      // machine, a long GC), timers run before the I/O that arrived meanwhile, and an answer
      // sitting in the buffer would otherwise count as a timeout and be discarded as late.
      setImmediate(() => {
        if (this.inFlight !== flight || flight.timer) return;
        if (this.timers.now() + 0.5 < flight.deadline) this.arm(flight);
        else flight.finish(true);
      });
    }, Math.max(0, flight.deadline - this.timers.now()));
  }

  private receive(bytes: Uint8Array): void {
    this.counters.bytesReceived += bytes.length;
    if (this.leased) {
      for (const l of this.leased) l(bytes);
      return;
    }
    for (const e of this.parser.push(bytes)) {
      if (e.kind === 'error') {
        if (e.error.code === 'garbage') this.counters.garbageBytes += e.error.bytes;
        else this.counters.crcErrors++;
        this.options.logger.debug('bad bytes on the bus', { port: this.description, code: e.error.code, detail: e.error.detail });
        continue;
      }
      const flight = this.inFlight;
      if (!flight) {
        this.counters.dropped++;
        this.options.logger.debug('answer after its deadline; discarded', { port: this.description, address: e.frame.address });
        continue;
      }
      const f = e.frame;
      const decoded = decodeResponse(f);
      if (!decoded.ok || (f.command & COMMAND_MASK) !== flight.command || !this.accepts(flight, f.address)) {
        this.counters.unexpected++;
        this.counters.dropped++;
        this.options.logger.debug('frame does not answer the request in flight; discarded', {
          port: this.description, address: f.address, command: f.command, reason: decoded.ok ? 'not expected' : decoded.reason,
        });
        continue;
      }
      const response = decoded.message;
      if (response.kind === 'error') this.counters.refused++;
      flight.responses.push(response);
      const ex = flight.expect;
      if (ex.kind === 'range') {
        flight.lastAddress = f.address;
        if (f.address >= ex.last) {
          flight.finish(false);
          continue;
        }
        // The next member may sit behind silent slots; each costs one slot time.
        flight.deadline = this.timers.now() + this.options.timeoutMs + (ex.last - f.address - 1) * this.slotMs + this.measurementFrameMs;
        this.arm(flight);
      } else if (ex.kind === 'one') {
        flight.finish(false);
      }
    }
  }

  private accepts(flight: InFlight, address: number): boolean {
    const ex = flight.expect;
    switch (ex.kind) {
      case 'one': return address === ex.address;
      case 'range': return address > flight.lastAddress && address <= ex.last;
      case 'any': return true;
      case 'none': return false;
    }
  }
}

function expectationOf(request: BusRequest, frame: Frame): Expectation {
  switch (request.kind) {
    case 'read-measurements-range': case 'enumerate':
      return { kind: 'range', first: request.first, last: request.first + request.count - 1 };
    case 'set-bypass-range':
      return { kind: 'none' };
    case 'assign-address':
      // Whoever had the button pressed answers from its new address; wait the whole deadline.
      return { kind: 'any' };
    default:
      return frame.address === BROADCAST_ADDRESS ? { kind: 'none' } : { kind: 'one', address: frame.address };
  }
}

/** How many expected answers a timed-out exchange lacks. */
function missing(flight: InFlight): number {
  const ex = flight.expect;
  if (ex.kind === 'range') return ex.last - ex.first + 1 - flight.responses.length;
  if (ex.kind === 'one') return flight.responses.length ? 0 : 1;
  return 0;
}
