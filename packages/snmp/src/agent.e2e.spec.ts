// Conformance of the agent with the net-snmp command-line tools users run: snmpget, snmpwalk,
// snmpbulkwalk and snmpset over v2c and v3 authPriv, values checked against the site model.
import { join } from 'node:path';
import { CommandExecutor, CommandInterface, Site } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, run } from '@kirchhoff/test-support';
import { createSnmpAgent, SnmpAgent } from './index';
import { NETSNMP_MIBS, OWN_MIBS, V3, V3_SHA256, buildSite, env, parseLines, snmp } from './test-helpers/e2e';

function oidCompare(a: string, b: string): number {
  const x = a.slice(1).split('.').map(Number);
  const y = b.slice(1).split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

describeWithTools(['snmpget', 'snmpwalk', 'snmpbulkwalk', 'snmpset', 'smilint'], 'SNMP agent with net-snmp tools', () => {
  let site: Site;
  let agent: SnmpAgent;
  let target: string;
  const executed: unknown[] = [];

  beforeAll(async () => {
    site = buildSite();
    const executor: CommandExecutor = {
      async execute(command) {
        executed.push(command);
        if (command.type === 'ups-test') site.update((tx) => tx.ups({ test: { id: command.test, resultsSummary: 'inProgress', startTimeMs: site.now() } }));
        if (command.type === 'set-relay') site.update((tx) => tx.relay(command.relay, command.on));
        if (command.type === 'ups-control') site.update((tx) => tx.ups({ control: command.control }));
        if (command.type === 'ups-settings') {
          const { name, attachedDevices, ...config } = command.settings;
          site.update((tx) => tx.ups({ ident: { name, attachedDevices }, config }));
        }
        return { ok: true, message: 'done' };
      },
    };
    // Relay writes stay off: the test checks that a disabled write answers notWritable.
    const commands = new CommandInterface(site, executor, { snmp: ['ups-test', 'set-threshold', 'ups-control', 'ups-settings'] });
    const port = await freeUdpPort();
    agent = await createSnmpAgent(site, {
      port, address: '127.0.0.1', commands,
      communities: [{ name: 'ro-community' }, { name: 'rw-community', access: 'read-write' }, { name: 'ups-only', view: ['1.3.6.1.2.1.33'] }],
      users: [
        { name: 'ops', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'ops-auth-secret' }, priv: { protocol: 'aes', password: 'ops-priv-secret' }, access: 'read-write' },
        { name: 'ops256', securityLevel: 'authPriv', auth: { protocol: 'sha256', password: 'ops256-auth-secret' }, priv: { protocol: 'aes', password: 'ops256-priv-secret' } },
      ],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    target = `127.0.0.1:${agent.port}`;
  });

  afterAll(() => agent?.close());

  it('answers snmpget v2c with UPS-MIB values scaled as RFC 1628 says', async () => {
    const out = parseLines(await snmp('snmpget', ['-v2c', '-c', 'ro-community', target,
      '1.3.6.1.2.1.33.1.1.1.0', '1.3.6.1.2.1.33.1.2.1.0', '1.3.6.1.2.1.33.1.2.5.0', '1.3.6.1.2.1.33.1.2.6.0',
      '1.3.6.1.2.1.33.1.3.3.1.2.1', '1.3.6.1.2.1.33.1.4.1.0', '1.3.6.1.2.1.33.1.4.4.1.5.1', '1.3.6.1.2.1.33.1.3.1.0']));
    const u = site.snapshot().ups!;
    expect(out.map(([, t, v]) => `${t} ${v}`)).toEqual([
      `STRING "${u.ident.manufacturer}"`,
      'INTEGER 2',
      `INTEGER ${Math.round(u.battery.voltageV * 10)}`,
      `INTEGER ${Math.round(u.battery.currentA * 10)}`,
      `INTEGER ${Math.round(u.input.lines[0].frequencyHz * 10)}`,
      'INTEGER 3',
      `INTEGER ${u.output.lines[0].percentLoad}`,
      `Counter32 ${u.input.lineBads}`,
    ]);
  });

  it('answers snmpget v3 authPriv (SHA-1 and SHA-256) with BMS MIB module values in mV, 0.1 degC and micro-ohms', async () => {
    const m = site.snapshot().modules[6]; // S02-M03
    const base = '1.3.6.1.4.1.32473.1.1.3.1';
    for (const auth of [V3, V3_SHA256]) {
      const out = parseLines(await snmp('snmpget', [...auth, target, `${base}.3.2.3`, `${base}.4.2.3`, `${base}.5.2.3`, `${base}.6.2.3`, `${base}.2.2.3`]));
      expect(out.map(([, , v]) => v)).toEqual([
        `"${m.label}"`, String(Math.round(m.voltageV.value! * 1000)), String(Math.round(m.temperatureC.value! * 10)), String(Math.round(m.resistanceOhm.value! * 1e6)), String(m.global),
      ]);
    }
  });

  it('walks the whole agent to the end in strictly increasing OID order, the same over v2c and v3 bulk', async () => {
    const walk = parseLines(await snmp('snmpwalk', ['-v2c', '-c', 'ro-community', '-Cc', target, '.1']));
    const bulk = parseLines(await snmp('snmpbulkwalk', [...V3, '-Cr25', target, '.1']));
    for (let i = 1; i < walk.length; i++) expect(oidCompare(walk[i - 1][0], walk[i][0])).toBeLessThan(0);
    const snap = site.snapshot();
    // Every module has 19 readable columns, every string 21 (all values set).
    const moduleCells = walk.filter(([o]) => o.startsWith('.1.3.6.1.4.1.32473.1.1.3.1.'));
    expect(moduleCells).toHaveLength(snap.modules.length * 19);
    expect(walk.filter(([o]) => o.startsWith('.1.3.6.1.4.1.32473.1.1.2.1.'))).toHaveLength(snap.strings.length * 21);
    const stable = (rows: [string, string, string][]) => rows.filter(([o]) => !o.startsWith('.1.3.6.1.2.1.1.3.') && !o.startsWith('.1.3.6.1.2.1.11.') && !o.startsWith('.1.3.6.1.6.3.')).map((r) => r.join(' '));
    expect(stable(bulk)).toEqual(stable(walk));
  });

  it('prints names with snmpwalk -m +KIRCHHOFF-BMS-MIB, and smilint -l 4 finds no errors in the MIB', async () => {
    const r = await run('snmpwalk', ['-v2c', '-c', 'ro-community', '-M', `+${NETSNMP_MIBS}:${OWN_MIBS}`, '-m', '+KIRCHHOFF-BMS-MIB', target, '1.3.6.1.4.1.32473.1.1.3.1.3'], { env });
    expect(r.stdout).toContain('KIRCHHOFF-BMS-MIB::bmsModuleLabel.2.3 = STRING: S02-M03');
    const lint = await run('smilint', ['-l', '4', '-s', join(OWN_MIBS, 'KIRCHHOFF-BMS-MIB.txt')], { env: { ...env, SMIPATH: `${NETSNMP_MIBS}:${OWN_MIBS}` } });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  });

  it('limits a community to its view', async () => {
    const out = parseLines(await snmp('snmpget', ['-v2c', '-c', 'ups-only', target, '1.3.6.1.2.1.33.1.2.1.0', '1.3.6.1.4.1.32473.1.1.1.1.0']));
    expect(out[0][2]).toBe('2');
    expect(out[1][2]).toContain('No Such Object');
  });

  it('sets a threshold with snmpset over the read-write community, through the command interface', async () => {
    await snmp('snmpset', ['-v2c', '-c', 'rw-community', target, '1.3.6.1.4.1.32473.1.1.7.1.4.1', 's', '14.2', '1.3.6.1.4.1.32473.1.1.7.1.5.1', 's', '14.6']);
    expect(site.snapshot().thresholds.moduleVoltage).toMatchObject({ warnHigh: 14.2, alarmHigh: 14.6 });
    const back = parseLines(await snmp('snmpget', ['-v2c', '-c', 'ro-community', target, '1.3.6.1.4.1.32473.1.1.7.1.4.1']));
    expect(back[0][2]).toBe('"14.2"');
  });

  it('refuses writes from a read-only community, inconsistent thresholds and disabled writes', async () => {
    const ro = await run('snmpset', ['-On', '-v2c', '-c', 'ro-community', target, '1.3.6.1.4.1.32473.1.1.7.1.4.1', 's', '13.9'], { env });
    expect(ro.stderr).toMatch(/noAccess/);
    const bad = await run('snmpset', ['-On', '-v2c', '-c', 'rw-community', target, '1.3.6.1.4.1.32473.1.1.7.1.4.1', 's', '15.0'], { env });
    expect(bad.stderr).toMatch(/inconsistentValue/);
    const relay = await run('snmpset', ['-On', ...V3, target, '1.3.6.1.4.1.32473.1.1.5.1.4.2.1', 'i', '1'], { env });
    expect(relay.stderr).toMatch(/notWritable/);
    expect(site.snapshot().relays[0].on).toBe(false);
    expect(site.snapshot().thresholds.moduleVoltage.warnHigh).toBe(14.2);
  });

  it('starts a UPS test with snmpset only with the current spin lock (v3 authPriv)', async () => {
    const lock = Number(parseLines(await snmp('snmpget', [...V3, target, '1.3.6.1.2.1.33.1.7.2.0']))[0][2]);
    const stale = await run('snmpset', ['-On', ...V3, target, '1.3.6.1.2.1.33.1.7.2.0', 'i', String(lock + 5), '1.3.6.1.2.1.33.1.7.1.0', 'o', '1.3.6.1.2.1.33.1.7.7.4'], { env });
    expect(stale.stderr).toMatch(/inconsistentValue/);
    expect(executed).toHaveLength(0);
    await snmp('snmpset', [...V3, target, '1.3.6.1.2.1.33.1.7.2.0', 'i', String(lock), '1.3.6.1.2.1.33.1.7.1.0', 'o', '1.3.6.1.2.1.33.1.7.7.4']);
    expect(executed).toEqual([{ type: 'ups-test', test: 'quick' }]);
    const after = parseLines(await snmp('snmpget', [...V3, target, '1.3.6.1.2.1.33.1.7.2.0', '1.3.6.1.2.1.33.1.7.1.0', '1.3.6.1.2.1.33.1.7.3.0']));
    expect(after.map(([, , v]) => v)).toEqual([String(lock + 1), '.1.3.6.1.2.1.33.1.7.7.4', '5']);
  });

  it('writes upsControl, upsConfig and upsIdentName with snmpset through the command interface', async () => {
    const before = executed.length;
    await snmp('snmpset', [...V3, target,
      '1.3.6.1.2.1.33.1.8.1.0', 'i', '2', '1.3.6.1.2.1.33.1.8.2.0', 'i', '120',
      '1.3.6.1.2.1.33.1.9.7.0', 'i', '9', '1.3.6.1.2.1.33.1.9.2.0', 'i', '600', '1.3.6.1.2.1.33.1.1.5.0', 's', 'UPS north']);
    expect(executed.slice(before)).toEqual([
      { type: 'ups-control', control: { shutdownType: 'system' } },
      { type: 'ups-control', control: { shutdownAfterDelayS: 120 } },
      { type: 'ups-settings', settings: { lowBattTimeMin: 9 } },
      { type: 'ups-settings', settings: { inputFrequencyHz: 60 } },
      { type: 'ups-settings', settings: { name: 'UPS north' } },
    ]);
    const u = site.snapshot().ups!;
    expect([u.control.shutdownType, u.control.shutdownAfterDelayS, u.config.lowBattTimeMin, u.config.inputFrequencyHz, u.ident.name]).toEqual(['system', 120, 9, 60, 'UPS north']);
    const read = parseLines(await snmp('snmpget', ['-v2c', '-c', 'ro-community', target, '1.3.6.1.2.1.33.1.8.2.0', '1.3.6.1.2.1.33.1.9.2.0']));
    expect(read.map(([, , v]) => v)).toEqual(['120', '600']);
    const outOfRange = await run('snmpset', ['-On', ...V3, target, '1.3.6.1.2.1.33.1.8.4.0', 'i', '301'], { env });
    expect(outOfRange.stderr).toMatch(/wrongValue/);
    const readOnly = await run('snmpset', ['-On', ...V3, target, '1.3.6.1.2.1.33.1.9.5.0', 'i', '1000'], { env });
    expect(readOnly.stderr).toMatch(/notWritable/);
    const roCommunity = await run('snmpset', ['-On', '-v2c', '-c', 'ro-community', target, '1.3.6.1.2.1.33.1.9.7.0', 'i', '3'], { env });
    expect(roCommunity.stderr).toMatch(/noAccess|notWritable/);
    expect(site.snapshot().ups!.config.lowBattTimeMin).toBe(9);
  });

  it('shows alarms in upsAlarmTable (well-known OIDs) and bmsAlarmTable', async () => {
    site.update((tx) => tx.module(7, { fuse: 'blown' }));
    site.evaluateAlarms();
    const alarm = site.snapshot().alarms.find((a) => a.kind === 'module-fuse-blown')!;
    const ups = parseLines(await snmp('snmpwalk', ['-v2c', '-c', 'ro-community', target, '1.3.6.1.2.1.33.1.6']));
    expect(ups.find(([o]) => o.startsWith('.1.3.6.1.2.1.33.1.6.2.1.2.'))![2]).toBe('.1.3.6.1.2.1.33.1.6.3.17');
    expect(Number(ups.find(([o]) => o.startsWith('.1.3.6.1.2.1.33.1.6.2.1.3.'))![2].match(/\((\d+)\)/)![1])).toBeGreaterThan(0);
    const bms = parseLines(await snmp('snmpwalk', ['-v2c', '-c', 'ro-community', target, '1.3.6.1.4.1.32473.1.1.6']));
    const cell = (col: number) => bms.find(([o]) => o === `.1.3.6.1.4.1.32473.1.1.6.1.${col}.${alarm.id}`)?.[2];
    expect([cell(4), cell(5), cell(6), cell(7)]).toEqual(['"string/2/module/3"', '2', '3', `"${alarm.message}"`]);
    site.update((tx) => tx.module(7, { fuse: 'ok' }));
    site.evaluateAlarms();
  });
});
