// createMqttPublisher: follows a site's change feed and publishes it in the modes asked for
// (JSON topics, Home Assistant discovery, Sparkplug B), each batch on a timer, never blocking
// the site's writer.
import { EventEmitter } from 'node:events';
import type { Site } from '@kirchhoff/core';
import type { ConnectionStats } from './connection';
import { CommandOutcome, JsonChannel } from './json';
import { MqttCommandOrigin, MqttPublisherOptions, ResolvedOptions, resolveOptions } from './options';
import { SparkplugNode, SparkplugStats } from './sparkplug';
import { JsonTopics, SparkplugMessageType, jsonTopics, sparkplugTopic } from './topics';
import { haNodeId } from './homeassistant';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

export interface PublisherStats {
  /** JSON and Home Assistant connection; null when both modes are off. */
  readonly json: ConnectionStats | null;
  readonly sparkplug: (ConnectionStats & SparkplugStats) | null;
  /** Messages that will never be sent, over both connections. */
  readonly dropped: number;
}

export interface MqttPublisher {
  readonly siteId: string;
  /** JSON-mode topics (also the state topics Home Assistant reads); null when JSON and HA are off. */
  readonly topics: JsonTopics | null;
  stats(): PublisherStats;
  /** Resolves once every enabled connection is up (or rejects after `timeoutMs`). */
  connected(timeoutMs?: number): Promise<void>;
  /** Every command received on a `.../set` topic, accepted or rejected. */
  on(event: 'command', listener: (outcome: CommandOutcome) => void): this;
  off(event: 'command', listener: (outcome: CommandOutcome) => void): this;
  /**
   * With `commandIntake: 'handed'`: a command a broker received from an authenticated `origin`.
   * False (and nothing done) when `topic` is not a command topic of this publisher or writes are off.
   */
  command(topic: string, payload: Buffer, origin: MqttCommandOrigin): boolean;
  /** Publishes offline availability and NDEATH, then disconnects. */
  close(): Promise<void>;
}

class Publisher extends EventEmitter implements MqttPublisher {
  readonly siteId: string;
  readonly topics: JsonTopics | null;
  private readonly json: JsonChannel | null;
  private readonly sparkplug: SparkplugNode | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;

  constructor(site: Site, private readonly o: ResolvedOptions) {
    super();
    this.siteId = o.siteId;
    this.json = o.json || o.homeAssistant
      ? new JsonChannel(site, o, {
        publisherStats: () => ({ dropped: this.dropped(), queued: (this.json?.connection.outbox.size ?? 0) + (this.sparkplug?.connection.outbox.size ?? 0) }),
        onCommand: (outcome) => this.emit('command', outcome),
        swVersion: VERSION,
      })
      : null;
    this.topics = this.json?.topics ?? null;
    this.sparkplug = o.sparkplug ? new SparkplugNode(site, o, () => this.dropped()) : null;
    // The listener only marks what changed; building and sending happen on the flush timer.
    this.unsubscribe = site.subscribe((event) => {
      this.json?.onChange(event);
      this.sparkplug?.onChange(event);
    });
    this.timers.push(setInterval(() => {
      const snap = site.snapshot();
      this.json?.flush(snap);
      this.sparkplug?.flush(snap);
    }, o.publishIntervalMs));
    if (o.fullRefreshS > 0) this.timers.push(setInterval(() => this.json?.markAll(), o.fullRefreshS * 1000));
  }

  private dropped(): number {
    return (this.json?.connection.outbox.dropped ?? 0) + (this.sparkplug?.connection.outbox.dropped ?? 0);
  }

  stats(): PublisherStats {
    return {
      json: this.json?.connection.stats() ?? null,
      sparkplug: this.sparkplug ? { ...this.sparkplug.connection.stats(), ...this.sparkplug.stats() } : null,
      dropped: this.dropped(),
    };
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const conns = [this.json?.connection, this.sparkplug?.connection].filter((c) => !!c);
    while (!conns.every((c) => c.connected)) {
      if (Date.now() > until) throw new Error(`mqtt: not connected to ${this.o.url} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  command(topic: string, payload: Buffer, origin: MqttCommandOrigin): boolean {
    if (!this.o.commands || this.o.commandIntake !== 'handed') return false;
    if (this.json?.isCommandTopic(topic)) {
      void this.json.command(topic, payload, origin);
      return true;
    }
    if (this.sparkplug?.isCommandTopic(topic)) {
      this.sparkplug.command(topic, payload, origin);
      return true;
    }
    return false;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    await Promise.all([this.json?.close(), this.sparkplug?.close()]);
  }
}

/** Who may publish where, for a broker that serves this publisher (topic filters with `+` and `#`). */
export interface PublisherAcl {
  /** The publisher's client ids (JSON/Home Assistant, Sparkplug): nobody else should use them. */
  readonly clientIds: readonly string[];
  /** Only the publisher writes here: its JSON tree, its discovery configs, its Sparkplug node. */
  readonly ownTopics: readonly string[];
  /** Commands to the publisher (`.../set`, NCMD, DCMD): for those allowed to command the site. */
  readonly commandTopics: readonly string[];
  /** Messages any reader may send: Home Assistant's birth message. */
  readonly openTopics: readonly string[];
}

/** The access rules a broker needs to keep others out of this publisher's topics. */
export function publisherAcl(site: Site, options: MqttPublisherOptions): PublisherAcl {
  const o = resolveOptions(options, site.snapshot());
  const base = jsonTopics(o.topicPrefix, o.siteId).base;
  const node = (type: SparkplugMessageType) => sparkplugTopic(o.groupId, type, o.edgeNodeId);
  return {
    clientIds: [o.clientId, `${o.clientId}-spb`],
    ownTopics: [`${base}/#`, `${o.discoveryPrefix}/+/${haNodeId(o.siteId)}/#`, `spBv1.0/${o.groupId}/+/${o.edgeNodeId}`, `spBv1.0/${o.groupId}/+/${o.edgeNodeId}/#`],
    commandTopics: [`${base}/relay/+/set`, `${base}/thresholds/+/set`, node('NCMD'), `${node('DCMD')}/+`],
    openTopics: [`${o.discoveryPrefix}/status`],
  };
}

/**
 * Publishes `site` to an MQTT broker. Starts connecting at once; reconnects by itself.
 *
 * ```ts
 * const publisher = createMqttPublisher(site, { url: 'mqtt://broker:1883', modes: { json: true, homeAssistant: true, sparkplug: true } });
 * // ... later
 * await publisher.close();
 * ```
 */
export function createMqttPublisher(site: Site, options: MqttPublisherOptions): MqttPublisher {
  return new Publisher(site, resolveOptions(options, site.snapshot()));
}
