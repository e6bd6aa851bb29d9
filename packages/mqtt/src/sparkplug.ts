// Sparkplug B edge node: NBIRTH/DBIRTH with every metric and its properties, NDATA/DDATA by
// exception, seq and bdSeq per the specification, NDEATH as the will, rebirth on NCMD, DCMD writes
// through the command interface. Payloads are Eclipse Tahu protobuf via sparkplug-payload.
import type { ChangeEvent, Command, FieldValue, Quality, Site, SiteSnapshot, ThresholdKey } from '@kirchhoff/core';
import { entityId } from '@kirchhoff/core';
import { get as sparkplugPayload } from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import { Connection } from './connection';
import { ExceptionFilter } from './exception';
import type { MqttCommandOrigin, ResolvedOptions } from './options';
import { Entity, MetricSpec, THRESHOLD_FIELDS, entitiesOf, readMetric } from './table';
import { sparkplugTopic } from './topics';

const codec = sparkplugPayload('spBv1.0')!;
export const encodeSparkplug = (p: UPayload): Buffer => Buffer.from(codec.encodePayload(p));
export const decodeSparkplug = (b: Uint8Array): UPayload => codec.decodePayload(b);

export const REBIRTH = 'Node Control/Rebirth';
/** OPC-style quality codes in the `Quality` property (this project's choice; Sparkplug leaves it open). */
export const SPARKPLUG_QUALITY: Readonly<Record<Quality, number>> = { fresh: 192, stale: 64, failed: 0 };

/** A metric as published: which device, under which name, read from which entity. */
export interface SparkplugMetric {
  readonly device: string;
  readonly name: string;
  readonly spec: MetricSpec;
  readonly entity: Entity | null;
  /** Threshold metrics: the threshold key and field. */
  readonly threshold?: { readonly key: ThresholdKey; readonly field: (typeof THRESHOLD_FIELDS)[number] };
}

/** Devices: `site` (site values, sensors, I/O, thresholds), `ups`, `string-<n>` (the string and its modules). */
export function sparkplugMetrics(snap: SiteSnapshot): SparkplugMetric[] {
  const out: SparkplugMetric[] = [];
  const slash = (k: string) => k.replace(/\./g, '/');
  for (const e of entitiesOf(snap)) {
    const r = e.ref;
    const [device, prefix] =
      r.kind === 'site' ? ['site', ''] :
      r.kind === 'string' ? [`string-${r.string}`, ''] :
      r.kind === 'module' ? [`string-${r.string}`, `module/${r.module}/`] :
      r.kind === 'ups' ? ['ups', ''] :
      ['site', `${r.kind}/${r.id}/`];
    for (const m of e.metrics) out.push({ device, name: `${prefix}${slash(m.key)}`, spec: m, entity: e });
  }
  const keys = [...Object.keys(snap.thresholds).filter((k) => k !== 'sensors'), ...Object.keys(snap.thresholds.sensors).map((k) => `sensors.${k}`)] as ThresholdKey[];
  for (const key of keys) {
    for (const field of THRESHOLD_FIELDS) {
      const spec: MetricSpec = { path: `thresholds.${key}.${field}`, key: field, label: `${key} ${field}`, type: 'number', unit: field === 'delayMs' ? 'ms' : '', deadband: null, ha: null, sparkplug: 'Double', writable: true };
      out.push({ device: 'site', name: `thresholds/${key}/${field}`, spec, entity: null, threshold: { key, field } });
    }
  }
  return out;
}

function thresholdValue(snap: SiteSnapshot, t: NonNullable<SparkplugMetric['threshold']>): FieldValue {
  const set = t.key.startsWith('sensors.') ? snap.thresholds.sensors[t.key.slice('sensors.'.length)] : (snap.thresholds as unknown as Record<string, Record<string, number | null>>)[t.key];
  const v = (set as unknown as Record<string, number | null | undefined> | undefined)?.[t.field];
  return v ?? null;
}

export interface SparkplugStats {
  readonly bdSeq: number;
  readonly seq: number;
  readonly births: number;
}

export class SparkplugNode {
  readonly connection: Connection;
  private readonly metrics: SparkplugMetric[];
  private readonly byKey = new Map<string, SparkplugMetric>();
  private readonly byDeviceName = new Map<string, SparkplugMetric>();
  private readonly devices: string[];
  private readonly filter: ExceptionFilter;
  private readonly pending = new Map<string, Set<SparkplugMetric>>();
  private bdSeq = -1;
  /** Whether a session was established with the current bdSeq (then the next CONNECT takes the next one). */
  private bdSeqInSession = false;
  private seq = 0;
  private births = 0;
  private born = false;
  private lastDropped = 0;

  constructor(private readonly site: Site, private readonly o: ResolvedOptions, private readonly dropped: () => number) {
    const snap = site.snapshot();
    this.metrics = sparkplugMetrics(snap);
    for (const m of this.metrics) {
      if (m.entity) this.byKey.set(`${m.entity.id}|${m.spec.path}`, m);
      this.byDeviceName.set(`${m.device}|${m.name}`, m);
    }
    this.devices = [...new Set(this.metrics.map((m) => m.device))];
    this.filter = new ExceptionFilter(o.deadbands);
    this.connection = new Connection(
      { ...o, clientId: `${o.clientId}-spb` },
      {
        // Called before every CONNECT: each new session has the next bdSeq, wrapping after 255. A CONNECT
        // the broker refused (or that never got an answer) started no session: the retry keeps its bdSeq.
        will: () => {
          if (this.bdSeq < 0 || this.bdSeqInSession) this.bdSeq = (this.bdSeq + 1) % 256;
          this.bdSeqInSession = false;
          return { topic: this.topic('NDEATH'), payload: encodeSparkplug({ timestamp: Date.now(), metrics: [this.bdSeqMetric()] }), qos: 1, retain: false };
        },
        onSession: () => {
          this.bdSeqInSession = true;
          this.birth();
        },
        onLost: () => {
          this.born = false;
        },
        onMessage: (topic, payload) => this.command(topic, payload),
        log: (level, message) => o.logger[level](`mqtt sparkplug: ${message}`),
      },
    );
  }

  stats(): SparkplugStats {
    return { bdSeq: this.bdSeq, seq: this.seq, births: this.births };
  }

  private topic(type: 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'NDATA' | 'DDATA' | 'NCMD' | 'DCMD', device?: string): string {
    return sparkplugTopic(this.o.groupId, type, this.o.edgeNodeId, device);
  }

  private bdSeqMetric(): UMetric {
    return { name: 'bdSeq', type: 'UInt64', value: this.bdSeq };
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  private send(type: 'NBIRTH' | 'DBIRTH' | 'NDATA' | 'DDATA', device: string | undefined, metrics: UMetric[]): void {
    const payload = encodeSparkplug({ timestamp: Date.now(), seq: this.nextSeq(), metrics });
    this.connection.event({ topic: this.topic(type, device), payload, qos: 0, retain: false, session: this.bdSeq });
  }

  private value(snap: SiteSnapshot, m: SparkplugMetric, withProperties: boolean): UMetric {
    let value: FieldValue;
    let quality: Quality = 'fresh';
    let atMs = snap.atMs;
    if (m.threshold) value = thresholdValue(snap, m.threshold);
    else {
      const v = readMetric(snap, m.entity!.ref, m.spec);
      value = v.value;
      quality = v.quality;
      atMs = v.atMs;
      this.filter.commit(`${m.device}|${m.name}`, value, quality);
    }
    const metric: UMetric = { name: m.name, type: m.spec.sparkplug, value: value === null ? null : value, timestamp: atMs || snap.atMs };
    if (value === null) metric.isNull = true;
    // Quality travels in every message (a value can go stale without changing); units only at birth.
    metric.properties = {
      ...(withProperties && m.spec.unit ? { engUnit: { type: 'String', value: m.spec.unit } } : {}),
      ...(withProperties && m.spec.writable ? { writable: { type: 'Boolean', value: true } } : {}),
      Quality: { type: 'Int32', value: SPARKPLUG_QUALITY[quality] },
    };
    return metric;
  }

  /** NBIRTH then a DBIRTH per device, with every metric; a new session or a rebirth request starts here. */
  private birth(): void {
    this.connection.outbox.discardEvents((m) => m.session !== undefined);
    this.connection.subscribe([this.topic('NCMD'), ...(this.o.commands && this.o.commandIntake === 'subscribe' ? [`${this.topic('DCMD')}/+`] : [])]);
    this.seq = 0;
    this.pending.clear();
    const snap = this.site.snapshot();
    this.lastDropped = this.dropped();
    this.send('NBIRTH', undefined, [
      this.bdSeqMetric(),
      { name: REBIRTH, type: 'Boolean', value: false },
      { name: 'Properties/Site name', type: 'String', value: snap.info.name },
      { name: 'Publisher/droppedMessages', type: 'Int64', value: this.lastDropped },
    ]);
    for (const d of this.devices) this.send('DBIRTH', d, this.metrics.filter((m) => m.device === d).map((m) => this.value(snap, m, true)));
    this.births++;
    this.born = true;
  }

  onChange(event: ChangeEvent): void {
    if (event.type === 'values') {
      for (const c of event.changes) {
        const m = this.byKey.get(`${entityId(c.entity)}|${c.field}`);
        if (m && this.filter.significant(`${m.device}|${m.name}`, m.spec, c.value, c.quality)) this.mark(m);
      }
    } else if (event.type === 'thresholds') {
      for (const m of this.metrics) if (m.threshold?.key === event.key) this.mark(m);
    } else if (event.type === 'alarm') {
      for (const m of this.metrics) if (m.spec.fromAlarms) this.mark(m);
    }
  }

  private mark(m: SparkplugMetric): void {
    let set = this.pending.get(m.device);
    if (!set) this.pending.set(m.device, (set = new Set()));
    set.add(m);
  }

  /** One DDATA per device with what changed since the last flush; nothing while no session is born. */
  flush(snap: SiteSnapshot): void {
    if (!this.born) {
      // The next birth carries every current value.
      this.pending.clear();
      return;
    }
    const dropped = this.dropped();
    if (dropped !== this.lastDropped) {
      this.lastDropped = dropped;
      this.send('NDATA', undefined, [{ name: 'Publisher/droppedMessages', type: 'Int64', value: dropped }]);
    }
    for (const [device, set] of this.pending) this.send('DDATA', device, [...set].map((m) => this.value(snap, m, false)));
    this.pending.clear();
  }

  /** True when `topic` is a DCMD to one of this node's devices. */
  isCommandTopic(topic: string): boolean {
    return topic.startsWith(`${this.topic('DCMD')}/`) && !topic.slice(this.topic('DCMD').length + 1).includes('/');
  }

  /** NCMD (rebirth) or DCMD writes; `origin` names the sender when a broker handed the command over. */
  command(topic: string, payload: Buffer, origin?: MqttCommandOrigin): void {
    let decoded: UPayload;
    try {
      decoded = decodeSparkplug(payload);
    } catch (e) {
      this.o.logger.warn(`mqtt sparkplug: ${topic}: payload is not a Sparkplug B payload (${(e as Error).message}); ignored`);
      return;
    }
    const metrics = decoded.metrics ?? [];
    if (topic === this.topic('NCMD')) {
      if (metrics.some((m) => m.name === REBIRTH && m.value === true)) {
        this.o.logger.info('mqtt sparkplug: rebirth requested');
        if (this.born) this.birth();
      }
      return;
    }
    const device = topic.slice(`${this.topic('DCMD')}/`.length);
    for (const metric of metrics) void this.write(device, metric, origin);
  }

  private async write(device: string, metric: UMetric, origin?: MqttCommandOrigin): Promise<void> {
    const m = this.byDeviceName.get(`${device}|${metric.name}`);
    const what = `DCMD ${device} ${JSON.stringify(metric.name)}`;
    if (!m || !m.spec.writable || !this.o.commands) {
      this.o.logger.warn(`mqtt sparkplug: ${what}: no such writable metric; ignored`);
      return;
    }
    const value = typeof metric.value === 'object' && metric.value !== null && 'toNumber' in metric.value ? (metric.value as { toNumber(): number }).toNumber() : metric.value;
    let command: Command;
    if (m.threshold) {
      if (!(value === null || (typeof value === 'number' && Number.isFinite(value)))) {
        this.o.logger.warn(`mqtt sparkplug: ${what}: needs a number`);
        return;
      }
      command = { type: 'set-threshold', key: m.threshold.key, threshold: { [m.threshold.field]: value } };
    } else if (m.entity?.ref.kind === 'relay') {
      if (typeof value !== 'boolean') {
        this.o.logger.warn(`mqtt sparkplug: ${what}: needs a Boolean`);
        return;
      }
      command = { type: 'set-relay', relay: m.entity.ref.id, on: value };
    } else return;
    try {
      await this.o.commands.submit(command, origin ? { protocol: 'mqtt', ...origin } : { protocol: 'mqtt', principal: `${this.o.clientId}-spb`, remote: `DCMD/${device}` });
      // A threshold changes in the model (thresholds event -> DDATA); a relay once the gateway drives it.
    } catch (e) {
      this.o.logger.warn(`mqtt sparkplug: ${what} rejected: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    // A clean stop says so with NDEATH; the broker sends the same will when the link just dies.
    await this.connection.close({ topic: this.topic('NDEATH'), payload: encodeSparkplug({ timestamp: Date.now(), metrics: [this.bdSeqMetric()] }), qos: 1, retain: false });
  }
}
