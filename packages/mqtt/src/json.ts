// JSON mode and Home Assistant discovery, sharing one connection whose will is the retained
// `offline` availability: retained state per entity by exception, alarms, thresholds, commands.
import type { Alarm, ChangeEvent, CommandError, Site, SiteSnapshot } from '@kirchhoff/core';
import { entityId } from '@kirchhoff/core';
import { parseCommand, CommandRejection } from './commands';
import { Connection } from './connection';
import { ExceptionFilter } from './exception';
import { discoveryConfigs, haNodeId } from './homeassistant';
import type { MqttCommandOrigin, ResolvedOptions } from './options';
import { Entity, MetricSpec, entitiesOf, identityOf, readMetric, setPath } from './table';
import { JsonTopics, jsonTopics } from './topics';

export interface CommandOutcome {
  readonly topic: string;
  readonly ok: boolean;
  readonly message?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface JsonChannelHooks {
  publisherStats(): Record<string, number>;
  onCommand(outcome: CommandOutcome): void;
  swVersion: string;
}

export function alarmJson(a: Alarm): Record<string, unknown> {
  return {
    id: a.id, key: a.key, kind: a.kind, severity: a.severity, entity: entityId(a.entity), message: a.message,
    value: a.value, limit: a.limit, raisedAtMs: a.raisedAtMs, clearedAtMs: a.clearedAtMs, acknowledged: a.acknowledged,
  };
}

export class JsonChannel {
  readonly topics: JsonTopics;
  readonly connection: Connection;
  private readonly filter: ExceptionFilter;
  private readonly entities: Entity[];
  private readonly byId: Map<string, Entity>;
  private readonly metricIndex = new Map<string, MetricSpec>();
  private readonly dirty = new Set<string>();
  private alarmsDirty = true;
  private thresholdsDirty = true;
  private discoveryDue = false;
  private haConfigs: Map<string, Record<string, unknown>> | null = null;
  private scan: { seen: Set<string>; timer: NodeJS.Timeout } | null = null;
  private rejectionsLogged = 0;

  constructor(private readonly site: Site, private readonly o: ResolvedOptions, private readonly hooks: JsonChannelHooks) {
    this.topics = jsonTopics(o.topicPrefix, o.siteId);
    this.filter = new ExceptionFilter(o.deadbands);
    this.entities = entitiesOf(site.snapshot());
    this.byId = new Map(this.entities.map((e) => [e.id, e]));
    for (const e of this.entities) for (const m of e.metrics) this.metricIndex.set(`${e.id}|${m.path}`, m);
    this.connection = new Connection(
      { ...o, clientId: o.clientId },
      {
        will: () => ({ topic: this.topics.availability, payload: 'offline', qos: 1, retain: true }),
        onSession: () => this.sessionStarted(),
        onMessage: (topic, payload) => this.message(topic, payload),
        log: (level, message) => o.logger[level](`mqtt: ${message}`),
      },
    );
  }

  private get haTopic(): string {
    return `${this.o.discoveryPrefix}/status`;
  }

  /** On every (re)connect: availability, commands, discovery and a full refresh (a restarted broker may have lost retained state). */
  private sessionStarted(): void {
    this.connection.state({ topic: this.topics.availability, payload: 'online', qos: 1, retain: true });
    const subs: string[] = [];
    if (this.o.commands && this.o.commandIntake === 'subscribe') subs.push(this.topics.relaySet('+'), this.topics.thresholdSet('+'));
    if (this.o.homeAssistant) {
      subs.push(this.haTopic);
      this.startDiscoveryScan();
    }
    this.connection.subscribe(subs);
    this.markAll();
  }

  /** Collects this site's retained discovery configs, then removes those of entities that no longer exist. */
  private startDiscoveryScan(): void {
    if (this.scan) clearTimeout(this.scan.timer);
    const pattern = `${this.o.discoveryPrefix}/+/${haNodeId(this.o.siteId)}/+/config`;
    this.connection.subscribe([pattern]);
    const seen = new Set<string>();
    this.scan = {
      seen,
      timer: setTimeout(() => {
        this.scan = null;
        this.connection.unsubscribe([pattern]);
        const current = this.configs();
        for (const topic of seen) {
          if (!current.has(topic)) this.connection.state({ topic, payload: '', qos: this.o.qos, retain: true });
        }
        this.discoveryDue = true;
      }, this.o.discoveryScanMs),
    };
  }

  private configs(): Map<string, Record<string, unknown>> {
    this.haConfigs ??= discoveryConfigs(this.site.snapshot(), {
      siteId: this.o.siteId, discoveryPrefix: this.o.discoveryPrefix, topics: this.topics, writable: !!this.o.commands, swVersion: this.hooks.swVersion,
    });
    return this.haConfigs;
  }

  private message(topic: string, payload: Buffer): void {
    if (this.scan && topic.startsWith(`${this.o.discoveryPrefix}/`) && topic.endsWith('/config')) {
      if (payload.length) this.scan.seen.add(topic);
      return;
    }
    if (topic === this.haTopic) {
      if (payload.toString() === 'online') {
        // Home Assistant restarted: it needs discovery, availability and states again.
        this.connection.state({ topic: this.topics.availability, payload: 'online', qos: 1, retain: true });
        this.discoveryDue = true;
        this.markAll();
      }
      return;
    }
    void this.command(topic, payload);
  }

  /** True when `topic` is one of this site's command topics (`.../relay/N/set`, `.../thresholds/KEY/set`). */
  isCommandTopic(topic: string): boolean {
    return topic.startsWith(`${this.topics.base}/`) && /^(relay|thresholds)\/[^/]+\/set$/.test(topic.slice(this.topics.base.length + 1));
  }

  /** A command from a subscription (the sender is unknown: this connection's client id) or handed over by a broker with its sender. */
  async command(topic: string, payload: Buffer, origin?: MqttCommandOrigin): Promise<void> {
    const parsed = parseCommand(this.topics, topic, payload, this.o.maxCommandBytes);
    let outcome: CommandOutcome;
    if (!parsed.ok) {
      outcome = { topic, ok: false, error: parsed.error };
    } else if (!this.o.commands) {
      outcome = { topic, ok: false, error: { code: 'forbidden', message: 'writes are off' } };
    } else {
      try {
        const r = await this.o.commands.submit(parsed.command, origin ? { protocol: 'mqtt', ...origin } : { protocol: 'mqtt', principal: this.o.clientId, remote: topic });
        outcome = { topic, ok: true, message: r.message };
      } catch (e) {
        const err = e as CommandError | CommandRejection;
        outcome = { topic, ok: false, error: { code: err.code, message: err.message } };
      }
    }
    if (!outcome.ok && this.rejectionsLogged < 20) {
      // A flood of bad commands must not flood the log: the first ones show what is wrong.
      this.rejectionsLogged++;
      this.o.logger.warn(`mqtt: command on ${topic} rejected: ${outcome.error!.message}${this.rejectionsLogged === 20 ? ' (further rejections are not logged)' : ''}`);
    }
    this.connection.event({ topic: this.topics.commandResult, payload: JSON.stringify({ ...outcome, atMs: this.site.now() }), qos: this.o.qos, retain: false });
    this.hooks.onCommand(outcome);
  }

  markAll(): void {
    for (const e of this.entities) this.dirty.add(e.id);
    this.alarmsDirty = true;
    this.thresholdsDirty = true;
  }

  onChange(event: ChangeEvent): void {
    switch (event.type) {
      case 'values':
        for (const c of event.changes) {
          const id = entityId(c.entity);
          if (this.dirty.has(id)) continue;
          const spec = this.metricIndex.get(`${id}|${c.field}`);
          if (spec && this.filter.significant(`${id}|${spec.path}`, spec, c.value, c.quality)) this.dirty.add(id);
        }
        return;
      case 'alarm':
        this.alarmsDirty = true;
        for (const e of this.entities) if (e.metrics.some((m) => m.fromAlarms)) this.dirty.add(e.id);
        this.connection.event({ topic: this.topics.alarmEvents, payload: JSON.stringify({ action: event.action, alarm: alarmJson(event.alarm) }), qos: this.o.qos, retain: false });
        return;
      case 'thresholds':
        this.thresholdsDirty = true;
        return;
      default:
        return;
    }
  }

  /** Queues what changed since the last flush: one retained message per entity. */
  flush(snap: SiteSnapshot): void {
    if (this.discoveryDue) {
      this.discoveryDue = false;
      for (const [topic, config] of this.configs()) this.connection.state({ topic, payload: JSON.stringify(config), qos: this.o.qos, retain: true });
    }
    for (const id of this.dirty) {
      const e = this.byId.get(id);
      if (e) this.connection.state({ topic: this.topics.entity(id), payload: JSON.stringify(this.stateJson(snap, e)), qos: this.o.qos, retain: true });
    }
    this.dirty.clear();
    if (this.alarmsDirty) {
      this.alarmsDirty = false;
      this.connection.state({ topic: this.topics.alarms, payload: JSON.stringify({ count: snap.alarms.length, alarms: snap.alarms.map(alarmJson), atMs: snap.atMs }), qos: this.o.qos, retain: true });
    }
    if (this.thresholdsDirty) {
      this.thresholdsDirty = false;
      this.connection.state({ topic: this.topics.thresholds, payload: JSON.stringify({ ...snap.thresholds, atMs: snap.atMs }), qos: this.o.qos, retain: true });
    }
  }

  /** `{label, ..., voltageV: {value, unit, quality, atMs}, ...}`; the values are committed as sent. */
  stateJson(snap: SiteSnapshot, e: Entity): Record<string, unknown> {
    const out: Record<string, unknown> = { ...identityOf(snap, e.ref) };
    for (const m of e.metrics) {
      const v = readMetric(snap, e.ref, m);
      setPath(out, m.key, { value: v.value, ...(m.unit ? { unit: m.unit } : {}), quality: v.quality, atMs: v.atMs });
      this.filter.commit(`${e.id}|${m.path}`, v.value, v.quality);
    }
    if (e.ref.kind === 'site') out.publisher = this.hooks.publisherStats();
    out.atMs = snap.atMs;
    return out;
  }

  async close(): Promise<void> {
    if (this.scan) clearTimeout(this.scan.timer);
    await this.connection.close({ topic: this.topics.availability, payload: 'offline', qos: 1, retain: true });
  }
}
