// The `kirchhoff` command as users run it: the built bin, real signals, real exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as runProcess, startProcess, waitFor } from '@kirchhoff/test-support';
import { run } from './cli';

const BIN = join(__dirname, '..', 'bin', 'kirchhoff.js');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('kirchhoff config check', () => {
  it('prints three clear errors for a wrong type, an unknown key and an out-of-range value, and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, 'strings:\n  - modules: twenty\nmodbus:\n  tcp:\n    port: 70000\nsnmp:\n  comunities: []\n');
    const r = await runProcess('node', [BIN, 'config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}: 3 problems:`,
      '  strings.0.modules (line 2): "twenty" is not valid: expected a whole number from 1 to 512',
      '  modbus.tcp.port (line 5): 70000 is not valid: expected a whole number from 0 to 65535 (out of range)',
      '  snmp.comunities (line 7): unknown key: did you mean snmp.communities? (valid keys in snmp: enabled, writes, host, port, engineId, stateFile, enterpriseNumber, notificationIntervalMs, communities, users, traps)',
    ]);
  });

  it('accepts the shipped example configuration', async () => {
    const c = capture();
    const code = await run(['config', 'check', join(__dirname, '..', 'examples', 'site.yaml')], c.io);
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    expect(c.out[0]).toMatch(/valid: 2 strings, 40 modules; services on: modbus, snmp/);
  });

  it('names a missing file', async () => {
    const c = capture();
    expect(await run(['config', 'check', '/nonexistent/site.yaml'], c.io)).toBe(1);
    expect(c.err[0]).toBe('kirchhoff config check: cannot read configuration /nonexistent/site.yaml: no such file');
  });
});

describe('kirchhoff usage', () => {
  it('explains a usage error with the command usage and exit 2', async () => {
    const c = capture();
    expect(await run(['start', '--demo', '--strings', '17'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^kirchhoff start: --strings 17 is not valid: expected a whole number from 1 to 16\n\nusage:/);
    expect(await run(['start', '--demo', '--fault', 'meteor'], c.io)).toBe(2);
    expect(c.err[1]).toMatch(/--fault kind "meteor" is unknown \(valid: ups-on-battery, thermal-runaway/);
    expect(await run(['frobnicate'], c.io)).toBe(2);
  });

  it('prints its version and help', async () => {
    const r = await runProcess('node', [BIN, '--version']);
    expect(r.stdout.trim()).toMatch(/^kirchhoff \d+\.\d+\.\d+$/);
    const h = await runProcess('node', [BIN, '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/start +run the gateway/);
    expect(h.stdout).toMatch(/config check +validate a configuration/);
  });
});

describe('kirchhoff start --demo', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves the demo, shows values moving and stops cleanly on ${signal}`, async () => {
      const p = startProcess('node', [BIN, 'start', '--demo', '--status-every', '1', '--set', 'log.format=json',
        '--set', 'modbus.tcp.port=0', '--set', 'snmp.port=0', '--set', 'bacnet.port=0', '--set', 'http.port=0', '--set', 'mqtt.broker.port=0', '--set', 'nut.port=0',
        '--fault', 'ups-on-battery@2']);
      try {
        // Start-up took over 20 s on a 2-core machine beside a compiler and busy loops: the limits
        // here only guard against a hang.
        await waitFor(() => p.output().includes('Ctrl-C stops the gateway.'), 60_000, 'the service table');
        expect(p.output()).toMatch(/2 strings, 40 C20 modules \(simulated\)/);
        await waitFor(() => /UPS ON BATTERY/.test(p.output()), 60_000, 'the UPS on battery in the status line');
        expect(p.output()).toMatch(/"msg":"alarm raised: UPS UPS-A on battery/);
        // Values move: two different status lines for string 1 (waited for, not assumed within a time).
        await waitFor(() => new Set(p.output().split('\n').filter((l) => l.startsWith('S01 '))).size > 1, 60_000, 'two different S01 status lines');
        p.child.kill(signal);
        const code = await new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', (c) => r(c))));
        expect(code).toBe(0);
        expect(p.output()).not.toMatch(/\n\s+at /);
        expect(p.output()).toMatch(new RegExp(`"msg":"${signal}: stopping"`));
      } finally {
        await p.stop();
      }
    }, 200_000);
  }
});

describe('kirchhoff output through a pipe', () => {
  it('delivers every byte of a long JSON report before exiting', async () => {
    // 16 strings x 25 hours of report is well over the 64 KiB a pipe takes before it must be drained.
    // A reader that starts late, so the pipe fills and the writer must wait for it.
    const r = await runProcess('sh', ['-c', `node ${BIN} simulate --strings 16 --modules 4 --hours 24 --json | (sleep 1; cat)`], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(65_536);
    const report = JSON.parse(r.stdout);
    expect(report.hours).toHaveLength(25);
  }, 130_000);
});
