// MQTT (@kirchhoff/mqtt) in the gateway: the `mqtt` configuration section, the embedded broker
// (aedes, MQTT 3.1.1) for the demo and small sites, and the publisher.
import { createMqttPublisher, DEFAULT_DEADBANDS, DeadbandKind, MqttPublisher, MqttPublisherOptions, PublisherStats, publisherAcl } from '@kirchhoff/mqtt';
import { bool, type Infer, int, num, type NumberNode, obj, str } from '../config/schema-dsl';
import { readKeyFile } from '../config/files';
import { LOOPBACK as DEMO_HOST, portKey, usersKey } from '../config/common';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { startBroker } from './mqtt-broker';
import { defineAdapter, type SecurityNotice } from './types';

const TOPIC_ID = { pattern: /^[A-Za-z0-9_.-]*$/, patternDoc: "letters, digits, '_', '-' and '.' (no '/', '+', '#')" };
const DEADBAND_DOCS: Readonly<Record<DeadbandKind, [string, string]>> = {
  voltage: ['Voltages.', 'V'], temperature: ['Temperatures.', 'degC'], resistance: ['Internal resistances.', 'Ohm'], percent: ['Percentages (SoC, load, humidity).', '%'],
  current: ['Currents.', 'A'], power: ['Powers.', 'W'], frequency: ['Frequencies.', 'Hz'], time: ['Times (autonomy, time on battery).', 'min or s'], count: ['Counters and plain numbers; 0 = any change.', ''],
};

/** One number per deadband kind, each with its default. */
function deadbandFields(): Record<DeadbandKind, NumberNode<number, false, false>> {
  const field = (k: DeadbandKind) => num(DEADBAND_DOCS[k][0], { min: 0, max: 1_000_000, default: DEFAULT_DEADBANDS[k], ...(DEADBAND_DOCS[k][1] ? { unit: DEADBAND_DOCS[k][1] } : {}) });
  return {
    voltage: field('voltage'), temperature: field('temperature'), resistance: field('resistance'), percent: field('percent'), current: field('current'),
    power: field('power'), frequency: field('frequency'), time: field('time'), count: field('count'),
  };
}

export const MQTT_SCHEMA = obj('MQTT publisher (@kirchhoff/mqtt): JSON topics, Home Assistant discovery, Sparkplug B; topics in docs/mqtt-topics.md.', {
  enabled: bool('Publish to MQTT.', false),
  url: str('Broker URL (mqtt://, mqtts://, ws://, wss://); empty = the embedded broker (mqtt.broker).', { default: '', pattern: /^((mqtts?|wss?):\/\/\S+)?$/, patternDoc: 'empty, or a URL starting with mqtt://, mqtts://, ws:// or wss://' }),
  writes: bool('Accept commands (.../set topics, Sparkplug DCMD: relays, thresholds) through the command interface.', false),
  clientId: str('MQTT client id; empty = kirchhoff- followed by the site id (the Sparkplug connection adds -spb).', { default: '' }),
  username: str('User name at the broker of mqtt.url; empty = none (the gateway logs in to its embedded broker by itself).', { default: '' }),
  password: str('Password at the broker of mqtt.url; empty = none.', { default: '' }),
  protocolVersion: int('4 = MQTT 3.1.1, 5 = MQTT 5 (the embedded broker speaks 3.1.1 only).', { oneOf: [4, 5], default: 4 }),
  keepaliveS: int('Keep-alive interval; 0 = off.', { min: 0, max: 65_535, default: 30, unit: 's' }),
  reconnectMinMs: int('First reconnect delay; it doubles on each failure.', { min: 10, max: 600_000, default: 1000, unit: 'ms' }),
  reconnectMaxMs: int('Longest reconnect delay: also the longest the publisher stays away from a broker that is back.', { min: 10, max: 3_600_000, default: 5000, unit: 'ms' }),
  tls: obj('Certificates for mqtts:// and wss://.', {
    ca: str('CA certificate file (PEM) to trust; empty = the system CAs.', { default: '' }),
    cert: str('Client certificate file (PEM); empty = none.', { default: '' }),
    key: str('Client private key file (PEM); empty = none.', { default: '' }),
    rejectUnauthorized: bool('Verify the broker certificate.', true),
  }),
  siteId: str('Topic id of the site; empty = from site.name (lower case, - for the rest).', { default: '', ...TOPIC_ID }),
  topicPrefix: str('First topic level of the JSON topics.', { default: 'kirchhoff', ...TOPIC_ID }),
  discoveryPrefix: str('Home Assistant discovery prefix.', { default: 'homeassistant', ...TOPIC_ID }),
  sparkplug: obj('Sparkplug B identity.', {
    groupId: str('Group id.', { default: 'kirchhoff', ...TOPIC_ID }),
    edgeNodeId: str('Edge node id; empty = the site id.', { default: '', ...TOPIC_ID }),
  }),
  publishIntervalMs: int('Changes within this window go out together (one message per entity or Sparkplug device).', { min: 10, max: 60_000, default: 200, unit: 'ms' }),
  fullRefreshS: int('Republish every state this often even without changes; 0 = never.', { min: 0, max: 86_400, default: 300, unit: 's' }),
  maxMessagesPerSecond: int('Rate limit per connection.', { min: 1, max: 100_000, default: 1000 }),
  bufferLimit: int('Events kept while the broker is down or slow; beyond, the oldest are dropped and counted.', { min: 10, max: 1_000_000, default: 10_000 }),
  qos: int('QoS of JSON states, events and discovery (Sparkplug uses the QoS its specification sets).', { oneOf: [0, 1], default: 1 }),
  deadbands: obj('Publish by exception: a number is sent again once it moved this much.', deadbandFields()),
  broker: obj('Embedded MQTT 3.1.1 broker (the demo and small sites; use Mosquitto, EMQX or HiveMQ for a fleet). Clients log in as mqtt.broker.users (no anonymous access); only the gateway publishes under its own topics; every session is clean.', {
    enabled: bool('Run an embedded broker; only while mqtt.url is empty (a URL points the gateway at that broker instead).', false),
    host: str('Address to listen on; anything but loopback is warned about (no TLS: passwords cross the network readable).', { default: '127.0.0.1', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' }),
    port: portKey('TCP port.', 1883),
    users: usersKey('Who may connect (the gateway connects by itself). Roles: viewer subscribes (and may send Home Assistant\'s birth message); operator also publishes commands (.../set, Sparkplug NCMD and DCMD, when mqtt.writes is on) and outside the gateway\'s topics; admin as operator. Commands are audited under the user name.'),
    maxPacketKiB: int('Largest packet a client may send; a larger one closes its connection as soon as its header arrives. A CONNECT may be at most 16 KiB.', { min: 1, max: 262_144, default: 256, unit: 'KiB' }),
    maxRetained: int('Retained messages kept for clients other than the gateway; beyond, a retained publish closes the connection.', { min: 0, max: 1_000_000, default: 1000 }),
    maxRetainedKiB: int('Bytes of those retained messages (topics and payloads).', { min: 0, max: 1_048_576, default: 1024, unit: 'KiB' }),
    maxConnectionsPerAddress: int('Connections at once from one client address; a further one closes the least recently active of that address (so one address cannot lock others out; the gateway\'s own connection never gives way).', { min: 1, max: 100_000, default: 32 }),
    maxConnections: int('Connections at once in all; a further one closes the least recently active connection of the address holding the most.', { min: 1, max: 100_000, default: 256 }),
  }),
  modes: obj('What to publish.', {
    json: bool('JSON topics under topicPrefix/siteId/ (docs/mqtt-topics.md).', true),
    homeAssistant: bool('Home Assistant discovery.', false),
    sparkplug: bool('Sparkplug B.', false),
  }),
});

export type MqttConfig = Infer<typeof MQTT_SCHEMA>;

function modesText(c: MqttConfig): string {
  return [c.modes.json && 'JSON', c.modes.homeAssistant && 'Home Assistant', c.modes.sparkplug && 'Sparkplug B'].filter(Boolean).join(', ') || 'nothing';
}

const readPem = (key: string, path: string): string | undefined => readKeyFile(key, path, true);


const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The embedded broker's weaknesses for /api/security and the start-up log: demo passwords, listening beyond loopback. */
export function mqttNotices(c: MqttConfig): SecurityNotice[] {
  if (!c.enabled || !c.broker.enabled) return [];
  const out: SecurityNotice[] = [];
  const demo = c.broker.users.filter((u) => DEMO_HTTP_USERS.some((d) => d.passwordHash === u.passwordHash)).map((u) => u.name);
  if (demo.length) {
    out.push({
      id: 'mqtt-default-password', severity: 'critical', key: 'mqtt.broker.users',
      message: `DEFAULT PASSWORD: MQTT broker user${demo.length === 1 ? '' : 's'} ${demo.join(', ')} ${demo.length === 1 ? 'has a' : 'have'} documented demo password${demo.length === 1 ? '' : 's'}: anyone who read the README can connect${c.writes ? ' and switch relays' : ''}. Set new hashes (kirchhoff hash-password) in mqtt.broker.users.`,
    });
  }
  if (!LOOPBACK.test(c.broker.host)) {
    out.push({
      id: 'mqtt-broker-network', severity: 'warning', key: 'mqtt.broker.host',
      message: `The embedded MQTT broker listens on ${c.broker.host}, beyond loopback, without TLS: user names, passwords and every message cross the network readable. Listen on 127.0.0.1, or run Mosquitto with TLS and point mqtt.url at it.`,
    });
  }
  return out;
}

export const mqttAdapter = defineAdapter<'mqtt', typeof MQTT_SCHEMA, unknown, { readonly mqttStats: () => PublisherStats }>({
  key: 'mqtt',
  schema: MQTT_SCHEMA,
  // The broker's users are the HTTP demo users with the same documented passwords (README), warned about at start-up.
  demo: {
    enabled: true,
    broker: { enabled: true, host: DEMO_HOST, port: 11883, users: DEMO_HTTP_USERS.map(({ name, role, passwordHash }) => ({ name, role, passwordHash })) },
    modes: { json: true, homeAssistant: true, sparkplug: true },
  },
  notices: mqttNotices,
  writes: (c) => (c.enabled && c.writes ? { mqtt: 'all' } : {}),
  services: (c) => [
    { name: 'MQTT broker (embedded)', endpoint: `tcp ${c.broker.host}:${c.broker.port}`, enabled: c.enabled && c.broker.enabled },
    { name: 'MQTT publisher', endpoint: `${c.url || `mqtt://${c.broker.host}:${c.broker.port}`} (${modesText(c)})`, enabled: c.enabled },
  ],
  portKey: (c) => ({ key: 'mqtt.broker.port', port: c.broker.port }),
  listens: (c) => (c.enabled && c.broker.enabled && !c.url ? [{ key: 'mqtt.broker.port', proto: 'tcp', host: c.broker.host, port: c.broker.port }] : []),
  async start({ config: c, site, commands, logger, problems }) {
    if (!c.enabled) return null;
    const tls = { ca: readPem('mqtt.tls.ca', c.tls.ca), cert: readPem('mqtt.tls.cert', c.tls.cert), key: readPem('mqtt.tls.key', c.tls.key) };
    // The gateway's publisher is the embedded broker's first client: it logs in with a password made
    // now, and commands reach it from the broker with the name of the user who sent them.
    const embedded = !c.url;
    let publisher: MqttPublisher | undefined;
    const base: MqttPublisherOptions = {
      url: 'mqtt://127.0.0.1',
      ...(c.clientId ? { clientId: c.clientId } : {}),
      ...(c.siteId ? { siteId: c.siteId } : {}),
      topicPrefix: c.topicPrefix,
      discoveryPrefix: c.discoveryPrefix,
      sparkplug: { groupId: c.sparkplug.groupId, ...(c.sparkplug.edgeNodeId ? { edgeNodeId: c.sparkplug.edgeNodeId } : {}) },
    };
    const acl = publisherAcl(site, base);
    const broker = c.broker.enabled
      ? await startBroker({
        host: c.broker.host, port: c.broker.port, users: c.broker.users,
        gatewayClientIds: acl.clientIds,
        acl: { gatewayTopics: acl.ownTopics, commandTopics: acl.commandTopics, openTopics: acl.openTopics },
        maxPacketBytes: c.broker.maxPacketKiB * 1024, maxRetained: c.broker.maxRetained, maxRetainedBytes: c.broker.maxRetainedKiB * 1024,
        maxConnectionsPerAddress: c.broker.maxConnectionsPerAddress, maxConnections: c.broker.maxConnections,
        onCommand: (topic, payload, origin) => (embedded && publisher ? publisher.command(topic, payload, origin) : false),
        logger, problems,
      })
      : null;
    const local = broker ? `mqtt://${c.broker.host === '0.0.0.0' || c.broker.host === '::' ? '127.0.0.1' : c.broker.host}:${broker.port}` : '';
    const url = c.url || local;
    const login = embedded && broker ? broker.gatewayLogin : { username: c.username, password: c.password };
    const options: MqttPublisherOptions = {
      ...base,
      url,
      ...(login.username ? { username: login.username } : {}),
      ...(login.password ? { password: login.password } : {}),
      ...(tls.ca || tls.cert || tls.key || !c.tls.rejectUnauthorized ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), rejectUnauthorized: c.tls.rejectUnauthorized } } : {}),
      // The embedded broker speaks MQTT 3.1.1 only.
      protocolVersion: c.url ? c.protocolVersion : 4,
      keepaliveS: c.keepaliveS,
      reconnectMinMs: c.reconnectMinMs,
      reconnectMaxMs: c.reconnectMaxMs,
      modes: c.modes,
      deadbands: c.deadbands,
      publishIntervalMs: c.publishIntervalMs,
      fullRefreshS: c.fullRefreshS,
      maxMessagesPerSecond: c.maxMessagesPerSecond,
      bufferLimit: c.bufferLimit,
      qos: c.qos,
      commands: c.writes ? commands : null,
      writes: c.writes,
      commandIntake: embedded ? 'handed' : 'subscribe',
      logger,
    };
    try {
      publisher = createMqttPublisher(site, options);
    } catch (e) {
      await broker?.close();
      throw e;
    }
    if (c.url && /^(mqtt|ws):/.test(c.url) && c.password) logger.warn(`mqtt.password is sent in clear text over ${c.url.split(':')[0]}://: use mqtts:// or wss://`);
    logger.info(`publishing ${modesText(c)} to ${url} as site ${publisher.siteId}`);
    const running = publisher;
    if (broker) {
      if (!c.broker.users.length) logger.info('mqtt.broker.users is empty: only the gateway itself can connect to the embedded broker (add users with kirchhoff hash-password)');
      for (const n of mqttNotices(c)) logger[n.severity === 'critical' ? 'error' : 'warn'](n.message, { notice: n.id, key: n.key });
    }
    return {
      services: [
        ...(broker ? [{ name: 'MQTT broker (embedded)', endpoint: `tcp ${c.broker.host}:${broker.port}` }] : []),
        { name: 'MQTT publisher', endpoint: `${url} (${modesText(c)})` },
      ],
      clients: () => ({ ...(broker ? { 'mqtt-broker': broker.clients() } : {}) }),
      provides: { mqttStats: () => running.stats() },
      close: async () => {
        await running.close();
        await broker?.close();
      },
    };
  },
});
