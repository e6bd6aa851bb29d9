// The module emulator: answers the module bus protocol for every module of a ModuleBank, on any
// transport. On a pty (which moves bytes instantly) it can hold each answer back until a real
// line at the configured baud rate would have delivered it, so cycle times are realistic.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log';
import { encodeFrame, FrameParser } from './frame';
import { BusRequest, BusResponse, decodeRequest, encodeResponse, Measurements, ModuleInfo, requestKindOf } from './messages';
import type { ModuleBank } from './module-bank';
import { BROADCAST_ADDRESS, BusErrorCode, CMD, ERR, PROTOCOL_VERSION, RESPONSE_BIT, SLOT_CHARS, UNASSIGNED_ADDRESS, wireMs } from './protocol';
import type { BusTransport } from './transport';

export interface EmulatorOptions {
  readonly bank: ModuleBank;
  readonly transport: BusTransport;
  readonly logger: Logger;
  /** Emulate line timing at this baud rate; 0 answers at once (in-memory tests). */
  readonly paceBaud?: number;
  /** Modules start unaddressed and wait for commissioning (button + ASSIGN_ADDRESS). */
  readonly unaddressed?: boolean;
  /** How long an Ri measurement keeps the module busy. */
  readonly riMeasurementMs?: number;
  /** Wall clock for module timers (identify, address mode), ms. */
  readonly clock?: () => number;
}

interface EmulatedModule {
  readonly global: number;
  address: number;
  readonly serial: number;
  sleeping: boolean;
  identifyUntil: number;
  addressModeUntil: number;
  riBusyUntil: number;
  wasBlown: boolean;
  trips: number;
}

/** A button press keeps a module in address mode this long. */
const ADDRESS_MODE_MS = 60_000;

export const FIRMWARE_VERSION = '1.0.0';

export class ModuleEmulator {
  private readonly modules: EmulatedModule[] = [];
  private readonly byAddress = new Map<number, EmulatedModule>();
  private readonly parser = new FrameParser();
  private readonly clock: () => number;
  private unsubscribe: (() => void) | null = null;
  private lineFreeAt = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Frames answered and hostile frames seen, for logs and tests. */
  readonly stats = { requests: 0, responses: 0, badFrames: 0, refused: 0, superseded: 0 };
  /** The paced answer not yet written; a new request from the master cancels it. */
  private pending: { cancelled: boolean } | null = null;

  constructor(private readonly options: EmulatorOptions) {
    this.clock = options.clock ?? Date.now;
    let global = 1;
    for (const s of options.bank.layout) {
      for (let m = 0; m < s.modules; m++, global++) {
        const mod: EmulatedModule = {
          global, address: options.unaddressed ? UNASSIGNED_ADDRESS : global, serial: 0x4b000000 + global,
          sleeping: false, identifyUntil: 0, addressModeUntil: 0, riBusyUntil: 0, wasBlown: false, trips: 0,
        };
        this.modules.push(mod);
        if (!options.unaddressed) this.byAddress.set(global, mod);
      }
    }
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.transport.onData((bytes) => this.receive(bytes));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The commissioning button on a module: it takes the next ASSIGN_ADDRESS broadcast. */
  pressButton(global: number): void {
    const m = this.modules[global - 1];
    if (!m) throw new RangeError(`no module ${global}`);
    m.addressModeUntil = this.clock() + ADDRESS_MODE_MS;
  }

  addressOf(global: number): number | undefined {
    return this.modules[global - 1]?.address;
  }

  private receive(bytes: Uint8Array): void {
    const arrivedAt = performance.now();
    for (const e of this.parser.push(bytes)) {
      if (e.kind === 'error') {
        this.stats.badFrames++;
        // Once: a noisy line would otherwise flood the log; the count is in stats.
        if (this.stats.badFrames === 1) this.options.logger.warn('bad bytes on the bus (ignored; logged once)', { code: e.error.code, detail: e.error.detail });
        continue;
      }
      const f = e.frame;
      // Half duplex: a module hears other modules' answers too; they are not for it.
      if (f.command & RESPONSE_BIT) continue;
      this.stats.requests++;
      if (this.pending) {
        // The master gave up waiting and speaks again: on a real line the late answer would
        // collide with it. Dropping it keeps one late answer from delaying every later one.
        this.pending.cancelled = true;
        this.pending = null;
        this.lineFreeAt = arrivedAt;
        this.stats.superseded++;
      }
      const requestBytes = f.payload.length + 7;
      const decoded = decodeRequest(f);
      let answers: (BusResponse | null)[];
      if (!decoded.ok) {
        const target = this.answering(f.address);
        // Only an addressed module answers a bad request; a broadcast stays silent.
        answers = target ? [this.refuse(target, f.command, decoded.errorCode)] : [];
        if (target) this.stats.refused++;
      } else {
        answers = this.handle(decoded.message);
      }
      this.send(answers, arrivedAt, requestBytes);
    }
  }

  /** The module that answers an addressed request, if it is there and awake. */
  private answering(address: number, evenAsleep = false): EmulatedModule | null {
    if (address === BROADCAST_ADDRESS || address === UNASSIGNED_ADDRESS) return null;
    const m = this.byAddress.get(address);
    if (!m || this.options.bank.readout(m.global) === null) return null;
    if (m.sleeping && !evenAsleep) return null;
    return m;
  }

  private awake(): EmulatedModule[] {
    return this.modules.filter((m) => !m.sleeping && this.options.bank.readout(m.global) !== null);
  }

  private refuse(m: EmulatedModule, command: number, code: BusErrorCode): BusResponse {
    return { kind: 'error', address: m.address, of: requestKindOf(command), code };
  }

  /** Answers in bus order; null is a silent slot in a range answer. */
  private handle(r: BusRequest): (BusResponse | null)[] {
    const bank = this.options.bank;
    const now = this.clock();
    switch (r.kind) {
      case 'read-measurements-range': case 'enumerate': {
        const out: (BusResponse | null)[] = [];
        for (let a = r.first; a < r.first + r.count && a < BROADCAST_ADDRESS; a++) {
          const m = this.answering(a);
          if (!m) out.push(null);
          else if (r.kind === 'enumerate') out.push({ kind: 'info', address: a, of: 'enumerate', info: this.info(m) });
          else out.push({ kind: 'measurements', address: a, of: 'read-measurements-range', measurements: this.measure(m, now) });
        }
        // Trailing silent slots cost nothing: nobody waits for them.
        while (out.length && out[out.length - 1] === null) out.pop();
        return out;
      }
      case 'set-bypass-range':
        r.dutiesPercent.forEach((d, i) => {
          const m = this.answering(r.first + i);
          if (m) bank.setBypassDuty(m.global, d);
        });
        return [];
      case 'assign-address': {
        const candidates = this.awake().filter((m) => m.addressModeUntil > now);
        for (const m of candidates) {
          this.byAddress.delete(m.address);
          m.address = r.newAddress;
          m.addressModeUntil = 0;
          this.byAddress.set(m.address, m);
          this.options.logger.info('module took an address', { module: m.global, address: m.address });
        }
        return candidates.map((m) => ({ kind: 'info', address: m.address, of: 'assign-address', info: this.info(m) }));
      }
      default:
        break;
    }
    if (r.address === BROADCAST_ADDRESS) {
      for (const m of this.modules) this.broadcast(r, m, now);
      return [];
    }
    const m = this.answering(r.address, r.kind === 'wake');
    if (!m) return [];
    return [this.addressed(r, m, now)];
  }

  private broadcast(r: BusRequest, m: EmulatedModule, now: number): void {
    const bank = this.options.bank;
    if (bank.readout(m.global) === null) return;
    if (r.kind === 'wake') m.sleeping = false;
    if (m.sleeping) return;
    if (r.kind === 'set-bypass') bank.setBypassDuty(m.global, r.dutyPercent);
    else if (r.kind === 'identify') m.identifyUntil = now + r.seconds * 1000;
    else if (r.kind === 'sleep') this.sleep(m);
    else if (r.kind === 'start-ri' && m.riBusyUntil <= now) this.startRi(m, now);
  }

  private addressed(r: BusRequest, m: EmulatedModule, now: number): BusResponse {
    const bank = this.options.bank;
    const a = m.address;
    switch (r.kind) {
      case 'read-info': return { kind: 'info', address: a, of: 'read-info', info: this.info(m) };
      case 'read-measurements': return { kind: 'measurements', address: a, of: 'read-measurements', measurements: this.measure(m, now) };
      case 'start-ri':
        if (m.riBusyUntil > now) return this.refuse(m, CMD.START_RI, ERR.BUSY);
        this.startRi(m, now);
        return { kind: 'ack', address: a, of: 'start-ri' };
      case 'read-ri': {
        const out = bank.readout(m.global);
        return { kind: 'ri', address: a, resistanceOhm: out?.resistanceOhm ?? null, measuring: m.riBusyUntil > now };
      }
      case 'set-bypass': {
        const before = bank.readout(m.global);
        if (before?.overTemperature && r.dutyPercent > 0) return this.refuse(m, CMD.SET_BYPASS, ERR.NOT_ALLOWED);
        bank.setBypassDuty(m.global, r.dutyPercent);
        return { kind: 'bypass', address: a, dutyPercent: bank.readout(m.global)?.bypassDutyPercent ?? 0 };
      }
      case 'read-fuse': return { kind: 'fuse', address: a, of: 'read-fuse', fuse: this.fuse(m) };
      case 'clear-fuse':
        bank.clearFuse(m.global);
        m.trips = 0;
        m.wasBlown = false;
        return { kind: 'fuse', address: a, of: 'clear-fuse', fuse: this.fuse(m) };
      case 'identify':
        m.identifyUntil = now + r.seconds * 1000;
        return { kind: 'ack', address: a, of: 'identify' };
      case 'sleep':
        this.sleep(m);
        return { kind: 'ack', address: a, of: 'sleep' };
      case 'wake':
        m.sleeping = false;
        return { kind: 'ack', address: a, of: 'wake' };
      case 'change-address':
        if (this.byAddress.has(r.newAddress)) return this.refuse(m, CMD.CHANGE_ADDRESS, ERR.NOT_ALLOWED);
        this.byAddress.delete(m.address);
        m.address = r.newAddress;
        this.byAddress.set(m.address, m);
        return { kind: 'ack', address: a, of: 'change-address' };
      default:
        return this.refuse(m, 0, ERR.UNKNOWN_COMMAND);
    }
  }

  private sleep(m: EmulatedModule): void {
    this.options.bank.setBypassDuty(m.global, 0);
    m.sleeping = true;
  }

  private startRi(m: EmulatedModule, now: number): void {
    this.options.bank.measureResistance(m.global);
    m.riBusyUntil = now + (this.options.riMeasurementMs ?? 0);
  }

  private fuse(m: EmulatedModule) {
    const out = this.options.bank.readout(m.global);
    this.trackFuse(m, !!out?.fuseBlown);
    return { blown: !!out?.fuseBlown, tripped: m.trips > 0, trips: Math.min(255, m.trips) };
  }

  private trackFuse(m: EmulatedModule, blown: boolean): void {
    if (blown && !m.wasBlown) m.trips++;
    m.wasBlown = blown;
  }

  private measure(m: EmulatedModule, now: number): Measurements {
    const out = this.options.bank.readout(m.global)!;
    this.trackFuse(m, out.fuseBlown);
    return {
      voltageV: out.voltageV,
      temperatureC: out.temperatureC,
      resistanceOhm: out.resistanceOhm,
      bypassDutyPercent: Math.max(0, Math.min(100, Math.round(out.bypassDutyPercent))),
      status: {
        fuseBlown: out.fuseBlown, overTemperature: out.overTemperature, bypassOn: out.bypassDutyPercent > 0,
        riMeasuring: m.riBusyUntil > now, identifying: m.identifyUntil > now, fuseTripped: m.trips > 0, addressMode: m.addressModeUntil > now,
      },
    };
  }

  private info(m: EmulatedModule): ModuleInfo {
    let g = m.global;
    let type = this.options.bank.layout[0].moduleType;
    for (const s of this.options.bank.layout) {
      if (g <= s.modules) {
        type = s.moduleType;
        break;
      }
      g -= s.modules;
    }
    return { protocolVersion: PROTOCOL_VERSION, moduleType: type, firmware: FIRMWARE_VERSION, hardwareRevision: 1, serial: m.serial };
  }

  private send(answers: (BusResponse | null)[], arrivedAt: number, requestBytes: number): void {
    const baud = this.options.paceBaud ?? 0;
    const frames = answers.map((a) => (a ? encodeFrame(encodeResponse(a)) : null));
    const bytes = frames.reduce((n, f) => n + (f ? f.length : 0), 0);
    this.stats.responses += frames.filter(Boolean).length;
    const out = new Uint8Array(bytes);
    let o = 0;
    for (const f of frames) if (f) out.set(f, (o += f.length) - f.length);
    if (baud <= 0) {
      if (bytes) this.options.transport.write(out);
      return;
    }
    // The request occupied the line until it was fully received; the answers follow in turn,
    // each silent slot costing SLOT_CHARS character times.
    let t = Math.max(arrivedAt + wireMs(requestBytes, baud), this.lineFreeAt);
    for (const f of frames) t += f ? wireMs(f.length, baud) : wireMs(SLOT_CHARS, baud);
    this.lineFreeAt = t;
    if (!bytes) return;
    const token = { cancelled: false };
    this.pending = token;
    this.writeAt(out, t, token);
  }

  /**
   * Writes at `t` (performance.now() ms), never earlier: Node timers have whole-millisecond
   * resolution and may fire up to 1 ms early, which would make the line faster than its baud
   * rate. The last 2 ms are waited out on setImmediate.
   */
  private writeAt(out: Uint8Array, t: number, token: { cancelled: boolean }): void {
    if (token.cancelled || !this.unsubscribe) return;
    const remaining = t - performance.now();
    if (remaining <= 0) {
      if (this.pending === token) this.pending = null;
      this.options.transport.write(out);
      return;
    }
    if (remaining <= 2) {
      setImmediate(() => this.writeAt(out, t, token));
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.writeAt(out, t, token);
    }, remaining - 2);
    this.timers.add(timer);
  }
}
