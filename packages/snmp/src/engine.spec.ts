import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEngine, engineIdFromSeed, SnmpConfigError } from './engine';
import { securityWarnings, validateOptions } from './options';

describe('snmpEngineID and boots', () => {
  it('keeps the engine id in the state file across restarts and increments boots', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kirchhoff-engine-')), 'engine.json');
    const first = resolveEngine({ stateFile: file, seed: 'site' });
    const second = resolveEngine({ stateFile: file, seed: 'site' });
    expect(second.engineId.equals(first.engineId)).toBe(true);
    expect(second.boots).toBe(first.boots + 1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ engineId: first.engineId.toString('hex'), boots: second.boots });
  });

  it('derives a stable RFC 3411 engine id from the configuration without a state file', () => {
    const a = resolveEngine({ seed: 'host:Site:1161', nowMs: Date.UTC(2026, 0, 1) });
    const b = resolveEngine({ seed: 'host:Site:1161', nowMs: Date.UTC(2026, 0, 2) });
    expect(a.engineId.toString('hex')).toBe(engineIdFromSeed('host:Site:1161').toString('hex'));
    expect(a.engineId.equals(b.engineId)).toBe(true);
    expect(a.engineId.subarray(0, 5).toString('hex')).toBe('80007ed905');
    expect(b.boots).toBeGreaterThan(a.boots);
  });

  it('takes an engine id from the options and rejects a malformed one', () => {
    expect(resolveEngine({ engineId: '0x8000000001020304', seed: 'x' }).engineId.toString('hex')).toBe('8000000001020304');
    expect(() => resolveEngine({ engineId: 'zz', seed: 'x' })).toThrow(SnmpConfigError);
  });
});

describe('security options', () => {
  it('warns loudly about default communities, default passwords and noAuthNoPriv users', () => {
    const w = securityWarnings({
      communities: [{ name: 'public' }, { name: 'k8s-7f3a-secret' }],
      users: [
        { name: 'demo', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'kirchhoff-demo-auth' }, priv: { protocol: 'aes', password: 'kirchhoff-demo-priv' } },
        { name: 'guest', securityLevel: 'noAuthNoPriv' },
      ],
    });
    expect(w).toHaveLength(4);
    expect(w[0]).toMatch(/community "public".*well-known default/);
    expect(w.join('\n')).toMatch(/user "demo" uses a default or published auth password/);
    expect(w.join('\n')).toMatch(/user "guest" has no authentication/);
  });

  it('rejects short passwords and users without the keys their level needs', () => {
    expect(() => validateOptions({ users: [{ name: 'u', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'short' } }] })).toThrow(/at least 8 characters/);
    expect(() => validateOptions({ users: [{ name: 'u', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'long-enough' } }] })).toThrow(/priv.protocol/);
    expect(() => validateOptions({ communities: [{ name: 'c', view: ['not an oid'] }] })).toThrow(/numeric OID/);
  });
});
