// Renders docs/mqtt-topics.md from the topic and metric table, so the document and the code
// cannot disagree (docs.spec.ts compares them).
import { CHARGE_MODES } from '@kirchhoff/core';
import { DEADBAND_UNITS, DEFAULT_DEADBANDS, DeadbandKind, ENTITY_TABLE, EntitySpec, MetricSpec, THRESHOLD_FIELDS } from '../table';
import { SPARKPLUG_QUALITY } from '../sparkplug';

const row = (cells: readonly (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const code = (s: string) => `\`${s}\``;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

function sparkplugName(e: EntitySpec, m: MetricSpec): string {
  const key = m.key.replace(/\./g, '/');
  switch (e.kind) {
    case 'module': return `string-<n>: module/<m>/${key}`;
    case 'string': return `string-<n>: ${key}`;
    case 'ups': return `ups: ${key}`;
    case 'site': return `site: ${key}`;
    default: return `site: ${e.kind}/<id>/${key}`;
  }
}

function ha(m: MetricSpec): string {
  if (!m.ha) return '';
  const parts = [m.ha.component === 'switch' ? 'switch (binary_sensor when writes are off)' : m.ha.component];
  if (m.ha.deviceClass) parts.push(`class ${m.ha.deviceClass}`);
  if (m.ha.stateClass) parts.push(m.ha.stateClass);
  if (m.ha.unit && m.ha.unit !== m.unit) parts.push(`in ${m.ha.unit}${m.ha.scale ? ` (x${m.ha.scale})` : ''}`);
  if (m.ha.diagnostic) parts.push('diagnostic');
  return parts.join(', ');
}

export function renderTopicsMarkdown(): string {
  const out: string[] = [];
  out.push('# MQTT topics and metrics');
  out.push('');
  out.push('Generated from `packages/mqtt/src/table.ts` by `npm run docs -w @kirchhoff/mqtt`; a test fails when this file and the code disagree. `<prefix>` is `topicPrefix` (default `kirchhoff`), `<site>` the site id (default: the site name in lower case, `-` for anything else).');
  out.push('');
  out.push('## JSON mode');
  out.push('');
  out.push(table(['Topic', 'Retained', 'Content'], ([
    ['<prefix>/<site>/status', 'yes', '`online`, or `offline` (the will, also sent on a clean stop)'],
    ...ENTITY_TABLE.map((e) => [`<prefix>/<site>/${e.topic}`, 'yes', `${e.description} JSON state, below.`]),
    ['<prefix>/<site>/alarms', 'yes', '`{"count", "alarms": [alarm...], "atMs"}`: the active alarms'],
    ['<prefix>/<site>/alarms/event', 'no', '`{"action": "raised"|"cleared"|"acknowledged", "alarm": {...}}` for every change'],
    ['<prefix>/<site>/thresholds', 'yes', 'The threshold set, as in the site configuration'],
    ['<prefix>/<site>/relay/<id>/set', '-', 'Command (writes on): `true`, `false` or `{"on": true|false}`'],
    ['<prefix>/<site>/thresholds/<key>/set', '-', `Command (writes on): an object of ${THRESHOLD_FIELDS.map((f) => `\`${f}\``).join(', ')} (\`mode\` for moduleResistance); \`<key>\` is a threshold kind or \`sensors.<id>\``],
    ['<prefix>/<site>/command/result', 'no', '`{"topic", "ok", "message"}` or `{"topic", "ok": false, "error": {"code", "message"}}` for every command received'],
  ] as const).map(([t, r, c]) => [code(t), r, c])));
  out.push('');
  out.push('Every value in a state is `{"value", "unit", "quality": "fresh"|"stale"|"failed", "atMs"}` (`unit` left out when there is none; `value` null when never read or failed), at the dotted path of its JSON key: `voltageV`, `battery.voltageV` is `{"battery": {"voltageV": {...}}}`. Identity fields (`label`, `string`, `module`, `name`, ...) and the state\'s `atMs` head each message; the site state adds `publisher: {dropped, queued}`.');
  out.push('');
  out.push('A state is republished when one of its values moved at least its deadband since the value last sent, changed quality, or (not a number) changed at all; changes within `publishIntervalMs` go out as one message per entity; every state is republished every `fullRefreshS` and on every (re)connect. Messages leave at most `maxMessagesPerSecond` per connection; states waiting to be sent coalesce per topic, events beyond `bufferLimit` are dropped (oldest first) and counted.');
  out.push('');
  out.push('Command error codes: `too-large` (over `maxCommandBytes`, not read), `invalid` (not JSON, wrong type, unknown field, inconsistent limits), `not-found` (no such relay or threshold), `forbidden` (this protocol may not write).');
  out.push('');
  out.push('Who may command: through an external broker (`commandIntake: subscribe`, the default), whoever that broker lets publish on the command topics; MQTT 3.1.1 does not tell a subscriber who published, so the audit names the publisher\'s client id. Through the gateway\'s embedded broker (`commandIntake: handed`), only users with the operator or admin role (`mqtt.broker.users`) may publish commands (`.../set`, Sparkplug NCMD and DCMD), and the audit names that user and its address; nobody but the gateway publishes under its own topics. `publisherAcl(site, options)` gives the topic filters for any broker\'s access control.');
  out.push('');
  out.push('## Values');
  for (const e of ENTITY_TABLE) {
    out.push('');
    out.push(`### \`${e.topic}\``);
    out.push('');
    out.push(e.description);
    out.push('');
    out.push(table(['JSON key', 'Unit', 'Type', 'Deadband', 'Home Assistant', 'Sparkplug metric', 'Sparkplug type'], e.metrics.map((m) => [
      `\`${m.key}\`${m.writable ? ' (writable)' : ''}`, m.unit || '-', m.type, m.deadband ?? '-', ha(m) || '-', code(sparkplugName(e, m)), m.sparkplug,
    ])));
  }
  out.push('');
  out.push(`Sensor units and Home Assistant classes by kind: temperature (degC, temperature), humidity (%RH, humidity), hydrogen (%LEL), current (A, current), voltage (V, voltage), analog (configured unit). Enumerations: chargeMode ${CHARGE_MODES.join(', ')}.`);
  out.push('');
  out.push('## Deadbands (defaults)');
  out.push('');
  out.push(table(['Kind', 'Default', 'Unit'], (Object.keys(DEFAULT_DEADBANDS) as DeadbandKind[]).map((k) => [k, DEFAULT_DEADBANDS[k], DEADBAND_UNITS[k]])));
  out.push('');
  out.push('`count` 0 means any change. Set them with the `deadbands` option (gateway: `mqtt.deadbands.*`).');
  out.push('');
  out.push('## Home Assistant discovery');
  out.push('');
  out.push('- Config topics `<discoveryPrefix>/<component>/kirchhoff_<site>/<object>/config`, retained, with `<object>` = the entity topic and JSON key joined by `_` (`string_1_module_7_voltageV`); `unique_id` = `kirchhoff_<site>_<object>`.');
  out.push('- Devices: the site (`kirchhoff_<site>`: site values, sensors, inputs, relays), each string (`kirchhoff_<site>_string_<n>`: the string and its modules), the UPS (`kirchhoff_<site>_ups`); strings and UPS name the site as `via_device`.');
  out.push('- Entities read the JSON state topics through `value_template`, so Home Assistant costs no extra state messages; availability is `<prefix>/<site>/status`, and for modules also `communication` not `lost`.');
  out.push('- On `online` at `<discoveryPrefix>/status` every config, the availability and every state are sent again.');
  out.push('- At every connect the publisher reads the retained configs under its node id for `discoveryScanMs` and clears (empty retained payload) those of entities the site no longer has, such as modules removed from the configuration.');
  out.push('');
  out.push('## Sparkplug B');
  out.push('');
  out.push(table(['Topic', 'When'], ([
    ['spBv1.0/<group>/NBIRTH/<edge>', 'Each session start and each rebirth: seq 0, `bdSeq`, `Node Control/Rebirth` (false), `Properties/Site name`, `Publisher/droppedMessages`'],
    ['spBv1.0/<group>/DBIRTH/<edge>/<device>', 'After NBIRTH, for devices `site`, `ups`, `string-<n>`: every metric with its value, `engUnit` and `Quality` properties (`writable` true on writable ones)'],
    ['spBv1.0/<group>/DDATA/<edge>/<device>', 'The metrics that moved past their deadband or changed quality, one message per device per `publishIntervalMs`'],
    ['spBv1.0/<group>/NDATA/<edge>', '`Publisher/droppedMessages` when it changes'],
    ['spBv1.0/<group>/NDEATH/<edge>', 'The will (QoS 1) and sent on a clean stop: `bdSeq` of the session'],
    ['spBv1.0/<group>/NCMD/<edge>', 'Received: `Node Control/Rebirth` true -> NBIRTH and DBIRTHs again (same bdSeq, seq from 0)'],
    ['spBv1.0/<group>/DCMD/<edge>/site', `Received when writes are on: \`relay/<id>/on\` (Boolean), \`thresholds/<key>/<field>\` (Double; fields ${THRESHOLD_FIELDS.join(', ')})`],
  ] as const).map(([t, w]) => [code(t), w])));
  out.push('');
  out.push(`- seq runs 0..255 over every NBIRTH/DBIRTH/NDATA/DDATA of a session and wraps; bdSeq (UInt64) is 0 at the first CONNECT and increases by one at each CONNECT attempt, wrapping after 255; the will registered with each CONNECT carries that bdSeq. Sessions are clean (MQTT 5: session expiry 0).`);
  out.push(`- \`Quality\` property (Int32, this project's choice): fresh ${SPARKPLUG_QUALITY.fresh}, stale ${SPARKPLUG_QUALITY.stale}, failed ${SPARKPLUG_QUALITY.failed}. A null value is sent with \`is_null\`.`);
  out.push('- Data of a session that ended is never sent in the next one: the new birth carries the current values.');
  out.push('- Metric names per device are in the Values tables (`string-<n>: module/<m>/voltageV`); the `site` device also has `thresholds/<key>/<field>` for every threshold kind and sensor.');
  out.push('');
  return out.join('\n');
}
