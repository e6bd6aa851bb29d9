// When the gateway itself sets forced shutdown (FSD): after an alarm of a chosen kind has been
// active for a delay, or after the site has been on battery for a time (the RCCMD timings
// "after-delay" and "after-on-battery"). FSD is final, as in NUT: it stays set until an
// operator clears it, even if the cause goes away, because the hosts are already going down;
// cleared while the cause still holds, it is set again.
import { systemClock, type AlarmKind, type ChangeListener, type Clock, type ClockTimer, type SiteSnapshot } from '@kirchhoff/core';
import { onBattery } from './variables';

export interface FsdRules {
  /** Alarm kinds that set FSD once active for delayS (e.g. thermal-runaway); default none. */
  readonly alarmKinds?: readonly AlarmKind[];
  /** How long an alarm must stay active first; default 0. */
  readonly delayS?: number;
  /** Set FSD after this long on battery; 0 = never (default). */
  readonly onBatteryAfterS?: number;
}

export interface FsdRuleSite {
  snapshot(): SiteSnapshot;
  subscribe(listener: ChangeListener): () => void;
}

/** Starts watching; returns a function that stops. `setFsd` receives the reason. */
export function watchFsdRules(site: FsdRuleSite, rules: FsdRules, setFsd: (reason: string) => void, clock: Clock = systemClock()): () => void {
  const kinds = new Set(rules.alarmKinds ?? []);
  const delayMs = (rules.delayS ?? 0) * 1000;
  const batteryMs = (rules.onBatteryAfterS ?? 0) * 1000;
  let onBatterySinceMs: number | null = null;
  let timer: ClockTimer | null = null;
  let stopped = false;

  const judge = (): void => {
    if (stopped) return;
    const s = site.snapshot();
    const now = clock.now();
    let nextMs = Infinity;
    for (const a of s.alarms) {
      if (a.clearedAtMs !== null || !kinds.has(a.kind)) continue;
      if (now - a.raisedAtMs >= delayMs) return fire(`alarm ${a.kind}: ${a.message}`);
      nextMs = Math.min(nextMs, a.raisedAtMs + delayMs);
    }
    if (batteryMs > 0) {
      if (onBattery(s)) {
        onBatterySinceMs ??= now;
        if (now - onBatterySinceMs >= batteryMs) return fire(`on battery for ${Math.round((now - onBatterySinceMs) / 1000)} s`);
        nextMs = Math.min(nextMs, onBatterySinceMs + batteryMs);
      } else {
        onBatterySinceMs = null;
      }
    }
    clock.clearTimeout(timer);
    timer = nextMs === Infinity ? null : clock.setTimeout(judge, Math.max(0, nextMs - now));
  };
  const fire = (reason: string): void => {
    clock.clearTimeout(timer);
    timer = null;
    setFsd(reason);
  };

  if (!kinds.size && batteryMs === 0) return () => {};
  const off = site.subscribe((e) => {
    if (e.type === 'alarm' || e.type === 'values') judge();
  });
  judge();
  return () => {
    stopped = true;
    off();
    clock.clearTimeout(timer);
  };
}
