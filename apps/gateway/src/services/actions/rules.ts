// The rule engine: watches alarm events on the change feed and runs each matching rule's actions
// (relay outputs through the command interface, notifications) after its delay, repeats them
// while the alarm stays active, and once more when it clears. Every action lands in the record.
import { entityId, systemClock } from '@kirchhoff/core';
import type { Alarm, AlarmKind, ChangeEvent, CommandInterface, Severity, Site, Clock, ClockTimer } from '@kirchhoff/core';
import type { Logger } from '../../log';
import type { AlarmNotification, Notifier } from './notification';
import type { ActionEntry, ActionRecord, ActionTrigger } from './record';

export interface RelayAction {
  readonly relay: number;
  /** The state the relay takes while the alarm is active. */
  readonly on: boolean;
  /** Return it to the other state when no alarm of any rule holds it any more. */
  readonly release: boolean;
}

export interface ActionRule {
  readonly name: string;
  /** Alarm kinds this rule is for; empty = every kind. */
  readonly kinds: readonly AlarmKind[];
  /** Severities this rule is for; empty = every severity. */
  readonly severities: readonly Severity[];
  /** The alarm must still be active this long after it was raised; a clear before cancels. */
  readonly delayMs: number;
  /** Send the notifications again this often while the alarm is active; 0 = never. */
  readonly repeatEveryMs: number;
  /** At most this many repeats; 0 = until the alarm clears or is acknowledged. */
  readonly repeatMax: number;
  /** Notify once more when the alarm clears (only if the rule fired for it). */
  readonly onClear: boolean;
  readonly relays: readonly RelayAction[];
  readonly notifiers: readonly Notifier[];
}

export interface ActionEngineOptions {
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly record: ActionRecord;
  readonly rules: readonly ActionRule[];
  readonly logger: Logger;
  readonly clock?: Clock;
}

interface AlarmState {
  readonly key: string;
  readonly rule: ActionRule;
  alarm: Alarm;
  timer: ClockTimer | null;
  fired: boolean;
  repeats: number;
  /** Sendings for one alarm run in order, so a clear never overtakes its raise. */
  queue: Promise<void>;
}

export const ACTIONS_ORIGIN = { protocol: 'internal', principal: 'actions' } as const;

export function ruleMatches(rule: ActionRule, alarm: Alarm): boolean {
  return (!rule.kinds.length || rule.kinds.includes(alarm.kind)) && (!rule.severities.length || rule.severities.includes(alarm.severity));
}

export class ActionEngine {
  private readonly states = new Map<string, AlarmState>();
  /** Which alarm states hold each relay in its alarm position. */
  private readonly relayHolders = new Map<number, Set<string>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly clock: Clock;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: ActionEngineOptions) {
    this.clock = o.clock ?? systemClock();
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.o.site.subscribe((e) => this.onEvent(e));
    // Alarms raised before the engine started (the gateway's first cycle) count as raised now.
    for (const alarm of this.o.site.snapshot().alarms) this.raised(alarm);
  }

  /** Stops watching, cancels delays and repeats, and waits briefly for sendings under way. */
  async stop(waitMs = 2000): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const st of this.states.values()) this.clock.clearTimeout(st.timer);
    this.states.clear();
    await Promise.all(this.o.rules.flatMap((r) => r.notifiers).filter((n, i, all) => all.indexOf(n) === i).map((n) => n.close().catch(() => {})));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.inFlight]), new Promise<void>((r) => { timer = setTimeout(r, waitMs); timer.unref(); })]);
    clearTimeout(timer);
  }

  /** Resolves once every action started so far (and any it queued behind it) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** Alarm states with a pending delay or repeat, for tests and the API. */
  get pending(): number {
    return [...this.states.values()].filter((s) => s.timer !== null).length;
  }

  private onEvent(e: ChangeEvent): void {
    if (e.type !== 'alarm') return;
    if (e.action === 'raised') this.raised(e.alarm);
    else if (e.action === 'cleared') this.cleared(e.alarm);
    else this.acknowledged(e.alarm);
  }

  private raised(alarm: Alarm): void {
    for (const rule of this.o.rules) {
      if (!ruleMatches(rule, alarm)) continue;
      const key = `${rule.name}#${alarm.id}`;
      if (this.states.has(key)) continue;
      const st: AlarmState = { key, rule, alarm, timer: null, fired: false, repeats: 0, queue: Promise.resolve() };
      this.states.set(key, st);
      const waitMs = alarm.raisedAtMs + rule.delayMs - this.clock.now();
      if (rule.delayMs > 0 && waitMs > 0) {
        this.o.logger.debug(`rule ${rule.name}: alarm ${alarm.id} ${alarm.kind} waits ${Math.round(waitMs / 1000)} s before acting`);
        st.timer = this.clock.setTimeout(() => this.fire(st, 'raised'), waitMs);
      } else {
        this.fire(st, 'raised');
      }
    }
  }

  private cleared(alarm: Alarm): void {
    for (const st of [...this.states.values()]) {
      if (st.alarm.id !== alarm.id) continue;
      this.clock.clearTimeout(st.timer);
      st.timer = null;
      this.states.delete(st.key);
      st.alarm = alarm;
      if (!st.fired) {
        this.o.logger.info(`rule ${st.rule.name}: alarm ${alarm.id} ${alarm.kind} cleared within the ${st.rule.delayMs / 1000} s delay: no action taken`);
        continue;
      }
      this.enqueue(st, async () => {
        if (st.rule.onClear) await this.notifyAll(st, 'cleared');
        await this.releaseRelays(st);
      });
    }
  }

  /** An acknowledged alarm has a person on it: its repeats stop. */
  private acknowledged(alarm: Alarm): void {
    for (const st of this.states.values()) {
      if (st.alarm.id !== alarm.id) continue;
      st.alarm = alarm;
      if (st.fired && st.timer) {
        this.clock.clearTimeout(st.timer);
        st.timer = null;
        this.o.logger.info(`rule ${st.rule.name}: alarm ${alarm.id} acknowledged by ${alarm.acknowledged?.by ?? 'someone'}: repeats stop`);
      }
    }
  }

  private fire(st: AlarmState, trigger: 'raised' | 'repeat'): void {
    st.timer = null;
    st.fired = true;
    const { rule } = st;
    if (trigger === 'repeat') st.repeats++;
    const repeat = st.repeats;
    this.enqueue(st, async () => {
      if (trigger === 'raised') await this.setRelays(st);
      await this.notifyAll(st, trigger, repeat);
    });
    const more = rule.repeatEveryMs > 0 && rule.notifiers.length > 0 && (rule.repeatMax === 0 || st.repeats < rule.repeatMax) && !st.alarm.acknowledged;
    if (more && this.states.get(st.key) === st) st.timer = this.clock.setTimeout(() => this.fire(st, 'repeat'), rule.repeatEveryMs);
  }

  private enqueue(st: AlarmState, job: () => Promise<void>): void {
    const p = st.queue.then(job).catch((error) => this.o.logger.error(`rule ${st.rule.name}: actions failed`, { error }));
    st.queue = p;
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async setRelays(st: AlarmState): Promise<void> {
    for (const r of st.rule.relays) {
      let holders = this.relayHolders.get(r.relay);
      if (!holders) this.relayHolders.set(r.relay, (holders = new Set()));
      holders.add(st.key);
      await this.relay(st, r.relay, r.on, 'raised');
    }
  }

  private async releaseRelays(st: AlarmState): Promise<void> {
    for (const r of st.rule.relays) {
      const holders = this.relayHolders.get(r.relay);
      holders?.delete(st.key);
      if (!r.release || (holders && holders.size > 0)) continue;
      this.relayHolders.delete(r.relay);
      await this.relay(st, r.relay, !r.on, 'cleared');
    }
  }

  private async relay(st: AlarmState, relay: number, on: boolean, trigger: ActionTrigger): Promise<void> {
    const startedAtMs = this.clock.now();
    try {
      const result = await this.o.commands.submit({ type: 'set-relay', relay, on }, ACTIONS_ORIGIN);
      this.note(st, { type: 'relay', destination: `relay ${relay}`, target: `relay ${relay} ${on ? 'on' : 'off'}`, trigger, repeat: 0, outcome: 'ok', detail: result.message, attempts: 1, startedAtMs });
    } catch (error) {
      this.note(st, { type: 'relay', destination: `relay ${relay}`, target: `relay ${relay} ${on ? 'on' : 'off'}`, trigger, repeat: 0, outcome: 'failed', detail: (error as Error).message, attempts: 1, startedAtMs });
    }
  }

  private async notifyAll(st: AlarmState, trigger: ActionTrigger, repeat = st.repeats): Promise<void> {
    const n: AlarmNotification = { event: trigger, rule: st.rule.name, repeat, alarm: st.alarm, site: this.o.site.snapshot().info, atMs: this.clock.now() };
    // Destinations are independent: a slow mail server must not hold back the syslog line.
    await Promise.all(st.rule.notifiers.map(async (notifier) => {
      const startedAtMs = this.clock.now();
      const base = { type: notifier.type, destination: notifier.name, target: notifier.target, trigger, repeat, startedAtMs };
      try {
        const d = await notifier.send(n);
        this.note(st, { ...base, outcome: 'ok', detail: d.detail, attempts: d.attempts });
      } catch (error) {
        const attempts = typeof (error as { attempts?: unknown }).attempts === 'number' ? (error as { attempts: number }).attempts : 1;
        this.note(st, { ...base, outcome: 'failed', detail: (error as Error).message, attempts });
      }
    }));
  }

  private note(st: AlarmState, e: Omit<ActionEntry, 'id' | 'rule' | 'alarm' | 'finishedAtMs'>): void {
    const a = st.alarm;
    const entry = this.o.record.add({
      ...e, rule: st.rule.name, finishedAtMs: this.clock.now(),
      alarm: { id: a.id, kind: a.kind, severity: a.severity, entity: entityId(a.entity), message: a.message },
    });
    const line = `${entry.type} ${entry.destination} (${entry.target}) ${entry.trigger}${entry.repeat ? ` #${entry.repeat}` : ''} for alarm ${a.id} ${a.kind}: ${entry.outcome === 'ok' ? entry.detail : `FAILED: ${entry.detail}`}`;
    const fields = { rule: entry.rule, actionId: entry.id, alarmId: a.id, attempts: entry.attempts };
    if (entry.outcome === 'ok') this.o.logger.info(line, fields);
    else this.o.logger.warn(line, fields);
  }
}
