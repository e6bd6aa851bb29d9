// JSON-mode commands: a `.../set` topic and its payload become a core Command, or a rejection
// naming what is wrong. Nothing reaches the command interface before it parses cleanly.
import type { Command, ThresholdKey } from '@kirchhoff/core';
import type { JsonTopics } from './topics';

export type CommandRejection = { readonly code: 'too-large' | 'invalid' | 'not-found'; readonly message: string };
export type ParsedCommand = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: CommandRejection };

const reject = (code: CommandRejection['code'], message: string): ParsedCommand => ({ ok: false, error: { code, message } });

export function parseCommand(topics: JsonTopics, topic: string, payload: Buffer, maxBytes: number): ParsedCommand {
  const rest = topic.startsWith(`${topics.base}/`) ? topic.slice(topics.base.length + 1).split('/') : [];
  if (rest.length !== 3 || rest[2] !== 'set' || (rest[0] !== 'relay' && rest[0] !== 'thresholds')) {
    return reject('not-found', `${topic} is not a command topic`);
  }
  if (payload.length > maxBytes) return reject('too-large', `payload of ${payload.length} bytes exceeds the limit of ${maxBytes}`);
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return reject('invalid', 'payload is not valid JSON');
  }
  const [kind, id] = rest;
  if (kind === 'relay') {
    if (!/^[1-9][0-9]{0,3}$/.test(id)) return reject('not-found', `relay ${JSON.stringify(id)} does not exist`);
    const on = typeof body === 'boolean' ? body : body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).on : undefined;
    if (typeof on !== 'boolean') return reject('invalid', 'relay payload must be true, false or {"on": true|false}');
    if (typeof body === 'object' && Object.keys(body as object).some((k) => k !== 'on')) return reject('invalid', 'relay payload may hold only "on"');
    return { ok: true, command: { type: 'set-relay', relay: Number(id), on } };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return reject('invalid', 'threshold payload must be an object such as {"warnHigh": 13.8}');
  // The key and field values are checked by the command interface against the site.
  return { ok: true, command: { type: 'set-threshold', key: id as ThresholdKey, threshold: body as Record<string, number> } };
}
