// The `history` configuration section: the data logger's file, sample rates and retention.
import { bool, int, obj, str } from '../../config/schema-dsl';
import type { MeasurementKind } from '@kirchhoff/history';

const rate = (doc: string, def: number) => int(`${doc} Seconds between samples; 0 = not logged.`, { min: 0, max: 86_400, default: def, unit: 's' });
const days = (doc: string, def: number, min = 0) => int(`${doc}${min ? '' : ' 0 = forever.'}`, { min, max: 36_500, default: def, unit: 'days' });

export const HISTORY_SCHEMA = obj('Data logger: measurements, the alarm and event log and the audit log in SQLite (WAL); `kirchhoff export` writes CSV from it.', {
  enabled: bool('Log to the database.', false),
  path: str('Database file (created with its folder); relative to the working directory.', { default: '/var/lib/kirchhoff/history.db' }),
  synchronous: str('full: every commit survives a power loss; normal: it survives a crash of the gateway, with fewer disk syncs.', { enum: ['full', 'normal'], default: 'full' }),
  rates: obj('Sample rate per kind of measurement (a value not read again since its last sample is not logged twice).', {
    modules: rate('Module voltage, temperature, Ri, SoC and balancing activity.', 300),
    strings: rate('String sum voltage, target, spread, currents, SoC, autonomy, power.', 60),
    ups: rate('UPS battery, input and output values.', 60),
    sensors: rate('Environment sensors.', 60),
  }),
  retention: obj('How long data is kept. Samples are aggregated to per-minute and per-hour min/mean/max before they go.', {
    rawDays: days('Every sample.', 7, 1),
    minuteDays: days('Per-minute aggregates.', 90),
    hourDays: days('Per-hour aggregates.', 3650),
    eventDays: days('Alarm and event log.', 3650),
    auditDays: days('Audit log (commands and configuration changes).', 3650),
  }),
  queueCapacity: int('Records held in memory while the disk is slow; beyond it samples are dropped (counted in the logger stats), audit entries keep 10 000 more.', { min: 1000, max: 1_000_000, default: 100_000 }),
  flushIntervalMs: int('Queued records are committed in one transaction this often.', { min: 100, max: 60_000, default: 1000, unit: 'ms' }),
});

export interface HistoryConfig {
  enabled: boolean;
  path: string;
  synchronous: 'full' | 'normal';
  rates: Record<MeasurementKind, number>;
  retention: { rawDays: number; minuteDays: number; hourDays: number; eventDays: number; auditDays: number };
  queueCapacity: number;
  flushIntervalMs: number;
}
