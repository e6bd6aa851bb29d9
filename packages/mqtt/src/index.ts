// @kirchhoff/mqtt: publishes a Kirchhoff site model over MQTT as JSON topics, Home Assistant
// discovery and Sparkplug B.
export { createMqttPublisher, publisherAcl } from './publisher';
export type { MqttPublisher, PublisherStats, PublisherAcl } from './publisher';
export type { MqttPublisherOptions, MqttLogger, MqttCommandOrigin } from './options';
export { MqttOptionError } from './options';
export type { TlsFiles, ConnectionStats } from './connection';
export type { CommandOutcome } from './json';
export type { SparkplugStats } from './sparkplug';
export { jsonTopics, sparkplugTopic } from './topics';
export type { JsonTopics } from './topics';
export { ENTITY_TABLE, DEFAULT_DEADBANDS } from './table';
export type { Deadbands, DeadbandKind, EntitySpec, MetricSpec } from './table';
