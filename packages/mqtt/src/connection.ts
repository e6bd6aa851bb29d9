// One MQTT connection with its own will: reconnects with exponential back-off, drains its
// bounded outbox at a rate limit with a cap on messages in flight, and tells its owner when a
// session starts (to publish births, availability and a full refresh) and ends.
import { connect, IClientOptions, MqttClient } from 'mqtt';
import { Outbox, OutMessage, OutboxStats, RateLimiter } from './outbox';

export interface TlsFiles {
  /** PEM contents (not paths): CA certificates to trust, client certificate and key. */
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Default true; false accepts any server certificate (test setups only). */
  readonly rejectUnauthorized?: boolean;
}

export interface ConnectionSettings {
  /** mqtt://, mqtts://, ws://, wss:// */
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly keepaliveS: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly tls?: TlsFiles;
  readonly maxMessagesPerSecond: number;
  readonly maxInFlight: number;
  readonly bufferLimit: number;
}

export interface Will {
  readonly topic: string;
  readonly payload: string | Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface ConnectionHooks {
  /** The will of the next CONNECT (Sparkplug's NDEATH changes with bdSeq). */
  will(): Will;
  /** Called after every CONNACK, before queued messages drain. */
  onSession(): void;
  onMessage?(topic: string, payload: Buffer): void;
  onLost?(): void;
  log(level: 'info' | 'warn', message: string): void;
}

export interface ConnectionStats extends OutboxStats {
  readonly connected: boolean;
  readonly sessions: number;
  readonly published: number;
}

export class Connection {
  readonly outbox: Outbox;
  private readonly client: MqttClient;
  private readonly limiter: RateLimiter;
  private closing = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private drainScheduled = false;
  private inFlight = 0;
  private generation = 0;
  private lastError = '';
  sessions = 0;
  published = 0;

  constructor(private readonly settings: ConnectionSettings, private readonly hooks: ConnectionHooks) {
    this.outbox = new Outbox(settings.bufferLimit);
    this.limiter = new RateLimiter(settings.maxMessagesPerSecond);
    const options: IClientOptions = {
      clientId: settings.clientId,
      protocolVersion: settings.protocolVersion,
      keepalive: settings.keepaliveS,
      connectTimeout: settings.connectTimeoutMs,
      clean: true,
      // Back-off is ours: mqtt.js only knows a fixed period.
      reconnectPeriod: 0,
      queueQoSZero: false,
      manualConnect: true,
      will: hooks.will(),
      ...(settings.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(settings.tls ? { ...settings.tls, rejectUnauthorized: settings.tls.rejectUnauthorized ?? true } : {}),
    };
    this.client = connect(settings.url, options);
    this.client.on('connect', () => {
      this.attempts = 0;
      this.lastError = '';
      this.sessions++;
      this.hooks.log('info', `connected to ${settings.url} as ${settings.clientId}`);
      this.hooks.onSession();
      this.drain();
    });
    this.client.on('close', () => this.lost());
    this.client.on('error', (e) => {
      // The same failure on every retry is logged once.
      if (e.message !== this.lastError) this.hooks.log('warn', `${settings.url}: ${e.message}`);
      this.lastError = e.message;
    });
    this.client.on('message', (topic, payload) => this.hooks.onMessage?.(topic, payload));
    this.client.connect();
  }

  get connected(): boolean {
    return this.client.connected;
  }

  subscribe(topics: string[]): void {
    if (topics.length) this.client.subscribe(topics, { qos: 1 });
  }

  unsubscribe(topics: string[]): void {
    if (topics.length) this.client.unsubscribe(topics);
  }

  state(m: OutMessage): void {
    this.outbox.putState(m);
    this.drain();
  }

  event(m: OutMessage): void {
    this.outbox.putEvent(m);
    this.drain();
  }

  stats(): ConnectionStats {
    return { ...this.outbox.stats(), connected: this.connected, sessions: this.sessions, published: this.published };
  }

  /** Sends `last` (an offline availability or NDEATH) if connected, then disconnects. */
  async close(last?: OutMessage): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (last && this.client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        this.client.publish(last.topic, last.payload, { qos: last.qos, retain: last.retain }, () => { clearTimeout(t); resolve(); });
      });
    }
    // A connection still being set up would make a clean end wait for the connect timeout.
    const force = !this.client.connected;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => this.client.end(true, {}, () => resolve()), 2000);
      this.client.end(force, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private lost(): void {
    this.generation++;
    this.inFlight = 0;
    if (this.closing) return;
    if (this.sessions > 0 && this.attempts === 0) this.hooks.log('warn', `connection to ${this.settings.url} lost; reconnecting`);
    this.hooks.onLost?.();
    if (this.reconnectTimer) return;
    const delay = reconnectDelayMs(this.attempts, this.settings.reconnectMinMs, this.settings.reconnectMaxMs, Math.random());
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closing) return;
      this.client.options.will = this.hooks.will();
      this.client.reconnect();
    }, delay);
  }

  /** Sends what the rate limit and the in-flight cap allow now; schedules itself for the rest. */
  private drain(): void {
    if (this.drainScheduled || this.closing) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drainNow();
    });
  }

  private drainNow(): void {
    if (this.drainTimer || !this.client.connected) return;
    while (this.outbox.size > 0 && this.inFlight < this.settings.maxInFlight) {
      if (!this.limiter.take()) {
        this.drainTimer = setTimeout(() => {
          this.drainTimer = null;
          this.drainNow();
        }, Math.max(1, this.limiter.waitMs()));
        return;
      }
      const m = this.outbox.shift()!;
      const gen = this.generation;
      this.inFlight++;
      this.client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (error) => {
        if (gen !== this.generation) return;
        this.inFlight--;
        if (!error) this.published++;
        if (this.outbox.size > 0) this.drain();
      });
    }
  }
}

/**
 * The wait before reconnect attempt `attempts` (0 = the first after a loss): doubling from
 * `minMs`, capped at `maxMs`, less up to a quarter of jitter (`random` in 0..1) so a fleet of
 * gateways does not reconnect to a restarted broker all at once. The cap is also the longest a
 * gateway stays away from a broker that is back (issue 19 point 9: 47-55 s after a 60 s outage
 * with the old 60 s cap).
 */
export function reconnectDelayMs(attempts: number, minMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempts, 20));
  return Math.round(base * (0.75 + random * 0.25));
}
