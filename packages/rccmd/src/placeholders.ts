// Placeholders in message and trap texts (`#AUTONOMY`, `#INVOLT`, ...), filled from a site
// snapshot. RCCMD's own placeholder list is not public beyond #INVOLT: this list is this project's.
import type { SiteSnapshot } from '@kirchhoff/core';

export interface PlaceholderContext {
  readonly snapshot: SiteSnapshot;
  /** What triggered the job, e.g. `ups-on-battery`. */
  readonly event: string;
  /** The job's name. */
  readonly job: string;
  /** The message of the alarm that triggered the job, if one did. */
  readonly alarm?: string;
  readonly nowMs: number;
}

const f = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));

/** Placeholder -> description and value; the README and docs list the same table. */
export const PLACEHOLDERS: Readonly<Record<string, { readonly doc: string; readonly value: (c: PlaceholderContext) => string }>> = {
  '#UPSNAME': { doc: 'UPS name (upsIdentName)', value: (c) => c.snapshot.ups?.ident.name ?? '' },
  '#SITE': { doc: 'site name', value: (c) => c.snapshot.info.name },
  '#EVENT': { doc: 'the job\'s event, e.g. ups-on-battery', value: (c) => c.event },
  '#JOB': { doc: 'the job\'s name', value: (c) => c.job },
  '#ALARM': { doc: 'message of the alarm that triggered the job', value: (c) => c.alarm ?? '' },
  '#AUTONOMY': { doc: 'estimated remaining runtime, whole minutes (rounded down) written with `.00`, as a CS141 sends it (`125.00`)', value: (c) => autonomyText(runtimeS(c.snapshot, false)) },
  '#RUNTIME': { doc: 'estimated remaining runtime, whole seconds', value: (c) => f(runtimeS(c.snapshot, false), 0) },
  '#SECONBAT': { doc: 'seconds on battery', value: (c) => f(c.snapshot.ups?.battery.secondsOnBattery, 0) },
  '#BATTCAP': { doc: 'battery charge remaining, %', value: (c) => f(c.snapshot.ups?.battery.estimatedChargeRemainingPercent, 0) },
  '#BATTVOLT': { doc: 'battery voltage, V', value: (c) => f(c.snapshot.ups?.battery.voltageV, 1) },
  '#BATTCURR': { doc: 'battery current, A (positive = charging)', value: (c) => f(c.snapshot.ups?.battery.currentA, 1) },
  '#BATTTEMP': { doc: 'battery temperature, degC', value: (c) => f(c.snapshot.ups?.battery.temperatureC, 1) },
  '#BATTSTATUS': { doc: 'battery status: unknown, normal, low, depleted', value: (c) => c.snapshot.ups?.battery.status ?? '' },
  '#INVOLT': { doc: 'input voltage of line 1, V', value: (c) => f(c.snapshot.ups?.input.lines[0]?.voltageV, 0) },
  '#INFREQ': { doc: 'input frequency of line 1, Hz', value: (c) => f(c.snapshot.ups?.input.lines[0]?.frequencyHz, 1) },
  '#OUTVOLT': { doc: 'output voltage of line 1, V', value: (c) => f(c.snapshot.ups?.output.lines[0]?.voltageV, 0) },
  '#OUTFREQ': { doc: 'output frequency, Hz', value: (c) => f(c.snapshot.ups?.output.frequencyHz, 1) },
  '#OUTLOAD': { doc: 'output load of line 1, %', value: (c) => f(c.snapshot.ups?.output.lines[0]?.percentLoad, 0) },
  '#OUTSOURCE': { doc: 'output source: normal, battery, bypass, ...', value: (c) => c.snapshot.ups?.output.source ?? '' },
  '#SOC': { doc: 'lowest string state of charge, %', value: (c) => f(minOf(c.snapshot.strings.map((s) => s.socPercent.value)), 0) },
  '#TIME': { doc: 'time of sending, ISO 8601 UTC', value: (c) => new Date(c.nowMs).toISOString() },
};

/**
 * Whole minutes with `.00`: RCCMD clients parse the power-fail text strictly (the open Go client accepts
 * only `<digits>.00`), so a string autonomy of 201.4 min goes out as `201.00`. Rounded down: a shutdown
 * scheduled from it must not count on runtime the battery may not have.
 */
function autonomyText(seconds: number | null): string {
  return seconds === null || !Number.isFinite(seconds) ? '' : `${Math.max(0, Math.floor(seconds / 60))}.00`;
}

function minOf(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.min(...v) : null;
}

/**
 * Remaining runtime in seconds: the UPS's estimate, else the shortest string autonomy. With
 * `onBatteryOnly`, null unless the site runs on battery (an estimate on mains is not a countdown).
 */
export function runtimeS(snap: SiteSnapshot, onBatteryOnly: boolean): number | null {
  const ups = snap.ups;
  if (ups && ups.quality !== 'failed') {
    if (onBatteryOnly && ups.output.source !== 'battery') return null;
    return ups.battery.estimatedMinutesRemaining * 60;
  }
  const discharging = snap.strings.filter((s) => s.chargeMode === 'discharge');
  if (onBatteryOnly && !discharging.length) return null;
  const min = minOf((onBatteryOnly ? discharging : snap.strings).map((s) => s.autonomyMin.value));
  return min === null ? null : min * 60;
}

/** Replaces every known `#NAME`; unknown ones stay as written. */
export function fillPlaceholders(template: string, context: PlaceholderContext): string {
  return template.replace(/#[A-Z]+/g, (name) => {
    const p = PLACEHOLDERS[name];
    return p ? p.value(context) : name;
  });
}
