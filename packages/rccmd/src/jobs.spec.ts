// Jobs on a real site model and a virtual clock, sending over loopback to a dry-run listener:
// every timing option and trigger, cancellation, placeholders and the restore message.
import { Site, VirtualClock } from '@kirchhoff/core';
import { waitFor } from '@kirchhoff/test-support';
import { JobRunnerEvent, RccmdJob, RccmdJobRunner } from './jobs';
import { RccmdSender } from './sender';
import { parseTarget } from './transport';
import { startTestListener, TestListener } from './test-helpers/loopback';

const KEY = 'gateway-key-0123456789abcdef';

interface Rig {
  clock: VirtualClock;
  site: Site;
  listener: TestListener;
  runner: RccmdJobRunner;
  events: JobRunnerEvent[];
  /** Moves the virtual clock and lets the sends it triggers arrive. */
  advance(ms: number): Promise<void>;
  setOnBattery(on: boolean, minutesRemaining?: number): Promise<void>;
  close(): Promise<void>;
}

async function rig(jobs: (target: { udp: string; tcp: string }) => Omit<RccmdJob, 'targets'> & { targets?: RccmdJob['targets'] }, transport: 'udp' | 'tcp' = 'udp'): Promise<Rig> {
  const clock = new VirtualClock();
  const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }], ups: { ident: { name: 'UPS-A' } }, clock: () => clock.now() });
  site.update((tx) => tx.ups({ output: { source: 'normal' }, battery: { estimatedMinutesRemaining: 125, status: 'normal' } }));
  const listener = await startTestListener({ senders: [{ address: '127.0.0.1', id: 'gw', key: KEY }], clock, acceptRccmdMessages: true });
  const sender = new RccmdSender({ id: 'gw', hmacKey: KEY, clock });
  const udp = `127.0.0.1:${listener.udpPort}`;
  const tcp = `127.0.0.1:${listener.tcpPort}`;
  const job = jobs({ udp, tcp });
  const events: JobRunnerEvent[] = [];
  const runner = new RccmdJobRunner(site, sender, [{ targets: [parseTarget(transport === 'udp' ? udp : tcp, transport)], ...job }], { clock, onEvent: (e) => events.push(e) });
  runner.start();
  const settle = async () => {
    await runner.idle();
  };
  return {
    clock, site, listener, runner, events,
    async advance(ms) {
      // Step in seconds, so each timer sees the site as it is at its own time.
      for (let left = ms; left > 0; left -= 1000) {
        clock.advance(Math.min(1000, left));
        await settle();
      }
    },
    async setOnBattery(on, minutesRemaining = 125) {
      site.update((tx) => tx.ups({ output: { source: on ? 'battery' : 'normal' }, battery: { estimatedMinutesRemaining: minutesRemaining } }));
      site.evaluateAlarms();
      await settle();
    },
    async close() {
      runner.stop();
      sender.close();
      await listener.listener.close();
    },
  };
}

const base = { name: 'job-1', format: 'kirchhoff' as const, kind: 'shutdown' as const };

describe.each(['udp', 'tcp'] as const)('job timings over %s', (transport) => {
  let r: Rig;
  afterEach(() => r.close());

  it('immediately: one shutdown when the UPS goes on battery', async () => {
    r = await rig(() => ({ ...base, trigger: 'ups-on-battery', timing: 'immediately' }), transport);
    await r.advance(5000);
    expect(r.listener.actions()).toEqual([]);
    await r.setOnBattery(true);
    expect(r.listener.actions()).toEqual([expect.objectContaining({ action: 'shutdown', dryRun: true, senders: ['gw'], text: 'Shutdown from Kirchhoff site: ups-on-battery' })]);
    await r.advance(60_000);
    expect(r.listener.actions()).toHaveLength(1);
  });

  it('after-delay: sent N s after the event, not before', async () => {
    r = await rig(() => ({ ...base, trigger: 'ups-on-battery', timing: 'after-delay', seconds: 30 }), transport);
    await r.setOnBattery(true);
    await r.advance(29_000);
    expect(r.listener.actions()).toEqual([]);
    await r.advance(1000);
    expect(r.listener.actions()).toHaveLength(1);
    expect(r.clock.now() - r.site.startedAtMs).toBe(30_000);
  });

  it('after-delay: cancelled when the event clears first', async () => {
    r = await rig(() => ({ ...base, trigger: 'ups-on-battery', timing: 'after-delay', seconds: 30 }), transport);
    await r.setOnBattery(true);
    await r.advance(20_000);
    await r.setOnBattery(false);
    await r.advance(60_000);
    expect(r.listener.events.filter((e) => e.type === 'accepted')).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(['armed', 'cancelled', 'cleared']);
    expect(r.events[1]).toEqual({ type: 'cancelled', job: 'job-1', reason: 'ups-on-battery cleared before it was due' });
  });

  it('repeat: at once and then every N s while the event lasts', async () => {
    r = await rig(() => ({ ...base, kind: 'message', trigger: 'ups-on-battery', timing: 'repeat', seconds: 60 }), transport);
    await r.setOnBattery(true);
    await r.advance(150_000);
    expect(r.listener.actions().map((a) => a.action)).toEqual(['message', 'message', 'message']);
    await r.setOnBattery(false);
    await r.advance(300_000);
    expect(r.listener.actions()).toHaveLength(3);
  });

  it('after-on-battery: N s after the UPS went on battery', async () => {
    r = await rig(() => ({ ...base, trigger: 'ups-on-battery', timing: 'after-on-battery', seconds: 120 }), transport);
    await r.setOnBattery(true);
    await r.advance(119_000);
    expect(r.listener.actions()).toEqual([]);
    await r.advance(1000);
    expect(r.listener.actions()).toHaveLength(1);
  });

  it('at-remaining-runtime: when the runtime on battery falls to N s', async () => {
    r = await rig(() => ({ ...base, kind: 'execute', command: 'stop-db', trigger: 'ups-on-battery', timing: 'at-remaining-runtime', seconds: 600 }), transport);
    await r.setOnBattery(true, 30);
    await r.setOnBattery(true, 11);
    expect(r.listener.actions()).toEqual([]);
    await r.setOnBattery(true, 10);
    expect(r.listener.actions()).toEqual([expect.objectContaining({ action: 'execute', command: 'systemctl stop postgresql' })]);
    await r.setOnBattery(true, 9);
    expect(r.listener.actions()).toHaveLength(1);
  });
});

describe('job triggers', () => {
  let r: Rig;
  afterEach(() => r.close());

  it('battery-low', async () => {
    r = await rig(() => ({ ...base, trigger: 'battery-low', timing: 'immediately' }));
    await r.setOnBattery(true);
    expect(r.listener.actions()).toEqual([]);
    r.site.update((tx) => tx.ups({ battery: { status: 'low' } }));
    await r.runner.idle();
    expect(r.listener.actions()).toHaveLength(1);
  });

  it('runtime-below N s, only on battery', async () => {
    r = await rig(() => ({ ...base, trigger: 'runtime-below', runtimeBelowS: 300, timing: 'immediately' }));
    r.site.update((tx) => tx.ups({ battery: { estimatedMinutesRemaining: 2 } }));
    await r.runner.idle();
    expect(r.listener.actions()).toEqual([]);
    await r.setOnBattery(true, 5);
    expect(r.listener.actions()).toEqual([]);
    await r.setOnBattery(true, 4);
    expect(r.listener.actions()).toHaveLength(1);
  });

  it('thermal-runaway, from the alarm feed', async () => {
    r = await rig(() => ({ ...base, trigger: 'thermal-runaway', timing: 'immediately' }));
    r.site.reconcileAlarms('runaway', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'S01 thermal runaway', value: null, limit: null }]);
    await r.runner.idle();
    expect(r.listener.actions()).toEqual([expect.objectContaining({ action: 'shutdown' })]);
  });

  it('an alarm of a chosen kind, with #ALARM in the text', async () => {
    r = await rig(() => ({ ...base, kind: 'message', trigger: 'alarm', alarmKind: 'input-active', timing: 'immediately', text: 'Alarm: #ALARM' }));
    r.site.reconcileAlarms('test', [{ kind: 'sensor-high', severity: 'alarm', entity: { kind: 'sensor', id: 1 }, message: 'hot', value: 40, limit: 35 }]);
    await r.runner.idle();
    expect(r.listener.actions()).toEqual([]);
    r.site.reconcileAlarms('test', [{ kind: 'input-active', severity: 'critical', entity: { kind: 'input', id: 3 }, message: 'Input Fire panel alarm active', value: null, limit: null }]);
    await r.runner.idle();
    expect(r.listener.actions()).toEqual([expect.objectContaining({ action: 'message', text: 'Alarm: Input Fire panel alarm active' })]);
  });
});

describe('message texts', () => {
  let r: Rig;
  afterEach(() => r.close());

  it('public form with placeholders: the captured power-fail and restored texts', async () => {
    r = await rig(() => ({ ...base, kind: 'trap', format: 'rccmd', trigger: 'ups-on-battery', timing: 'immediately', clearText: 'Powerfail on #UPSNAME: restored.' }));
    await r.setOnBattery(true, 125);
    await waitFor(() => r.listener.actions().length === 1);
    await r.setOnBattery(false);
    await waitFor(() => r.listener.actions().length === 2);
    const accepted = r.listener.events.filter((e) => e.type === 'accepted').map((e) => (e.type === 'accepted' ? e.message : null));
    expect(accepted).toEqual([
      { format: 'rccmd', kind: 'message', text: 'Powerfail on UPS-A: Autonomietime 125.00 min.', event: { type: 'powerfail', ups: 'UPS-A', autonomyMin: 125 } },
      { format: 'rccmd', kind: 'message', text: 'Powerfail on UPS-A: restored.', event: { type: 'power-restored', ups: 'UPS-A' } },
    ]);
  });

  it('trap values: UPS and battery placeholders', async () => {
    r = await rig(() => ({ ...base, kind: 'trap', trigger: 'ups-on-battery', timing: 'immediately', text: '#UPSNAME #OUTSOURCE in #INVOLT V batt #BATTVOLT V #BATTCAP % #RUNTIME s #UNKNOWN' }));
    r.site.update((tx) => tx.ups({ input: { lines: [{ frequencyHz: 0, voltageV: 0, currentA: 0, truePowerW: 0 }] }, battery: { voltageV: 243.5, estimatedChargeRemainingPercent: 97 } }));
    await r.setOnBattery(true, 42);
    expect(r.listener.actions()[0].text).toBe('UPS-A battery in 0 V batt 243.5 V 97 % 2520 s #UNKNOWN');
  });
});

describe('job checks', () => {
  const sender = new RccmdSender({ id: 'gw' });
  const site = new Site({ strings: [{ modules: 1, moduleType: 'C20' }] });
  const t = [parseTarget('127.0.0.1:16003')];
  it.each([
    [{ ...base, trigger: 'ups-on-battery', timing: 'after-delay', targets: t }, /timing after-delay needs seconds > 0/],
    [{ ...base, format: 'rccmd', trigger: 'ups-on-battery', timing: 'immediately', targets: t }, /shutdown cannot be sent in the public RCCMD form/],
    [{ ...base, trigger: 'alarm', timing: 'immediately', targets: t }, /trigger alarm needs alarmKind/],
    [{ ...base, trigger: 'ups-on-battery', timing: 'immediately', targets: [] }, /no targets/],
    [{ ...base, kind: 'execute', trigger: 'ups-on-battery', timing: 'immediately', targets: t }, /execute needs the name of a command/],
  ] as [RccmdJob, RegExp][])('%#: %p', (job, message) => {
    expect(() => new RccmdJobRunner(site, sender, [job])).toThrow(message);
  });
});
