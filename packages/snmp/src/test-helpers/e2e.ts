// Shared by the e2e tests: a small site with every kind of value, and the net-snmp tools run
// with a private persistent directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Site } from '@kirchhoff/core';
import { run } from '@kirchhoff/test-support';

export const NETSNMP_MIBS = join(require.resolve('net-snmp'), '..', 'lib', 'mibs');
export const OWN_MIBS = join(__dirname, '..', '..', 'mibs');
export const env = { ...process.env, SNMP_PERSISTENT_DIR: mkdtempSync(join(tmpdir(), 'kirchhoff-snmp-')), MIBS: '' };

export const V3 = ['-v3', '-l', 'authPriv', '-u', 'ops', '-a', 'SHA', '-A', 'ops-auth-secret', '-x', 'AES', '-X', 'ops-priv-secret'];
export const V3_SHA256 = ['-v3', '-l', 'authPriv', '-u', 'ops256', '-a', 'SHA-256', '-A', 'ops256-auth-secret', '-x', 'AES', '-X', 'ops256-priv-secret'];

export function buildSite(strings = 2, modules = 4): Site {
  const site = new Site({
    info: { name: 'Test room', location: 'Basement B2', contact: 'ops@example.org' },
    strings: Array.from({ length: strings }, () => ({ modules, moduleType: 'C20' as const, capacityAh: 100 })),
    ups: { ident: { manufacturer: 'Acme', model: 'UPS-9000', name: 'UPS A' } },
    sensors: [{ name: 'Room', kind: 'temperature' }, { name: 'H2', kind: 'hydrogen' }],
    inputs: [{ name: 'Door', alarmSeverity: 'warning' }],
    relays: [{ name: 'Fan', function: 'ventilation' }, { name: 'Beacon', function: 'beacon' }],
  });
  site.update((tx) => {
    for (let g = 1; g <= strings * modules; g++) tx.moduleReadings(g, { voltageV: 13.5 + g / 1000, temperatureC: 24 + g / 10, resistanceOhm: 0.0041 + g / 1e6, socPercent: 98.5 });
    // Health figures as the gateway's health engine writes them (block 1 measured in a capacity test).
    for (let g = 1; g <= strings * modules; g++) {
      tx.module(g, {
        sohPercent: 97 - g / 10, sohMethod: g === 1 ? 'capacity-test' : 'resistance', remainingCapacityAh: 97 - g / 10, capacityFadePercent: 3 + g / 10,
        resistanceIncreasePercent: 2.5 * g, endOfLifeAtMs: Date.UTC(2031, 5, g),
      });
    }
    for (let s = 1; s <= strings; s++) tx.string(s, { dcCurrentA: 0.42 * s, rippleCurrentA: 1.5, differentialPositiveA: 0.01, differentialNegativeA: 0.012, socPercent: 97.3, autonomyMin: 45, chargeMode: 'float', meanSohPercent: 96.5, minSohPercent: 96, remainingCapacityAh: 96, balancingStalled: s === 2 });
    tx.sensor(1, 22.75);
    tx.ups({
      battery: { status: 'normal', estimatedMinutesRemaining: 37, estimatedChargeRemainingPercent: 98, voltageV: 54.3, currentA: -1.2, temperatureC: 23 },
      input: { lineBads: 3, lines: [{ frequencyHz: 50.02, voltageV: 231, currentA: 4.6, truePowerW: 1010 }] },
      output: { source: 'normal', frequencyHz: 49.98, lines: [{ voltageV: 230, currentA: 3.9, powerW: 880, percentLoad: 41 }] },
      bypass: { frequencyHz: 50, lines: [{ voltageV: 229, currentA: 0, powerW: 0 }] },
    });
  });
  return site;
}

export async function snmp(tool: string, args: string[]): Promise<string> {
  const r = await run(tool, ['-On', '-t', '2', '-r', '1', ...args], { env, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `.1.3.6 = INTEGER: 5` lines as [oid, type, value]. */
export function parseLines(out: string): [string, string, string][] {
  // The last line of a walk to the end repeats the last OID with "No more variables left in this MIB View".
  return out.trim().split('\n').filter((l) => l.startsWith('.') && !l.includes('No more variables left')).map((l) => {
    const m = /^(\S+) = (?:([A-Za-z0-9-]+): )?(.*)$/.exec(l)!;
    return [m[1], m[2] ?? '', m[3]];
  });
}

