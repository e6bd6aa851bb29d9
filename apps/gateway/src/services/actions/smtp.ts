// Email destination: a small SMTP client (RFC 5321) over node:net/tls with STARTTLS (RFC 3207)
// or implicit TLS (RFC 8314), AUTH PLAIN/LOGIN, and a plain-text MIME message (RFC 5322/2045).
// Written here rather than taken from nodemailer: alarm mail needs one text part to a fixed
// list, and owning the conversation lets us refuse every plain-text fallback outright.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { hostname as osHostname } from 'node:os';
import { ActionError, AlarmNotification, bodyText, Delivery, Notifier, subjectLine, withRetries } from './notification';

export type SmtpSecurity = 'starttls' | 'tls' | 'none';
export const SMTP_SECURITIES: readonly SmtpSecurity[] = ['starttls', 'tls', 'none'];
export const SMTP_DEFAULT_PORTS: Record<SmtpSecurity, number> = { starttls: 587, tls: 465, none: 25 };

export interface SmtpTls {
  readonly ca?: string;
  readonly serverName?: string;
  readonly rejectUnauthorized?: boolean;
}

export interface SmtpOptions {
  readonly host: string;
  readonly port?: number;
  readonly security: SmtpSecurity;
  readonly username?: string;
  readonly password?: string;
  /** EHLO name; defaults to this machine's name. */
  readonly heloName?: string;
  readonly tls?: SmtpTls;
  readonly timeoutMs?: number;
}

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly dateMs: number;
  /** Extra header lines (ASCII), e.g. X-Kirchhoff-Alarm-Kind. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SmtpReply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** An SMTP error reply or a broken conversation; `transient` for 4xx replies and lost connections. */
export class SmtpError extends ActionError {
  constructor(message: string, readonly transient: boolean, readonly reply?: SmtpReply) {
    super('smtp.failed', message);
  }
}

const MAX_LINE = 4096;
const MAX_REPLY_LINES = 100;

// eslint-disable-next-line no-control-regex
const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

/** RFC 2047 encoded words for a non-ASCII header text, each at most 75 characters. */
export function encodeHeaderText(text: string): string {
  if (isAscii(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** RFC 5322 date-time in UTC. */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/** The message as sent in DATA (before dot-stuffing): CRLF line ends, headers, blank line, body. */
export function composeMessage(m: MailMessage, messageIdDomain: string): string {
  const text = m.text.replace(/\r?\n/g, '\r\n');
  const ascii = isAscii(text);
  const body = ascii ? text : (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  const headers: [string, string][] = [
    ['From', m.from],
    ['To', m.to.join(', ')],
    ['Subject', encodeHeaderText(m.subject.replace(/[\r\n]+/g, ' '))],
    ['Date', rfc5322Date(m.dateMs)],
    ['Message-ID', `<${m.dateMs}.${randomBytes(8).toString('hex')}@${messageIdDomain}>`],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Transfer-Encoding', ascii ? '7bit' : 'base64'],
    ['Auto-Submitted', 'auto-generated'],
    ...Object.entries(m.headers ?? {}),
  ];
  return `${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/** RFC 5321 4.5.2: a line starting with a dot gets one more; the data ends with CRLF.CRLF. */
export function dotStuff(message: string): string {
  const stuffed = message.split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
  return `${stuffed}\r\n.\r\n`;
}

/** One SMTP conversation on one connection: replies read line by line, TLS upgrade in place. */
class SmtpConnection {
  private buffer = '';
  private lines: string[] = [];
  private waiter: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk.toString('latin1'));
  private readonly onError = (error: Error) => this.fail(new SmtpError(`connection to the mail server failed: ${error.message}`, true));
  private readonly onClose = () => this.fail(new SmtpError('the mail server closed the connection', true));

  constructor(private socket: Socket, private readonly timeoutMs: number) {
    this.attach(socket);
  }

  get encrypted(): boolean {
    return this.socket instanceof TLSSocket;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
  }

  private detach(): Socket {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('error', this.onError);
    s.off('close', this.onClose);
    s.setTimeout(0);
    return s;
  }

  private receive(text: string): void {
    this.buffer += text;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, '');
      this.buffer = this.buffer.slice(i + 1);
      this.lines.push(line);
      const m = /^(\d{3})([ -]|$)/.exec(line);
      if (!m) return this.fail(new SmtpError(`the mail server sent a line that is not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`, false));
      if (this.lines.length > MAX_REPLY_LINES) return this.fail(new SmtpError(`the mail server sent a reply of more than ${MAX_REPLY_LINES} lines`, false));
      if (m[2] !== '-') {
        const reply = { code: Number(m[1]), lines: this.lines.map((l) => l.slice(4)) };
        this.lines = [];
        const w = this.waiter;
        this.waiter = null;
        if (w) w.resolve(reply);
        else return this.fail(new SmtpError(`the mail server sent a reply nobody asked for: ${line.slice(0, 80)}`, false));
      }
    }
    if (this.buffer.length > MAX_LINE) this.fail(new SmtpError(`the mail server sent a line longer than ${MAX_LINE} bytes`, false));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiter?.reject(error);
    this.waiter = null;
    this.socket.destroy();
  }

  read(): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /**
   * Sends one command line and reads the reply; a reply outside `expect` throws, naming `what`
   * rather than the line (which may carry credentials).
   */
  async command(line: string, expect: readonly number[], what = line.split(' ')[0]): Promise<SmtpReply> {
    const reply = this.read();
    this.socket.write(`${line}\r\n`);
    return this.check(await reply, expect, what);
  }

  check(reply: SmtpReply, expect: readonly number[], what: string): SmtpReply {
    if (!expect.includes(reply.code)) {
      throw new SmtpError(`${what} answered ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`, reply.code >= 400 && reply.code < 500, reply);
    }
    return reply;
  }

  /** STARTTLS: the same TCP connection carries TLS from here on. */
  async upgrade(options: { host: string; tls?: SmtpTls }): Promise<void> {
    if (this.failure) throw this.failure;
    // Anything the server sent after its 220 would be read as if it came over TLS (CVE-2011-0411).
    if (this.buffer.length || this.lines.length) throw new SmtpError('the mail server sent data after its STARTTLS answer: refusing (possible injection)', false);
    const plain = this.detach();
    const secure = tlsConnect({
      socket: plain, minVersion: 'TLSv1.2',
      servername: options.tls?.serverName || (isIP(options.host) ? undefined : options.host),
      ca: options.tls?.ca || undefined,
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
    });
    await secureReady(secure, this.timeoutMs);
    this.attach(secure);
  }

  write(data: string): void {
    this.socket.write(data, 'utf8');
  }

  close(): void {
    this.detach().destroy();
  }
}

function secureReady(socket: TLSSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => { clearTimeout(timer); socket.removeListener('error', onError); resolve(); });
    const onError = (error: Error) => { clearTimeout(timer); reject(new SmtpError(`TLS with the mail server failed: ${error.message}`, false)); };
    socket.once('error', onError);
  });
}

function open(o: SmtpOptions, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = o.security === 'tls'
      ? tlsConnect({
        host: o.host, port, minVersion: 'TLSv1.2',
        servername: o.tls?.serverName || (isIP(o.host) ? undefined : o.host),
        ca: o.tls?.ca || undefined, rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
      })
      : tcpConnect({ host: o.host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(new SmtpError(`cannot reach the mail server ${o.host}:${port}: ${error.message}`, true));
    };
    socket.once('error', onError);
    socket.once(o.security === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/** EHLO keywords, upper case, with their parameters: `AUTH` -> `PLAIN LOGIN`. */
function extensions(reply: SmtpReply): Map<string, string> {
  return new Map(reply.lines.slice(1).map((l) => {
    const [k, ...rest] = l.trim().split(/\s+/);
    return [k.toUpperCase(), rest.join(' ').toUpperCase()];
  }));
}

function heloName(o: SmtpOptions): string {
  const n = (o.heloName || osHostname()).replace(/[^A-Za-z0-9.-]/g, '');
  return n || '[127.0.0.1]';
}

/** Sends one message; resolves with the server's answer to the end of DATA. */
export async function sendMail(o: SmtpOptions, m: MailMessage): Promise<{ reply: string; accepted: string[]; rejected: string[] }> {
  if (o.username && o.security === 'none') throw new SmtpError('refusing to send the SMTP password unencrypted: use security starttls or tls', false);
  const timeoutMs = o.timeoutMs ?? 15_000;
  const port = o.port || SMTP_DEFAULT_PORTS[o.security];
  const c = new SmtpConnection(await open(o, port, timeoutMs), timeoutMs);
  try {
    c.check(await c.read(), [220], 'the greeting');
    const helo = `EHLO ${heloName(o)}`;
    let ext = extensions(await c.command(helo, [250]));
    if (o.security === 'starttls') {
      if (!ext.has('STARTTLS')) throw new SmtpError(`${o.host}:${port} does not offer STARTTLS: refusing to continue in plain text (use security tls for port 465, or none only on a trusted network)`, false);
      await c.command('STARTTLS', [220]);
      await c.upgrade({ host: o.host, tls: o.tls });
      ext = extensions(await c.command(helo, [250]));
    }
    if (o.username) {
      const mechanisms = (ext.get('AUTH') ?? '').split(' ');
      const user = o.username;
      const pass = o.password ?? '';
      if (mechanisms.includes('PLAIN')) {
        await c.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`, 'utf8').toString('base64')}`, [235], 'AUTH PLAIN');
      } else if (mechanisms.includes('LOGIN')) {
        await c.command('AUTH LOGIN', [334], 'AUTH LOGIN');
        await c.command(Buffer.from(user, 'utf8').toString('base64'), [334], 'AUTH LOGIN (user name)');
        await c.command(Buffer.from(pass, 'utf8').toString('base64'), [235], 'AUTH LOGIN (password)');
      } else {
        throw new SmtpError(`${o.host}:${port} offers no AUTH PLAIN or LOGIN${mechanisms[0] ? ` (offers ${mechanisms.join(' ')})` : ''}`, false);
      }
    }
    await c.command(`MAIL FROM:<${m.from}>`, [250], 'MAIL FROM');
    const accepted: string[] = [];
    const rejected: string[] = [];
    let lastRefusal: SmtpError | null = null;
    for (const to of m.to) {
      try {
        await c.command(`RCPT TO:<${to}>`, [250, 251], `RCPT TO:<${to}>`);
        accepted.push(to);
      } catch (error) {
        if (!(error instanceof SmtpError) || !error.reply) throw error;
        rejected.push(to);
        lastRefusal = error;
      }
    }
    if (!accepted.length) throw lastRefusal ?? new SmtpError('no recipients', false);
    await c.command('DATA', [354]);
    const done = c.read();
    c.write(dotStuff(composeMessage({ ...m, to: m.to }, heloName(o).replace(/^\[.*\]$/, 'localhost'))));
    const reply = c.check(await done, [250], 'the message (end of DATA)');
    // QUIT politely, but the message is already accepted: its answer does not matter.
    await c.command('QUIT', [221]).catch(() => {});
    return { reply: `${reply.code} ${reply.lines.join(' ')}`.slice(0, 200), accepted, rejected };
  } finally {
    c.close();
  }
}

export interface EmailOptions extends SmtpOptions {
  readonly name: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

export class EmailNotifier implements Notifier {
  readonly type = 'email';
  readonly name: string;
  readonly target: string;
  private readonly abort = new AbortController();

  constructor(private readonly options: EmailOptions) {
    this.name = options.name;
    this.target = `smtp${options.security === 'tls' ? 's' : ''} ${options.host}:${options.port || SMTP_DEFAULT_PORTS[options.security]} to ${options.to.join(', ')}`;
  }

  message(n: AlarmNotification): MailMessage {
    return {
      from: this.options.from, to: this.options.to, subject: subjectLine(n), text: bodyText(n), dateMs: n.atMs,
      headers: { 'X-Kirchhoff-Alarm-Id': String(n.alarm.id), 'X-Kirchhoff-Alarm-Kind': n.alarm.kind, 'X-Kirchhoff-Alarm-Severity': n.alarm.severity, 'X-Kirchhoff-Event': n.event },
    };
  }

  async send(n: AlarmNotification): Promise<Delivery> {
    if (this.abort.signal.aborted) throw new ActionError('smtp.closed', 'the email destination is closed');
    const { value, attempts } = await withRetries(() => sendMail(this.options, this.message(n)), {
      retries: this.options.retries ?? 2,
      retryDelayMs: this.options.retryDelayMs ?? 5000,
      retryable: (e) => e instanceof SmtpError && e.transient,
      signal: this.abort.signal,
    });
    return { detail: `${value.reply}${value.rejected.length ? `; refused ${value.rejected.join(', ')}` : ''}`, attempts };
  }

  async close(): Promise<void> {
    this.abort.abort();
  }
}
