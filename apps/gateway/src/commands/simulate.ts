// `kirchhoff simulate`: runs the string physics and the battery engines on a virtual clock and
// reports, hour by hour, each string's spread, mean SoC and active alarms.
import { parseArgs } from 'node:util';
import { Alarm, isModuleType, MAX_MODULES, MAX_STRINGS, ModuleType, SiteSnapshot } from '@kirchhoff/core';
import { FaultSpec, parseFault } from '../demo/faults';
import { ChargerSetting, PHYSICS_FAULT_KINDS, SimulatedSite } from '../physics';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage: kirchhoff simulate --strings S --modules M --hours H [options]
  --strings S            parallel strings, 1..${MAX_STRINGS}
  --modules M            blocks (modules) per string; S x M <= ${MAX_MODULES}
  --hours H              simulated hours
  --initial-spread VOLTS initial float voltage spread, +-VOLTS around the mean (default 0.15)
  --balancing on|off     balancing engine (default on)
  --charger MODE         float | boost | off | discharge:AMPS (load per string; default float)
  --fault SPEC           KIND[:string[:module]][@START[-END]] (seconds), repeatable; kinds:
                         ${PHYSICS_FAULT_KINDS.join(', ')}
  --module-type TYPE     C20 (default), C23, C30, C40, C41
  --capacity AH          block capacity (default by module type)
  --seed N               block characteristics and noise (default 1)
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

export interface SimulateReport {
  readonly strings: number;
  readonly modulesPerString: number;
  readonly moduleType: ModuleType;
  readonly hours: readonly { hour: number; strings: readonly SimulateHourString[] }[];
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
  const m = /^discharge:(\d+(?:\.\d+)?)$/.exec(text);
  if (m && Number(m[1]) > 0) return { mode: 'discharge', currentA: Number(m[1]) };
  throw new UsageError(`--charger must be float, boost, off or discharge:AMPS (e.g. discharge:10), got ${JSON.stringify(text)}`);
}

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
        kind: a.kind, severity: a.severity, entity: a.entity.kind === 'module' ? `S${a.entity.string}-M${a.entity.module}` : a.entity.kind === 'string' ? `S${a.entity.string}` : a.entity.kind, message: a.message,
      })),
    })),
  };
}

/** Runs a simulation; the command's whole behaviour minus argument parsing and printing. */
export function runSimulation(o: {
  strings: number; modules: number; hours: number; moduleType?: ModuleType; capacityAh?: number; initialSpreadV?: number;
  balancing?: boolean; charger?: ChargerSetting; faults?: readonly FaultSpec[]; seed?: number;
}): SimulateReport {
  const moduleType = o.moduleType ?? 'C20';
  const charger = o.charger ?? { mode: 'float' };
  const sim = new SimulatedSite({
    strings: Array.from({ length: o.strings }, () => ({ modules: o.modules, moduleType, capacityAh: o.capacityAh })),
    seed: o.seed ?? 1,
    initialSpreadV: o.initialSpreadV ?? 0.15,
    charger,
    balancing: { enabled: o.balancing ?? true },
    faults: o.faults ?? [],
  });
  const raised: string[] = [];
  sim.site.subscribe((e) => {
    if (e.type === 'alarm' && e.action === 'raised' && !raised.includes(e.alarm.kind)) raised.push(e.alarm.kind);
  });
  for (const a of sim.site.snapshot().alarms) if (!raised.includes(a.kind)) raised.push(a.kind);
  const hours = [hourEntry(sim.site.snapshot(), 0)];
  const whole = Math.ceil(o.hours);
  for (let h = 1; h <= whole; h++) {
    sim.advance(Math.min(h, o.hours) * 3600 - sim.elapsedS);
    hours.push(hourEntry(sim.site.snapshot(), Math.min(h, o.hours)));
  }
  const last = hours[hours.length - 1].strings.map((s) => s.spreadV).filter((v): v is number => v !== null);
  return {
    strings: o.strings,
    modulesPerString: o.modules,
    moduleType,
    hours,
    summary: {
      finalSpreadV: last.length ? Math.max(...last) : null,
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
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          strings: { type: 'string' }, modules: { type: 'string' }, hours: { type: 'string' },
          'initial-spread': { type: 'string' }, balancing: { type: 'string' }, charger: { type: 'string' },
          fault: { type: 'string', multiple: true }, 'module-type': { type: 'string' }, capacity: { type: 'string' },
          seed: { type: 'string' }, json: { type: 'boolean' },
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
    const faults = (values.fault ?? []).map(parseFault);
    for (const f of faults) {
      if (!PHYSICS_FAULT_KINDS.includes(f.kind)) throw new UsageError(`--fault ${f.kind} is not simulated by the string physics (simulated: ${PHYSICS_FAULT_KINDS.join(', ')}); the demo site simulates it`);
      if ((f.string ?? 1) < 1 || (f.string ?? 1) > strings) throw new UsageError(`--fault ${f.kind}: string ${f.string} does not exist (1..${strings})`);
      if ((f.module ?? 1) < 1 || (f.module ?? 1) > modules) throw new UsageError(`--fault ${f.kind}: module ${f.module} does not exist (1..${modules})`);
    }
    const report = runSimulation({
      strings, modules, hours, moduleType, capacityAh, initialSpreadV: spread, balancing: balancing === 'on',
      charger: parseCharger(values.charger ?? 'float'), faults, seed,
    });
    io.out(values.json ? JSON.stringify(report, null, 2) + '\n' : table(report));
    return 0;
  },
};
