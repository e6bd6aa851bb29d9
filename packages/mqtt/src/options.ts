// Options of createMqttPublisher, their defaults, and the checks that turn a bad option into a
// message naming it.
import { CommandInterface, CommandOrigin, KirchhoffError, Logger, SiteSnapshot } from '@kirchhoff/core';
import type { TlsFiles } from './connection';
import { DEFAULT_DEADBANDS, Deadbands, slug } from './table';

/** Longest reconnect wait: a broker back after an outage is used again within this (plus jitter down). */
export const DEFAULT_RECONNECT_MAX_MS = 5000;

/** The levels of core's logger the publisher writes. */
export type MqttLogger = Pick<Logger, 'info' | 'warn'>;

/** Who sent a command handed over by a broker: the authenticated MQTT user and its address. */
export type MqttCommandOrigin = Required<Pick<CommandOrigin, 'principal'>> & Pick<CommandOrigin, 'remote'>;

export interface MqttPublisherOptions {
  /** Broker URL: mqtt://host:1883, mqtts://host:8883, ws://host/mqtt, wss://... */
  readonly url: string;
  /** Default `kirchhoff-<siteId>`; the Sparkplug connection appends `-spb`. */
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** CA, client certificate and key (PEM contents) for mqtts:// and wss://. */
  readonly tls?: TlsFiles;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  readonly protocolVersion?: 4 | 5;
  readonly keepaliveS?: number;
  readonly connectTimeoutMs?: number;
  /** Reconnect back-off: doubles from min to max. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Topic-safe site id; default from the site name (`Battery room 1` -> `battery-room-1`). */
  readonly siteId?: string;
  /** First topic level of JSON mode; default `kirchhoff`. */
  readonly topicPrefix?: string;
  readonly modes?: { readonly json?: boolean; readonly homeAssistant?: boolean; readonly sparkplug?: boolean };
  /** Home Assistant discovery prefix; default `homeassistant`. */
  readonly discoveryPrefix?: string;
  /** Sparkplug group id (default `kirchhoff`) and edge node id (default the site id). */
  readonly sparkplug?: { readonly groupId?: string; readonly edgeNodeId?: string };
  /** Per-kind deadbands for publish by exception. */
  readonly deadbands?: Partial<Deadbands>;
  /** Changes within this window go out together, one message per entity (JSON) or device (Sparkplug). */
  readonly publishIntervalMs?: number;
  /** Every state is republished this often even without changes; 0 = never. */
  readonly fullRefreshS?: number;
  /** Per connection. */
  readonly maxMessagesPerSecond?: number;
  readonly maxInFlight?: number;
  /** Events (alarm events, command results, Sparkplug data) kept per connection while the broker is down or slow; beyond, the oldest are dropped and counted. States need no limit: one per topic, the latest. */
  readonly bufferLimit?: number;
  /** QoS of JSON states, events and discovery (Sparkplug uses the QoS its specification sets). */
  readonly qos?: 0 | 1;
  /** Commands on `.../set` topics and Sparkplug DCMD go here; null or `writes: false` = read-only. */
  readonly commands?: CommandInterface | null;
  readonly writes?: boolean;
  /**
   * How commands arrive. `subscribe` (default): the publisher subscribes to the command topics, and
   * the broker's own access control decides who may publish there (MQTT 3.1.1 does not tell a
   * subscriber who published, so the audit names this publisher's client id and the broker URL).
   * `handed`: no command subscription; a broker that authenticated the sender hands each command
   * over with `publisher.command(topic, payload, origin)` and the audit names that sender.
   */
  readonly commandIntake?: 'subscribe' | 'handed';
  /** Larger command payloads are rejected unread. */
  readonly maxCommandBytes?: number;
  /** How long to collect retained discovery configs of this site before removing stale ones. */
  readonly discoveryScanMs?: number;
  readonly logger?: MqttLogger;
}

export interface ResolvedOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TlsFiles;
  readonly protocolVersion: 4 | 5;
  readonly keepaliveS: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly siteId: string;
  readonly topicPrefix: string;
  readonly json: boolean;
  readonly homeAssistant: boolean;
  readonly sparkplug: boolean;
  readonly discoveryPrefix: string;
  readonly groupId: string;
  readonly edgeNodeId: string;
  readonly deadbands: Deadbands;
  readonly publishIntervalMs: number;
  readonly fullRefreshS: number;
  readonly maxMessagesPerSecond: number;
  readonly maxInFlight: number;
  readonly bufferLimit: number;
  readonly qos: 0 | 1;
  readonly commands: CommandInterface | null;
  readonly commandIntake: 'subscribe' | 'handed';
  readonly maxCommandBytes: number;
  readonly discoveryScanMs: number;
  readonly logger: MqttLogger;
}

export class MqttOptionError extends KirchhoffError {}

const TOPIC_ID = /^[A-Za-z0-9_.-]+$/;
const NOOP_LOGGER: MqttLogger = { info: () => undefined, warn: () => undefined };

export function resolveOptions(o: MqttPublisherOptions, snap: SiteSnapshot): ResolvedOptions {
  const bad = (key: string, why: string) => new MqttOptionError('mqtt.option', `mqtt option ${key}: ${why}`);
  if (!/^(mqtts?|wss?):\/\/./.test(o.url ?? '')) throw bad('url', `${JSON.stringify(o.url)} is not a broker URL (mqtt://, mqtts://, ws://, wss://)`);
  const siteId = o.siteId ?? slug(snap.info.name);
  const ids: Record<string, string | undefined> = { siteId, topicPrefix: o.topicPrefix, discoveryPrefix: o.discoveryPrefix, 'sparkplug.groupId': o.sparkplug?.groupId, 'sparkplug.edgeNodeId': o.sparkplug?.edgeNodeId };
  for (const [k, v] of Object.entries(ids)) {
    if (v !== undefined && !TOPIC_ID.test(v)) throw bad(k, `${JSON.stringify(v)} may hold only letters, digits, '_', '-' and '.' (no '/', '+', '#')`);
  }
  const positive = (key: string, v: number | undefined, d: number, min = 1) => {
    const x = v ?? d;
    if (!Number.isFinite(x) || x < min) throw bad(key, `must be a number >= ${min}, got ${v}`);
    return x;
  };
  const deadbands = { ...DEFAULT_DEADBANDS, ...o.deadbands };
  for (const [k, v] of Object.entries(deadbands)) if (!(Number.isFinite(v) && v >= 0)) throw bad(`deadbands.${k}`, `must be a number >= 0, got ${v}`);
  const modes = { json: o.modes?.json ?? true, homeAssistant: o.modes?.homeAssistant ?? false, sparkplug: o.modes?.sparkplug ?? false };
  if (!modes.json && !modes.homeAssistant && !modes.sparkplug) throw bad('modes', 'enables nothing: turn on json, homeAssistant or sparkplug');
  const reconnectMinMs = positive('reconnectMinMs', o.reconnectMinMs, 1000, 10);
  return {
    url: o.url,
    clientId: o.clientId ?? `kirchhoff-${siteId}`,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    protocolVersion: o.protocolVersion ?? 4,
    keepaliveS: positive('keepaliveS', o.keepaliveS, 30, 0),
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 10_000, 100),
    reconnectMinMs,
    reconnectMaxMs: Math.max(reconnectMinMs, positive('reconnectMaxMs', o.reconnectMaxMs, DEFAULT_RECONNECT_MAX_MS, 10)),
    siteId,
    topicPrefix: o.topicPrefix ?? 'kirchhoff',
    ...modes,
    discoveryPrefix: o.discoveryPrefix ?? 'homeassistant',
    groupId: o.sparkplug?.groupId ?? 'kirchhoff',
    edgeNodeId: o.sparkplug?.edgeNodeId ?? siteId,
    deadbands,
    publishIntervalMs: positive('publishIntervalMs', o.publishIntervalMs, 200, 10),
    fullRefreshS: positive('fullRefreshS', o.fullRefreshS, 300, 0),
    maxMessagesPerSecond: positive('maxMessagesPerSecond', o.maxMessagesPerSecond, 1000),
    maxInFlight: positive('maxInFlight', o.maxInFlight, 100),
    bufferLimit: positive('bufferLimit', o.bufferLimit, 10_000, 10),
    qos: o.qos ?? 1,
    commands: o.writes && o.commands ? o.commands : null,
    commandIntake: o.commandIntake ?? 'subscribe',
    maxCommandBytes: positive('maxCommandBytes', o.maxCommandBytes, 1024, 16),
    discoveryScanMs: positive('discoveryScanMs', o.discoveryScanMs, 1000, 0),
    logger: o.logger ?? NOOP_LOGGER,
  };
}
