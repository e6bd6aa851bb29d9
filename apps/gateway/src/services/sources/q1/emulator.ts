// A Megatec/Q1 UPS on a byte pipe (a pty from socat, or an in-memory pair): answers Q1, I and F,
// runs T/TL/T<n> battery tests and S<n>[R<m>] shutdowns on its own clock, echoes what it does not
// understand (as real units do). For tests and `kirchhoff simulate-ups`.
import type { BusTransport } from '../../../bus/transport';
import { formatIdentity, formatQ1, formatRating, parseShutdownCommand, Q1Identity } from './codec';

export interface Q1EmulatorState {
  mainsOn: boolean;
  inputVoltageV: number;
  frequencyHz: number;
  loadPercent: number;
  /** Reported battery voltage (as the unit reports it: here the whole string). */
  batteryVoltageV: number;
  temperatureC: number;
  batteryLow: boolean;
  beeperOn: boolean;
  /** The next battery test ends with the UPS-failed bit set. */
  failNextTest: boolean;
  upsFailed: boolean;
  /** Stop answering anything (a pulled cable). */
  silent: boolean;
}

export interface Q1EmulatorOptions {
  readonly identity?: Q1Identity;
  readonly rating?: { voltageV: number; currentA: number; batteryVoltageV: number; frequencyHz: number };
  readonly clock?: () => number;
  /** Called with every command and the reply sent (null: none). */
  readonly onCommand?: (command: string, reply: string | null) => void;
}

export class Q1Emulator {
  readonly state: Q1EmulatorState = {
    mainsOn: true, inputVoltageV: 230.4, frequencyHz: 50.0, loadPercent: 34, batteryVoltageV: 27.4, temperatureC: 25.0,
    batteryLow: false, beeperOn: true, failNextTest: false, upsFailed: false, silent: false,
  };
  /** Every command received, in order, for tests. */
  readonly received: string[] = [];
  private buf = '';
  private testUntil: number | null = null;
  private testUntilLow = false;
  private shutdownAt: number | null = null;
  private restartAfterMin: number | null = null;
  private outputOffSince: number | null = null;
  private readonly clock: () => number;
  private readonly off: () => void;

  constructor(private readonly transport: BusTransport, private readonly options: Q1EmulatorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.off = transport.onData((bytes) => this.receive(bytes));
  }

  get identity(): Q1Identity {
    return this.options.identity ?? { manufacturer: 'Kirchhoff', model: 'Q1-EMU 3k', version: 'V1.2' };
  }

  get rating() {
    return this.options.rating ?? { voltageV: 230.0, currentA: 13, batteryVoltageV: 24.0, frequencyHz: 50.0 };
  }

  get testRunning(): boolean {
    this.advance();
    return this.testUntil !== null;
  }

  get outputOn(): boolean {
    this.advance();
    return this.outputOffSince === null;
  }

  stop(): void {
    this.off();
  }

  private advance(): void {
    const now = this.clock();
    if (this.testUntil !== null && (now >= this.testUntil || (this.testUntilLow && this.state.batteryLow))) {
      this.testUntil = null;
      this.state.upsFailed = this.state.failNextTest;
    }
    if (this.shutdownAt !== null && now >= this.shutdownAt) {
      this.shutdownAt = null;
      this.outputOffSince = now;
    }
    if (this.outputOffSince !== null) {
      const back = this.restartAfterMin === null ? this.state.mainsOn : this.restartAfterMin > 0 && now >= this.outputOffSince + this.restartAfterMin * 60_000;
      if (back) this.outputOffSince = null;
    }
  }

  private receive(bytes: Uint8Array): void {
    this.buf += Buffer.from(bytes).toString('latin1');
    // A line without CR for this long is noise: drop it rather than grow.
    if (this.buf.length > 256) this.buf = this.buf.slice(-64);
    let cr: number;
    while ((cr = this.buf.indexOf('\r')) >= 0) {
      const command = this.buf.slice(0, cr).replace(/^[\n\0]+/, '');
      this.buf = this.buf.slice(cr + 1);
      this.received.push(command);
      if (this.state.silent) continue;
      const reply = this.handle(command);
      if (reply !== null) this.transport.write(Buffer.from(reply, 'latin1'));
      this.options.onCommand?.(command, reply);
    }
  }

  /** The reply to one command (without its CR), or null for none. */
  handle(command: string): string | null {
    this.advance();
    const s = this.state;
    const now = this.clock();
    switch (command) {
      case 'Q1': {
        const onBattery = !s.mainsOn || this.testUntil !== null;
        const outputOn = this.outputOffSince === null;
        return formatQ1({
          inputVoltageV: s.mainsOn ? s.inputVoltageV : 0,
          inputFaultVoltageV: s.mainsOn ? s.inputVoltageV : 0,
          outputVoltageV: outputOn ? (onBattery ? this.rating.voltageV : s.inputVoltageV) : 0,
          loadPercent: outputOn ? s.loadPercent : 0,
          inputFrequencyHz: s.mainsOn ? s.frequencyHz : 0,
          batteryVoltageV: s.batteryVoltageV,
          temperatureC: s.temperatureC,
          flags: {
            utilityFail: !s.mainsOn, batteryLow: s.batteryLow, bypassBoostBuck: false, upsFailed: s.upsFailed, standby: false,
            testInProgress: this.testUntil !== null, shutdownActive: this.shutdownAt !== null, beeperOn: s.beeperOn,
          },
        });
      }
      case 'I': return formatIdentity(this.identity);
      case 'F': return formatRating(this.rating);
      case 'T': return this.startTest(command, now + 10_000, false);
      case 'TL': return this.startTest(command, now + 3_600_000, true);
      case 'CT':
        this.testUntil = null;
        return null;
      case 'Q':
        s.beeperOn = !s.beeperOn;
        return null;
      case 'C':
        this.shutdownAt = null;
        this.outputOffSince = null;
        return null;
    }
    const timed = /^T(\d\d)$/.exec(command);
    if (timed && Number(timed[1]) >= 1) return this.startTest(command, now + Number(timed[1]) * 60_000, false);
    const sd = parseShutdownCommand(command);
    if (sd) {
      this.shutdownAt = now + sd.offDelayS * 1000;
      this.restartAfterMin = sd.restartMin;
      if (sd.offDelayS === 0) this.advance();
      return null;
    }
    // What a Q1 unit does with a command it does not take: echo it back.
    return `${command}\r`;
  }

  private startTest(command: string, until: number, untilLow: boolean): string | null {
    // A test needs mains: on battery the unit refuses it.
    if (!this.state.mainsOn) return `${command}\r`;
    this.state.upsFailed = false;
    this.testUntil = until;
    this.testUntilLow = untilLow;
    return null;
  }
}
