// A minimal SMTP server for the email tests (RFC 5321 with STARTTLS, implicit TLS, AUTH PLAIN and
// LOGIN): it keeps every command line as received, whether it came over TLS, and each message.
import { createServer, Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface SmtpServerOptions {
  /** PEM server identity; needed for starttls and implicitTls. */
  identity?: { cert: string; key: string };
  starttls?: boolean;
  implicitTls?: boolean;
  /** AUTH mechanisms offered (after TLS when starttls is on). */
  auth?: ('PLAIN' | 'LOGIN' | 'CRAM-MD5')[];
  users?: Record<string, string>;
  rejectRecipients?: string[];
  /** Answer the end of DATA with 451 this many times first. */
  tempFailures?: number;
  /** Bytes sent right after the 220 to STARTTLS, in the same write (an injection attempt). */
  injectAfterStarttls?: string;
  /** Never answer after the greeting (for timeouts). */
  silentAfterGreeting?: boolean;
}

export interface ReceivedLine { readonly line: string; readonly tls: boolean }
export interface ReceivedMessage { readonly from: string; readonly to: string[]; readonly data: string; readonly user: string | null }
export interface TestSmtpServer {
  readonly port: number;
  readonly sessions: ReceivedLine[][];
  readonly messages: ReceivedMessage[];
  close(): Promise<void>;
}

export async function startSmtpServer(o: SmtpServerOptions): Promise<TestSmtpServer> {
  const sessions: ReceivedLine[][] = [];
  const messages: ReceivedMessage[] = [];
  const sockets = new Set<Socket>();
  let tempFailures = o.tempFailures ?? 0;

  const session = (raw: Socket) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    const lines: ReceivedLine[] = [];
    sessions.push(lines);
    let sock: Socket = raw;
    let tls = false;
    let buffer = '';
    let mode: 'command' | 'data' | 'auth-user' | 'auth-pass' = 'command';
    let user: string | null = null;
    let pendingUser = '';
    let from = '';
    let to: string[] = [];
    const reply = (s: string) => sock.write(`${s}\r\n`);

    const ehlo = () => {
      const ext = ['kirchhoff-test-smtp'];
      if (o.starttls && !tls) ext.push('STARTTLS');
      if (o.auth && (tls || !o.starttls)) ext.push(`AUTH ${o.auth.join(' ')}`);
      ext.push('8BITMIME');
      reply(ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}`).join('\r\n'));
    };

    const handle = (line: string) => {
      lines.push({ line, tls });
      if (o.silentAfterGreeting) return;
      if (mode === 'auth-user') {
        pendingUser = Buffer.from(line, 'base64').toString('utf8');
        mode = 'auth-pass';
        return reply('334 UGFzc3dvcmQ6');
      }
      if (mode === 'auth-pass') {
        mode = 'command';
        const pass = Buffer.from(line, 'base64').toString('utf8');
        if (o.users?.[pendingUser] === pass) { user = pendingUser; return reply('235 2.7.0 Authentication successful'); }
        return reply('535 5.7.8 Authentication credentials invalid');
      }
      const [verb, ...args] = line.split(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO': return ehlo();
        case 'STARTTLS': {
          if (!o.starttls || tls) return reply('502 5.5.1 not offered');
          raw.pause();
          sock.write(`220 2.0.0 Ready to start TLS\r\n${o.injectAfterStarttls ?? ''}`);
          sock.removeAllListeners('data');
          const secure = new TLSSocket(raw, { isServer: true, ...o.identity });
          secure.on('error', () => {});
          secure.on('data', onData);
          sock = secure;
          tls = true;
          buffer = '';
          user = null;
          raw.resume();
          return;
        }
        case 'AUTH': {
          const mech = (args[0] ?? '').toUpperCase();
          if (!o.auth?.includes(mech as 'PLAIN') || (o.starttls && !tls)) return reply('504 5.5.4 mechanism not available');
          if (mech === 'PLAIN') {
            const [, u, p] = Buffer.from(args[1] ?? '', 'base64').toString('utf8').split('\0');
            if (o.users?.[u] === p) { user = u; return reply('235 2.7.0 Authentication successful'); }
            return reply('535 5.7.8 Authentication credentials invalid');
          }
          mode = 'auth-user';
          return reply('334 VXNlcm5hbWU6');
        }
        case 'MAIL': {
          if (o.users && !user) return reply('530 5.7.0 Authentication required');
          from = /<(.*)>/.exec(line)?.[1] ?? '';
          to = [];
          return reply('250 2.1.0 Ok');
        }
        case 'RCPT': {
          const rcpt = /<(.*)>/.exec(line)?.[1] ?? '';
          if (o.rejectRecipients?.includes(rcpt)) return reply(`550 5.1.1 <${rcpt}>: Recipient address rejected`);
          to.push(rcpt);
          return reply('250 2.1.5 Ok');
        }
        case 'DATA':
          if (!to.length) return reply('554 5.5.1 no valid recipients');
          mode = 'data';
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          return sock.end();
        case 'RSET': return reply('250 2.0.0 Ok');
        default: return reply('500 5.5.2 unknown command');
      }
    };

    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      while (true) {
        if (mode === 'data') {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = buffer.slice(0, end).split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
          buffer = buffer.slice(end + 5);
          mode = 'command';
          lines.push({ line: '<message>', tls });
          if (tempFailures > 0) { tempFailures--; reply('451 4.3.0 Try again later'); continue; }
          messages.push({ from, to, data, user });
          reply(`250 2.0.0 Ok: queued as Q${messages.length}`);
          continue;
        }
        const i = buffer.indexOf('\r\n');
        if (i < 0) return;
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        handle(line);
        if (mode === 'command' && lines.at(-1)?.line.toUpperCase() === 'STARTTLS') return;
      }
    };

    if (o.implicitTls) {
      const secure = new TLSSocket(raw, { isServer: true, ...o.identity });
      secure.on('error', () => {});
      sock = secure;
      tls = true;
      secure.on('data', onData);
    } else {
      raw.on('data', onData);
    }
    raw.on('error', () => {});
    reply('220 test.example ESMTP kirchhoff-test');
  };

  const server: Server = createServer(session);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    sessions,
    messages,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
