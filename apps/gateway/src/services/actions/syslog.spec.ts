// Syslog over real sockets: a UDP, a TCP and a TLS receiver on loopback check the RFC 5424 bytes
// (PRI, version, timestamp, hostname, app-name, structured data) and RFC 6587 octet counting.
import { createSocket } from 'node:dgram';
import { createServer, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import { ActionError } from './notification';
import { formatSyslog, octetCounted, SyslogNotifier } from './syslog';
import { makeTestCerts, TestCerts } from './test-helpers/certs';
import { notification } from './test-helpers/alarm';

const PID = process.pid;
const EXPECTED = `<130>1 2024-01-02T03:04:05.678Z gw1 kirchhoff ${PID} alarm-raised [kirchhoff@32473 alarmId="1" kind="thermal-runaway" severity="critical" entity="string/1" event="raised" repeat="0" rule="runaway" site="Test site" value="42.5" limit="40"] String 1: thermal runaway`;

/** RFC 5424 as a receiver reads it: header fields, structured data, message. */
function parse5424(bytes: Buffer) {
  const text = bytes.toString('utf8');
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\"]|"(?:[^"\\]|\\.)*")*\])+)(?: (.*))?$/s.exec(text);
  if (!m) throw new Error(`not RFC 5424: ${text}`);
  const sd: Record<string, Record<string, string>> = {};
  for (const el of m[8] === '-' ? [] : m[8].match(/\[(?:[^\]\\"]|"(?:[^"\\]|\\.)*")*\]/g)!) {
    const [, id, rest] = /^\[(\S+)(.*)\]$/s.exec(el)!;
    sd[id] = Object.fromEntries([...rest.matchAll(/ ([^=\s]+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v.replace(/\\(["\\\]])/g, '$1')]));
  }
  return { pri: Number(m[1]), version: m[2], timestamp: m[3], hostname: m[4], appName: m[5], procId: m[6], msgId: m[7], sd, msg: m[9] ?? null };
}

/** RFC 6587 3.4.1: `MSG-LEN SP SYSLOG-MSG`, one after another; throws on anything else. */
function octetFrames(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let i = 0;
  while (i < stream.length) {
    const sp = stream.indexOf(0x20, i);
    const len = stream.subarray(i, sp).toString('ascii');
    if (!/^[1-9]\d*$/.test(len)) throw new Error(`bad MSG-LEN ${JSON.stringify(len)} at byte ${i}`);
    const end = sp + 1 + Number(len);
    if (end > stream.length) throw new Error(`frame at byte ${i} needs ${len} bytes, ${stream.length - sp - 1} arrived`);
    frames.push(stream.subarray(sp + 1, end));
    i = end;
  }
  return frames;
}

describe('RFC 5424 formatting', () => {
  it('writes PRI, version, timestamp, hostname, app-name, procid, msgid, structured data and MSG', () => {
    const n = notification();
    const bytes = new SyslogNotifier({ name: 'noc', transport: 'udp', host: '127.0.0.1', hostname: 'gw1' }).format(n);
    expect(bytes.toString('utf8')).toBe(EXPECTED);
    const p = parse5424(bytes);
    expect(p).toMatchObject({ pri: 16 * 8 + 2, version: '1', hostname: 'gw1', appName: 'kirchhoff', msgId: 'alarm-raised', msg: 'String 1: thermal runaway' });
    expect(p.sd['kirchhoff@32473']).toMatchObject({ alarmId: '1', kind: 'thermal-runaway', severity: 'critical', entity: 'string/1' });
  });

  it('maps severities and events to PRI, with the facility chosen', () => {
    const pri = (over: Parameters<typeof notification>[0], cond: Parameters<typeof notification>[1], facility: 'local0' | 'daemon' = 'local0') =>
      parse5424(new SyslogNotifier({ name: 'x', transport: 'udp', host: '127.0.0.1', facility }).format(notification(over, cond))).pri;
    expect(pri({}, { severity: 'warning' })).toBe(16 * 8 + 4);
    expect(pri({}, { severity: 'alarm' })).toBe(16 * 8 + 3);
    expect(pri({ event: 'cleared' }, {})).toBe(16 * 8 + 5);
    expect(pri({}, {}, 'daemon')).toBe(3 * 8 + 2);
  });

  it('escapes ", \\ and ] in parameter values and marks a UTF-8 MSG with a BOM', () => {
    const n = notification({}, { message: 'Température 55 °C' }, { name: 'Site "A" [east] \\ 1' });
    const bytes = new SyslogNotifier({ name: 'noc', transport: 'udp', host: '127.0.0.1', hostname: 'gw 1' }).format(n);
    expect(bytes.toString('utf8')).toContain('site="Site \\"A\\" [east\\] \\\\ 1"');
    const msgStart = bytes.indexOf(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(msgStart).toBeGreaterThan(0);
    expect(bytes.subarray(msgStart + 3).toString('utf8')).toBe('Température 55 °C');
    const p = parse5424(bytes);
    expect(p.sd['kirchhoff@32473'].site).toBe('Site "A" [east] \\ 1');
    // A space is not allowed in HOSTNAME.
    expect(p.hostname).toBe('gw_1');
  });

  it('writes the NILVALUE for empty header fields and no structured data', () => {
    const b = formatSyslog({ facility: 1, severity: 6, timestampMs: 0, hostname: '', appName: '', procId: '', msgId: '', structuredData: [], message: '' });
    expect(b.toString()).toBe('<14>1 1970-01-01T00:00:00.000Z - - - - -');
    expect(octetCounted(b).toString()).toBe(`${b.length} ${b.toString()}`);
  });
});

describe('syslog over UDP', () => {
  it('sends one RFC 5424 message per datagram', async () => {
    const rx = createSocket('udp4');
    const got: Buffer[] = [];
    rx.on('message', (m) => got.push(m));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const s = new SyslogNotifier({ name: 'noc', transport: 'udp', host: '127.0.0.1', port: rx.address().port, hostname: 'gw1' });
    try {
      const d = await s.send(notification());
      await s.send(notification({ event: 'cleared' }));
      await waitFor(() => got.length === 2, 3000, 'two datagrams');
      expect(got[0].toString('utf8')).toBe(EXPECTED);
      expect(d).toEqual({ detail: `sent ${got[0].length} bytes`, attempts: 1 });
      expect(parse5424(got[1])).toMatchObject({ pri: 16 * 8 + 5, msgId: 'alarm-cleared', msg: 'cleared: String 1: thermal runaway' });
      expect(s.target).toBe(`udp 127.0.0.1:${rx.address().port}`);
    } finally {
      await s.close();
      rx.close();
    }
  });
});

/** A stream receiver keeping every connection's bytes. */
async function streamReceiver(make: (onConn: (s: Socket) => void) => Server) {
  const connections: Buffer[][] = [];
  const sockets: Socket[] = [];
  const server = make((sock) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    sockets.push(sock);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    sockets,
    bytes: (i: number) => Buffer.concat(connections[i] ?? []),
    close: () => { sockets.forEach((s) => s.destroy()); return new Promise<void>((r) => server.close(() => r())); },
  };
}

describe('syslog over TCP', () => {
  it('frames messages by octet counting on one connection, with byte (not character) lengths', async () => {
    const rx = await streamReceiver((on) => createServer(on));
    const s = new SyslogNotifier({ name: 'noc', transport: 'tcp', host: '127.0.0.1', port: rx.port, hostname: 'gw1' });
    try {
      await s.send(notification());
      const d = await s.send(notification({ event: 'repeat', repeat: 1 }, { message: 'Temperatur 55 °C' }));
      const frames = await waitFor(() => { const f = octetFrames(rx.bytes(0)); return f.length === 2 ? f : null; }, 3000, 'two frames');
      expect(rx.connections).toHaveLength(1);
      expect(rx.bytes(0).toString('utf8').startsWith(`${Buffer.byteLength(EXPECTED)} <130>1 `)).toBe(true);
      expect(frames[0].toString('utf8')).toBe(EXPECTED);
      const second = parse5424(frames[1]);
      expect(second).toMatchObject({ msgId: 'alarm-repeat', msg: '\ufeffstill active: Temperatur 55 °C' });
      expect(second.sd['kirchhoff@32473']).toMatchObject({ event: 'repeat', repeat: '1' });
      expect(d.detail).toBe(`sent ${frames[1].length + String(frames[1].length).length + 1} bytes (octet-counted)`);
    } finally {
      await s.close();
      await rx.close();
    }
  });

  it('reconnects when the receiver has closed the connection', async () => {
    const rx = await streamReceiver((on) => createServer(on));
    const s = new SyslogNotifier({ name: 'noc', transport: 'tcp', host: '127.0.0.1', port: rx.port, hostname: 'gw1' });
    try {
      await s.send(notification());
      await waitFor(() => octetFrames(rx.bytes(0)).length === 1, 3000, 'first frame');
      rx.sockets[0].destroy();
      // The next message goes once the sender has seen the close (a message racing the close on
      // the wire is lost in any TCP syslog; that is not what this checks).
      await waitFor(() => !s.connected, 5000, 'the sender to see the close');
      await s.send(notification({ event: 'cleared' }));
      const f = await waitFor(() => (rx.connections.length === 2 && octetFrames(rx.bytes(1)).length === 1 ? octetFrames(rx.bytes(1)) : null), 3000, 'frame on a new connection');
      expect(parse5424(f[0]).msgId).toBe('alarm-cleared');
    } finally {
      await s.close();
      await rx.close();
    }
  });

  it('fails with the reason when nothing listens', async () => {
    const rx = await streamReceiver((on) => createServer(on));
    const port = rx.port;
    await rx.close();
    const s = new SyslogNotifier({ name: 'noc', transport: 'tcp', host: '127.0.0.1', port });
    await expect(s.send(notification())).rejects.toMatchObject({ message: expect.stringContaining('ECONNREFUSED'), attempts: 2 });
    await s.close();
  });
});

describeWithTools(['openssl'], 'syslog over TLS (RFC 5425)', () => {
  let certs: TestCerts;
  beforeAll(() => { certs = makeTestCerts(); });
  afterAll(() => certs.cleanup());

  it('sends octet-counted messages over TLS to a server whose certificate the CA signed', async () => {
    let protocol: string | null = null;
    const rx = await streamReceiver((on) => createTlsServer({ ...certs.server }, (sock) => { protocol = sock.getProtocol(); on(sock); }));
    const s = new SyslogNotifier({ name: 'noc', transport: 'tls', host: '127.0.0.1', port: rx.port, hostname: 'gw1', tls: { ca: certs.ca } });
    try {
      await s.send(notification());
      const frames = await waitFor(() => { const f = octetFrames(rx.bytes(0)); return f.length === 1 ? f : null; }, 3000, 'a frame');
      expect(frames[0].toString('utf8')).toBe(EXPECTED);
      expect(protocol).toMatch(/^TLSv1\.[23]$/);
      expect(s.target).toBe(`tls 127.0.0.1:${rx.port}`);
    } finally {
      await s.close();
      await rx.close();
    }
  });

  it('presents a client certificate when the server asks for one', async () => {
    let peer = '';
    const rx = await streamReceiver((on) => createTlsServer({ ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true }, (sock) => { peer = String(sock.getPeerCertificate().subject?.CN); on(sock); }));
    const s = new SyslogNotifier({ name: 'noc', transport: 'tls', host: '127.0.0.1', port: rx.port, tls: { ca: certs.ca, ...certs.client } });
    try {
      await s.send(notification());
      await waitFor(() => octetFrames(rx.bytes(0)).length === 1, 3000, 'a frame');
      expect(peer).toBe('client');
    } finally {
      await s.close();
      await rx.close();
    }
  });

  it('refuses a server certificate no trusted CA signed, and sends nothing', async () => {
    const rx = await streamReceiver((on) => createTlsServer({ ...certs.server }, on));
    const s = new SyslogNotifier({ name: 'noc', transport: 'tls', host: '127.0.0.1', port: rx.port });
    try {
      const error = await s.send(notification()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActionError);
      expect((error as Error).message).toMatch(/certificate/i);
      expect(rx.bytes(0).length).toBe(0);
    } finally {
      await s.close();
      await rx.close();
    }
  });
});
