// The rule engine on a real site and command interface with a virtual clock: relays through the
// command interface, delays cancelled by a clear, repeats, acknowledgement, matching, and the
// record; notifications go to a real UDP syslog receiver.
import { createSocket, Socket } from 'node:dgram';
import { AlarmCondition, ChangeEvent, CommandExecutor, CommandInterface, CommandPolicy, Site, VirtualClock } from '@kirchhoff/core';
import { waitFor } from '@kirchhoff/test-support';
import { memoryLogger } from '../../log';
import { MemoryActionRecord } from './record';
import { ActionEngine, ActionRule } from './rules';
import { SyslogNotifier } from './syslog';

const RUNAWAY: AlarmCondition = { kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'String 1: thermal runaway', value: null, limit: null };
const DOOR: AlarmCondition = { kind: 'input-active', severity: 'warning', entity: { kind: 'input', id: 1 }, message: 'Door open', value: null, limit: null };
const HOT: AlarmCondition = { kind: 'module-temperature-high', severity: 'alarm', entity: { kind: 'module', string: 1, module: 2, global: 2 }, message: 'String 1 module 2: 52 °C', value: 52, limit: 50 };

interface Harness {
  clock: VirtualClock; site: Site; record: MemoryActionRecord; engine: ActionEngine; logger: ReturnType<typeof memoryLogger>;
  datagrams: string[]; commandEvents: Extract<ChangeEvent, { type: 'command' }>[];
  raise(...c: AlarmCondition[]): void;
  advance(ms: number): Promise<void>;
  relay(id: number): boolean;
  done(): Promise<void>;
}

let udp: Socket;
let udpPort: number;
const inbox: string[] = [];
beforeAll(async () => {
  udp = createSocket('udp4');
  udp.on('message', (m) => inbox.push(m.toString('utf8')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;
});
afterAll(() => udp.close());
beforeEach(() => { inbox.length = 0; });

async function harness(rules: (syslog: SyslogNotifier) => ActionRule[], options: { policy?: CommandPolicy; capacity?: number; before?: (site: Site) => void } = {}): Promise<Harness> {
  const clock = new VirtualClock(Date.UTC(2024, 0, 1, 0, 0, 0));
  const site = new Site({ info: { name: 'Rules site' }, strings: [{ modules: 4, moduleType: 'C20' }], inputs: [{ name: 'Door' }], relays: [{ name: 'Beacon' }, { name: 'Breaker' }], clock: () => clock.now() });
  const executor: CommandExecutor = {
    async execute(c) {
      if (c.type !== 'set-relay') throw new Error(`unsupported ${c.type}`);
      site.update((tx) => tx.relay(c.relay, c.on));
      return { ok: true, message: `relay ${c.relay} ${c.on ? 'on' : 'off'}` };
    },
  };
  const commands = new CommandInterface(site, executor, options.policy ?? { internal: 'all' });
  const commandEvents: Harness['commandEvents'] = [];
  site.subscribe((e) => { if (e.type === 'command') commandEvents.push(e); });
  options.before?.(site);
  const record = new MemoryActionRecord(options.capacity ?? 1000);
  const logger = memoryLogger();
  const syslog = new SyslogNotifier({ name: 'noc', transport: 'udp', host: '127.0.0.1', port: udpPort, hostname: 'gw1' });
  const engine = new ActionEngine({ site, commands, record, rules: rules(syslog), logger, clock });
  engine.start();
  const conditions: AlarmCondition[] = [];
  return {
    clock, site, record, engine, logger, datagrams: inbox, commandEvents,
    raise: (...c) => { conditions.splice(0, conditions.length, ...c); site.reconcileAlarms('test', conditions); },
    // Time moves only here; the actions it starts finish before the test looks.
    async advance(ms) { clock.advance(ms); await engine.idle(); },
    relay: (id) => site.snapshot().relays[id - 1].on,
    done: () => engine.stop(),
  };
}

const rule = (over: Partial<ActionRule>): ActionRule => ({ name: 'r', kinds: [], severities: [], delayMs: 0, repeatEveryMs: 0, repeatMax: 0, onClear: true, relays: [], notifiers: [], ...over });
const msgIds = (lines: string[]) => lines.map((l) => l.split(' ')[5]);

describe('relay actions', () => {
  it('set the relay through the command interface as internal/actions while the alarm is active', async () => {
    const h = await harness(() => [rule({ name: 'beacon', kinds: ['thermal-runaway'], relays: [{ relay: 1, on: true, release: true }] })]);
    h.raise(RUNAWAY);
    await waitFor(() => h.relay(1), 2000, 'relay 1 on');
    expect(h.commandEvents.map((e) => [e.command, e.origin, e.outcome])).toEqual([[{ type: 'set-relay', relay: 1, on: true }, { protocol: 'internal', principal: 'actions' }, 'ok']]);
    expect(h.record.list()).toMatchObject([{ id: 1, rule: 'beacon', type: 'relay', destination: 'relay 1', target: 'relay 1 on', trigger: 'raised', outcome: 'ok', detail: 'relay 1 on', alarm: { id: 1, kind: 'thermal-runaway', severity: 'critical', entity: 'string/1' } }]);
    h.raise();
    await waitFor(() => !h.relay(1), 2000, 'relay 1 off');
    expect(h.record.list()[1]).toMatchObject({ type: 'relay', target: 'relay 1 off', trigger: 'cleared', outcome: 'ok' });
    await h.done();
  });

  it('keep a relay held while any alarm holding it is active', async () => {
    const h = await harness(() => [
      rule({ name: 'runaway', kinds: ['thermal-runaway'], relays: [{ relay: 2, on: true, release: true }] }),
      rule({ name: 'hot', kinds: ['module-temperature-high'], relays: [{ relay: 2, on: true, release: true }] }),
    ]);
    h.raise(RUNAWAY, HOT);
    await waitFor(() => h.record.list().length === 2, 2000, 'two relay actions');
    expect(h.relay(2)).toBe(true);
    h.raise(HOT);
    await h.advance(0);
    expect(h.relay(2)).toBe(true);
    h.raise();
    await waitFor(() => !h.relay(2), 2000, 'relay 2 released after the last alarm');
    expect(h.commandEvents.filter((e) => e.command.type === 'set-relay' && !e.command.on)).toHaveLength(1);
    await h.done();
  });

  it('record a relay the command interface refuses, with its reason', async () => {
    const h = await harness(() => [rule({ name: 'beacon', relays: [{ relay: 1, on: true, release: false }] })], { policy: {} });
    h.raise(DOOR);
    const [entry] = await waitFor(() => (h.record.list().length === 1 ? h.record.list() : null), 2000, 'a record entry');
    expect(entry).toMatchObject({ type: 'relay', outcome: 'failed', detail: expect.stringContaining('set-relay from internal is not enabled') });
    expect(h.relay(1)).toBe(false);
    expect(h.logger.lines.find((l) => l.level === 'warn')?.msg).toContain('relay relay 1 (relay 1 on) raised for alarm 1 input-active: FAILED');
    await h.done();
  });
});

describe('delays', () => {
  it('a clear within the delay cancels the actions; an alarm that stays is acted on after the delay', async () => {
    const h = await harness((syslog) => [rule({ name: 'late', delayMs: 30_000, relays: [{ relay: 1, on: true, release: true }], notifiers: [syslog] })]);
    h.raise(DOOR);
    await h.advance(29_000);
    expect(h.engine.pending).toBe(1);
    h.raise();
    await h.advance(60_000);
    expect(h.record.list()).toEqual([]);
    expect(h.relay(1)).toBe(false);
    expect(h.datagrams).toEqual([]);
    expect(h.logger.lines.some((l) => String(l.msg).includes('cleared within the 30 s delay: no action taken'))).toBe(true);

    h.raise(DOOR);
    await h.advance(29_999);
    expect(h.record.list()).toEqual([]);
    await h.advance(1);
    await waitFor(() => h.record.list().length === 2 && h.datagrams.length === 1, 2000, 'relay and syslog after 30 s');
    expect(h.relay(1)).toBe(true);
    const entries = h.record.list();
    expect(entries.map((e) => [e.type, e.trigger, e.outcome, e.startedAtMs - Date.UTC(2024, 0, 1)])).toEqual([['relay', 'raised', 'ok', 119_000], ['syslog', 'raised', 'ok', 119_000]]);
    expect(entries[1]).toMatchObject({ destination: 'noc', target: `udp 127.0.0.1:${udpPort}`, alarm: { id: 2, kind: 'input-active' } });
    // The syslog line carries the time it was sent (raised + delay).
    expect(h.datagrams[0]).toMatch(/^<132>1 2024-01-01T00:01:59\.000Z gw1 kirchhoff \d+ alarm-raised \[kirchhoff@32473 alarmId="2" kind="input-active" severity="warning" entity="input\/1"/);
    await h.done();
  });
});

describe('repeats', () => {
  it('repeat every N s while active, at most the maximum, and notify once on clear', async () => {
    const h = await harness((syslog) => [rule({ name: 'nag', repeatEveryMs: 60_000, repeatMax: 3, notifiers: [syslog] })]);
    h.raise(RUNAWAY);
    await waitFor(() => h.datagrams.length === 1, 2000, 'first message');
    for (let i = 0; i < 10; i++) await h.advance(60_000);
    await waitFor(() => h.datagrams.length === 4, 2000, 'three repeats');
    expect(msgIds(h.datagrams)).toEqual(['alarm-raised', 'alarm-repeat', 'alarm-repeat', 'alarm-repeat']);
    expect(h.record.list().map((e) => [e.trigger, e.repeat, e.startedAtMs - Date.UTC(2024, 0, 1)])).toEqual([['raised', 0, 0], ['repeat', 1, 60_000], ['repeat', 2, 120_000], ['repeat', 3, 180_000]]);
    expect(h.engine.pending).toBe(0);
    h.raise();
    await waitFor(() => h.datagrams.length === 5, 2000, 'clear message');
    expect(h.datagrams[4]).toContain(' alarm-cleared [');
    expect(h.datagrams[4]).toContain('cleared: String 1: thermal runaway');
    await h.done();
  });

  it('stop when the alarm is acknowledged', async () => {
    const h = await harness((syslog) => [rule({ name: 'nag', repeatEveryMs: 60_000, notifiers: [syslog] })]);
    h.raise(RUNAWAY);
    await h.advance(120_000);
    await waitFor(() => h.datagrams.length === 3, 2000, 'raise and two repeats');
    h.site.acknowledgeAlarm(1, 'operator');
    for (let i = 0; i < 5; i++) await h.advance(60_000);
    expect(h.datagrams).toHaveLength(3);
    expect(h.engine.pending).toBe(0);
    h.raise();
    await waitFor(() => h.datagrams.length === 4, 2000, 'clear message');
    await h.done();
  });

  it('send nothing on clear when onClear is off, but still release the relay', async () => {
    const h = await harness((syslog) => [rule({ name: 'quiet', onClear: false, relays: [{ relay: 1, on: true, release: true }], notifiers: [syslog] })]);
    h.raise(DOOR);
    await waitFor(() => h.datagrams.length === 1 && h.relay(1), 2000, 'raise');
    h.raise();
    await waitFor(() => !h.relay(1), 2000, 'relay released');
    await h.advance(0);
    expect(h.datagrams).toHaveLength(1);
    await h.done();
  });
});

describe('matching', () => {
  it('acts on the kinds and severities of a rule only', async () => {
    const h = await harness((syslog) => [
      rule({ name: 'critical-only', severities: ['critical'], notifiers: [syslog] }),
      rule({ name: 'door', kinds: ['input-active'], severities: ['warning', 'alarm'], notifiers: [syslog] }),
    ]);
    h.raise(RUNAWAY, DOOR, HOT);
    await waitFor(() => h.record.list().length === 2, 2000, 'two actions');
    await h.advance(0);
    expect(h.record.list().map((e) => [e.rule, e.alarm?.kind]).sort()).toEqual([['critical-only', 'thermal-runaway'], ['door', 'input-active']]);
    await h.done();
  });

  it('acts on alarms already active when it starts', async () => {
    const h = await harness(() => [rule({ name: 'beacon', relays: [{ relay: 1, on: true, release: true }] })], {
      before: (site) => site.reconcileAlarms('early', [RUNAWAY]),
    });
    await waitFor(() => h.relay(1), 2000, 'relay 1 on');
    await h.done();
  });
});

describe('the record', () => {
  it('keeps the newest entries up to its capacity and lists after an id', async () => {
    const h = await harness((syslog) => [rule({ name: 'nag', repeatEveryMs: 1000, notifiers: [syslog] })], { capacity: 10 });
    const seen: number[] = [];
    h.record.subscribe((e) => seen.push(e.id));
    h.raise(RUNAWAY);
    for (let i = 0; i < 14; i++) await h.advance(1000);
    await waitFor(() => seen.length === 15, 2000, '15 actions');
    const all = h.record.list();
    expect(all.map((e) => e.id)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(h.record.list({ afterId: 12 }).map((e) => e.id)).toEqual([13, 14, 15]);
    expect(h.record.list({ limit: 2 }).map((e) => e.id)).toEqual([14, 15]);
    expect(Object.isFrozen(all[0])).toBe(true);
    await h.done();
  });

  it('records and logs a failed sending', async () => {
    const h = await harness(() => [rule({ name: 'tcp', notifiers: [new SyslogNotifier({ name: 'dead', transport: 'tcp', host: '127.0.0.1', port: 1 })] })]);
    h.raise(DOOR);
    const [e] = await waitFor(() => (h.record.list().length === 1 ? h.record.list() : null), 3000, 'a failed entry');
    expect(e).toMatchObject({ type: 'syslog', destination: 'dead', outcome: 'failed', attempts: 2, detail: expect.stringContaining('ECONNREFUSED') });
    expect(h.logger.lines.some((l) => l.level === 'warn' && String(l.msg).startsWith('syslog dead (tcp 127.0.0.1:1) raised for alarm 1 input-active: FAILED'))).toBe(true);
    await h.done();
  });
});
