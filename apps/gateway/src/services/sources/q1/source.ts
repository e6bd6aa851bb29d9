// A Megatec/Q1 UPS on a serial line: polls Q1 (and I, F for identity and rating) through the
// port's shared queue, maps the answers into the site's RFC 1628-shaped UPS state, and sends
// battery tests and shutdowns. Unanswered polls make the UPS stale, then failed.
import { CommandError, CommandResult, DeepPartial, Site, UpsOutputSource, UpsState, UpsTestId } from '@kirchhoff/core';
import type { Logger } from '../../../log';
import type { LineLease } from '../../../bus/port';
import type { UpsConfig } from '../config';
import { readReply, SharedLine } from '../../../serial';
import type { UpsCommand, UpsSource } from '../types';
import { parseIdentity, parseQ1, parseRating, Q1_MAX_SHUTDOWN_DELAY_S, Q1Identity, Q1Rating, Q1Status, shutdownCommand } from './codec';
import { Poller } from '../poller';
import { LinkState } from '../link-state';

export interface Q1SourceOptions {
  readonly site: Site;
  readonly line: SharedLine;
  readonly config: UpsConfig;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** Longest reply accepted (I is 39 characters): more is line noise. */
const MAX_REPLY = 128;
/** Identity and rating are re-read this often, in case the UPS was swapped. */
const IDENTITY_EVERY_MS = 600_000;

/** NUT blazer's guess of how many cells/blocks the reported battery voltage stands for. */
export function guessBatteryPacks(reportedV: number, nominalV: number): number {
  for (const p of [120, 100, 80, 60, 48, 36, 30, 24, 18, 12, 8, 6, 4, 3, 2, 1, 0.5]) {
    if (p * reportedV > 1.2 * nominalV) continue;
    return p * reportedV < 0.8 * nominalV ? 1 : p;
  }
  return 1;
}

export class Q1UpsSource implements UpsSource {
  readonly kind = 'q1' as const;
  private readonly clock: () => number;
  private readonly poller: Poller<boolean>;
  private identity: Q1Identity | null = null;
  private rating: Q1Rating | null = null;
  private identityAt = -Infinity;
  private onBatterySince: number | null = null;
  private test: { id: UpsTestId; requestedAt: number; seenBit: boolean; aborted: boolean } | null = null;
  private shutdownDeadline: number | null = null;
  private readonly link: LinkState;

  constructor(private readonly o: Q1SourceOptions) {
    this.clock = o.clock ?? Date.now;
    this.link = new LinkState(o.logger, `Q1 UPS on ${o.line.path}`, o.config.failAfterMisses);
    this.poller = new Poller(() => this.pollNow(), o.config.pollIntervalMs);
  }

  start(): void {
    this.poller.start();
  }

  async close(): Promise<void> {
    await this.poller.stop();
    await this.o.line.release();
  }

  /** One poll at a time: a command's poll and the timer's never interleave their state. */
  poll(): Promise<boolean> {
    return this.poller.poll();
  }

  /** One query in its own turn of the queue, so the bus (or sensors) waits at most one reply. */
  private query(command: string, timeoutMs = this.o.config.q1.timeoutMs): Promise<string | null> {
    return this.o.line.lease(async (line: LineLease) => {
      const reply = readReply(line, (b) => b.includes(0x0d), timeoutMs, MAX_REPLY);
      if (!line.write(Buffer.from(command, 'latin1'))) return null;
      const bytes = await reply;
      return bytes ? bytes.toString('latin1') : null;
    }).catch(() => null);
  }

  private async pollNow(): Promise<boolean> {
    const now = this.clock();
    if (now - this.identityAt >= IDENTITY_EVERY_MS || !this.identity || !this.rating) {
      const i = await this.query('I\r');
      const id = i === null ? null : parseIdentity(i);
      if (id?.ok) this.identity = id.value;
      const f = await this.query('F\r');
      const r = f === null ? null : parseRating(f);
      if (r?.ok) this.rating = r.value;
      // Some models answer neither I nor F (NUT's novendor/norating): Q1 alone is enough.
      if (i !== null || f !== null) this.identityAt = now;
    }
    const reply = await this.query('Q1\r');
    const parsed = reply === null ? null : parseQ1(reply);
    if (!parsed || !parsed.ok) {
      this.miss(parsed ? `unusable status reply: ${parsed.reason}` : `no answer to Q1 within ${this.o.config.q1.timeoutMs} ms`);
      return false;
    }
    this.link.answered();
    this.o.site.update((tx) => tx.ups(this.toState(parsed.value, this.clock())));
    return true;
  }

  private miss(reason: string): void {
    const quality = this.link.miss(reason);
    if (this.o.site.snapshot().ups?.quality !== quality || quality === 'stale') this.o.site.update((tx) => tx.ups({ quality }));
  }

  private toState(q: Q1Status, now: number): DeepPartial<UpsState> {
    const cfg = this.o.config.q1;
    const f = q.flags;
    const nominalV = this.rating?.batteryVoltageV ?? null;
    const packs = cfg.batteryPacks || (q.batteryVoltageV && nominalV ? guessBatteryPacks(q.batteryVoltageV, nominalV) : 1);
    const batteryV = q.batteryVoltageV === null ? null : Math.round(q.batteryVoltageV * packs * 100) / 100;
    // NUT blazer's charge estimate from the battery voltage between 104/120 and 130/120 of nominal.
    let charge: number | null = null;
    if (batteryV !== null && nominalV) {
      const low = (104 * nominalV) / 120;
      const high = (130 * nominalV) / 120;
      charge = Math.round(Math.max(0, Math.min(100, (100 * (batteryV - low)) / (high - low))));
    }
    if (f.utilityFail) this.onBatterySince ??= now;
    else this.onBatterySince = null;
    const load = q.loadPercent ?? 0;
    const minutes = cfg.runtimeFullLoadMin && charge !== null ? Math.round((cfg.runtimeFullLoadMin * charge) / 100 / Math.max(load / 100, 0.1)) : 0;
    const ratedA = this.rating?.currentA ?? null;
    const inV = q.inputVoltageV ?? 0;
    const outV = q.outputVoltageV ?? 0;
    const source: UpsOutputSource = f.utilityFail ? 'battery'
      : f.bypassBoostBuck ? (outV < 0.5 * inV ? 'other' : outV < 0.95 * inV ? 'reducer' : outV < 1.05 * inV ? 'bypass' : outV < 1.5 * inV ? 'booster' : 'other')
      : outV === 0 && f.shutdownActive ? 'none' : 'normal';
    const outFrequency = f.utilityFail ? this.rating?.frequencyHz ?? 0 : q.inputFrequencyHz ?? 0;

    const state: DeepPartial<UpsState> = {
      ident: this.identity ? { manufacturer: this.identity.manufacturer, model: this.identity.model, upsSoftwareVersion: this.identity.version, agentSoftwareVersion: 'kirchhoff q1' } : { agentSoftwareVersion: 'kirchhoff q1' },
      battery: {
        status: f.batteryLow ? 'low' : 'normal',
        secondsOnBattery: this.onBatterySince === null ? 0 : Math.round((now - this.onBatterySince) / 1000),
        estimatedMinutesRemaining: minutes,
        estimatedChargeRemainingPercent: charge ?? 0,
        voltageV: batteryV ?? 0,
        temperatureC: q.temperatureC ?? 0,
      },
      input: { lines: [{ frequencyHz: q.inputFrequencyHz ?? 0, voltageV: inV, currentA: 0, truePowerW: 0 }] },
      output: {
        source,
        frequencyHz: outFrequency,
        lines: [{ voltageV: outV, currentA: ratedA !== null ? Math.round(ratedA * load) / 100 : 0, powerW: Math.round((cfg.ratedPowerW * load) / 100), percentLoad: Math.round(load) }],
      },
      config: {
        audibleStatus: f.beeperOn ? 'enabled' : 'disabled',
        ...(this.rating?.voltageV ? { inputVoltageV: Math.round(this.rating.voltageV), outputVoltageV: Math.round(this.rating.voltageV) } : {}),
        ...(this.rating?.frequencyHz ? { inputFrequencyHz: this.rating.frequencyHz, outputFrequencyHz: this.rating.frequencyHz } : {}),
        ...(cfg.ratedPowerW ? { outputPowerW: cfg.ratedPowerW } : {}),
      },
      control: { shutdownAfterDelayS: this.shutdownDeadline === null ? -1 : Math.max(0, Math.round((this.shutdownDeadline - now) / 1000)) },
      quality: 'fresh',
    };
    if (this.shutdownDeadline !== null && now > this.shutdownDeadline && !f.shutdownActive) this.shutdownDeadline = null;

    // Q1 reports only "test in progress" (b2) and "UPS failed" (b4): the result is read when b2 falls.
    const t = this.test;
    let test: DeepPartial<UpsState>['test'] | undefined;
    if (f.testInProgress) {
      const started = t?.requestedAt ?? now;
      if (!t) this.test = { id: 'general', requestedAt: now, seenBit: true, aborted: false };
      else t.seenBit = true;
      test = { id: this.test!.id, resultsSummary: 'inProgress', resultsDetail: 'test in progress', startTimeMs: started, elapsedS: Math.round((now - started) / 1000) };
    } else if (t && (t.seenBit || t.aborted || now - t.requestedAt > 3 * this.o.config.pollIntervalMs + 5000)) {
      this.test = null;
      const summary = t.aborted ? 'aborted' : !t.seenBit ? 'doneWarning' : f.upsFailed ? 'doneError' : 'donePass';
      const detail = t.aborted ? 'aborted (CT)' : !t.seenBit ? 'the UPS never reported the test running' : f.upsFailed ? 'the UPS reports a fault (Q1 bit 4) after the test' : 'passed';
      test = { id: t.id, resultsSummary: summary, resultsDetail: detail, elapsedS: Math.round((now - t.requestedAt) / 1000) };
    } else if (t) {
      test = { id: t.id, resultsSummary: 'inProgress', resultsDetail: 'requested', startTimeMs: t.requestedAt, elapsedS: Math.round((now - t.requestedAt) / 1000) };
    }
    return test ? { ...state, test } : state;
  }

  /** Sends a command; a UPS that echoes it back refused it (NUT blazer), silence or ACK is consent. */
  private async send(command: string): Promise<void> {
    const reply = await this.o.line.lease(async (line) => {
      const r = readReply(line, (b) => b.includes(0x0d), Math.min(this.o.config.q1.timeoutMs, 500), MAX_REPLY);
      if (!line.write(Buffer.from(command, 'latin1'))) throw new CommandError('failed', `serial port ${this.o.line.path} is not open`);
      return r;
    }).catch((e: unknown) => {
      if (e instanceof CommandError) throw e;
      throw new CommandError('failed', `serial port ${this.o.line.path}: ${(e as Error).message}`);
    });
    const text = reply?.toString('latin1') ?? '';
    if (text && text.replace(/^\(/, '').startsWith(command.replace(/\r$/, '')) && !/^\(?ACK/.test(text)) {
      throw new CommandError('failed', `the UPS refused ${JSON.stringify(command.trim())} (it echoed the command back)`);
    }
  }

  async execute(command: UpsCommand): Promise<CommandResult> {
    if (!this.o.config.controls && command.type !== 'ups-settings') {
      throw new CommandError('forbidden', `UPS ${command.type === 'ups-test' ? 'tests' : 'control'} are off: set ups.controls to true to forward them to the Q1 UPS`);
    }
    const now = this.clock();
    switch (command.type) {
      case 'ups-test': {
        const wire = { quick: 'T\r', general: 'T\r', deep: 'TL\r', abort: 'CT\r' }[command.test];
        await this.send(wire);
        if (command.test === 'abort') {
          if (this.test) this.test.aborted = true;
        } else {
          this.test = { id: command.test, requestedAt: now, seenBit: false, aborted: false };
          this.o.site.update((tx) => tx.ups({ test: { id: command.test as UpsTestId, resultsSummary: 'inProgress', resultsDetail: 'requested', startTimeMs: now, elapsedS: 0 } }));
        }
        return { ok: true, message: `UPS ${command.test} test: sent ${wire.trim()}` };
      }
      case 'ups-control': {
        const c = command.control;
        const current = this.o.site.snapshot().ups!.control;
        const merged = { ...current, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) };
        const sent: string[] = [];
        if (c.shutdownAfterDelayS !== undefined || c.rebootWithDurationS !== undefined) {
          if (c.shutdownAfterDelayS === -1 || c.rebootWithDurationS === -1) {
            await this.send('C\r');
            sent.push('C');
            this.shutdownDeadline = null;
          } else {
            if (merged.shutdownType === 'system') throw new CommandError('unsupported', 'shutdownType system is not available over Q1: its S commands switch the UPS output (use shutdownType output)');
            const offS = c.rebootWithDurationS !== undefined ? 0 : c.shutdownAfterDelayS!;
            if (offS > Q1_MAX_SHUTDOWN_DELAY_S) throw new CommandError('invalid', `shutdownAfterDelayS ${offS} is beyond what a Q1 UPS accepts (at most ${Q1_MAX_SHUTDOWN_DELAY_S} s)`);
            const restart = c.rebootWithDurationS !== undefined ? { kind: 'after' as const, minutes: Math.max(1, Math.ceil(c.rebootWithDurationS / 60)) }
              : !merged.autoRestart ? { kind: 'stay-off' as const }
              : merged.startupAfterDelayS > 0 ? { kind: 'after' as const, minutes: Math.ceil(merged.startupAfterDelayS / 60) }
              : { kind: 'on-mains' as const };
            const s = shutdownCommand(offS, restart);
            await this.send(s.command);
            sent.push(`${s.command.trim()} (output off in ${s.offDelayS} s)`);
            this.shutdownDeadline = now + s.offDelayS * 1000;
          }
        }
        const stored = { ...c, shutdownAfterDelayS: this.shutdownDeadline === null ? -1 : Math.round((this.shutdownDeadline - now) / 1000) };
        if (c.rebootWithDurationS !== undefined) Object.assign(stored, { rebootWithDurationS: c.rebootWithDurationS });
        this.o.site.update((tx) => tx.ups({ control: stored }));
        return { ok: true, message: sent.length ? `UPS control: sent ${sent.join(', ')}` : `UPS control stored: ${Object.keys(c).join(', ')} (used by the next shutdown)` };
      }
      case 'ups-settings': {
        const { name, attachedDevices, ...rest } = command.settings;
        const others = Object.keys(rest).filter((k) => (rest as Record<string, unknown>)[k] !== undefined);
        if (others.length) throw new CommandError('unsupported', `${others.join(', ')} cannot be set over Q1 (only name and attachedDevices, which the gateway keeps)`);
        this.o.site.update((tx) => tx.ups({ ident: { name, attachedDevices } }));
        return { ok: true, message: `UPS settings changed: ${Object.keys(command.settings).join(', ')}` };
      }
    }
  }
}
