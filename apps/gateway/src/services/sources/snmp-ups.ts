// A network UPS card polled over SNMP (v2c or v3): reads the RFC 1628 UPS-MIB groups into the
// site's UPS state (identical shape: the RFC's scaling undone), and sends tests (upsTestId with
// its spin lock), control and settings as SETs. Unanswered polls make the UPS stale, then failed.
import * as snmp from 'net-snmp';
import { CommandError, CommandResult, DeepPartial, Site, UpsBatteryStatus, UpsOutputSource, UpsState, UpsTestId, UpsTestResult } from '@kirchhoff/core';
import type { Logger } from '../../log';
import type { UpsConfig } from './config';
import type { UpsCommand, UpsSource } from './types';
import { Poller } from './poller';

const UPS = '1.3.6.1.2.1.33.1';
const oid = (sub: string) => `${UPS}.${sub}`;
const WELL_KNOWN_TESTS = oid('7.7');

const BATTERY_STATUS: Record<number, UpsBatteryStatus> = { 1: 'unknown', 2: 'normal', 3: 'low', 4: 'depleted' };
const OUTPUT_SOURCE: Record<number, UpsOutputSource> = { 1: 'other', 2: 'none', 3: 'normal', 4: 'bypass', 5: 'battery', 6: 'booster', 7: 'reducer' };
const TEST_RESULT: Record<number, UpsTestResult> = { 1: 'donePass', 2: 'doneWarning', 3: 'doneError', 4: 'aborted', 5: 'inProgress', 6: 'noTestsInitiated' };
const TEST_ID: Record<number, UpsTestId> = { 1: 'none', 2: 'abort', 3: 'general', 4: 'quick', 5: 'deep' };
const TEST_ARC: Record<string, number> = { abort: 2, general: 3, quick: 4, deep: 5 };
const AUDIBLE: Record<number, 'disabled' | 'enabled' | 'muted'> = { 1: 'disabled', 2: 'enabled', 3: 'muted' };

/** The scalars read on every poll, by name. */
const SCALARS = {
  manufacturer: '1.1', model: '1.2', upsSoftwareVersion: '1.3', agentSoftwareVersion: '1.4', name: '1.5', attachedDevices: '1.6',
  batteryStatus: '2.1', secondsOnBattery: '2.2', minutesRemaining: '2.3', chargePercent: '2.4', batteryVoltage: '2.5', batteryCurrent: '2.6', batteryTemperature: '2.7',
  lineBads: '3.1', outputSource: '4.1', outputFrequency: '4.2', bypassFrequency: '5.1',
  testId: '7.1', testResults: '7.3', testDetail: '7.4', testStart: '7.5', testElapsed: '7.6',
  shutdownType: '8.1', shutdownAfterDelay: '8.2', startupAfterDelay: '8.3', rebootWithDuration: '8.4', autoRestart: '8.5',
  inputVoltage: '9.1', inputFrequency: '9.2', outputVoltage: '9.3', outputFrequencyNominal: '9.4', outputVA: '9.5', outputPower: '9.6',
  lowBattTime: '9.7', audible: '9.8', lowTransfer: '9.9', highTransfer: '9.10',
} as const;
type ScalarName = keyof typeof SCALARS;

export interface SnmpUpsSourceOptions {
  readonly site: Site;
  readonly config: UpsConfig;
  readonly logger: Logger;
}

type Values = Partial<Record<ScalarName, number | string>>;

export class SnmpUpsSource implements UpsSource {
  readonly kind = 'snmp' as const;
  private readonly session: snmp.Session;
  private readonly poller: Poller<boolean>;
  private misses = 0;
  private lastProblem = '';
  private readonly target: string;

  constructor(private readonly o: SnmpUpsSourceOptions) {
    const c = o.config.snmp;
    this.target = `${c.host}:${c.port}`;
    const common = { port: c.port, timeout: c.timeoutMs, retries: c.retries, backoff: 1 };
    if (c.version === 'v2c') {
      this.session = snmp.createSession(c.host, c.community, { ...common, version: snmp.Version2c });
    } else {
      const level = snmp.SecurityLevel[c.securityLevel];
      this.session = snmp.createV3Session(c.host, {
        name: c.user, level,
        ...(level !== snmp.SecurityLevel.noAuthNoPriv ? { authProtocol: snmp.AuthProtocols[c.authProtocol], authKey: c.authKey } : {}),
        ...(level === snmp.SecurityLevel.authPriv ? { privProtocol: snmp.PrivProtocols[c.privProtocol], privKey: c.privKey } : {}),
      }, { ...common, version: snmp.Version3 });
    }
    // A late or broken datagram is the session's business, not a crash of the gateway.
    this.session.on('error', (e: Error) => this.problem(`SNMP session error: ${e.message}`));
    this.poller = new Poller(() => this.pollNow(), o.config.pollIntervalMs);
  }

  start(): void {
    this.poller.start();
  }

  async close(): Promise<void> {
    await this.poller.stop();
    this.session.close();
  }

  poll(): Promise<boolean> {
    return this.poller.poll();
  }

  private problem(reason: string): void {
    if (reason !== this.lastProblem) this.o.logger.warn(`SNMP UPS ${this.target}: ${reason}`);
    this.lastProblem = reason;
  }

  private get(oids: string[]): Promise<snmp.Varbind[]> {
    return new Promise((resolve, reject) => this.session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? []))));
  }

  /** Rows of a conceptual table: column number -> row index -> value. */
  private table(entryOid: string): Promise<Map<number, Map<number, number>>> {
    return new Promise((resolve, reject) => {
      const rows = new Map<number, Map<number, number>>();
      this.session.subtree(entryOid, 20, (varbinds) => {
        for (const vb of varbinds) {
          if (snmp.isVarbindError(vb)) continue;
          const [column, index] = vb.oid.slice(entryOid.length + 1).split('.').map(Number);
          if (!rows.has(index)) rows.set(index, new Map());
          rows.get(index)!.set(column, Number(vb.value));
        }
      }, (error) => (error ? reject(error) : resolve(rows)));
    });
  }

  private async pollNow(): Promise<boolean> {
    let values: Values;
    let input: Map<number, Map<number, number>>;
    let output: Map<number, Map<number, number>>;
    let bypass: Map<number, Map<number, number>>;
    try {
      const names = Object.keys(SCALARS) as ScalarName[];
      const varbinds = await this.get(names.map((n) => `${oid(SCALARS[n])}.0`));
      values = {};
      varbinds.forEach((vb, i) => {
        if (snmp.isVarbindError(vb) || vb.value === undefined || vb.value === null) return;
        const v = vb.value;
        values[names[i]] = Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? v : Number(v);
      });
      if (values.batteryStatus === undefined && values.outputSource === undefined) {
        this.miss('the agent has no UPS-MIB (upsBatteryStatus and upsOutputSource missing)');
        return false;
      }
      [input, output, bypass] = [await this.table(oid('3.3.1')), await this.table(oid('4.4.1')), await this.table(oid('5.3.1'))];
    } catch (e) {
      this.miss((e as Error).message);
      return false;
    }
    if (this.misses || this.lastProblem) this.o.logger.info(`SNMP UPS ${this.target} answers again`);
    this.misses = 0;
    this.lastProblem = '';
    this.o.site.update((tx) => tx.ups(this.toState(values, input, output, bypass)));
    return true;
  }

  private miss(reason: string): void {
    this.misses++;
    this.problem(reason);
    const quality = this.misses >= this.o.config.failAfterMisses ? 'failed' : 'stale';
    this.o.site.update((tx) => tx.ups({ quality }));
  }

  private toState(v: Values, input: Map<number, Map<number, number>>, output: Map<number, Map<number, number>>, bypass: Map<number, Map<number, number>>): DeepPartial<UpsState> {
    const num = (k: ScalarName): number | undefined => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
    const text = (k: ScalarName): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
    const tenth = (k: ScalarName) => (num(k) === undefined ? undefined : num(k)! / 10);
    const rows = (t: Map<number, Map<number, number>>) => [...t.keys()].sort((a, b) => a - b).map((i) => t.get(i)!);
    const cell = (r: Map<number, number>, c: number, scale = 1) => (r.get(c) ?? 0) / scale;
    const testArc = typeof v.testId === 'string' && v.testId.startsWith(`${WELL_KNOWN_TESTS}.`) ? Number(v.testId.slice(WELL_KNOWN_TESTS.length + 1)) : undefined;
    const defined = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, val]) => val !== undefined)) as T;
    const auto = num('autoRestart');
    return {
      // The name is the gateway's (ups.name, written through ups-settings), not the card's.
      ident: defined({ manufacturer: text('manufacturer'), model: text('model'), upsSoftwareVersion: text('upsSoftwareVersion'), agentSoftwareVersion: text('agentSoftwareVersion'), attachedDevices: text('attachedDevices') }),
      battery: defined({
        status: num('batteryStatus') !== undefined ? BATTERY_STATUS[num('batteryStatus')!] ?? 'unknown' : undefined,
        secondsOnBattery: num('secondsOnBattery'), estimatedMinutesRemaining: num('minutesRemaining'), estimatedChargeRemainingPercent: num('chargePercent'),
        voltageV: tenth('batteryVoltage'), currentA: tenth('batteryCurrent'), temperatureC: num('batteryTemperature'),
      }),
      input: defined({ lineBads: num('lineBads'), lines: rows(input).map((r) => ({ frequencyHz: cell(r, 2, 10), voltageV: cell(r, 3), currentA: cell(r, 4, 10), truePowerW: cell(r, 5) })) }),
      output: defined({
        source: num('outputSource') !== undefined ? OUTPUT_SOURCE[num('outputSource')!] ?? 'other' : undefined,
        frequencyHz: tenth('outputFrequency'),
        lines: rows(output).map((r) => ({ voltageV: cell(r, 2), currentA: cell(r, 3, 10), powerW: cell(r, 4), percentLoad: cell(r, 5) })),
      }),
      bypass: defined({ frequencyHz: tenth('bypassFrequency'), lines: rows(bypass).map((r) => ({ voltageV: cell(r, 2), currentA: cell(r, 3, 10), powerW: cell(r, 4) })) }),
      test: defined({
        id: testArc !== undefined ? TEST_ID[testArc] ?? 'none' : undefined,
        resultsSummary: num('testResults') !== undefined ? TEST_RESULT[num('testResults')!] ?? 'noTestsInitiated' : undefined,
        resultsDetail: text('testDetail'),
        elapsedS: num('testElapsed') !== undefined ? num('testElapsed')! / 100 : undefined,
      }),
      control: defined({
        shutdownType: num('shutdownType') === 2 ? 'system' as const : num('shutdownType') === 1 ? 'output' as const : undefined,
        shutdownAfterDelayS: num('shutdownAfterDelay'), startupAfterDelayS: num('startupAfterDelay'), rebootWithDurationS: num('rebootWithDuration'),
        autoRestart: auto === undefined ? undefined : auto === 1,
      }),
      config: defined({
        inputVoltageV: num('inputVoltage'), inputFrequencyHz: tenth('inputFrequency'), outputVoltageV: num('outputVoltage'), outputFrequencyHz: tenth('outputFrequencyNominal'),
        outputVA: num('outputVA'), outputPowerW: num('outputPower'), lowBattTimeMin: num('lowBattTime'),
        audibleStatus: num('audible') !== undefined ? AUDIBLE[num('audible')!] : undefined,
        lowVoltageTransferPointV: num('lowTransfer'), highVoltageTransferPointV: num('highTransfer'),
      }),
      quality: 'fresh',
    };
  }

  private set(varbinds: snmp.Varbind[], what: string): Promise<void> {
    return new Promise((resolve, reject) => this.session.set(varbinds, (error) => {
      if (error) reject(new CommandError('failed', `the UPS card ${this.target} refused ${what}: ${error.message}`));
      else resolve();
    }));
  }

  async execute(command: UpsCommand): Promise<CommandResult> {
    if (!this.o.config.controls && command.type !== 'ups-settings') {
      throw new CommandError('forbidden', `UPS ${command.type === 'ups-test' ? 'tests' : 'control'} are off: set ups.controls to true to forward them to the UPS card`);
    }
    const int = (sub: string, value: number): snmp.Varbind => ({ oid: `${oid(sub)}.0`, type: snmp.ObjectType.Integer, value });
    switch (command.type) {
      case 'ups-test': {
        // RFC 1628: upsTestId is written together with the spin lock value just read (TestAndIncr).
        const [lock] = await this.get([`${oid('7.2')}.0`]).catch((e: Error) => {
          throw new CommandError('failed', `cannot read upsTestSpinLock from ${this.target}: ${e.message}`);
        });
        if (snmp.isVarbindError(lock)) throw new CommandError('unsupported', `the UPS card ${this.target} has no upsTestSpinLock: ${snmp.varbindError(lock)}`);
        await this.set([int('7.2', Number(lock.value)), { oid: `${oid('7.1')}.0`, type: snmp.ObjectType.OID, value: `${WELL_KNOWN_TESTS}.${TEST_ARC[command.test]}` }], `the ${command.test} test`);
        void this.poll();
        return { ok: true, message: `UPS ${command.test} test started on ${this.target} (upsTestId ${WELL_KNOWN_TESTS}.${TEST_ARC[command.test]})` };
      }
      case 'ups-control': {
        const c = command.control;
        const vbs: snmp.Varbind[] = [];
        if (c.shutdownType !== undefined) vbs.push(int('8.1', c.shutdownType === 'output' ? 1 : 2));
        if (c.shutdownAfterDelayS !== undefined) vbs.push(int('8.2', c.shutdownAfterDelayS));
        if (c.startupAfterDelayS !== undefined) vbs.push(int('8.3', c.startupAfterDelayS));
        if (c.rebootWithDurationS !== undefined) vbs.push(int('8.4', c.rebootWithDurationS));
        if (c.autoRestart !== undefined) vbs.push(int('8.5', c.autoRestart ? 1 : 2));
        await this.set(vbs, `upsControl (${Object.keys(c).join(', ')})`);
        void this.poll();
        return { ok: true, message: `UPS control set on ${this.target}: ${Object.entries(c).map(([k, val]) => `${k}=${val}`).join(', ')}` };
      }
      case 'ups-settings': {
        const s = command.settings;
        const vbs: snmp.Varbind[] = [];
        const str = (sub: string, value: string): snmp.Varbind => ({ oid: `${oid(sub)}.0`, type: snmp.ObjectType.OctetString, value });
        if (s.attachedDevices !== undefined) vbs.push(str('1.6', s.attachedDevices));
        if (s.inputVoltageV !== undefined) vbs.push(int('9.1', Math.round(s.inputVoltageV)));
        if (s.inputFrequencyHz !== undefined) vbs.push(int('9.2', Math.round(s.inputFrequencyHz * 10)));
        if (s.outputVoltageV !== undefined) vbs.push(int('9.3', Math.round(s.outputVoltageV)));
        if (s.outputFrequencyHz !== undefined) vbs.push(int('9.4', Math.round(s.outputFrequencyHz * 10)));
        if (s.lowBattTimeMin !== undefined) vbs.push(int('9.7', Math.round(s.lowBattTimeMin)));
        if (s.audibleStatus !== undefined) vbs.push(int('9.8', { disabled: 1, enabled: 2, muted: 3 }[s.audibleStatus]));
        if (s.lowVoltageTransferPointV !== undefined) vbs.push(int('9.9', Math.round(s.lowVoltageTransferPointV)));
        if (s.highVoltageTransferPointV !== undefined) vbs.push(int('9.10', Math.round(s.highVoltageTransferPointV)));
        if (vbs.length) {
          if (!this.o.config.controls) throw new CommandError('forbidden', 'UPS settings other than name are off: set ups.controls to true to write them to the UPS card');
          await this.set(vbs, `settings (${Object.keys(s).join(', ')})`);
        }
        // The name is the gateway's own (upsIdentName of this gateway's agent).
        if (s.name !== undefined) this.o.site.update((tx) => tx.ups({ ident: { name: s.name } }));
        void this.poll();
        return { ok: true, message: `UPS settings changed: ${Object.keys(s).join(', ')}` };
      }
    }
  }
}
