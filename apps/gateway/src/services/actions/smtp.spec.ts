// The SMTP client against a small SMTP server on loopback: the conversation (EHLO, STARTTLS,
// AUTH, MAIL, RCPT, DATA) as the server received it, and the message it stored.
import { createServer } from 'node:net';
import { describeWithTools } from '@kirchhoff/test-support';
import { composeMessage, dotStuff, EmailNotifier, encodeHeaderText, sendMail } from './smtp';
import { makeTestCerts, TestCerts } from './test-helpers/certs';
import { notification } from './test-helpers/alarm';
import { startSmtpServer, TestSmtpServer } from './test-helpers/smtp-server';

const MESSAGE = { from: 'kirchhoff@site.example', to: ['ops@example.com'], subject: 'Test', text: 'line 1\n.hidden line\n..two dots\nend', dateMs: Date.UTC(2024, 0, 2, 3, 4, 5) };

function headers(data: string): Record<string, string> {
  const head = data.slice(0, data.indexOf('\r\n\r\n')).replace(/\r\n /g, ' ');
  return Object.fromEntries(head.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]));
}
const body = (data: string) => data.slice(data.indexOf('\r\n\r\n') + 4);
/** RFC 2047 B-words back to text. */
const decodeWords = (s: string) => s.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/g, (_, b: string) => Buffer.from(b, 'base64').toString('utf8'));

describe('message composition', () => {
  it('writes RFC 5322 headers, CRLF lines and dot-stuffing', () => {
    const m = composeMessage(MESSAGE, 'gw1.example');
    const h = headers(m);
    expect(h).toMatchObject({ from: 'kirchhoff@site.example', to: 'ops@example.com', subject: 'Test', date: 'Tue, 02 Jan 2024 03:04:05 +0000', 'mime-version': '1.0', 'content-type': 'text/plain; charset=utf-8', 'content-transfer-encoding': '7bit' });
    expect(h['message-id']).toMatch(/^<\d+\.[0-9a-f]{16}@gw1\.example>$/);
    expect(body(m)).toBe('line 1\r\n.hidden line\r\n..two dots\r\nend');
    expect(dotStuff(body(m))).toBe('line 1\r\n..hidden line\r\n...two dots\r\nend\r\n.\r\n');
  });

  it('encodes non-ASCII subjects as RFC 2047 words of at most 75 characters and bodies as base64', () => {
    const subject = '[CRITICAL] Batterieraum Süd: Übertemperatur Block 7 — 55 °C über Grenzwert 45 °C';
    const encoded = encodeHeaderText(subject);
    expect(encoded.split('\r\n ').every((w) => w.length <= 75 && /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/.test(w))).toBe(true);
    expect(decodeWords(encoded)).toBe(subject);
    const m = composeMessage({ ...MESSAGE, subject, text: 'Temperatur 55 °C' }, 'gw');
    expect(headers(m)['content-transfer-encoding']).toBe('base64');
    expect(Buffer.from(body(m), 'base64').toString('utf8')).toBe('Temperatur 55 °C');
  });
});

describe('SMTP without TLS (security none)', () => {
  let server: TestSmtpServer;
  afterEach(() => server.close());

  it('delivers the message through the whole conversation', async () => {
    server = await startSmtpServer({});
    const r = await sendMail({ host: '127.0.0.1', port: server.port, security: 'none', heloName: 'gw1.example' }, { ...MESSAGE, to: ['a@example.com', 'b@example.com'] });
    expect(server.sessions[0].map((l) => l.line)).toEqual(['EHLO gw1.example', 'MAIL FROM:<kirchhoff@site.example>', 'RCPT TO:<a@example.com>', 'RCPT TO:<b@example.com>', 'DATA', '<message>', 'QUIT']);
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]).toMatchObject({ from: 'kirchhoff@site.example', to: ['a@example.com', 'b@example.com'] });
    expect(body(server.messages[0].data)).toBe('line 1\r\n.hidden line\r\n..two dots\r\nend');
    expect(r).toEqual({ reply: '250 2.0.0 Ok: queued as Q1', accepted: ['a@example.com', 'b@example.com'], rejected: [] });
  });

  it('refuses to send a password in plain text', async () => {
    server = await startSmtpServer({ auth: ['PLAIN'], users: { u: 'secret-pw' } });
    await expect(sendMail({ host: '127.0.0.1', port: server.port, security: 'none', username: 'u', password: 'secret-pw' }, MESSAGE)).rejects.toThrow(/unencrypted/);
    expect(server.sessions).toHaveLength(0);
  });

  it('delivers to the recipients the server accepts and reports the refused ones', async () => {
    server = await startSmtpServer({ rejectRecipients: ['gone@example.com'] });
    const n = new EmailNotifier({ name: 'ops', host: '127.0.0.1', port: server.port, security: 'none', from: 'gw@example.com', to: ['gone@example.com', 'ops@example.com'] });
    const d = await n.send(notification());
    expect(server.messages[0].to).toEqual(['ops@example.com']);
    expect(d.detail).toBe('250 2.0.0 Ok: queued as Q1; refused gone@example.com');
  });

  it('retries after a temporary 451 and stops at a permanent refusal', async () => {
    server = await startSmtpServer({ tempFailures: 1 });
    const n = new EmailNotifier({ name: 'ops', host: '127.0.0.1', port: server.port, security: 'none', from: 'gw@example.com', to: ['ops@example.com'], retryDelayMs: 10 });
    expect(await n.send(notification())).toEqual({ detail: '250 2.0.0 Ok: queued as Q1', attempts: 2 });
    expect(server.sessions).toHaveLength(2);
    await server.close();

    server = await startSmtpServer({ rejectRecipients: ['ops@example.com'] });
    const m = new EmailNotifier({ name: 'ops', host: '127.0.0.1', port: server.port, security: 'none', from: 'gw@example.com', to: ['ops@example.com'], retryDelayMs: 10 });
    await expect(m.send(notification())).rejects.toMatchObject({ message: expect.stringContaining('550 5.1.1'), attempts: 1 });
    expect(server.sessions).toHaveLength(1);
  });

  it('gives up on a silent server after its time limit', async () => {
    server = await startSmtpServer({ silentAfterGreeting: true });
    const t0 = Date.now();
    await expect(sendMail({ host: '127.0.0.1', port: server.port, security: 'none', timeoutMs: 300 }, MESSAGE)).rejects.toThrow(/no answer within 300 ms|closed/);
    // It waited its limit; that it gave up at all is the rejection (the server never answers).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('fails cleanly on a server that answers garbage', async () => {
    const garbage = createServer((s) => { s.on('error', () => {}); s.end('HELLO THIS IS NOT SMTP\r\n'); });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    const port = (garbage.address() as { port: number }).port;
    await expect(sendMail({ host: '127.0.0.1', port, security: 'none' }, MESSAGE)).rejects.toThrow(/not an SMTP reply/);
    await new Promise((r) => garbage.close(r));
    server = await startSmtpServer({});
  });

  it.each([
    ['an endless line', 'x'.repeat(10_000), /longer than 4096 bytes/],
    ['an endless multi-line reply', '220-hello\r\n'.repeat(200), /more than 100 lines/],
    ['a reply nobody asked for', '220 hi\r\n250 surprise\r\n', /reply nobody asked for/],
  ])('stops at %s from a hostile server', async (_what, bytes, why) => {
    const hostile = createServer((s) => { s.on('error', () => {}); s.write(bytes); });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const port = (hostile.address() as { port: number }).port;
    try {
      await expect(sendMail({ host: '127.0.0.1', port, security: 'none', timeoutMs: 2000 }, MESSAGE)).rejects.toThrow(why);
    } finally {
      hostile.close();
    }
    server = await startSmtpServer({});
  });
});

describeWithTools(['openssl'], 'SMTP with TLS', () => {
  let certs: TestCerts;
  let server: TestSmtpServer;
  beforeAll(() => { certs = makeTestCerts(); });
  afterAll(() => certs.cleanup());
  afterEach(() => server?.close());

  it('STARTTLS, then EHLO again and AUTH PLAIN over TLS, then the message', async () => {
    server = await startSmtpServer({ identity: certs.server, starttls: true, auth: ['LOGIN', 'PLAIN'], users: { 'gw@site.example': 'pa ss\u00e9' } });
    const n = new EmailNotifier({
      name: 'ops', host: '127.0.0.1', port: server.port, security: 'starttls', username: 'gw@site.example', password: 'pa ss\u00e9',
      from: 'kirchhoff@site.example', to: ['ops@example.com'], heloName: 'gw1.example', tls: { ca: certs.ca },
    });
    const d = await n.send(notification());
    const s = server.sessions[0];
    expect(s.map((l) => [l.line.replace(/^(AUTH PLAIN) .*/, '$1 ...'), l.tls])).toEqual([
      ['EHLO gw1.example', false], ['STARTTLS', false], ['EHLO gw1.example', true], ['AUTH PLAIN ...', true],
      ['MAIL FROM:<kirchhoff@site.example>', true], ['RCPT TO:<ops@example.com>', true], ['DATA', true], ['<message>', true], ['QUIT', true],
    ]);
    expect(Buffer.from(s[3].line.split(' ')[2], 'base64').toString('utf8')).toBe('\0gw@site.example\0pa ss\u00e9');
    const m = server.messages[0];
    expect(m.user).toBe('gw@site.example');
    const h = headers(m.data);
    expect(h.subject).toBe('[CRITICAL] Test site: String 1: thermal runaway');
    expect(h['x-kirchhoff-alarm-kind']).toBe('thermal-runaway');
    expect(h['x-kirchhoff-alarm-severity']).toBe('critical');
    expect(h.date).toBe('Tue, 02 Jan 2024 03:04:05 +0000');
    expect(body(m.data)).toContain('Kind:      thermal-runaway');
    expect(body(m.data)).toContain('Entity:    string/1');
    expect(d).toEqual({ detail: '250 2.0.0 Ok: queued as Q1', attempts: 1 });
  });

  it('AUTH LOGIN when the server offers only LOGIN', async () => {
    server = await startSmtpServer({ identity: certs.server, starttls: true, auth: ['LOGIN'], users: { u1: 'secret-pw' } });
    await sendMail({ host: '127.0.0.1', port: server.port, security: 'starttls', username: 'u1', password: 'secret-pw', tls: { ca: certs.ca } }, MESSAGE);
    const lines = server.sessions[0].filter((l) => l.tls).map((l) => l.line);
    expect(lines.slice(0, 4)).toEqual(['EHLO ' + lines[0].slice(5), 'AUTH LOGIN', Buffer.from('u1').toString('base64'), Buffer.from('secret-pw').toString('base64')]);
    expect(server.messages[0].user).toBe('u1');
  });

  it('implicit TLS (port 465 style) with AUTH LOGIN', async () => {
    server = await startSmtpServer({ identity: certs.server, implicitTls: true, auth: ['LOGIN'], users: { u1: 'secret-pw' } });
    await sendMail({ host: '127.0.0.1', port: server.port, security: 'tls', username: 'u1', password: 'secret-pw', tls: { ca: certs.ca } }, MESSAGE);
    expect(server.sessions[0].every((l) => l.tls)).toBe(true);
    expect(server.messages[0].user).toBe('u1');
  });

  it('never continues in plain text when STARTTLS is not offered: no AUTH, no message', async () => {
    server = await startSmtpServer({ auth: ['PLAIN'], users: { u1: 'secret-pw' } });
    await expect(sendMail({ host: '127.0.0.1', port: server.port, security: 'starttls', username: 'u1', password: 'secret-pw', tls: { ca: certs.ca } }, MESSAGE)).rejects.toThrow(/does not offer STARTTLS/);
    expect(server.sessions[0].map((l) => l.line)).toEqual([expect.stringMatching(/^EHLO /)]);
  });

  it('refuses a server certificate it cannot verify before sending credentials', async () => {
    server = await startSmtpServer({ identity: certs.server, starttls: true, auth: ['PLAIN'], users: { u1: 'secret-pw' } });
    await expect(sendMail({ host: '127.0.0.1', port: server.port, security: 'starttls', username: 'u1', password: 'secret-pw' }, MESSAGE)).rejects.toThrow(/TLS with the mail server failed: .*certificate/i);
    expect(server.sessions[0].map((l) => l.line)).toEqual([expect.stringMatching(/^EHLO /), 'STARTTLS']);
  });

  it('refuses plain-text data injected after the STARTTLS answer', async () => {
    server = await startSmtpServer({ identity: certs.server, starttls: true, injectAfterStarttls: '250 injected\r\n' });
    await expect(sendMail({ host: '127.0.0.1', port: server.port, security: 'starttls', tls: { ca: certs.ca } }, MESSAGE)).rejects.toThrow(/reply nobody asked for|injection/);
    expect(server.messages).toHaveLength(0);
  });

  it('reports wrong credentials without retrying and without the password in the error', async () => {
    server = await startSmtpServer({ identity: certs.server, starttls: true, auth: ['PLAIN'], users: { u1: 'right' } });
    const n = new EmailNotifier({ name: 'ops', host: '127.0.0.1', port: server.port, security: 'starttls', username: 'u1', password: 'wrong-secret', from: 'a@b.example', to: ['c@d.example'], tls: { ca: certs.ca }, retryDelayMs: 10 });
    const error = (await n.send(notification()).then(() => null, (e: unknown) => e)) as Error & { attempts: number };
    expect(error.message).toBe('AUTH PLAIN answered 535 5.7.8 Authentication credentials invalid');
    expect(error.attempts).toBe(1);
    expect(error.message).not.toContain(Buffer.from('\0u1\0wrong-secret').toString('base64'));
  });
});
