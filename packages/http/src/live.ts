// Server-sent events for live values: one subscription to the site's change feed, value changes
// coalesced per field and sent in batches, each batch serialized once for every client. A client
// whose unsent bytes pass its bound is dropped, so a slow reader never slows the site.
import type { ServerResponse } from 'node:http';
import { entityId, type ChangeEvent, type Site } from '@kirchhoff/core';
import type { HttpLogger } from './options';

export interface LiveOptions {
  readonly batchMs: number;
  /** Unsent bytes a client may have queued before it is dropped. */
  readonly maxQueueBytes: number;
  readonly maxClients: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly keepAliveMs?: number;
}

export interface LiveClient {
  readonly id: number;
  readonly user: string;
  readonly remote: string;
  readonly res: ServerResponse;
}

/** One changed field as the stream sends it; `id` is the entity id every protocol uses. */
export interface LiveChange {
  readonly id: string;
  readonly field: string;
  readonly value: number | string | boolean | null;
  readonly quality: string;
  readonly atMs: number;
}

export class LiveHub {
  private readonly clients = new Map<number, LiveClient>();
  private readonly pending = new Map<string, LiveChange>();
  private pendingVersion = 0;
  private pendingAtMs = 0;
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** Clients dropped for falling behind, since start. */
  dropped = 0;
  /** Batches of value changes sent, since start. */
  batches = 0;

  constructor(
    private readonly site: Site,
    private readonly options: LiveOptions,
    private readonly logger: HttpLogger,
    private readonly snapshotJson: (site: Site) => string = (s) => JSON.stringify(s.snapshot()),
  ) {
    this.unsubscribe = site.subscribe((e) => this.onEvent(e));
    this.keepAlive = setInterval(() => this.broadcast(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Starts a stream on `res`; false when the client limit is reached (the caller answers 503). */
  open(res: ServerResponse, user: string, remote: string, withSnapshot: boolean): boolean {
    if (this.clients.size >= this.options.maxClients) return false;
    const client: LiveClient = { id: this.nextId++, user, remote, res };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    this.clients.set(client.id, client);
    res.on('close', () => this.clients.delete(client.id));
    res.on('error', () => this.clients.delete(client.id));
    // Values queued for the next batch are newer than this snapshot only if they are pending now;
    // sending them out first keeps the snapshot + updates sequence consistent.
    this.flush();
    const version = this.site.snapshot().version;
    const hello = `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ version, batchMs: this.options.batchMs })}\n\n`;
    this.write(client, withSnapshot ? `${hello}event: snapshot\nid: ${version}\ndata: ${this.snapshotJson(this.site)}\n\n` : hello);
    return true;
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.keepAlive);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const c of this.clients.values()) c.res.end();
    this.clients.clear();
  }

  private onEvent(e: ChangeEvent): void {
    if (!this.clients.size) return;
    if (e.type === 'values') {
      for (const c of e.changes) {
        const id = entityId(c.entity);
        this.pending.set(`${id}\u0000${c.field}`, { id, field: c.field, value: c.value, quality: c.quality, atMs: c.atMs });
      }
      this.pendingVersion = e.version;
      this.pendingAtMs = e.atMs;
      if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.batchMs);
      return;
    }
    // Alarms, thresholds and commands go out at once, after the values they follow.
    this.flush();
    if (e.type === 'alarm') this.send('alarm', e.version, { action: e.action, alarm: e.alarm });
    else if (e.type === 'thresholds') this.send('thresholds', e.version, { key: e.key, threshold: e.threshold });
    else this.send('command', e.version, { type: e.command.type, command: e.command, origin: e.origin, outcome: e.outcome, error: e.error ?? null });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.size) return;
    const changes = [...this.pending.values()];
    this.pending.clear();
    this.batches++;
    this.send('values', this.pendingVersion, { version: this.pendingVersion, atMs: this.pendingAtMs, changes });
  }

  private send(event: string, version: number, data: unknown): void {
    this.broadcast(`event: ${event}\nid: ${version}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcast(text: string): void {
    for (const c of this.clients.values()) this.write(c, text);
  }

  private write(c: LiveClient, text: string): void {
    if (c.res.writableLength > this.options.maxQueueBytes) {
      this.dropped++;
      this.clients.delete(c.id);
      this.logger.warn(`live stream of ${c.user} at ${c.remote} dropped: more than ${Math.round(this.options.maxQueueBytes / 1024)} KiB unread (http.live.maxQueueKiB)`);
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }
}
