// The wire forms byte for byte: the public RCCMD capture, this project's line format, its HMAC.
import {
  encodeKirchhoff, encodeLegacyMessage, hmacHex, KirchhoffMessage, LEGACY_MESSAGE_PREFIX, MAX_MESSAGE_BYTES, parseMessage, verifyMac,
} from './codec';
import { LineFramer } from './framing';
import { parseTarget } from './transport';

const CAPTURE_POWERFAIL = 'CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Powerfail on <ups-name>: Autonomietime 125.00 min.';
const CAPTURE_RESTORED = 'CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Powerfail on <ups-name>: restored.';

function parsedOk(bytes: Uint8Array) {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(`expected a message, got: ${r.reason}`);
  return r.message;
}

describe('public RCCMD capture form', () => {
  it('parses the power-fail capture to a powerfail event with the UPS name, autonomy and text', () => {
    expect(parsedOk(Buffer.from(CAPTURE_POWERFAIL, 'ascii'))).toEqual({
      format: 'rccmd', kind: 'message', text: 'Powerfail on <ups-name>: Autonomietime 125.00 min.',
      event: { type: 'powerfail', ups: '<ups-name>', autonomyMin: 125 },
    });
  });

  it('parses the restored capture to a power-restored event and text', () => {
    expect(parsedOk(Buffer.from(CAPTURE_RESTORED, 'ascii'))).toEqual({
      format: 'rccmd', kind: 'message', text: 'Powerfail on <ups-name>: restored.',
      event: { type: 'power-restored', ups: '<ups-name>' },
    });
  });

  it('encodes a text to exactly the captured bytes (no terminator)', () => {
    expect(encodeLegacyMessage('Powerfail on <ups-name>: Autonomietime 125.00 min.').equals(Buffer.from(CAPTURE_POWERFAIL, 'ascii'))).toBe(true);
    expect(encodeLegacyMessage('Powerfail on <ups-name>: restored.').toString('latin1')).toBe(CAPTURE_RESTORED);
  });

  it('accepts a trailing line end, other texts as plain text, and Latin-1 from older senders', () => {
    expect(parsedOk(Buffer.from(CAPTURE_RESTORED + '\r\n'))).toMatchObject({ text: 'Powerfail on <ups-name>: restored.' });
    expect(parsedOk(Buffer.from(`${LEGACY_MESSAGE_PREFIX}Server room hot`))).toMatchObject({ text: 'Server room hot', event: { type: 'text' } });
    expect(parsedOk(Buffer.from(`${LEGACY_MESSAGE_PREFIX}Powerfail on USV Süd: restored.`, 'latin1'))).toMatchObject({ event: { type: 'power-restored', ups: 'USV Süd' } });
  });

  it('refuses commands whose strings are not public, and control bytes', () => {
    expect(parseMessage(Buffer.from('CONNECT TO RCCMD (SEND) SHUTDOWN'))).toEqual({ ok: false, reason: expect.stringContaining('unsupported RCCMD command "SHUTDOWN"') });
    expect(parseMessage(Buffer.from(`${LEGACY_MESSAGE_PREFIX}a\nb`))).toEqual({ ok: false, reason: 'control bytes in message' });
    expect(() => encodeLegacyMessage('two\nlines')).toThrow(/control characters/);
  });
});

describe("this project's format (KRCCMD/1)", () => {
  const key = 'a-shared-secret-of-32-characters';
  const cases: { bytes: string; fields: Parameters<typeof encodeKirchhoff>[0] }[] = [
    { bytes: 'KRCCMD/1 SHUTDOWN from=gw-1 ts=1700000000000 nonce=0123456789abcdef job=on-battery text=UPS%20on%20battery\n', fields: { kind: 'shutdown', from: 'gw-1', tsMs: 1_700_000_000_000, nonce: '0123456789abcdef', job: 'on-battery', text: 'UPS on battery' } },
    { bytes: 'KRCCMD/1 EXECUTE from=gw-1 ts=5 nonce=0123456789abcdef cmd=stop-db\n', fields: { kind: 'execute', from: 'gw-1', tsMs: 5, nonce: '0123456789abcdef', command: 'stop-db' } },
    { bytes: 'KRCCMD/1 ALIVE from=gw.2 ts=7 nonce=fedcba9876543210\n', fields: { kind: 'alive', from: 'gw.2', tsMs: 7, nonce: 'fedcba9876543210' } },
    { bytes: 'KRCCMD/1 NAK from=host ts=9 nonce=fedcba9876543210 re=0123456789abcdef reason=unknown%20command\n', fields: { kind: 'nak', from: 'host', tsMs: 9, nonce: 'fedcba9876543210', re: '0123456789abcdef', reason: 'unknown command' } },
  ];

  it.each(cases)('$bytes', ({ bytes, fields }) => {
    expect(encodeKirchhoff(fields).toString()).toBe(bytes);
    const m = parsedOk(Buffer.from(bytes)) as KirchhoffMessage;
    expect(m).toMatchObject({ format: 'kirchhoff', kind: fields.kind, from: fields.from, tsMs: fields.tsMs, nonce: fields.nonce });
    expect(m.text).toBe(fields.text);
    expect(m.command).toBe(fields.command);
    expect(m.mac).toBeUndefined();
  });

  it('signs with HMAC-SHA256 over the line before " mac=", and any change breaks it', () => {
    const bytes = encodeKirchhoff({ kind: 'shutdown', from: 'gw-1', tsMs: 1000, nonce: '0123456789abcdef' }, key).toString();
    const body = 'KRCCMD/1 SHUTDOWN from=gw-1 ts=1000 nonce=0123456789abcdef';
    expect(bytes).toBe(`${body} mac=${hmacHex(key, body)}\n`);
    const m = parsedOk(Buffer.from(bytes)) as KirchhoffMessage;
    expect(verifyMac(m, key)).toBe(true);
    expect(verifyMac(m, 'another-key-of-enough-length')).toBe(false);
    const tampered = parsedOk(Buffer.from(bytes.replace('ts=1000', 'ts=1001'))) as KirchhoffMessage;
    expect(verifyMac(tampered, key)).toBe(false);
  });

  it('refuses malformed lines with a reason', () => {
    const bad: [string, RegExp][] = [
      ['KRCCMD/1 REBOOT from=a ts=1 nonce=0123456789abcdef', /unknown KRCCMD\/1 kind/],
      ['KRCCMD/1 shutdown from=a ts=1 nonce=0123456789abcdef', /unknown KRCCMD\/1 kind/],
      ['KRCCMD/1 SHUTDOWN ts=1 from=a nonce=0123456789abcdef', /out of order/],
      ['KRCCMD/1 SHUTDOWN from=a ts=1 nonce=0123456789abcdef x=1', /unknown field/],
      ['KRCCMD/1 SHUTDOWN from=a ts=1 nonce=short', /nonce/],
      ['KRCCMD/1 EXECUTE from=a ts=1 nonce=0123456789abcdef', /execute without cmd/],
      ['KRCCMD/1 EXECUTE from=a ts=1 nonce=0123456789abcdef cmd=rm%20-rf', /invalid cmd/],
      ['KRCCMD/1 SHUTDOWN from=a ts=1 nonce=0123456789abcdef text=%E0%A4%A', /invalid text/],
      ['KRCCMD/1 SHUTDOWN from=a ts=1 nonce=0123456789abcdef mac=00', /invalid mac/],
      ['hello', /not an RCCMD message/],
      ['', /empty/],
    ];
    for (const [line, reason] of bad) {
      const r = parseMessage(Buffer.from(line));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
    expect(parseMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 10, 0x41))).toEqual({ ok: false, reason: expect.stringMatching(/at most/) });
  });
});

describe('stream framing', () => {
  it('splits at LF across chunks, and gives the unterminated rest at end of stream', () => {
    const f = new LineFramer();
    expect(f.push(Buffer.from('KRCCMD/1 ALI')).frames).toEqual([]);
    expect(f.push(Buffer.from('VE a\nKRCCMD/1 X\nCONNECT')).frames.map(String)).toEqual(['KRCCMD/1 ALIVE a\n', 'KRCCMD/1 X\n']);
    expect(f.push(Buffer.from(' TO RCCMD')).frames).toEqual([]);
    expect(String(f.end())).toBe('CONNECT TO RCCMD');
    expect(f.end()).toBeNull();
  });

  it('stops at a message longer than the limit without a line end', () => {
    const f = new LineFramer(16);
    expect(f.push(Buffer.from('0123456789\n')).frames).toHaveLength(1);
    expect(f.push(Buffer.alloc(20, 0x41))).toEqual({ frames: [], overflow: true });
    expect(f.push(Buffer.from('ok\n'))).toEqual({ frames: [], overflow: true });
  });
});

describe('targets', () => {
  it('reads host[:port] with the RCCMD port as default', () => {
    expect(parseTarget('10.0.0.5')).toEqual({ host: '10.0.0.5', port: 6003, transport: 'udp' });
    expect(parseTarget('srv-1.example:7003', 'tcp')).toEqual({ host: 'srv-1.example', port: 7003, transport: 'tcp' });
    expect(parseTarget('[fd00::1]:6004', 'tls')).toEqual({ host: 'fd00::1', port: 6004, transport: 'tls' });
    expect(parseTarget('10.0.0.255', 'udp', true)).toEqual({ host: '10.0.0.255', port: 6003, transport: 'udp', broadcast: true });
    expect(() => parseTarget('a b')).toThrow(/not host\[:port\]/);
    expect(() => parseTarget('host:70000')).toThrow(/not host\[:port\]/);
    expect(() => parseTarget('10.0.0.255', 'tcp', true)).toThrow(/broadcast.*udp/);
  });
});
