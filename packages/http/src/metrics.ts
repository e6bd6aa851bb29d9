// The Prometheus /metrics page (text exposition format 0.0.4): bus counters, active alarms by
// severity, string and module values, the UPS, sensors and relays, HTTP clients, the data logger's
// lag when one runs, process figures. Values in base units (volts, ohms, seconds, ratios 0..1);
// a reading that is not fresh is left out, so Prometheus marks its series stale instead of
// repeating an old value (kirchhoff_module_up says which modules answer).
import { CHARGE_MODES, SEVERITIES, type Measurement, type ProblemCount, type SiteSnapshot } from '@kirchhoff/core';

export type MetricType = 'counter' | 'gauge';
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export function renderMetrics(metrics: readonly Metric[]): string {
  const out: string[] = [];
  for (const m of metrics) {
    if (!m.samples.length) continue;
    out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = s.labels && Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out.push(`${m.name}${labels} ${num(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

export interface MetricSources {
  readonly snapshot: SiteSnapshot;
  /** The software version (kirchhoff_build_info). */
  readonly version: string;
  /** Connected clients per adapter (`http` = open connections, `http-live` = event streams), where known. */
  readonly clients: Readonly<Record<string, number>>;
  readonly httpSessions: number;
  readonly liveDropped: number;
  readonly httpRequests: Readonly<Record<string, number>>;
  /** Seconds the data logger's newest stored sample lags the site; null without a logger. */
  readonly loggerLagS: number | null;
  readonly nowMs: number;
  /** Hostile or broken input counted by the adapters' rate-limited log. */
  readonly problems?: readonly ProblemCount[];
  /** The MQTT publisher's messages that will never be sent, and those waiting; absent without MQTT. */
  readonly mqtt?: { readonly dropped: number; readonly queued: number };
}

export function siteMetrics(s: MetricSources): Metric[] {
  const snap = s.snapshot;
  const g = (name: string, help: string, samples: Sample[]): Metric => ({ name, help, type: 'gauge', samples });
  const c = (name: string, help: string, value: number): Metric => ({ name, help, type: 'counter', samples: [{ value }] });
  const bySeverity = SEVERITIES.map((sev) => ({ labels: { severity: sev }, value: snap.alarms.filter((a) => a.severity === sev).length }));
  const unacked = SEVERITIES.map((sev) => ({ labels: { severity: sev }, value: snap.alarms.filter((a) => a.severity === sev && !a.acknowledged).length }));
  const quality = (['fresh', 'stale', 'failed'] as const).map((q) => ({ labels: { quality: q }, value: snap.modules.filter((m) => m.voltageV.quality === q).length }));
  const perString = (pick: (st: SiteSnapshot['strings'][number]) => number | null) =>
    snap.strings.flatMap((st) => { const v = pick(st); return v === null ? [] : [{ labels: { string: String(st.string) }, value: v }]; });
  // Fresh readings only, per module.
  const perModule = (pick: (m: SiteSnapshot['modules'][number]) => Measurement, scale = 1) =>
    snap.modules.flatMap((m) => { const v = pick(m); return v.quality === 'fresh' && v.value !== null ? [{ labels: { string: String(m.string), module: String(m.module) }, value: v.value * scale }] : []; });
  const freshString = (pick: (st: SiteSnapshot['strings'][number]) => Measurement, scale = 1) =>
    perString((st) => { const v = pick(st); return v.quality === 'fresh' && v.value !== null ? v.value * scale : null; });
  // The health engine's figures (docs/health.md), where known.
  const perModuleHealth = (pick: (m: SiteSnapshot['modules'][number]) => number | null, scale = 1) =>
    snap.modules.flatMap((m) => { const v = pick(m); return v === null ? [] : [{ labels: { string: String(m.string), module: String(m.module) }, value: v * scale }]; });
  const ratio = (v: number | null) => (v === null ? null : Math.round(v * 10) / 1000);
  const ups = snap.ups && snap.ups.quality === 'fresh' ? snap.ups : null;
  const upsLines = <L>(lines: readonly L[] | undefined, pick: (l: L) => number, scale = 1) => (lines ?? []).map((l, i) => ({ labels: { line: String(i + 1) }, value: pick(l) * scale }));
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return [
    g('kirchhoff_up', 'The gateway answers.', [{ value: 1 }]),
    g('kirchhoff_build_info', 'The software version (value 1).', [{ labels: { version: s.version }, value: 1 }]),
    g('process_start_time_seconds', 'Start time of the process since the Unix epoch.', [{ value: Math.round((Date.now() - process.uptime() * 1000) / 10) / 100 }]),
    g('kirchhoff_site_info', 'Site identity (value 1).', [{ labels: { site: snap.info.name }, value: 1 }]),
    g('kirchhoff_uptime_seconds', 'Seconds since the site model started.', [{ value: Math.round((s.nowMs - snap.startedAtMs) / 1000) }]),
    c('kirchhoff_bus_requests_total', 'Battery-bus requests sent.', snap.bus.requests),
    c('kirchhoff_bus_timeouts_total', 'Battery-bus requests without an answer in time.', snap.bus.timeouts),
    c('kirchhoff_bus_crc_errors_total', 'Battery-bus answers with a bad CRC.', snap.bus.crcErrors),
    c('kirchhoff_bus_retries_total', 'Battery-bus requests repeated.', snap.bus.retries),
    c('kirchhoff_bus_dropped_total', 'Battery-bus requests dropped (queue full or given up).', snap.bus.dropped),
    g('kirchhoff_bus_last_cycle_seconds', 'Duration of the last full measurement cycle.', [{ value: snap.bus.lastCycleMs / 1000 }]),
    g('kirchhoff_alarms_active', 'Active alarms by severity.', bySeverity),
    g('kirchhoff_alarms_unacknowledged', 'Active alarms not acknowledged, by severity.', unacked),
    g('kirchhoff_modules', 'Modules by the quality of their voltage reading.', quality),
    g('kirchhoff_string_voltage_volts', 'String sum voltage.', perString((st) => st.sumVoltageV.value)),
    g('kirchhoff_string_current_amperes', 'String DC current (positive = charging).', perString((st) => st.dcCurrentA.value)),
    g('kirchhoff_string_spread_volts', 'Largest block deviation from the string target voltage.', perString((st) => st.spreadV.value)),
    g('kirchhoff_string_soc_percent', 'String state of charge, percent (kirchhoff_string_soc_ratio is the same as 0..1).', perString((st) => st.socPercent.value)),
    g('kirchhoff_string_soc_ratio', 'String state of charge, 0..1.', freshString((st) => st.socPercent, 0.01)),
    g('kirchhoff_string_autonomy_seconds', 'Remaining runtime of the string at the present load.', freshString((st) => st.autonomyMin, 60)),
    g('kirchhoff_string_ground_fault_amperes', 'Leakage current to ground (|positive - negative| differential current).', freshString((st) => st.groundFaultCurrentA)),
    g('kirchhoff_string_charge_mode', 'What the charger does to the string (1 for the present mode).', snap.strings.flatMap((st) => CHARGE_MODES.map((mode) => ({ labels: { string: String(st.string), mode }, value: st.chargeMode === mode ? 1 : 0 })))),
    g('kirchhoff_module_up', 'The module answers on the battery bus (1) or not (0).', snap.modules.map((m) => ({ labels: { string: String(m.string), module: String(m.module) }, value: m.communication === 'ok' ? 1 : 0 }))),
    g('kirchhoff_module_voltage_volts', 'Block (or cell) voltage.', perModule((m) => m.voltageV)),
    g('kirchhoff_module_temperature_celsius', 'Block temperature.', perModule((m) => m.temperatureC)),
    g('kirchhoff_module_resistance_ohms', 'Block internal resistance.', perModule((m) => m.resistanceOhm)),
    g('kirchhoff_module_soc_ratio', 'Block state of charge, 0..1.', perModule((m) => m.socPercent, 0.01)),
    g('kirchhoff_module_balancing_ratio', 'Share of recent time the block\'s bypass was on, 0..1.', snap.modules.map((m) => ({ labels: { string: String(m.string), module: String(m.module) }, value: m.balancingActivityPercent / 100 }))),
    g('kirchhoff_module_soh_ratio', 'Block state of health, 0..1: capacity over the rating, or from the Ri increase (kirchhoff_module_soh_info says which).', perModuleHealth((m) => ratio(m.sohPercent))),
    g('kirchhoff_module_soh_info', 'Where the block\'s state of health comes from (value 1): capacity-test, discharge, resistance or unknown.', snap.modules.map((m) => ({ labels: { string: String(m.string), module: String(m.module), method: m.sohMethod }, value: 1 }))),
    g('kirchhoff_module_remaining_capacity_amperehours', 'Capacity the block still has (C10 at 25 degC).', perModuleHealth((m) => m.remainingCapacityAh)),
    g('kirchhoff_module_capacity_fade_ratio', 'Block capacity fade, (rated - remaining) / rated.', perModuleHealth((m) => ratio(m.capacityFadePercent))),
    g('kirchhoff_module_resistance_increase_ratio', 'Block internal resistance over its baseline, 0.2 = +20 %.', perModuleHealth((m) => ratio(m.resistanceIncreasePercent))),
    g('kirchhoff_module_end_of_life_timestamp_seconds', 'When the block\'s Ri trend reaches the end-of-life limit, seconds since the Unix epoch.', perModuleHealth((m) => (m.endOfLifeAtMs === null ? null : Math.round(m.endOfLifeAtMs / 1000)))),
    g('kirchhoff_string_soh_mean_ratio', 'Mean state of health of the string\'s blocks, 0..1.', perString((st) => ratio(st.meanSohPercent))),
    g('kirchhoff_string_soh_min_ratio', 'Lowest state of health of the string\'s blocks, 0..1.', perString((st) => ratio(st.minSohPercent))),
    g('kirchhoff_string_remaining_capacity_amperehours', 'What the series string can still deliver: its weakest block\'s remaining capacity.', perString((st) => st.remainingCapacityAh)),
    g('kirchhoff_string_balancing_stalled', 'No block balances although the string floats out of balance (1): open battery breaker, or self-discharge beating the charger.', perString((st) => (st.balancingStalled ? 1 : 0))),
    g('kirchhoff_ups_on_battery', 'The UPS runs on battery (1) or not (0).', ups ? [{ value: ups.output.source === 'battery' ? 1 : 0 }] : []),
    g('kirchhoff_ups_battery_runtime_seconds', 'The UPS\'s own estimate of the remaining runtime.', ups ? [{ value: ups.battery.estimatedMinutesRemaining * 60 }] : []),
    g('kirchhoff_ups_battery_charge_ratio', 'The UPS\'s own estimate of the remaining charge, 0..1.', ups ? [{ value: ups.battery.estimatedChargeRemainingPercent / 100 }] : []),
    g('kirchhoff_ups_seconds_on_battery', 'Seconds since the UPS went on battery (0 on mains).', ups ? [{ value: ups.battery.secondsOnBattery }] : []),
    g('kirchhoff_ups_input_voltage_volts', 'UPS input voltage per line.', upsLines(ups?.input.lines, (l) => l.voltageV)),
    g('kirchhoff_ups_output_voltage_volts', 'UPS output voltage per line.', upsLines(ups?.output.lines, (l) => l.voltageV)),
    g('kirchhoff_ups_output_load_ratio', 'UPS output load per line, 0..1 of rated.', upsLines(ups?.output.lines, (l) => l.percentLoad, 0.01)),
    g('kirchhoff_sensor_value', 'Room sensor reading, in the unit of its unit label (degC, %RH, %LEL, A, V).', snap.sensors.flatMap((x) => (x.reading.quality === 'fresh' && x.reading.value !== null ? [{ labels: { sensor: String(x.id), name: x.name, kind: x.kind, unit: x.unit }, value: x.reading.value }] : []))),
    g('kirchhoff_digital_input_active', 'Digital input in its alarm position (1) or not (0).', snap.inputs.map((x) => ({ labels: { input: String(x.id), name: x.name }, value: x.active ? 1 : 0 }))),
    g('kirchhoff_relay_on', 'Relay energized (1) or not (0); for the battery breaker, energized = trip.', snap.relays.map((x) => ({ labels: { relay: String(x.id), name: x.name, function: x.function }, value: x.on ? 1 : 0 }))),
    g('kirchhoff_adapter_clients', 'Connected clients per adapter, where the adapter reports them.', Object.entries(s.clients).map(([adapter, value]) => ({ labels: { adapter }, value }))),
    g('kirchhoff_http_sessions', 'Open HTTP login sessions.', [{ value: s.httpSessions }]),
    c('kirchhoff_http_live_dropped_total', 'Event-stream clients dropped for reading too slowly.', s.liveDropped),
    { name: 'kirchhoff_http_requests_total', help: 'HTTP requests answered, by status class.', type: 'counter', samples: Object.entries(s.httpRequests).map(([code, value]) => ({ labels: { code }, value })) },
    { name: 'kirchhoff_problems_total', help: 'Hostile or broken input (bad frames, refused connections, bad datagrams), by adapter and kind.', type: 'counter', samples: (s.problems ?? []).map((p) => ({ labels: { adapter: p.source, kind: p.kind }, value: p.count })) },
    { name: 'kirchhoff_problem_log_lines_total', help: 'Log lines written for those problems (at most one per adapter and kind a minute; the rest are only counted).', type: 'counter', samples: (s.problems ?? []).map((p) => ({ labels: { adapter: p.source, kind: p.kind }, value: p.logged })) },
    { name: 'kirchhoff_mqtt_dropped_total', help: 'MQTT messages the publisher dropped (its buffer full while the broker was away or slow); they are never sent.', type: 'counter', samples: s.mqtt ? [{ value: s.mqtt.dropped }] : [] },
    g('kirchhoff_mqtt_queued', 'MQTT messages waiting for the broker.', s.mqtt ? [{ value: s.mqtt.queued }] : []),
    g('kirchhoff_logger_lag_seconds', 'How far the data logger\'s newest stored sample lags the site.', s.loggerLagS === null ? [] : [{ value: s.loggerLagS }]),
    g('process_resident_memory_bytes', 'Resident memory size.', [{ value: mem.rss }]),
    g('nodejs_heap_size_used_bytes', 'V8 heap used.', [{ value: mem.heapUsed }]),
    c('process_cpu_seconds_total', 'User and system CPU time spent.', (cpu.user + cpu.system) / 1e6),
  ];
}
