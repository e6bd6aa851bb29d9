// Bytes <-> RCCMD messages, no I/O. Two forms: the publicly captured RCCMD text message
// (`CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT ...`, byte-compatible with existing clients) and
// this project's own line format `KRCCMD/1 ...` for shutdown, execute, alive and acknowledgements,
// optionally signed with HMAC-SHA256. Parsing never throws: it returns a reason instead.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The port RCCMD clients listen on (TCP and UDP). */
export const RCCMD_PORT = 6003;
/** Longest message either form accepts, in bytes (a guard for stream framing too). */
export const MAX_MESSAGE_BYTES = 2048;
export const MAX_TEXT_CHARS = 1024;

/** The prefix of every message in the public capture. */
export const LEGACY_PREFIX = 'CONNECT TO RCCMD (SEND) ';
/** The text-message command of the public capture; the text follows without a terminator. */
export const LEGACY_MESSAGE_PREFIX = `${LEGACY_PREFIX}MSG_EXECUTE MSG_TEXT `;

/** What this project's format carries. */
export type KirchhoffKind = 'shutdown' | 'execute' | 'message' | 'trap' | 'alive' | 'ack' | 'nak';
export const KIRCHHOFF_KINDS: readonly KirchhoffKind[] = ['shutdown', 'execute', 'message', 'trap', 'alive', 'ack', 'nak'];
export const KIRCHHOFF_MAGIC = 'KRCCMD/1';

/** A sender id, execute command name or job name: safe in logs and file names. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const NONCE_PATTERN = /^[0-9a-f]{16,64}$/;
const MAC_PATTERN = /^[0-9a-f]{64}$/;
const TS_PATTERN = /^\d{1,15}$/;
/** Fields in their wire order; `mac` is always last and covers everything before ` mac=`. */
const FIELD_ORDER = ['from', 'ts', 'nonce', 're', 'job', 'cmd', 'reason', 'text', 'mac'] as const;
type FieldName = (typeof FIELD_ORDER)[number];

export interface KirchhoffMessage {
  readonly format: 'kirchhoff';
  readonly kind: KirchhoffKind;
  /** Sender id. */
  readonly from: string;
  /** The sender's clock when it built the message, ms since the epoch. */
  readonly tsMs: number;
  /** Random, unique per message: the replay window remembers it. */
  readonly nonce: string;
  /** ack/nak: the nonce of the message answered. */
  readonly re?: string;
  readonly job?: string;
  /** execute: the name of a command prepared on the listener (never a command line). */
  readonly command?: string;
  /** nak: why. */
  readonly reason?: string;
  readonly text?: string;
  /** HMAC-SHA256 of `signed`, hex; absent when unsigned. */
  readonly mac?: string;
  /** The bytes the mac covers (the line up to ` mac=`). */
  readonly signed: string;
}

/** What a public-capture text announces, recognised from its wording. */
export type LegacyEvent =
  | { readonly type: 'powerfail'; readonly ups: string; readonly autonomyMin: number }
  | { readonly type: 'power-restored'; readonly ups: string }
  | { readonly type: 'text' };

export interface LegacyMessage {
  readonly format: 'rccmd';
  readonly kind: 'message';
  readonly text: string;
  readonly event: LegacyEvent;
}

export type RccmdMessage = KirchhoffMessage | LegacyMessage;

export type ParseResult = { readonly ok: true; readonly message: RccmdMessage } | { readonly ok: false; readonly reason: string };

// --- the public capture form -------------------------------------------------------------

/** The public capture's text message, exactly: prefix + text, no terminator. */
export function encodeLegacyMessage(text: string): Buffer {
  checkText(text);
  return Buffer.from(LEGACY_MESSAGE_PREFIX + text, 'utf8');
}

const POWERFAIL = /^Powerfail on (.+): Autonomietime (\d+(?:\.\d+)?) min\.$/;
const RESTORED = /^Powerfail on (.+): restored\.$/;

export function legacyEvent(text: string): LegacyEvent {
  let m = POWERFAIL.exec(text);
  if (m) return { type: 'powerfail', ups: m[1], autonomyMin: Number(m[2]) };
  m = RESTORED.exec(text);
  if (m) return { type: 'power-restored', ups: m[1] };
  return { type: 'text' };
}

// --- this project's form -----------------------------------------------------------------

export interface KirchhoffFields {
  readonly kind: KirchhoffKind;
  readonly from: string;
  readonly tsMs: number;
  readonly nonce?: string;
  readonly re?: string;
  readonly job?: string;
  readonly command?: string;
  readonly reason?: string;
  readonly text?: string;
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

function checkText(text: string): void {
  if (text.length > MAX_TEXT_CHARS) throw new RangeError(`RCCMD text is ${text.length} characters: at most ${MAX_TEXT_CHARS}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) throw new RangeError('RCCMD text may not contain control characters (line breaks, NUL)');
}

export function hmacHex(key: string | Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/** One line, LF-terminated; signed when `key` is given. */
export function encodeKirchhoff(fields: KirchhoffFields, key?: string | Buffer | null): Buffer {
  if (!NAME_PATTERN.test(fields.from)) throw new RangeError(`sender id ${JSON.stringify(fields.from)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
  if (fields.command !== undefined && !NAME_PATTERN.test(fields.command)) throw new RangeError(`command name ${JSON.stringify(fields.command)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
  if (fields.job !== undefined && !NAME_PATTERN.test(fields.job)) throw new RangeError(`job name ${JSON.stringify(fields.job)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
  if (fields.text !== undefined) checkText(fields.text);
  const values: Partial<Record<FieldName, string>> = {
    from: fields.from,
    ts: String(Math.floor(fields.tsMs)),
    nonce: fields.nonce ?? newNonce(),
    re: fields.re,
    job: fields.job,
    cmd: fields.command,
    reason: fields.reason === undefined ? undefined : encodeURIComponent(fields.reason),
    text: fields.text === undefined ? undefined : encodeURIComponent(fields.text),
  };
  let line = `${KIRCHHOFF_MAGIC} ${fields.kind.toUpperCase()}`;
  for (const name of FIELD_ORDER) if (values[name] !== undefined) line += ` ${name}=${values[name]}`;
  if (key) line += ` mac=${hmacHex(key, line)}`;
  const bytes = Buffer.from(line + '\n', 'utf8');
  if (bytes.length > MAX_MESSAGE_BYTES) throw new RangeError(`RCCMD message is ${bytes.length} bytes: at most ${MAX_MESSAGE_BYTES}`);
  return bytes;
}

/** True when the message's mac is present and right for `key` (constant-time compare). */
export function verifyMac(message: KirchhoffMessage, key: string | Buffer): boolean {
  if (!message.mac) return false;
  const expected = Buffer.from(hmacHex(key, message.signed), 'hex');
  return timingSafeEqual(expected, Buffer.from(message.mac, 'hex'));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

function decodeText(value: string): string | null {
  try {
    const text = decodeURIComponent(value);
    checkText(text);
    return text;
  } catch {
    return null;
  }
}

function parseKirchhoff(line: string): ParseResult {
  const parts = line.split(' ');
  if (parts[0] !== KIRCHHOFF_MAGIC) return fail('not an RCCMD message');
  const kind = (parts[1] ?? '').toLowerCase() as KirchhoffKind;
  if (parts[1] !== kind.toUpperCase() || !KIRCHHOFF_KINDS.includes(kind)) return fail(`unknown ${KIRCHHOFF_MAGIC} kind ${JSON.stringify((parts[1] ?? '').slice(0, 20))}`);
  const values = new Map<FieldName, string>();
  let order = -1;
  let signedEnd = line.length;
  let offset = parts[0].length + 1 + parts[1].length;
  for (const part of parts.slice(2)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq) as FieldName;
    const at = FIELD_ORDER.indexOf(name);
    if (eq <= 0 || at < 0) return fail(`unknown field ${JSON.stringify(part.slice(0, 20))}`);
    if (at <= order) return fail(`field ${name} repeated or out of order`);
    order = at;
    if (name === 'mac') signedEnd = offset;
    values.set(name, part.slice(eq + 1));
    offset += 1 + part.length;
  }
  const from = values.get('from');
  const ts = values.get('ts');
  const nonce = values.get('nonce');
  if (!from || !NAME_PATTERN.test(from)) return fail('missing or invalid from');
  if (!ts || !TS_PATTERN.test(ts)) return fail('missing or invalid ts');
  if (!nonce || !NONCE_PATTERN.test(nonce)) return fail('missing or invalid nonce');
  const re = values.get('re');
  if (re !== undefined && !NONCE_PATTERN.test(re)) return fail('invalid re');
  const job = values.get('job');
  if (job !== undefined && !NAME_PATTERN.test(job)) return fail('invalid job');
  const command = values.get('cmd');
  if (command !== undefined && !NAME_PATTERN.test(command)) return fail('invalid cmd');
  if (kind === 'execute' && command === undefined) return fail('execute without cmd');
  if ((kind === 'ack' || kind === 'nak') && re === undefined) return fail(`${kind} without re`);
  const mac = values.get('mac');
  if (mac !== undefined && !MAC_PATTERN.test(mac)) return fail('invalid mac');
  let text: string | undefined;
  if (values.has('text')) {
    const t = decodeText(values.get('text')!);
    if (t === null) return fail('invalid text');
    text = t;
  }
  let reason: string | undefined;
  if (values.has('reason')) {
    const r = decodeText(values.get('reason')!);
    if (r === null) return fail('invalid reason');
    reason = r;
  }
  const message: KirchhoffMessage = {
    format: 'kirchhoff', kind, from, tsMs: Number(ts), nonce,
    ...(re !== undefined ? { re } : {}),
    ...(job !== undefined ? { job } : {}),
    ...(command !== undefined ? { command } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(mac !== undefined ? { mac } : {}),
    signed: line.slice(0, signedEnd),
  };
  return { ok: true, message };
}

function parseLegacy(body: string): ParseResult {
  if (!body.startsWith(LEGACY_MESSAGE_PREFIX)) {
    const command = body.slice(LEGACY_PREFIX.length).split(' ', 1)[0].slice(0, 20);
    return fail(`unsupported RCCMD command ${JSON.stringify(command)} (only MSG_EXECUTE MSG_TEXT is public)`);
  }
  const text = body.slice(LEGACY_MESSAGE_PREFIX.length);
  try {
    checkText(text);
  } catch (error) {
    return fail((error as Error).message);
  }
  return { ok: true, message: { format: 'rccmd', kind: 'message', text, event: legacyEvent(text) } };
}

/**
 * One message from one datagram or one framed stream chunk. A trailing LF/CRLF/NUL is allowed
 * (some senders terminate, the capture does not); anything else unexpected is a reason, not a throw.
 */
export function parseMessage(bytes: Uint8Array): ParseResult {
  if (bytes.length === 0) return fail('empty message');
  if (bytes.length > MAX_MESSAGE_BYTES + 2) return fail(`message of ${bytes.length} bytes: at most ${MAX_MESSAGE_BYTES}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d || buf[end - 1] === 0x00)) end--;
  const body = buf.subarray(0, end);
  // Anything outside printable text is garbage in both forms (checked on bytes, before decoding).
  for (const b of body) if (b < 0x20 || b === 0x7f) return fail('control bytes in message');
  // Existing senders may write Latin-1 (umlauts in UPS names): take UTF-8 when valid, else Latin-1.
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    text = body.toString('latin1');
  }
  if (text.startsWith(LEGACY_PREFIX)) return parseLegacy(text);
  if (text.startsWith(`${KIRCHHOFF_MAGIC} `)) return parseKirchhoff(text);
  return fail('not an RCCMD message');
}
