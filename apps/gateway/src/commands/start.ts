// `kirchhoff start`: run the demo site or a configured site until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { SiteSnapshot } from '@kirchhoff/core';
import { applySets, finishConfig, readConfigFile } from '../config/load';
import { demoConfig } from '../config/demo-config';
import type { GatewayConfig } from '../config/types';
import { startGateway, Gateway } from '../gateway';
import { createLogger } from '../log';
import { parseFault } from '../demo/faults';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage:
  kirchhoff start --demo [--strings N] [--modules M] [--fault SPEC]... [--set key=value]...
  kirchhoff start --config FILE [--set key=value]...

  --demo            run a simulated site with every protocol on unprivileged ports
  --strings N       demo strings, 1..16 (default 2)
  --modules M       demo modules per string, 1..32 (default 20)
  --fault SPEC      inject a demo fault: KIND[:string[:module]][@START[-END]] (seconds after start);
                    kinds: ups-on-battery, thermal-runaway, module-lost, fuse-blown, high-ri,
                    weak-block, ground-fault, sensor-failed
  --config FILE     run the site a YAML file describes (network services off unless enabled)
  --set key=value   override any configuration key, e.g. --set modbus.tcp.port=5021
  --status-every S  print a status line every S seconds (default 10, 0 = never)`;

function intOption(value: string | undefined, name: string, lo: number, hi: number, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${name} ${value} is not valid: expected a whole number from ${lo} to ${hi}`);
  return n;
}

export function loadStartConfig(values: { demo?: boolean; config?: string; strings?: string; modules?: string; set?: string[] }): GatewayConfig {
  if (values.demo && values.config) throw new UsageError('use either --demo or --config FILE, not both');
  if (!values.demo && !values.config) throw new UsageError('say what to run: --demo, or --config FILE');
  const raw = values.demo
    ? demoConfig({ strings: intOption(values.strings, 'strings', 1, 16, 2), modules: intOption(values.modules, 'modules', 1, 32, 20) })
    : readConfigFile(values.config!);
  if (!values.demo && (values.strings || values.modules)) throw new UsageError('--strings and --modules go with --demo; a configured site lists its strings');
  return finishConfig(applySets(raw, values.set ?? []));
}

/** One line an operator can read at a glance. */
export function statusLine(s: SiteSnapshot): string {
  const strings = s.strings.map((st) => {
    const f = (v: number | null, d: number) => (v === null ? '-' : v.toFixed(d));
    return `${st.label} ${f(st.sumVoltageV.value, 1)} V ${f(st.dcCurrentA.value, 1)} A ${st.chargeMode} spread ${st.spreadV.value === null ? '-' : Math.round(st.spreadV.value * 1000)} mV SoC ${f(st.socPercent.value, 0)} %`;
  });
  const ups = s.ups ? `UPS ${s.ups.output.source === 'battery' ? 'ON BATTERY' : s.ups.output.source}` : '';
  const alarms = s.alarms.length ? `${s.alarms.length} active alarm${s.alarms.length === 1 ? '' : 's'}` : 'no alarms';
  return [...strings, ups, alarms].filter(Boolean).join(' | ');
}

export function servedLines(gw: Gateway, config: GatewayConfig): string[] {
  const snap = gw.site.snapshot();
  const types = [...new Set(snap.strings.map((s) => s.moduleType))].join('/');
  const lines = [
    `Kirchhoff gateway: ${snap.info.name}`,
    `  ${snap.strings.length} string${snap.strings.length === 1 ? '' : 's'}, ${snap.modules.length} ${types} modules${config.demo.enabled ? ' (simulated)' : ''}; UPS: ${config.ups.source}; ${snap.sensors.length} sensors, ${snap.inputs.length} inputs, ${snap.relays.length} relays`,
  ];
  for (const s of gw.services) {
    lines.push(`  ${s.name.padEnd(24)} ${s.endpoint.padEnd(24)} ${s.state}`);
  }
  lines.push('  Ctrl-C stops the gateway.');
  return lines;
}

export const startCommand: CliCommand = {
  name: 'start',
  summary: 'run the gateway (--demo for the simulated site, --config FILE for a real one)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: {
        demo: { type: 'boolean' }, config: { type: 'string' }, strings: { type: 'string' }, modules: { type: 'string' },
        fault: { type: 'string', multiple: true }, set: { type: 'string', multiple: true }, 'status-every': { type: 'string' },
      },
      strict: true,
    });
    const config = loadStartConfig(values);
    const faults = (values.fault ?? []).map(parseFault);
    if (faults.length && !config.demo.enabled) throw new UsageError('--fault injects faults into the simulated site: use it with --demo');
    const statusEvery = intOption(values['status-every'], 'status-every', 0, 86_400, 10);
    const logger = createLogger({ level: config.log.level, format: config.log.format === 'auto' ? undefined : config.log.format });

    const gw = await startGateway(config, { logger, faults });
    for (const line of servedLines(gw, config)) io.out(line);
    const statusTimer = statusEvery > 0 ? setInterval(() => io.out(statusLine(gw.site.snapshot())), statusEvery * 1000) : null;

    // SIGHUP re-reads the file: what can change while running is applied, the rest is named.
    const reload = async () => {
      if (!values.config) {
        logger.warn('SIGHUP: the demo site has no configuration file to reload');
        return;
      }
      try {
        const result = await gw.reload(loadStartConfig(values));
        logger.info(`SIGHUP: ${values.config} reloaded`, { applied: result.applied });
        if (result.needsRestart.length) logger.warn(`SIGHUP: these changes take effect after a restart: ${result.needsRestart.join(', ')}`);
      } catch (error) {
        logger.error(`SIGHUP: ${values.config} not reloaded, the running configuration stays: ${(error as Error).message}`);
      }
    };
    const onHup = () => void reload();
    process.on('SIGHUP', onHup);

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info(`${signal}: stopping`);
        if (statusTimer) clearInterval(statusTimer);
        process.off('SIGHUP', onHup);
        gw.stop().then(
          () => { logger.info('stopped'); resolve(0); },
          (error) => { logger.error('stop failed', { error }); resolve(1); },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  },
};

