// A network UPS card polled over SNMP (v2c or v3): reads the RFC 1628 UPS-MIB groups into the
// site's UPS state (identical shape: the RFC's scaling undone), and sends tests (upsTestId with
// its spin lock), control and settings as SETs. Unanswered polls make the UPS stale, then failed.
import * as snmp from 'net-snmp';
import { CommandError, CommandResult, Site, UPS_TEST_ID_CODES } from '@kirchhoff/core';
import { UPS_MIB_SCALARS, UPS_MIB_TABLES, UPS_WELL_KNOWN_TESTS, UpsLineRows, UpsMibSyntax, upsOid, upsSetValues, upsStateFromWire } from '@kirchhoff/snmp';
import type { Logger } from '../../log';
import type { UpsConfig } from './config';
import type { UpsCommand, UpsSource } from './types';
import { Poller } from './poller';
import { LinkState } from './link-state';

const dotted = (oid: readonly number[]) => oid.join('.');
const WELL_KNOWN_TESTS = dotted(UPS_WELL_KNOWN_TESTS);
/** The scalars read on every poll: every RFC 1628 object that carries a field of the UPS state. */
const POLLED = UPS_MIB_SCALARS.filter((o) => o.field);
const SYNTAX_TYPE: Record<UpsMibSyntax, snmp.ObjectType> = {
  'INTEGER': snmp.ObjectType.Integer, 'Counter32': snmp.ObjectType.Counter32, 'TimeTicks': snmp.ObjectType.TimeTicks,
  'DisplayString': snmp.ObjectType.OctetString, 'OBJECT IDENTIFIER': snmp.ObjectType.OID,
};
const varbind = (v: { oid: readonly number[]; syntax: UpsMibSyntax; value: number | string }): snmp.Varbind => ({ oid: dotted(v.oid), type: SYNTAX_TYPE[v.syntax], value: v.value });

export interface SnmpUpsSourceOptions {
  readonly site: Site;
  readonly config: UpsConfig;
  readonly logger: Logger;
}


export class SnmpUpsSource implements UpsSource {
  readonly kind = 'snmp' as const;
  private readonly session: snmp.Session;
  private readonly poller: Poller<boolean>;
  private readonly link: LinkState;
  private readonly target: string;

  constructor(private readonly o: SnmpUpsSourceOptions) {
    const c = o.config.snmp;
    this.target = `${c.host}:${c.port}`;
    this.link = new LinkState(o.logger, `SNMP UPS ${this.target}`, o.config.failAfterMisses);
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
    this.session.on('error', (e: Error) => this.link.problem(`SNMP session error: ${e.message}`));
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
    const scalars = new Map<string, number | string>();
    const lines: Record<'input' | 'output' | 'bypass', UpsLineRows> = { input: new Map(), output: new Map(), bypass: new Map() };
    try {
      const varbinds = await this.get(POLLED.map((o) => dotted([...upsOid(...o.sub), 0])));
      varbinds.forEach((vb, i) => {
        if (snmp.isVarbindError(vb) || vb.value === undefined || vb.value === null) return;
        const v = vb.value;
        scalars.set(POLLED[i].name, Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? v : Number(v));
      });
      if (!scalars.has('upsBatteryStatus') && !scalars.has('upsOutputSource')) {
        this.miss('the agent has no UPS-MIB (upsBatteryStatus and upsOutputSource missing)');
        return false;
      }
      for (const t of UPS_MIB_TABLES) lines[t.group] = await this.table(dotted(upsOid(...t.entry)));
    } catch (e) {
      this.miss((e as Error).message);
      return false;
    }
    this.link.answered();
    const state = upsStateFromWire(scalars, lines);
    // The name is the gateway's (ups.name, written through ups-settings), not the card's.
    if (state.ident) delete (state.ident as { name?: string }).name;
    this.o.site.update((tx) => tx.ups({ ...state, quality: 'fresh' }));
    return true;
  }

  private miss(reason: string): void {
    const quality = this.link.miss(reason);
    this.o.site.update((tx) => tx.ups({ quality }));
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
    switch (command.type) {
      case 'ups-test': {
        // RFC 1628: upsTestId is written together with the spin lock value just read (TestAndIncr).
        const spinLock = dotted(upsOid(7, 2, 0));
        const [lock] = await this.get([spinLock]).catch((e: Error) => {
          throw new CommandError('failed', `cannot read upsTestSpinLock from ${this.target}: ${e.message}`);
        });
        if (snmp.isVarbindError(lock)) throw new CommandError('unsupported', `the UPS card ${this.target} has no upsTestSpinLock: ${snmp.varbindError(lock)}`);
        const testId = `${WELL_KNOWN_TESTS}.${UPS_TEST_ID_CODES[command.test]}`;
        await this.set([{ oid: spinLock, type: snmp.ObjectType.Integer, value: Number(lock.value) }, { oid: dotted(upsOid(7, 1, 0)), type: snmp.ObjectType.OID, value: testId }], `the ${command.test} test`);
        void this.poll();
        return { ok: true, message: `UPS ${command.test} test started on ${this.target} (upsTestId ${testId})` };
      }
      case 'ups-control': {
        const c = command.control;
        await this.set(upsSetValues('ups-control', c).map(varbind), `upsControl (${Object.keys(c).join(', ')})`);
        void this.poll();
        return { ok: true, message: `UPS control set on ${this.target}: ${Object.entries(c).map(([k, val]) => `${k}=${val}`).join(', ')}` };
      }
      case 'ups-settings': {
        const s = command.settings;
        // The name is not the card's: it stays in the gateway (below).
        const vbs = upsSetValues('ups-settings', { ...s, name: undefined }).map(varbind);
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
