// Webhook destination: the alarm as JSON in an HTTP(S) POST, with a time limit per attempt and
// retries (with doubling waits) on 5xx, 408, 429 and network failures.
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ActionError, AlarmNotification, Delivery, Notifier, notificationJson, withRetries } from './notification';

export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Extra headers (values may be secrets: never logged). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly tls?: { readonly ca?: string; readonly rejectUnauthorized?: boolean };
  readonly userAgent?: string;
}

/** An HTTP answer or failure; `retryable` when trying again may help. */
export class WebhookError extends ActionError {
  constructor(message: string, readonly retryable: boolean, readonly status?: number) {
    super('webhook.failed', message);
  }
}

const MAX_ANSWER = 4096;

/** The URL's origin only: paths and queries of webhook URLs often carry the secret (Slack, Teams). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname !== '/' || u.search ? '/…' : ''}`;
}

/** One POST; resolves with the status and the start of the answer. */
export function postJson(o: WebhookOptions, body: string): Promise<{ status: number; answer: string }> {
  const url = new URL(o.url);
  const timeoutMs = o.timeoutMs ?? 5000;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'user-agent': o.userAgent ?? 'kirchhoff-gateway',
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    ...o.headers,
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', headers,
      ...(url.protocol === 'https:' ? { ca: o.tls?.ca || undefined, rejectUnauthorized: o.tls?.rejectUnauthorized ?? true, minVersion: 'TLSv1.2' as const } : {}),
    }, (res: IncomingMessage) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (answer.length < MAX_ANSWER) answer += d; });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, answer: answer.slice(0, MAX_ANSWER) }); });
      res.on('error', (e) => { clearTimeout(timer); reject(new WebhookError(`the answer broke off: ${e.message}`, true)); });
    });
    // One limit for the whole exchange: connect, send, and the complete answer.
    const timer = setTimeout(() => req.destroy(new WebhookError(`no complete answer within ${timeoutMs} ms`, true)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof WebhookError ? e : new WebhookError(e.message, true));
    });
    req.end(body);
  });
}

export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';
  readonly name: string;
  readonly target: string;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
    this.target = redactUrl(options.url);
  }

  async send(n: AlarmNotification): Promise<Delivery> {
    if (this.abort.signal.aborted) throw new ActionError('webhook.closed', 'the webhook destination is closed');
    const body = JSON.stringify(notificationJson(n));
    const { value, attempts } = await withRetries(async () => {
      const r = await postJson(this.options, body);
      if (r.status >= 200 && r.status < 300) return r;
      const retryable = r.status >= 500 || r.status === 408 || r.status === 429;
      const why = r.status >= 300 && r.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
      throw new WebhookError(`HTTP ${r.status}${why}${r.answer ? `: ${r.answer.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`, retryable, r.status);
    }, {
      retries: this.options.retries ?? 2,
      retryDelayMs: this.options.retryDelayMs ?? 1000,
      retryable: (e) => e instanceof WebhookError && e.retryable,
      signal: this.abort.signal,
    });
    return { detail: `HTTP ${value.status}`, attempts };
  }

  async close(): Promise<void> {
    this.abort.abort();
  }
}
