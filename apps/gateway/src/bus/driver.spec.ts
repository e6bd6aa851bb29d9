// The bus driver against the emulator over an in-memory pair: readings in the site, loss and
// recovery, counters, retries, bypass duties, Ri, commissioning, and bytes that go wrong.
// Deadlines, retry pauses and the poll interval run on a virtual clock that moves only while no
// byte is in transit: a module that answers always answers in time and a silent one always times
// out, however busy the machine is, so every count below is exact.
import { Site, StringLayout, VirtualClock } from '@kirchhoff/core';
import { memoryLogger } from '../log';
import { BusDriver, BusDriverOptions } from './driver';
import { ModuleEmulator } from './emulator';
import { createFixedBank, FixedBank } from './fixed-bank';
import { createMemoryPair, MemoryEnd } from './transport';

const LAYOUT: StringLayout[] = [{ modules: 20, moduleType: 'C20' }, { modules: 12, moduleType: 'C40' }];

/** Resolves once the line has been quiet for a full turn of the event loop. */
async function quiet(line: MemoryEnd): Promise<void> {
  do await new Promise((r) => setImmediate(r));
  while (line.inTransit);
}

/**
 * Lets virtual time jump to the next timer whenever nothing is in transit on the line: a deadline
 * passes only when no answer is on its way. Returns the function that stops it.
 */
function runTimeWhenQuiet(clock: VirtualClock, line: MemoryEnd): () => void {
  let running = true;
  const turn = () => {
    if (!running) return;
    if (!line.inTransit) clock.advanceToNext();
    setImmediate(turn);
  };
  setImmediate(turn);
  return () => {
    running = false;
  };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setup(options: Partial<BusDriverOptions> = {}, emulatorOptions: { unaddressed?: boolean } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 5));
  const site = new Site({ strings: LAYOUT });
  const bank: FixedBank = createFixedBank(LAYOUT, 7);
  const [master, slave] = createMemoryPair({ chunkBytes: 5 });
  const logger = memoryLogger();
  const emulator = new ModuleEmulator({ bank, transport: slave, logger: logger.child('emulator'), clock: () => clock.now(), ...emulatorOptions });
  emulator.start();
  const driver = new BusDriver({
    site, logger, ports: [{ transport: master, baudRate: 115200, strings: [1, 2] }], timers: clock,
    timeoutMs: 50, retries: 1, retryBackoffMs: 20, lostAfterMisses: 3, lostProbeMinMs: 0, lostProbeMaxMs: 0, statsLogIntervalMs: 0,
    ...options,
  });
  stops.push(runTimeWhenQuiet(clock, master));
  return { clock, site, bank, master: master as MemoryEnd, slave, emulator, driver, logger };
}

describe('bus driver over an in-memory pair', () => {
  it('reads every module into the site with the values the modules measure', async () => {
    const { site, bank, driver } = setup();
    const report = await driver.runCycle();
    expect(report).toMatchObject({ read: 32, missed: 0 });
    const snap = site.snapshot();
    for (const m of snap.modules) {
      const truth = bank.readout(m.global)!;
      expect(m.voltageV).toMatchObject({ value: truth.voltageV, quality: 'fresh' });
      expect(m.temperatureC.value).toBe(truth.temperatureC);
      expect(m.resistanceOhm.value).toBe(truth.resistanceOhm);
      expect(m).toMatchObject({ communication: 'ok', fuse: 'ok' });
    }
    // One range read per string, nothing went wrong, and the site shows the same counters.
    expect(driver.stats()).toMatchObject({ requests: 2, timeouts: 0, crcErrors: 0, retries: 0, dropped: 0 });
    expect(snap.bus).toMatchObject({ requests: 2, timeouts: 0, crcErrors: 0, retries: 0, dropped: 0 });
    expect(snap.bus.lastCycleMs).toBeGreaterThan(0);
  });

  it('marks a silent module stale, retries it, loses it after 3 misses and finds it again', async () => {
    const { site, bank, driver, logger } = setup();
    await driver.runCycle();
    bank.setPresent(5, false);

    await driver.runCycle();
    let m = site.snapshot().modules[4];
    expect(m.voltageV.quality).toBe('stale');
    expect(m.communication).toBe('ok');
    expect(site.snapshot().modules[5].voltageV.quality).toBe('fresh');
    expect(driver.stats()).toMatchObject({ retries: 1, timeouts: 2 });

    await driver.runCycle();
    expect(site.snapshot().modules[4].communication).toBe('ok');
    await driver.runCycle();
    m = site.snapshot().modules[4];
    expect(m.communication).toBe('lost');
    expect(site.evaluateAlarms().map((c) => c.alarm.kind)).toContain('module-lost');
    expect(logger.lines.find((l) => l.msg === 'modules lost: no answer')).toMatchObject({ level: 'warn', modules: 'S01-M05' });

    bank.setPresent(5, true);
    await driver.runCycle();
    m = site.snapshot().modules[4];
    expect(m).toMatchObject({ communication: 'ok', voltageV: { quality: 'fresh' } });
    expect(logger.lines.find((l) => l.msg === 'modules answer again')).toMatchObject({ modules: 'S01-M05' });
  });

  it('keeps cycling when the whole bus goes silent, and recovers every module when it comes back', async () => {
    const { site, master, driver } = setup();
    await driver.runCycle();
    master.setConnected(false);
    for (let i = 0; i < 3; i++) expect((await driver.runCycle()).read).toBe(0);
    expect(site.snapshot().modules.every((m) => m.communication === 'lost')).toBe(true);
    // Issue 19 point 9: one bus-failure alarm for the silent bus, not 32 module-lost alarms.
    site.evaluateAlarms();
    expect(site.snapshot().alarms.map((a) => [a.kind, a.entity.kind])).toEqual([['bus-failure', 'site']]);
    // Lost modules are probed, not retried: a silent bus costs one range read per run.
    const before = driver.stats().requests;
    await driver.runCycle();
    expect(driver.stats().requests - before).toBe(2);
    master.setConnected(true);
    expect((await driver.runCycle()).read).toBe(32);
    expect(site.snapshot().modules.every((m) => m.communication === 'ok' && m.voltageV.quality === 'fresh')).toBe(true);
    site.evaluateAlarms();
    expect(site.snapshot().alarms).toEqual([]);
    expect(site.alarmHistory().map((a) => [a.kind, a.clearedAtMs !== null])).toEqual([['bus-failure', false], ['bus-failure', true]]);
  });

  it('backs off probing a lost module', async () => {
    let now = 1_000_000;
    const { bank, driver } = setup({ lostProbeMinMs: 1000, lostProbeMaxMs: 4000, clock: () => now });
    bank.setPresent(32, false);
    for (let i = 0; i < 3; i++) await driver.runCycle();
    const asked = async () => {
      const before = driver.stats().timeouts;
      await driver.runCycle();
      return driver.stats().timeouts - before;
    };
    expect(await asked()).toBe(0);
    now += 1000;
    expect(await asked()).toBe(1);
    now += 1000;
    expect(await asked()).toBe(0);
    now += 1000;
    expect(await asked()).toBe(1);
  });

  it('counts a corrupted answer as a CRC error and gets the reading by retry', async () => {
    const { site, slave, driver } = setup();
    const write = slave.write.bind(slave);
    let corrupt = true;
    slave.write = (bytes: Uint8Array) => {
      if (corrupt && bytes.length > 40) {
        corrupt = false;
        const copy = Uint8Array.from(bytes);
        copy[20] ^= 0x10; // inside the second module's frame
        return write(copy);
      }
      return write(bytes);
    };
    const report = await driver.runCycle();
    expect(report).toMatchObject({ read: 32, missed: 0 });
    expect(driver.stats()).toMatchObject({ crcErrors: 1, retries: 1 });
    expect(site.snapshot().modules[1].voltageV.quality).toBe('fresh');
  });

  it('survives a line full of noise and reads cleanly once it is quiet', async () => {
    const { site, master, slave, driver } = setup();
    let seed = 42;
    const noise = () => {
      const b = new Uint8Array(1 + (seed % 200));
      for (let i = 0; i < b.length; i++) b[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      // Start bytes make the parser work harder than plain noise.
      if (b.length > 3) b[seed % b.length] = 0xa5;
      return b;
    };
    // Noise before, inside or after the modules' answers; sometimes noise alone, while a request
    // is on its way to the modules.
    const write = slave.write.bind(slave);
    const ask = master.write.bind(master);
    let noisy = true;
    slave.write = (bytes: Uint8Array) => {
      if (!noisy) return write(bytes);
      const cut = seed % (bytes.length + 1);
      return write(Buffer.concat([noise(), bytes.subarray(0, cut), seed % 3 === 0 ? noise() : new Uint8Array(0), bytes.subarray(cut), noise()]));
    };
    master.write = (bytes: Uint8Array) => {
      if (noisy && seed % 2 === 0) write(noise());
      return ask(bytes);
    };
    try {
      for (let i = 0; i < 20; i++) await driver.runCycle();
    } finally {
      noisy = false;
    }
    expect(driver.stats().garbageBytes + driver.stats().crcErrors).toBeGreaterThan(0);
    await quiet(master);
    const before = driver.stats();
    expect(await driver.runCycle()).toMatchObject({ read: 32, missed: 0 });
    expect(driver.stats().timeouts).toBe(before.timeouts);
    expect(site.snapshot().modules.every((m) => m.communication === 'ok' && m.voltageV.quality === 'fresh')).toBe(true);
  });

  it('sends bypass duties as range broadcasts and sees them applied', async () => {
    const { bank, master, driver } = setup();
    await driver.runCycle();
    driver.setBypass(3, 40);
    driver.setBypass(7, 100);
    driver.setBypass(25, 15);
    const before = driver.stats().requests;
    await driver.runCycle();
    expect(bank.readout(3)!.bypassDutyPercent).toBe(40);
    expect(bank.readout(7)!.bypassDutyPercent).toBe(100);
    expect(bank.readout(25)!.bypassDutyPercent).toBe(15);
    expect(driver.reportedDutyPercent(7)).toBe(100);
    // Two broadcasts (one per string) plus the two range reads.
    expect(driver.stats().requests - before).toBe(4);

    // A broadcast has no answer: the modules have it once the line is quiet.
    await driver.allBypassOff();
    await quiet(master);
    expect([3, 7, 25].map((g) => bank.readout(g)!.bypassDutyPercent)).toEqual([0, 0, 0]);
  });

  it('does not insist on a bypass the module refuses for over-temperature', async () => {
    const { bank, driver } = setup();
    bank.setTemperature(4, 60);
    driver.setBypass(4, 50);
    await driver.runCycle();
    await driver.runCycle();
    await driver.runCycle();
    expect(driver.reportedDutyPercent(4)).toBe(0);
    expect(driver.stats().bypassResends).toBe(0);
  });

  it('reports a blown fuse as the module says, until it is cleared', async () => {
    const { site, bank, driver } = setup();
    bank.blowFuse(9);
    await driver.runCycle();
    expect(site.snapshot().modules[8].fuse).toBe('blown');
    bank.clearFuse(9);
    await driver.runCycle();
    // Latched: the trip stays visible until an operator clears it on the module.
    expect(site.snapshot().modules[8].fuse).toBe('blown');
    expect(await driver.clearFuse(9)).toEqual({ blown: false, tripped: false, trips: 0 });
    await driver.runCycle();
    expect(site.snapshot().modules[8].fuse).toBe('ok');
  });

  it('measures Ri one string per cycle when due', async () => {
    const { site, bank, driver } = setup({ riIntervalMs: 0 });
    const before = bank.readout(21)!.resistanceOhm;
    await driver.runCycle();
    await driver.runCycle();
    const after = bank.readout(21)!.resistanceOhm;
    expect(after).not.toBe(before);
    expect(site.snapshot().modules[20].resistanceOhm).toMatchObject({ value: after, quality: 'fresh' });
  });

  it('commissions a module by button press and address assignment', async () => {
    const { site, driver, emulator } = setup({}, { unaddressed: true });
    expect((await driver.runCycle()).read).toBe(0);
    expect(await driver.assignAddress(1)).toBeNull();
    emulator.pressButton(1);
    expect(await driver.assignAddress(1)).toMatchObject({ moduleType: 'C20', serial: 0x4b000001 });
    emulator.pressButton(21);
    expect(await driver.assignAddress(21)).toMatchObject({ moduleType: 'C40' });
    await driver.runCycle();
    const snap = site.snapshot();
    expect(snap.modules[0].voltageV.quality).toBe('fresh');
    expect(snap.modules[20].voltageV.quality).toBe('fresh');
    expect(snap.modules[1].voltageV.quality).toBe('failed');
  });

  it('identifies a module and reads its version', async () => {
    const { driver } = setup();
    expect(await driver.identify(2, 30)).toBe(true);
    expect(await driver.readInfo(2)).toMatchObject({ firmware: '1.0.0', protocolVersion: 1 });
    const r = await driver.request(1, { kind: 'read-measurements', address: 2 });
    expect(r.responses[0]).toMatchObject({ kind: 'measurements', measurements: { status: { identifying: true } } });
  });

  it('runs a cycle every poll interval until stopped and drops what is still queued', async () => {
    const { clock, site, driver } = setup({ pollIntervalMs: 1000 });
    const startedAt: number[] = [];
    const third = new Promise<void>((resolve) => driver.onCycle(() => {
      // A cycle takes no virtual time here (every module answers): it ends when it starts.
      startedAt.push(clock.now());
      if (startedAt.length === 3) resolve();
    }));
    const t0 = clock.now();
    driver.start();
    await third;
    await driver.stop();
    expect(startedAt.map((t) => t - t0)).toEqual([0, 1000, 2000]);
    expect(site.snapshot().bus.requests).toBe(6);
    expect((await driver.request(1, { kind: 'read-info', address: 1 })).sent).toBe(false);
    // Stopped means stopped: time passing starts no further cycle.
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(startedAt).toHaveLength(3);
  });
});
