// Configuration reload: thresholds change while running (audited), everything else is named as
// needing a restart, a broken file is refused and the gateway keeps running.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeEvent } from '@kirchhoff/core';
import { startProcess, waitFor } from '@kirchhoff/test-support';
import { parseConfigText, finishConfig } from './config/load';
import { startGateway } from './gateway';
import { memoryLogger } from './log';
import { changedKeys } from './reload';

const BIN = join(__dirname, '..', 'bin', 'kirchhoff.js');
const BASE = ['strings: [{ modules: 4 }]', 'sensors: [{ name: Room, kind: temperature }]', 'thresholds:', '  moduleVoltage: { warnHigh: 14.1, alarmHigh: 14.4 }'];
const config = (lines: string[]) => finishConfig(parseConfigText(lines.join('\n'), 'site.yaml'));

describe('configuration reload', () => {
  it('applies threshold changes through the command interface and names the rest', async () => {
    const gw = await startGateway(config(BASE), { logger: memoryLogger(), cycleMs: 3_600_000 });
    const audit: ChangeEvent[] = [];
    gw.site.subscribe((e) => e.type === 'command' && audit.push(e));
    try {
      const result = await gw.reload(config([...BASE.slice(0, 3), '  moduleVoltage: { warnHigh: 14.2, alarmHigh: 14.5 }', '  sensors: { 1: { alarmHigh: 35 } }', 'modbus: { tcp: { port: 5021 } }', 'site: { name: Renamed }']));
      expect(result.applied).toEqual(['thresholds.moduleVoltage', 'thresholds.sensors.1']);
      expect(gw.site.snapshot().thresholds.moduleVoltage).toMatchObject({ warnHigh: 14.2, alarmHigh: 14.5 });
      expect(gw.site.snapshot().thresholds.sensors['1']).toMatchObject({ alarmHigh: 35 });
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({ outcome: 'ok', origin: { protocol: 'internal', principal: 'config-reload' } });
      expect(result.needsRestart).toEqual(['site.name', 'modbus.tcp.port']);
      // A limit left out of the file goes back to its default while running too.
      const back = await gw.reload(config([...BASE.slice(0, 3), '  moduleVoltage: { warnHigh: 14.2 }']));
      expect(back.applied).toEqual(['thresholds.moduleVoltage', 'thresholds.sensors.1']);
      expect(gw.site.snapshot().thresholds.moduleVoltage.alarmHigh).toBe(14.4);
      expect(gw.site.snapshot().thresholds.sensors['1']).toMatchObject({ alarmHigh: null, warnHigh: null });
    } finally {
      await gw.stop();
    }
  });

  it('lists changed keys down to the third level', () => {
    expect(changedKeys({ a: { b: { c: 1, d: 2 } }, e: [1] }, { a: { b: { c: 1, d: 3 } }, e: [2] })).toEqual(['a.b.d', 'e']);
    expect(changedKeys({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('reloads on SIGHUP, refuses a broken file and keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-reload-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, BASE.join('\n'));
    const p = startProcess('node', [BIN, 'start', '--config', file, '--set', 'log.format=json', '--status-every', '0']);
    try {
      await waitFor(() => p.output().includes('Ctrl-C stops the gateway.'), 20_000, 'the gateway to start');
      writeFileSync(file, [...BASE.slice(0, 3), '  moduleVoltage: { warnHigh: 14.0, alarmHigh: 14.4 }', 'bus: { pollIntervalMs: 500 }'].join('\n'));
      p.child.kill('SIGHUP');
      await waitFor(() => p.output().includes('reloaded'), 10_000, 'the reload');
      expect(p.output()).toMatch(/"msg":"SIGHUP: .*site.yaml reloaded","applied":\["thresholds.moduleVoltage"\]/);
      expect(p.output()).toMatch(/these changes take effect after a restart: bus.pollIntervalMs/);
      writeFileSync(file, 'strings: [{ modules: many }]');
      p.child.kill('SIGHUP');
      await waitFor(() => p.output().includes('not reloaded'), 10_000, 'the refusal');
      expect(p.output()).toMatch(/not reloaded, the running configuration stays: .*strings.0.modules \(line 1\): \\"many\\" is not valid/);
      expect(p.child.exitCode).toBeNull();
      p.child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', (c) => r(c))));
      expect(code).toBe(0);
    } finally {
      await p.stop();
    }
  }, 120_000);
});
