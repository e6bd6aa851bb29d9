// The gateway: builds the site model from the configuration, runs its data source (the bus, or
// the demo simulation), evaluates alarms, executes commands, and starts the protocol services
// the configuration enables.
import {
  Command, CommandError, CommandExecutor, CommandInterface, CommandResult, ProblemLog, Site, ThresholdSet,
  defaultThresholds, moduleLabel,
} from '@kirchhoff/core';
import type { GatewayConfig, ThresholdConfig } from './config/types';
import type { Logger } from './log';
import { DemoSource, startDemoSource } from './demo/demo-source';
import { SerialBus, startSerialBus } from './bus';
import { enginesFromConfig } from './engine/from-config';
import { engineStateSaver, SOC_STATE_KEY } from './engine/persist';
import type { SocPersistedState } from './engine/soc';
import { createHealthHost, HealthHost } from './engine/health-service';
import type { HistoryStore } from '@kirchhoff/history';
import { reloadConfig, ReloadResult } from './reload';
import { SerialLines } from './serial';
import { startWarnings } from './config/start-checks';
import { AdapterProvided, commandPolicy, configNotices, serviceList, ServiceInfo, startAdapters, stopAdapters } from './adapters/run';
import type { RunningAdapter } from './adapters/types';
import { ServicesProvided, startServices, stopServices } from './services';
import type { RunningService } from './services/types';
import type { HealthService } from './engine/health-service';

export type { ServiceInfo };
import type { FaultSpec } from './demo/faults';

export interface Gateway {
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly services: readonly ServiceInfo[];
  /** What the gateway, its services and its adapters provide each other (data logger, action record, ...). */
  readonly deps: GatewayDeps;
  /** Applies what a new configuration changes while running; names what needs a restart. */
  reload(next: GatewayConfig): Promise<ReloadResult>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  readonly logger: Logger;
  readonly faults?: readonly FaultSpec[];
  /** Source and alarm cycle period; defaults to bus.pollIntervalMs. */
  readonly cycleMs?: number;
}

/** Defaults scaled to the site's first module type and capacity (per cell, per 100 Ah), then the configured values. */
function thresholdsFor(config: GatewayConfig): ThresholdSet {
  const d = defaultThresholds(config.strings[0].moduleType, config.strings[0].capacityAh);
  const t = config.thresholds;
  const over = <T>(base: T, c: ThresholdConfig): T => ({ ...base, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) });
  return {
    moduleVoltage: over(d.moduleVoltage, t.moduleVoltage),
    moduleTemperature: over(d.moduleTemperature, t.moduleTemperature),
    moduleResistance: over(d.moduleResistance, t.moduleResistance),
    stringImbalance: over(d.stringImbalance, t.stringImbalance),
    stringCurrent: over(d.stringCurrent, t.stringCurrent),
    stringRipple: over(d.stringRipple, t.stringRipple),
    stringGroundFault: over(d.stringGroundFault, t.stringGroundFault),
    sensors: Object.fromEntries(Object.entries(t.sensors).map(([id, c]) => [id, over({ hysteresis: 0, delayMs: 0 }, c)])),
  };
}

export function buildSite(config: GatewayConfig, clock?: () => number, logger?: Logger): Site {
  return new Site({
    info: config.site,
    strings: config.strings,
    ups: config.ups.source !== 'none' ? { ident: { name: config.ups.name } } : undefined,
    sensors: config.sensors,
    inputs: config.inputs.map((i) => ({ name: i.name, alarmSeverity: i.alarm === 'none' ? null : i.alarm })),
    relays: config.relays,
    thresholds: thresholdsFor(config),
    clock,
    onListenerError: logger ? (error, event) => logger.error('change-feed listener failed', { error, event: event.type }) : undefined,
  });
}

export { commandPolicy };

/** What the gateway, its services and its adapters provide each other. */
export interface GatewayDeps extends ServicesProvided, AdapterProvided {
  /** Hostile or broken input, counted per adapter and kind (for /metrics), one log line per kind a minute. */
  readonly problems: ProblemLog;
  /** The serial-port owner shared by the bus driver and the UPS and sensor sources. */
  readonly serialLines: SerialLines;
  /** Each block's health and the capacity tests (when engines run: the bus or the demo). */
  readonly health?: HealthService;
  /** Connected clients per adapter figure, now (for /metrics). */
  readonly adapterClients: () => Readonly<Record<string, number>>;
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
  let running = config;
  const { logger } = options;
  const site = buildSite(config, undefined, logger);
  let demo: DemoSource | null = null;
  let bus: SerialBus | null = null;
  // The SoC estimator's state lives in the data logger, which starts after the engines.
  let restoreEngines: ((history: HistoryStore) => Promise<void>) | null = null;
  let persistEngines: (() => void) | null = null;
  let healthHost: HealthHost | null = null;
  const problems = new ProblemLog();
  const serialLines = new SerialLines(logger.child('serial'));
  let ups: ServicesProvided['ups'];

  const executor: CommandExecutor = {
    async execute(command: Exclude<Command, { type: 'set-threshold' | 'acknowledge-alarm' }>): Promise<CommandResult> {
      switch (command.type) {
        case 'set-relay':
          site.update((tx) => tx.relay(command.relay, command.on));
          return { ok: true, message: `relay ${command.relay} ${command.on ? 'on' : 'off'}` };
        case 'module': {
          const global = site.topology.globalOf(command.string, command.module)!;
          const label = moduleLabel(command.string, command.module);
          if (demo) {
            demo.moduleCommand(command.action, global);
          } else if (bus) {
            if (command.action === 'measure-ri') {
              // Ri is measured string by string in one pass (a load pulse per block): the request starts one.
              bus.driver.requestRiPass();
              return { ok: true, message: `Ri pass over every string started (asked for ${label})` };
            }
            const answered = command.action === 'identify' ? await bus.driver.identify(global, 10)
              : command.action === 'clear-fuse' ? (await bus.driver.clearFuse(global)) !== null
              : (() => { throw new CommandError('unsupported', `${command.action} is not available on the battery bus driver yet (identify, clear-fuse and measure-ri are)`); })();
            if (!answered) throw new Error(`${label} did not answer ${command.action}`);
          } else {
            throw new Error(`no battery bus is running: cannot ${command.action} ${label}`);
          }
          return { ok: true, message: `${command.action} sent to ${label}` };
        }
        case 'ups-test':
        case 'ups-control':
        case 'ups-settings': {
          // A real UPS (Q1 serial, SNMP card) takes the command itself.
          if (ups) return ups.execute(command);
          if (command.type === 'ups-test') throw new Error(`the ${config.ups.source} UPS source cannot run battery tests`);
          // The simulated UPS takes the values as they are; a real UPS source forwards them.
          if (config.ups.source !== 'simulated') throw new Error(`the ${config.ups.source} UPS source cannot change ${command.type === 'ups-control' ? 'control' : 'settings'}`);
          if (command.type === 'ups-control') {
            site.update((tx) => tx.ups({ control: command.control }));
          } else {
            const { name, attachedDevices, ...rest } = command.settings;
            site.update((tx) => tx.ups({ ident: { name, attachedDevices }, config: rest }));
          }
          return { ok: true, message: `UPS ${command.type === 'ups-control' ? 'control' : 'settings'} changed: ${Object.keys(command.type === 'ups-control' ? command.control : command.settings).join(', ')}` };
        }
      }
    },
  };
  const commands = new CommandInterface(site, executor, commandPolicy(config));

  const alarmLog = site.subscribe((e) => {
    if (e.type === 'alarm') {
      const level = e.action === 'raised' ? (e.alarm.severity === 'warning' ? 'warn' : 'error') : 'info';
      logger[level](`alarm ${e.action}: ${e.alarm.message}`, { alarmId: e.alarm.id, kind: e.alarm.kind, severity: e.alarm.severity });
    } else if (e.type === 'command') {
      logger.info(`command ${e.command.type} ${e.outcome}`, { from: e.origin.protocol, remote: e.origin.remote, error: e.error?.message });
    }
  });

  if (config.demo.enabled) {
    demo = startDemoSource(site, config, options.faults ?? [], logger.child('demo'));
    const host = (healthHost = createHealthHost(demo.engines, site, logger.child('health')));
    demo.onEngines(() => host.afterTick());
  } else if (!config.bus.port) {
    for (const w of startWarnings(config)) logger.warn(w);
  } else {
    // The engines run after every bus cycle, on the readings that cycle wrote.
    bus = await startSerialBus(config.bus, site, logger);
    const engines = enginesFromConfig(config, bus.driver, site.snapshot(), logger.child('engines'));
    const host = (healthHost = createHealthHost(engines, site, logger.child('health')));
    const off = bus.driver.onCycle(() => {
      try {
        engines.tick(site);
        persistEngines?.();
        host.afterTick();
      } catch (error) {
        logger.error('battery engines failed', { error });
      }
    });
    restoreEngines = async (history) => {
      const state = await history.loadEngineState(SOC_STATE_KEY).catch(() => null);
      if (state !== null) logger.info(engines.restart(site, state as SocPersistedState) ? 'SoC state restored from the data logger' : 'SoC state in the data logger does not fit this site: the estimate starts over');
      persistEngines = engineStateSaver(engines, history, logger);
    };
    const opened = bus;
    bus = { ...opened, close: async () => { off(); await opened.close(); } };
    // UPS and sensors on the bus's serial line share its queue: one owner per port.
    serialLines.adopt(config.bus.port, opened.driver.portQueue(0)!, { baudRate: config.bus.baudRate });
  }

  const health = healthHost ?? undefined;
  const cycleMs = options.cycleMs ?? config.bus.pollIntervalMs;
  const cycle = () => {
    try {
      demo?.tick(site.now());
      site.evaluateAlarms();
    } catch (error) {
      logger.error('cycle failed', { error });
    }
  };
  cycle();
  const timer = setInterval(cycle, cycleMs);

  let services: readonly RunningService[] = [];
  let adapters: readonly RunningAdapter[] = [];
  let deps: GatewayDeps;
  try {
    const started = await startServices({ config, site, commands, logger, serialLines, health });
    services = started.running;
    ({ ups } = started.provided);
    // Read at scrape time by /metrics: whatever the running adapters report.
    const adapterClients = () => Object.assign({}, ...adapters.map((a) => a.clients?.() ?? {}));
    const core = { problems, serialLines, health, adapterClients, ...started.provided };
    const running = await startAdapters({ site, commands, logger, root: config, ...core, configNotices: () => configNotices(config) });
    adapters = running.running;
    deps = { ...core, ...running.provided };
    const { history } = started.provided;
    if (restoreEngines && history) await restoreEngines(history);
    if (healthHost && history) await healthHost.attach(history);
  } catch (error) {
    await stopServices(services, logger);
    clearInterval(timer);
    demo?.stop();
    await bus?.close();
    alarmLog();
    throw error;
  }
  const table = serviceList(config, adapters);
  return {
    site,
    commands,
    services: table,
    deps,
    async reload(next: GatewayConfig) {
      const result = await reloadConfig(running, next, commands, thresholdsFor);
      running = { ...next };
      return result;
    },
    async stop() {
      clearInterval(timer);
      await stopAdapters(adapters, logger);
      await healthHost?.close();
      await stopServices(services, logger);
      demo?.stop();
      await bus?.close();
      alarmLog();
    },
  };
}
