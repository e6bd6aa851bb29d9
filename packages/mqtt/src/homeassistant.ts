// Home Assistant MQTT discovery: one device per site, string and UPS; one entity per measurement
// reading the JSON state topics through a value template, so HA costs no extra state messages.
import type { SiteSnapshot } from '@kirchhoff/core';
import { Entity, MetricSpec, entitiesOf } from './table';
import type { JsonTopics } from './topics';

export interface HaContext {
  readonly siteId: string;
  readonly discoveryPrefix: string;
  readonly topics: JsonTopics;
  /** Relays become switches with a command topic only when writes are on. */
  readonly writable: boolean;
  readonly swVersion: string;
}

/** `kirchhoff_<site>`: the HA node id, and the prefix of every unique_id and device identifier. */
export function haNodeId(siteId: string): string {
  return `kirchhoff_${siteId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function deviceOf(snap: SiteSnapshot, e: Entity, ctx: HaContext): Record<string, unknown> {
  const node = haNodeId(ctx.siteId);
  const site = { identifiers: [node], name: snap.info.name, manufacturer: 'Kirchhoff', model: 'Battery management gateway', sw_version: ctx.swVersion };
  if (e.ref.kind === 'string' || e.ref.kind === 'module') {
    const s = snap.strings[e.ref.string - 1];
    return { identifiers: [`${node}_string_${s.string}`], name: `${snap.info.name} ${s.name}`, manufacturer: 'Kirchhoff', model: `Battery string, ${s.moduleCount} x ${s.moduleType}`, via_device: node };
  }
  if (e.ref.kind === 'ups' && snap.ups) {
    return { identifiers: [`${node}_ups`], name: `${snap.info.name} ${snap.ups.ident.name || 'UPS'}`, manufacturer: snap.ups.ident.manufacturer || 'unknown', model: snap.ups.ident.model || 'UPS', via_device: node };
  }
  return site;
}

/** Home Assistant shows an entity as unknown when its template renders `None` (its PAYLOAD_NONE). */
function valueTemplate(m: MetricSpec): string {
  const v = `value_json.${m.key}.value`;
  // A missing value is unknown, not OFF: an unread UPS is not "off battery".
  if (m.type === 'boolean') return `{{ ('ON' if ${v} else 'OFF') if ${v} is boolean else 'None' }}`;
  if (m.ha?.timestamp) return `{{ (${v} / 1000) | timestamp_custom('%Y-%m-%dT%H:%M:%S+00:00', false) if ${v} is number else None }}`;
  if (m.ha?.scale) return `{{ (${v} * ${m.ha.scale}) | round(6) if ${v} is not none else None }}`;
  return `{{ ${v} }}`;
}

/** Every discovery config of the site: topic -> payload. */
export function discoveryConfigs(snap: SiteSnapshot, ctx: HaContext): Map<string, Record<string, unknown>> {
  const node = haNodeId(ctx.siteId);
  const out = new Map<string, Record<string, unknown>>();
  for (const e of entitiesOf(snap)) {
    for (const m of e.metrics) {
      if (!m.ha) continue;
      const component = m.ha.component === 'switch' && !ctx.writable ? 'binary_sensor' : m.ha.component;
      const objectId = `${e.id.replace(/\//g, '_')}_${m.key.replace(/\./g, '_')}`;
      const stateTopic = ctx.topics.entity(e.id);
      const availability: Record<string, string>[] = [{ topic: ctx.topics.availability }];
      if (e.ref.kind === 'module') {
        // A module that stops answering shows unavailable instead of its last value.
        availability.push({ topic: stateTopic, value_template: `{{ 'offline' if value_json.communication.value == 'lost' else 'online' }}` });
      }
      const named = e.ref.kind === 'string' || e.ref.kind === 'ups' || e.ref.kind === 'site' ? m.label : `${e.name} ${m.label}`;
      const config: Record<string, unknown> = {
        name: named,
        unique_id: `${node}_${objectId}`,
        // `object_id` is deprecated since Home Assistant 2025.10 and ignored from 2026.4: the entity id
        // to start with is `<domain>.<object id>`, lower case.
        default_entity_id: `${component}.${`${node}_${objectId}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
        origin: { name: 'Kirchhoff', sw_version: ctx.swVersion },
        state_topic: stateTopic,
        value_template: valueTemplate(m),
        availability,
        availability_mode: 'all',
        device: deviceOf(snap, e, ctx),
        ...(m.ha.deviceClass ? { device_class: m.ha.deviceClass } : {}),
        ...(m.ha.stateClass ? { state_class: m.ha.stateClass } : {}),
        ...(!m.ha.timestamp && (m.ha.unit ?? m.unit) ? { unit_of_measurement: m.ha.unit ?? m.unit } : {}),
        ...(m.ha.precision !== undefined ? { suggested_display_precision: m.ha.precision } : {}),
        ...(m.ha.options ? { options: m.ha.options } : {}),
        ...(m.ha.diagnostic ? { entity_category: 'diagnostic' } : {}),
        ...(e.ref.kind === 'input' && snap.inputs[e.ref.id - 1].alarmSeverity === null ? { device_class: undefined } : {}),
      };
      if (component === 'switch' && e.ref.kind === 'relay') {
        Object.assign(config, { command_topic: ctx.topics.relaySet(e.ref.id), payload_on: 'true', payload_off: 'false', state_on: 'ON', state_off: 'OFF' });
      }
      out.set(`${ctx.discoveryPrefix}/${component}/${node}/${objectId}/config`, JSON.parse(JSON.stringify(config)));
    }
  }
  return out;
}
