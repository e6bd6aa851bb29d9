// Authentication alone: parsed messages from addresses, decisions out, no sockets and no commands.
import { createHmac } from 'node:crypto';
import { VirtualClock } from '@kirchhoff/core';
import { parseMessage, RccmdMessage } from '../codec';
import { Authenticator, AuthenticatorOptions } from './auth';
import { SenderTable } from './senders';

const KEY = 'key-of-sender-a-0123456789';
const NOW = 1_700_000_000_000;

/** A KRCCMD/1 line as docs/rccmd.md writes it, signed with node:crypto when `key` is given. */
function message(line: string, key?: string): RccmdMessage {
  const text = key ? `${line} mac=${createHmac('sha256', key).update(line).digest('hex')}\n` : `${line}\n`;
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

function authenticator(o: Partial<AuthenticatorOptions> = {}, clock = new VirtualClock(NOW)) {
  const senders = new SenderTable([
    { address: '192.0.2.0/28', id: 'gw-a', key: KEY },
    { address: '192.0.2.20', id: 'gw-tls' },
  ], clock);
  return new Authenticator({ senders, clock, replayWindowS: 30, allowUnauthenticated: false, acceptRccmdMessages: false, ...o });
}

const shutdown = (nonce = '0123456789abcdef01234567', ts = NOW, from = 'gw-a') => `KRCCMD/1 SHUTDOWN from=${from} ts=${ts} nonce=${nonce}`;

describe('Authenticator', () => {
  it('accepts a message signed with the sender\'s key, from inside its CIDR range', () => {
    expect(authenticator().check(message(shutdown(), KEY), '192.0.2.14', null)).toMatchObject({ ok: true, authenticated: true, entry: { name: 'gw-a' } });
  });

  it.each([
    ['an address outside every range', '192.0.2.16', shutdown(), KEY, 'unknown-sender'],
    ['another sender\'s id from this address', '192.0.2.1', shutdown(undefined, undefined, 'gw-b'), KEY, 'sender-id'],
    ['no mac', '192.0.2.1', shutdown(), undefined, 'unsigned'],
    ['a mac made with another key', '192.0.2.1', shutdown(), 'another-key-0123456789', 'bad-mac'],
    ['a timestamp 31 s old (window 30 s)', '192.0.2.1', shutdown(undefined, NOW - 31_000), KEY, 'timestamp'],
    ['a timestamp 31 s ahead', '192.0.2.1', shutdown(undefined, NOW + 31_000), KEY, 'timestamp'],
  ])('refuses %s', (_name, remote, line, key, kind) => {
    expect(authenticator().check(message(line, key), remote, null)).toMatchObject({ ok: false, kind });
  });

  it('refuses the same nonce twice (replay), accepts a new one', () => {
    const a = authenticator();
    expect(a.check(message(shutdown(), KEY), '192.0.2.1', null).ok).toBe(true);
    expect(a.check(message(shutdown(), KEY), '192.0.2.1', null)).toMatchObject({ ok: false, kind: 'replay' });
    expect(a.check(message(shutdown('0123456789abcdef01234568'), KEY), '192.0.2.1', null).ok).toBe(true);
  });

  it('an unkeyed sender: refused with a NAK to it unless TLS verified its certificate or unauthenticated is allowed', () => {
    const m = message(shutdown(undefined, undefined, 'gw-tls'));
    expect(authenticator().check(m, '192.0.2.20', null)).toMatchObject({ ok: false, kind: 'unauthenticated', nak: { entry: { name: 'gw-tls' }, reason: 'unauthenticated' } });
    expect(authenticator().check(m, '192.0.2.20', true)).toMatchObject({ ok: true, authenticated: true });
    expect(authenticator({ allowUnauthenticated: true }).check(m, '192.0.2.20', null)).toMatchObject({ ok: true, authenticated: false });
  });

  it('the public form only when acceptRccmdMessages is on, and never authenticated', () => {
    const r = parseMessage(Buffer.from('CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Power failure'));
    if (!r.ok) throw new Error(r.reason);
    expect(authenticator().check(r.message, '192.0.2.20', null)).toMatchObject({ ok: false, kind: 'public-form-off' });
    expect(authenticator({ acceptRccmdMessages: true }).check(r.message, '192.0.2.20', null)).toMatchObject({ ok: true, authenticated: false });
  });

  it('refuses an ACK sent to the listener', () => {
    expect(authenticator().check(message(`KRCCMD/1 ACK from=gw-a ts=${NOW} nonce=0123456789abcdef01234567 re=0123456789abcdef01234568`, KEY), '192.0.2.1', null))
      .toMatchObject({ ok: false, kind: 'unexpected-reply' });
  });
});
