// `kirchhoff simulate`: runs the string physics and the battery engines on a virtual clock and
// reports, hour by hour, each string's spread, mean SoC and active alarms.
import { parseArgs } from 'node:util';
import { Alarm, EntityRef, isModuleType, Measurement, MAX_MODULES, MAX_STRINGS, ModuleType, SiteSnapshot } from '@kirchhoff/core';
import { FaultSpec, parseFault } from '../demo/faults';
import { ChargerSetting, CHEMISTRIES, ChemistryName, isChemistry, PHYSICS_FAULT_KINDS, SimulatedSite } from '../physics';
import type { CapacityTestRecord, SohMethod } from '../engine/health';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage: kirchhoff simulate --strings S --modules M --hours H [options]
  --strings S            parallel strings, 1..${MAX_STRINGS}
  --modules M            blocks (modules) per string; S x M <= ${MAX_MODULES}
  --hours H              simulated hours
  --initial-spread VOLTS initial float voltage spread, +-VOLTS around the mean (default 0.15)
  --balancing on|off     balancing engine (default on)
  --charger MODE         float | boost | rest (charger off, intermittent charging) | discharge:AMPS
                         (load per string; default float)
  --ambient C            room temperature, deg C (default 25)
  --deadband V           balancing deadband, volts (default 0.005, the production default)
  --interval S           per-block truth and estimate every S simulated seconds in --json (default 3600)
  --fault SPEC           KIND[:string[:module]][@START[-END]] (seconds), repeatable; kinds:
                         ${PHYSICS_FAULT_KINDS.join(', ')}
  --module-type TYPE     C20 (default), C23, C30, C40, C41
  --capacity AH          block capacity (default by module type)
  --chemistry NAME       ${CHEMISTRIES.join(', ')} (default vrla-agm)
  --age YEARS            years in float service: capacity fade, float current, self-discharge and Ri rise (default 5)
  --seed N               block characteristics and noise (default 1)
  --capacity-test@START  a capacity test at START seconds: the strings discharge at the 10-hour rate
                         (also --capacity-test START[:AMPS]) to the end voltage, then float again;
                         a ups-on-battery fault is recorded and analysed as a discharge too
  --json                 JSON on stdout instead of a table`;

export interface SimulateHourString {
  readonly string: number;
  /** max |V - target| over the string's measured blocks, volts. */
  readonly spreadV: number | null;
  readonly targetVoltageV: number | null;
  /** Mean of the blocks' estimated state of charge. */
  readonly socPercent: number | null;
  readonly chargeMode: string;
  readonly currentA: number | null;
  readonly alarms: readonly { kind: string; severity: string; entity: string; message: string }[];
}

/** Something that happened, at its simulated time (seconds after the start). */
export interface SimulateEvent {
  readonly atS: number;
  readonly type: 'alarm-raised' | 'alarm-cleared' | 'relay-on' | 'relay-off' | 'breaker-trip' | 'breaker-confirmed' | 'breaker-not-confirmed' | 'breaker-reset' | 'charge-mode';
  /** charge-mode: the string's new mode (a discharge begins, a recharge or float follows). */
  readonly mode?: string;
  readonly kind?: string;
  readonly severity?: string;
  readonly entity?: string;
  readonly relay?: number;
  readonly message: string;
}

/** One block at one time: the physics' truth beside what the modules measured and the engines estimated. */
export interface SimulateBlockSample {
  readonly atS: number;
  readonly string: number;
  readonly module: number;
  readonly truth: { readonly voltageV: number; readonly temperatureC: number; readonly cellCurrentA: number; readonly socPercent: number };
  readonly estimate: { readonly voltageV: number | null; readonly temperatureC: number | null; readonly socPercent: number | null };
}

/** One block's health after the run: the gateway's estimate beside the simulator's truth. */
export interface SimulateHealthBlock {
  readonly string: number;
  readonly module: number;
  readonly estimate: {
    readonly sohPercent: number | null; readonly sohMethod: SohMethod; readonly remainingCapacityAh: number | null;
    /** Ah delivered through the block in the last test or discharge record. */
    readonly deliveredAh: number | null;
    /** Ah the block gave to the end voltage at the test rate (last record). */
    readonly capacityAtRateAh: number | null;
    readonly collapsedEarly: boolean;
  };
  readonly truth: {
    /** The physics' C10 capacity after ageing and faults over the rated capacity. */
    readonly sohPercent: number; readonly capacityAh: number;
    /** Ah the block's cells really gave during the last record (the physics' cell current, bypass aside). */
    readonly deliveredAh: number | null;
    /** The block carries a weak-block fault (half its capacity). */
    readonly weak: boolean;
  };
}

export interface SimulateReport {
  readonly strings: number;
  readonly modulesPerString: number;
  readonly moduleType: ModuleType;
  readonly hours: readonly { hour: number; strings: readonly SimulateHourString[] }[];
  /** Every alarm raise/clear, relay change and breaker trip/confirmation, in order. */
  readonly events: readonly SimulateEvent[];
  /** Per-block truth and estimate every `interval` seconds. */
  readonly blocks: readonly SimulateBlockSample[];
  /** Capacity tests and discharges recorded, and each block's health at the end beside the truth. */
  readonly health: {
    readonly tests: readonly CapacityTestRecord[];
    readonly blocks: readonly SimulateHealthBlock[];
    /** Per string, the blocks the last record's end-of-discharge analysis named as collapsing early. */
    readonly collapsedEarly: readonly { readonly string: number; readonly modules: readonly number[] }[];
  };
  readonly summary: {
    /** The largest spreadV over all strings at the end. */
    readonly finalSpreadV: number | null;
    readonly balancing: boolean;
    readonly charger: string;
    readonly faults: readonly string[];
    /** Every alarm kind raised during the run, in order of first appearance. */
    readonly alarmsRaised: readonly string[];
    readonly breakerOpen: boolean;
  };
}

function positiveInt(name: string, text: string | undefined, max: number): number {
  const n = Number(text);
  if (text === undefined) throw new UsageError(`--${name} is required`);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number 1..${max}, got ${JSON.stringify(text)}`);
  return n;
}

function parseCharger(text: string): ChargerSetting {
  if (text === 'float' || text === 'boost' || text === 'off') return { mode: text };
  if (text === 'rest') return { mode: 'off' };
  const m = /^discharge:(\d+(?:\.\d+)?)$/.exec(text);
  if (m && Number(m[1]) > 0) return { mode: 'discharge', currentA: Number(m[1]) };
  throw new UsageError(`--charger must be float, boost, rest (or off) or discharge:AMPS (e.g. discharge:10), got ${JSON.stringify(text)}`);
}

function entityText(e: EntityRef): string {
  return e.kind === 'module' ? `S${e.string}-M${e.module}` : e.kind === 'string' ? `S${e.string}` : e.kind === 'relay' || e.kind === 'input' || e.kind === 'sensor' ? `${e.kind} ${e.id}` : e.kind;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));
const freshValue = (m: Measurement) => (m.quality === 'fresh' ? m.value : null);

function alarmBelongs(a: Alarm, string: number): boolean {
  const e = a.entity;
  return e.kind === 'site' || e.kind === 'ups' || ((e.kind === 'string' || e.kind === 'module') && e.string === string);
}

function hourEntry(snap: SiteSnapshot, hour: number): { hour: number; strings: SimulateHourString[] } {
  return {
    hour,
    strings: snap.strings.map((s) => ({
      string: s.string,
      spreadV: s.spreadV.value,
      targetVoltageV: s.targetVoltageV.value,
      socPercent: s.socPercent.value,
      chargeMode: s.chargeMode,
      currentA: s.dcCurrentA.value,
      alarms: snap.alarms.filter((a) => alarmBelongs(a, s.string)).map((a) => ({
        kind: a.kind, severity: a.severity, entity: entityText(a.entity), message: a.message,
      })),
    })),
  };
}

/** Runs a simulation; the command's whole behaviour minus argument parsing and printing. */
export function runSimulation(o: {
  strings: number; modules: number; hours: number; moduleType?: ModuleType; capacityAh?: number; initialSpreadV?: number;
  balancing?: boolean; charger?: ChargerSetting; faults?: readonly FaultSpec[]; seed?: number;
  ambientC?: number; deadbandV?: number; intervalS?: number;
  chemistry?: ChemistryName; ageYears?: number;
  /** A capacity test at startS (seconds) at currentA per string (default the 10-hour rate of the rating). */
  capacityTest?: { startS: number; currentA?: number };
  /** How often the engines (and the test record) sample during a capacity test, seconds. Default 1, as the gateway records. */
  testSampleS?: number;
}): SimulateReport {
  const moduleType = o.moduleType ?? 'C20';
  const charger = o.charger ?? { mode: 'float' };
  const sim = new SimulatedSite({
    strings: Array.from({ length: o.strings }, () => ({ modules: o.modules, moduleType, capacityAh: o.capacityAh })),
    seed: o.seed ?? 1,
    chemistry: o.chemistry,
    ageYears: o.ageYears,
    initialSpreadV: o.initialSpreadV ?? 0.15,
    charger,
    ambientC: o.ambientC,
    balancing: { enabled: o.balancing ?? true, ...(o.deadbandV !== undefined ? { deadbandV: o.deadbandV } : {}) },
    faults: o.faults ?? [],
  });
  const raised: string[] = [];
  const events: SimulateEvent[] = [];
  const at = () => Math.round(sim.elapsedS * 10) / 10;
  const alarmEvent = (a: Alarm, type: 'alarm-raised' | 'alarm-cleared', atS: number) => events.push({ atS, type, kind: a.kind, severity: a.severity, entity: entityText(a.entity), message: a.message });
  sim.site.subscribe((e) => {
    if (e.type === 'alarm' && e.action === 'raised' && !raised.includes(e.alarm.kind)) raised.push(e.alarm.kind);
    if (e.type === 'alarm' && (e.action === 'raised' || e.action === 'cleared')) alarmEvent(e.alarm, e.action === 'raised' ? 'alarm-raised' : 'alarm-cleared', at());
    if (e.type === 'values') {
      for (const c of e.changes) {
        if (c.entity.kind === 'string' && c.field === 'chargeMode') events.push({ atS: at(), type: 'charge-mode', entity: `S${c.entity.string}`, mode: String(c.value), message: `S${c.entity.string} ${c.value}` });
        if (c.entity.kind === 'relay' && c.field === 'on') events.push({ atS: at(), type: c.value ? 'relay-on' : 'relay-off', relay: c.entity.id, message: `relay ${c.entity.id} ${c.value ? 'on' : 'off'}` });
      }
    }
  });
  for (const a of sim.site.snapshot().alarms) {
    if (!raised.includes(a.kind)) raised.push(a.kind);
    alarmEvent(a, 'alarm-raised', 0);
  }
  const tests: CapacityTestRecord[] = [];
  const truthAh = new Float64Array(sim.physics.moduleCount);
  let recording = false;
  let testPending = o.capacityTest;
  const controlS = 10;
  let lastHealthS = sim.elapsedS;
  const health = () => {
    const running = sim.engines.health.runningTest();
    const dtS = sim.elapsedS - lastHealthS;
    lastHealthS = sim.elapsedS;
    if (running?.state === 'running') {
      if (!recording) truthAh.fill(0);
      recording = true;
      // The physics' own cell current over the last control interval.
      for (let g = 1; g <= sim.physics.moduleCount; g++) truthAh[g - 1] += (Math.max(0, -sim.physics.truth(g).cellCurrentA) * dtS) / 3600;
    }
    const done = sim.engines.health.takeFinishedTests();
    for (const t of done) tests.push({ ...t, id: tests.length + 1 });
    if (done.length || (recording && !running)) {
      recording = false;
      if (o.capacityTest) {
        sim.physics.setCharger(charger);
        sim.setIntervals(1, controlS);
      }
    }
  };
  const breakerEvents = () => {
    for (const e of sim.engines.runaway.takeEvents()) {
      const type = e.type === 'trip' ? 'breaker-trip' : e.type === 'reset' ? 'breaker-reset' : e.type;
      events.push({ atS: Math.round(((e.atMs - sim.physics.startMs) / 1000) * 10) / 10, type, ...(e.relay !== undefined ? { relay: e.relay } : {}), message: e.message });
    }
  };
  // 0: no per-block samples (the table shows none).
  const intervalS = o.intervalS ?? 3600;
  const blocks: SimulateBlockSample[] = [];
  const sample = () => {
    const snap = sim.site.snapshot();
    for (const m of snap.modules) {
      const t = sim.physics.truth(m.global);
      blocks.push({
        atS: at(), string: m.string, module: m.module,
        truth: { voltageV: round(t.voltageV, 4), temperatureC: round(t.temperatureC, 2), cellCurrentA: round(t.cellCurrentA, 4), socPercent: round(t.socPercent, 2) },
        // A stale reading (lost module) is no estimate.
        estimate: { voltageV: freshValue(m.voltageV), temperatureC: freshValue(m.temperatureC), socPercent: freshValue(m.socPercent) },
      });
    }
  };
  if (intervalS > 0) sample();
  let nextSampleS = intervalS > 0 ? intervalS : Infinity;
  const hours = [hourEntry(sim.site.snapshot(), 0)];
  const whole = Math.ceil(o.hours);
  for (let h = 1; h <= whole; h++) {
    const endS = Math.min(h, o.hours) * 3600;
    while (sim.elapsedS < endS - 1e-6) {
      let untilS = Math.min(nextSampleS, endS);
      if (testPending && testPending.startS >= sim.elapsedS - 1e-6) untilS = Math.min(untilS, testPending.startS);
      if (testPending && sim.elapsedS >= testPending.startS - 1e-6) {
        // The test load: what a UPS battery test or a load bank draws, at the 10-hour rate of the rating.
        const first = sim.physics.strings[0];
        sim.engines.health.startTest(sim.physics.nowMs, { trigger: 'simulator' }, sim.physics.strings.length);
        sim.physics.setCharger({ mode: 'discharge', currentA: testPending.currentA ?? first.capacityAh / 10 });
        // Recorded once a second, as the gateway records a test.
        sim.setIntervals(1, o.testSampleS ?? 1);
        testPending = undefined;
      }
      if (untilS <= sim.elapsedS + 1e-6) untilS = Math.min(nextSampleS, endS);
      sim.advance(untilS - sim.elapsedS, () => { breakerEvents(); health(); });
      if (sim.elapsedS >= nextSampleS - 1e-6) {
        sample();
        nextSampleS += intervalS;
      }
    }
    hours.push(hourEntry(sim.site.snapshot(), Math.min(h, o.hours)));
  }
  breakerEvents();
  health();
  events.sort((a, b) => a.atS - b.atS);
  const finalSnap = sim.site.snapshot();
  const hs = sim.engines.health.snapshot(finalSnap);
  const last = tests[tests.length - 1];
  const weak = new Set((o.faults ?? []).filter((f) => f.kind === 'weak-block').map((f) => `${f.string ?? 1}:${f.module ?? 1}`));
  const healthBlocks: SimulateHealthBlock[] = hs.blocks.map((b) => {
    const t = sim.physics.truth(b.global);
    const rec = last?.strings.find((x) => x.string === b.string)?.blocks.find((x) => x.module === b.module);
    const rated = sim.physics.strings[b.string - 1].capacityAh;
    return {
      string: b.string, module: b.module,
      estimate: {
        sohPercent: b.sohPercent, sohMethod: b.sohMethod, remainingCapacityAh: b.remainingCapacityAh,
        deliveredAh: rec?.deliveredAh ?? null, capacityAtRateAh: rec?.capacityAtRateAh ?? null, collapsedEarly: rec?.collapsedEarly ?? false,
      },
      truth: {
        sohPercent: round((t.capacityAh / rated) * 100, 1), capacityAh: round(t.capacityAh, 2),
        deliveredAh: last ? round(truthAh[b.global - 1], 3) : null, weak: weak.has(`${b.string}:${b.module}`),
      },
    };
  });
  const lastSpread = hours[hours.length - 1].strings.map((s) => s.spreadV).filter((v): v is number => v !== null);
  return {
    strings: o.strings,
    modulesPerString: o.modules,
    moduleType,
    hours,
    events,
    blocks,
    health: {
      tests,
      blocks: healthBlocks,
      collapsedEarly: (last?.strings ?? []).map((x) => ({ string: x.string, modules: x.endOfDischarge.collapsedEarly })),
    },
    summary: {
      finalSpreadV: lastSpread.length ? Math.max(...lastSpread) : null,
      balancing: o.balancing ?? true,
      charger: charger.mode === 'discharge' ? `discharge:${charger.currentA}` : charger.mode,
      faults: (o.faults ?? []).map((f) => `${f.kind}:${f.string ?? 1}:${f.module ?? 1}@${f.startS}${f.endS !== undefined ? `-${f.endS}` : ''}`),
      alarmsRaised: raised,
      breakerOpen: sim.physics.strings.some((_, i) => sim.physics.isBreakerOpen(i + 1)),
    },
  };
}

function table(r: SimulateReport): string {
  const lines = [`hour  ${r.hours[0].strings.map((s) => `S${s.string} spread mV  SoC %  mode`.padEnd(30)).join('')}alarms`];
  for (const h of r.hours) {
    const kinds = [...new Set(h.strings.flatMap((s) => s.alarms.map((a) => a.kind)))];
    lines.push(`${String(h.hour).padStart(4)}  ${h.strings.map((s) => `${(s.spreadV === null ? '-' : (s.spreadV * 1000).toFixed(1)).padStart(12)}  ${(s.socPercent === null ? '-' : s.socPercent.toFixed(1)).padStart(5)}  ${s.chargeMode}`.padEnd(30)).join('')}${kinds.join(', ')}`);
  }
  for (const t of r.health.tests) {
    for (const s of t.strings) {
      lines.push(`${t.trigger} record S${s.string}: ${s.deliveredAh.toFixed(1)} Ah in ${(s.durationS / 3600).toFixed(2)} h, ended ${t.end}; collapsed early: ${s.endOfDischarge.collapsedEarly.map((m) => `M${m}`).join(', ') || 'none'}`);
    }
  }
  if (r.health.tests.length) {
    lines.push('block  SoH % (truth)   remaining Ah (truth)  method');
    for (const b of r.health.blocks) {
      lines.push(`S${b.string}-M${b.module}`.padEnd(7) + `${b.estimate.sohPercent ?? '-'} (${b.truth.sohPercent})`.padEnd(16) + `${b.estimate.remainingCapacityAh ?? '-'} (${b.truth.capacityAh})`.padEnd(22) + b.estimate.sohMethod);
    }
  }
  lines.push(`final spread ${r.summary.finalSpreadV === null ? '-' : (r.summary.finalSpreadV * 1000).toFixed(1) + ' mV'}; alarms raised: ${r.summary.alarmsRaised.join(', ') || 'none'}`);
  return lines.join('\n') + '\n';
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run the string physics and balancing engine on a virtual clock',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        // --capacity-test@START, like the faults' @START.
        args: argv.map((a) => (a.startsWith('--capacity-test@') ? `--capacity-test=${a.slice('--capacity-test@'.length)}` : a)),
        strict: true,
        allowPositionals: false,
        options: {
          strings: { type: 'string' }, modules: { type: 'string' }, hours: { type: 'string' },
          'initial-spread': { type: 'string' }, balancing: { type: 'string' }, charger: { type: 'string' },
          fault: { type: 'string', multiple: true }, 'module-type': { type: 'string' }, capacity: { type: 'string' },
          seed: { type: 'string' }, json: { type: 'boolean' }, ambient: { type: 'string' }, deadband: { type: 'string' }, interval: { type: 'string' },
          chemistry: { type: 'string' }, age: { type: 'string' }, 'capacity-test': { type: 'string' },
        },
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const strings = positiveInt('strings', values.strings, MAX_STRINGS);
    const modules = positiveInt('modules', values.modules, MAX_MODULES);
    if (strings * modules > MAX_MODULES) throw new UsageError(`--strings x --modules is ${strings * modules}; a site has at most ${MAX_MODULES} modules`);
    const hours = Number(values.hours);
    if (values.hours === undefined) throw new UsageError('--hours is required');
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 366) throw new UsageError(`--hours must be a number of hours > 0 (at most a year), got ${JSON.stringify(values.hours)}`);
    const spread = values['initial-spread'] === undefined ? 0.15 : Number(values['initial-spread']);
    if (!Number.isFinite(spread) || spread < 0 || spread > 2) throw new UsageError(`--initial-spread must be volts 0..2, got ${JSON.stringify(values['initial-spread'])}`);
    const balancing = values.balancing ?? 'on';
    if (balancing !== 'on' && balancing !== 'off') throw new UsageError(`--balancing must be on or off, got ${JSON.stringify(balancing)}`);
    const moduleType = values['module-type'] ?? 'C20';
    if (!isModuleType(moduleType)) throw new UsageError(`--module-type must be one of C20, C23, C30, C40, C41, got ${JSON.stringify(moduleType)}`);
    const capacityAh = values.capacity === undefined ? undefined : Number(values.capacity);
    if (capacityAh !== undefined && !(capacityAh > 0 && capacityAh <= 10_000)) throw new UsageError(`--capacity must be ampere-hours 0..10000, got ${JSON.stringify(values.capacity)}`);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got ${JSON.stringify(values.seed)}`);
    const ambientC = values.ambient === undefined ? undefined : Number(values.ambient);
    if (ambientC !== undefined && !(Number.isFinite(ambientC) && ambientC >= -20 && ambientC <= 60)) throw new UsageError(`--ambient must be deg C -20..60, got ${JSON.stringify(values.ambient)}`);
    const deadbandV = values.deadband === undefined ? undefined : Number(values.deadband);
    if (deadbandV !== undefined && !(deadbandV >= 0.001 && deadbandV <= 0.1)) throw new UsageError(`--deadband must be volts 0.001..0.1 (as balancing.deadbandV), got ${JSON.stringify(values.deadband)}`);
    const intervalS = values.interval === undefined ? undefined : Number(values.interval);
    if (intervalS !== undefined && !(Number.isInteger(intervalS) && intervalS >= 10 && intervalS <= 86_400)) throw new UsageError(`--interval must be whole seconds 10..86400, got ${JSON.stringify(values.interval)}`);
    const chemistry = values.chemistry ?? 'vrla-agm';
    if (!isChemistry(chemistry)) throw new UsageError(`--chemistry must be one of ${CHEMISTRIES.join(', ')}, got ${JSON.stringify(chemistry)}`);
    const ageYears = values.age === undefined ? 5 : Number(values.age);
    if (values.age !== undefined && !(Number.isFinite(ageYears) && ageYears >= 0 && ageYears <= 30)) throw new UsageError(`--age must be years 0..30, got ${JSON.stringify(values.age)}`);
    let capacityTest: { startS: number; currentA?: number } | undefined;
    if (values['capacity-test'] !== undefined) {
      const m = /^(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/.exec(values['capacity-test']);
      if (!m || (m[2] !== undefined && !(Number(m[2]) > 0))) throw new UsageError(`--capacity-test must be START seconds, optionally :AMPS (e.g. --capacity-test@3600 or --capacity-test 3600:10), got ${JSON.stringify(values['capacity-test'])}`);
      if (Number(m[1]) >= hours * 3600) throw new UsageError(`--capacity-test starts at ${m[1]} s, after the end of the run (${hours * 3600} s)`);
      capacityTest = { startS: Number(m[1]), ...(m[2] !== undefined ? { currentA: Number(m[2]) } : {}) };
    }
    const faults = (values.fault ?? []).map(parseFault);
    for (const f of faults) {
      if (!PHYSICS_FAULT_KINDS.includes(f.kind)) throw new UsageError(`--fault ${f.kind} is not simulated by the string physics (simulated: ${PHYSICS_FAULT_KINDS.join(', ')}); the demo site simulates it`);
      if ((f.string ?? 1) < 1 || (f.string ?? 1) > strings) throw new UsageError(`--fault ${f.kind}: string ${f.string} does not exist (1..${strings})`);
      if ((f.module ?? 1) < 1 || (f.module ?? 1) > modules) throw new UsageError(`--fault ${f.kind}: module ${f.module} does not exist (1..${modules})`);
    }
    const report = runSimulation({
      strings, modules, hours, moduleType, capacityAh, initialSpreadV: spread, balancing: balancing === 'on',
      charger: parseCharger(values.charger ?? 'float'), faults, seed, ambientC, deadbandV, intervalS: values.json ? intervalS : 0, chemistry, ageYears, capacityTest,
    });
    io.out(values.json ? JSON.stringify(report, null, 2) + '\n' : table(report));
    return 0;
  },
};
