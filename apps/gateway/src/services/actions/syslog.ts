// Syslog destination: RFC 5424 messages over UDP (RFC 5426), TCP with octet-counting framing
// (RFC 6587 3.4.1) and TLS (RFC 5425), with the alarm as structured data.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, isIPv6, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { hostname as osHostname } from 'node:os';
import { entityId } from '@kirchhoff/core';
import { ActionError, AlarmNotification, Delivery, Notifier } from './notification';

export type SyslogTransport = 'udp' | 'tcp' | 'tls';
export const SYSLOG_TRANSPORTS: readonly SyslogTransport[] = ['udp', 'tcp', 'tls'];
/** IANA ports: 514/udp (RFC 5426), 601/tcp is syslog-conn but receivers listen on 514/tcp in practice, 6514/tcp (RFC 5425). */
export const SYSLOG_DEFAULT_PORTS: Record<SyslogTransport, number> = { udp: 514, tcp: 514, tls: 6514 };

/** RFC 5424 6.2.1 facility codes. */
export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11, ntp: 12,
  audit: 13, alert: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;
export const SYSLOG_FACILITY_NAMES = Object.keys(SYSLOG_FACILITIES) as SyslogFacility[];

/** The SD-ID of the alarm element: this project's documentation enterprise number, as in its MIB. */
export const SD_ID = 'kirchhoff@32473';

export interface SdElement {
  readonly id: string;
  readonly params: readonly (readonly [string, string])[];
}

export interface SyslogFields {
  readonly facility: number;
  /** 0 emergency .. 7 debug. */
  readonly severity: number;
  readonly timestampMs: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: readonly SdElement[];
  readonly message: string;
}

/** RFC 5424 header fields are PRINTUSASCII (33..126) of bounded length, or the NILVALUE `-`. */
function headerField(value: string, max: number): string {
  const s = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s || '-';
}

/** SD-NAME: PRINTUSASCII except `=`, space, `]` and `"`; at most 32. */
function sdName(value: string): string {
  return value.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32) || '_';
}

/** PARAM-VALUE: UTF-8 with `"`, `\` and `]` escaped by a backslash (RFC 5424 6.3.3). */
function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One RFC 5424 SYSLOG-MSG. */
export function formatSyslog(f: SyslogFields): Buffer {
  const pri = f.facility * 8 + f.severity;
  const sd = f.structuredData.length
    ? f.structuredData.map((e) => `[${sdName(e.id)}${e.params.map(([k, v]) => ` ${sdName(k)}="${paramValue(v)}"`).join('')}]`).join('')
    : '-';
  const header = `<${pri}>1 ${new Date(f.timestampMs).toISOString()} ${headerField(f.hostname, 255)} ${headerField(f.appName, 48)} ${headerField(f.procId, 128)} ${headerField(f.msgId, 32)} ${sd}`;
  if (!f.message) return Buffer.from(header, 'utf8');
  // MSG-UTF8 must start with a BOM; a pure-ASCII text is valid MSG-ANY without one.
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(f.message);
  return Buffer.concat([Buffer.from(`${header} `, 'utf8'), ascii ? Buffer.alloc(0) : BOM, Buffer.from(f.message, 'utf8')]);
}

/** RFC 6587 3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`. */
export function octetCounted(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/** Alarm severity to syslog severity; a clear is a notice. */
export function syslogSeverity(n: AlarmNotification): number {
  if (n.event === 'cleared') return 5;
  return n.alarm.severity === 'critical' ? 2 : n.alarm.severity === 'alarm' ? 3 : 4;
}

export interface SyslogTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Name the server certificate must carry; defaults to the host. */
  readonly serverName?: string;
  readonly rejectUnauthorized?: boolean;
}

export interface SyslogOptions {
  readonly name: string;
  readonly transport: SyslogTransport;
  readonly host: string;
  readonly port?: number;
  readonly facility?: SyslogFacility;
  /** HOSTNAME field; defaults to this machine's name. */
  readonly hostname?: string;
  readonly appName?: string;
  readonly tls?: SyslogTls;
  readonly timeoutMs?: number;
}

export class SyslogNotifier implements Notifier {
  readonly type = 'syslog';
  readonly name: string;
  readonly target: string;
  private readonly port: number;
  private udp: UdpSocket | null = null;
  private stream: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private closed = false;

  constructor(private readonly options: SyslogOptions) {
    this.name = options.name;
    this.port = options.port || SYSLOG_DEFAULT_PORTS[options.transport];
    this.target = `${options.transport} ${isIPv6(options.host) ? `[${options.host}]` : options.host}:${this.port}`;
  }

  /** True while a TCP or TLS connection to the receiver is open (for status and tests). */
  get connected(): boolean {
    return !!this.stream && !this.stream.destroyed;
  }

  format(n: AlarmNotification): Buffer {
    const a = n.alarm;
    const o = this.options;
    return formatSyslog({
      facility: SYSLOG_FACILITIES[o.facility ?? 'local0'],
      severity: syslogSeverity(n),
      timestampMs: n.atMs,
      hostname: o.hostname || osHostname(),
      appName: o.appName || 'kirchhoff',
      procId: String(process.pid),
      msgId: `alarm-${n.event}`,
      structuredData: [{
        id: SD_ID,
        params: [
          ['alarmId', String(a.id)], ['kind', a.kind], ['severity', a.severity], ['entity', entityId(a.entity)],
          ['event', n.event], ['repeat', String(n.repeat)], ['rule', n.rule], ['site', n.site.name],
          ...(a.value !== null ? [['value', String(a.value)] as const] : []),
          ...(a.limit !== null ? [['limit', String(a.limit)] as const] : []),
        ],
      }],
      message: `${n.event === 'cleared' ? 'cleared: ' : n.event === 'repeat' ? 'still active: ' : ''}${a.message}`,
    });
  }

  async send(n: AlarmNotification): Promise<Delivery> {
    if (this.closed) throw new ActionError('syslog.closed', 'the syslog destination is closed');
    const message = this.format(n);
    if (this.options.transport === 'udp') {
      await this.sendUdp(message);
      return { detail: `sent ${message.length} bytes`, attempts: 1 };
    }
    const frame = octetCounted(message);
    // A receiver may have closed an idle connection since the last message: one retry on a fresh one.
    try {
      await this.write(frame);
      return { detail: `sent ${frame.length} bytes (octet-counted)`, attempts: 1 };
    } catch {
      this.dropStream();
      try {
        await this.write(frame);
        return { detail: `sent ${frame.length} bytes (octet-counted) on a new connection`, attempts: 2 };
      } catch (error) {
        this.dropStream();
        throw new ActionError('syslog.send', `syslog to ${this.target} failed: ${(error as Error).message}`, 2);
      }
    }
  }

  private sendUdp(message: Buffer): Promise<void> {
    if (!this.udp) {
      this.udp = createSocket(isIPv6(this.options.host) ? 'udp6' : 'udp4');
      this.udp.on('error', () => this.dropUdp());
      this.udp.unref();
    }
    const sock = this.udp;
    return new Promise((resolve, reject) => sock.send(message, this.port, this.options.host, (error) => {
      if (error) reject(new ActionError('syslog.send', `syslog to ${this.target} failed: ${error.message}`));
      else resolve();
    }));
  }

  private async write(frame: Buffer): Promise<void> {
    const socket = await this.connect();
    await new Promise<void>((resolve, reject) => {
      socket.write(frame, (error) => (error ? reject(error) : resolve()));
    });
  }

  private connect(): Promise<Socket> {
    if (this.stream && !this.stream.destroyed) return Promise.resolve(this.stream);
    if (this.connecting) return this.connecting;
    const o = this.options;
    const timeoutMs = o.timeoutMs ?? 5000;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const t = o.tls;
      const socket: Socket = o.transport === 'tls'
        ? tlsConnect({
          host: o.host, port: this.port, minVersion: 'TLSv1.2',
          servername: t?.serverName || (isIP(o.host) ? undefined : o.host),
          ca: t?.ca || undefined, cert: t?.cert || undefined, key: t?.key || undefined,
          rejectUnauthorized: t?.rejectUnauthorized ?? true,
        })
        : tcpConnect({ host: o.host, port: this.port });
      const ready = o.transport === 'tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.setKeepAlive(true, 60_000);
        resolve(socket);
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      // Receivers send nothing back; anything they do send is read and dropped.
      socket.on('data', () => {});
      socket.on('close', () => {
        if (this.stream === socket) this.stream = null;
      });
      socket.unref();
    }).then((s) => {
      this.connecting = null;
      if (this.closed) {
        s.destroy();
        throw new Error('the syslog destination is closed');
      }
      this.stream = s;
      return s;
    }, (error: Error) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  private dropStream(): void {
    this.stream?.destroy();
    this.stream = null;
  }

  private dropUdp(): void {
    this.udp?.close();
    this.udp = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropUdp();
    const s = this.stream;
    this.stream = null;
    // Let queued messages go out, but never wait long on a receiver that stopped reading.
    if (s && !s.destroyed) await new Promise<void>((resolve) => { s.end(resolve); setTimeout(resolve, 1000).unref(); });
    s?.destroy();
  }
}
