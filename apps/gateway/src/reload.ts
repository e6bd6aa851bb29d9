// Configuration reload (SIGHUP): what can change while running is applied (thresholds, through
// the command interface so the change is audited); everything else that changed is named as
// needing a restart. The site's state (alarms, history, sessions) is kept either way.
import { CommandInterface, THRESHOLD_KINDS, ThresholdKey, ThresholdSet } from '@kirchhoff/core';
import type { GatewayConfig } from './config/types';

export interface ReloadResult {
  /** Keys applied while running. */
  readonly applied: string[];
  /** Keys that changed but take effect only after a restart. */
  readonly needsRestart: string[];
}

/** Leaf paths whose values differ, down to `depth` levels (deeper changes report their parent). */
export function changedKeys(a: unknown, b: unknown, path = '', depth = 3): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const plain = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (depth === 0 || !plain(a) || !plain(b)) return [path || '(everything)'];
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  return [...keys].flatMap((k) => changedKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, depth - 1));
}

export async function reloadConfig(
  running: GatewayConfig, next: GatewayConfig, commands: CommandInterface, thresholdsOf: (c: GatewayConfig) => ThresholdSet,
): Promise<ReloadResult> {
  const applied: string[] = [];
  const before = thresholdsOf(running);
  const after = thresholdsOf(next);
  const sensorIds = new Set([...Object.keys(before.sensors), ...Object.keys(after.sensors)]);
  const keys: ThresholdKey[] = [...THRESHOLD_KINDS, ...[...sensorIds].map((id) => `sensors.${id}` as ThresholdKey)];
  for (const key of keys) {
    const was = key.startsWith('sensors.') ? before.sensors[key.slice(8)] : before[key as keyof Omit<ThresholdSet, 'sensors'>];
    const now = key.startsWith('sensors.') ? after.sensors[key.slice(8)] : after[key as keyof Omit<ThresholdSet, 'sensors'>];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    // Limits absent from the new set are cleared; a sensor's thresholds removed from the file clear all.
    const cleared = { warnHigh: null, alarmHigh: null, warnLow: null, alarmLow: null };
    const threshold = now ? { ...cleared, ...now } : { ...cleared, hysteresis: 0, delayMs: 0 };
    await commands.submit({ type: 'set-threshold', key, threshold }, { protocol: 'internal', principal: 'config-reload' });
    applied.push(`thresholds.${key}`);
  }
  const needsRestart = changedKeys({ ...running, thresholds: undefined }, { ...next, thresholds: undefined });
  return { applied, needsRestart };
}
