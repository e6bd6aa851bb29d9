// Traps and informs reach snmptrapd (v2c trap, v3 authPriv trap, v3 authPriv inform) on injected
// faults, with the varbinds an NMS needs, decoded by snmptrapd itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALARM_KIND_CODES, type AlarmKind } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, startProcess, waitFor } from '@kirchhoff/test-support';
import { createSnmpAgent, SnmpAgent } from './index';
import { buildSite, snmp } from './test-helpers/e2e';

const kindNumber = (k: string) => ALARM_KIND_CODES[k as AlarmKind];
const auth = { protocol: 'sha' as const, password: 'trap-auth-secret' };
const priv = { protocol: 'aes' as const, password: 'trap-priv-secret' };

/** snmptrapd printing `%P|%v` lines (numeric OIDs, no MIBs) for the given configuration lines. */
async function startTrapd(port: number, conf: string[]): Promise<ReturnType<typeof startProcess>> {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-trapd-'));
  writeFileSync(join(dir, 'snmptrapd.conf'), conf.join('\n'));
  const trapd = startProcess('snmptrapd', ['-f', '-Lo', '-On', '-m', '', '-C', '-c', join(dir, 'snmptrapd.conf'), '-F', '%P|%v\n', `udp:127.0.0.1:${port}`], { env: { ...process.env, SNMP_PERSISTENT_DIR: dir } });
  await waitFor(() => trapd.output().includes('NET-SNMP version'), 5000, 'snmptrapd to start');
  return trapd;
}

/** The lines of snmptrapd's output that are notifications, and those of one trap OID. */
const trapLines = (trapd: ReturnType<typeof startProcess>) => trapd.output().split('\n').filter((l) => l.includes('|.1.3.6.1.2.1.1.3.0'));
const trapOidIs = (trapOid: string) => (l: string) => new RegExp(`\\.1\\.3\\.6\\.1\\.6\\.3\\.1\\.1\\.4\\.1\\.0 = OID: ${trapOid.replace(/\./g, '\\.')}(\\t|$)`).test(l);

describeWithTools(['snmptrapd'], 'SNMP notifications to snmptrapd', () => {
  let agent: SnmpAgent;
  let trapd: ReturnType<typeof startProcess>;
  const site = buildSite();
  /** snmptrapd lines: `TRAP2, SNMP v2c, community c|varbinds` with tab-separated varbinds. */
  const of = (security: RegExp, trapOid: string) => trapLines(trapd).filter((l) => security.test(l) && trapOidIs(trapOid)(l));

  beforeAll(async () => {
    const trapPort = await freeUdpPort();
    agent = await createSnmpAgent(site, {
      port: 0, address: '127.0.0.1',
      receivers: [
        { host: '127.0.0.1', port: trapPort, version: '2c', community: 'trapcomm' },
        { host: '127.0.0.1', port: trapPort, version: '3', user: { name: 'trapuser', securityLevel: 'authPriv', auth, priv } },
        { host: '127.0.0.1', port: trapPort, version: '3', type: 'inform', user: { name: 'informuser', securityLevel: 'authPriv', auth, priv } },
      ],
      notificationIntervalMs: 300,
      onBatteryRepeatMs: 1500,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    trapd = await startTrapd(trapPort, [
      'authCommunity log trapcomm',
      // Traps carry the sender's engine id: snmptrapd must know the user under it.
      `createUser -e 0x${agent.engineId} trapuser SHA ${auth.password} AES ${priv.password}`,
      `createUser informuser SHA ${auth.password} AES ${priv.password}`,
      'authUser log trapuser',
      'authUser log informuser',
    ]);
  });

  afterAll(async () => {
    await agent?.close();
    await trapd?.stop();
  });

  it('sends bmsFuseBlown and upsTrapAlarmEntryAdded as v2c trap, v3 trap and v3 inform', async () => {
    site.update((tx) => tx.module(7, { fuse: 'blown' }));
    site.evaluateAlarms();
    const alarm = site.snapshot().alarms.find((a) => a.kind === 'module-fuse-blown')!;
    for (const security of [/SNMP v2c, community trapcomm/, /TRAP2, SNMP v3, user trapuser/, /INFORM, SNMP v3, user informuser/]) {
      const fuse = await waitFor(() => of(security, '.1.3.6.1.4.1.32473.1.0.7')[0], 8000, `bmsFuseBlown (${security})`);
      expect(fuse).toContain(`.1.3.6.1.4.1.32473.1.1.6.1.2.${alarm.id} = INTEGER: ${kindNumber('module-fuse-blown')}`);
      expect(fuse).toContain(`.1.3.6.1.4.1.32473.1.1.6.1.4.${alarm.id} = STRING: "string/2/module/3"`);
      expect(fuse).toContain(`.1.3.6.1.4.1.32473.1.1.6.1.7.${alarm.id} = STRING: "S02-M03 fuse blown"`);
      expect(fuse).toContain('.1.3.6.1.4.1.32473.1.1.3.1.3.2.3 = STRING: "S02-M03"');
      expect(fuse).toContain('.1.3.6.1.4.1.32473.1.1.3.1.12.2.3 = INTEGER: 2');
      const added = await waitFor(() => of(security, '.1.3.6.1.2.1.33.2.3')[0], 8000, `upsTrapAlarmEntryAdded (${security})`);
      expect(added).toMatch(/\.1\.3\.6\.1\.2\.1\.33\.1\.6\.2\.1\.2\.\d+ = OID: \.1\.3\.6\.1\.2\.1\.33\.1\.6\.3\.17/);
    }
    await waitFor(() => agent.notifications.acknowledged >= 2, 8000, 'informs acknowledged');
  });

  it('sends bmsGroundFault with the string currents in mA', async () => {
    site.update((tx) => tx.string(1, { differentialPositiveA: 0.3, differentialNegativeA: 0 }));
    site.evaluateAlarms();
    site.evaluateAlarms(Date.now() + 3000); // past the threshold's 2 s delay
    const alarm = site.snapshot().alarms.find((a) => a.kind === 'string-ground-fault')!;
    expect(alarm).toBeDefined();
    const gf = await waitFor(() => of(/TRAP2, SNMP v3, user trapuser/, '.1.3.6.1.4.1.32473.1.0.8')[0], 8000, 'bmsGroundFault');
    expect(gf).toContain(`.1.3.6.1.4.1.32473.1.1.6.1.2.${alarm.id} = INTEGER: ${kindNumber('string-ground-fault')}`);
    expect(gf).toContain(`.1.3.6.1.4.1.32473.1.1.6.1.3.${alarm.id} = INTEGER: 2`);
    expect(gf).toContain('.1.3.6.1.4.1.32473.1.1.2.1.11.1 = INTEGER: 300');
    expect(gf).toContain('.1.3.6.1.4.1.32473.1.1.2.1.12.1 = INTEGER: 300');
  });

  it('sends upsTrapTestCompleted with the six upsTest objects when a test ends', async () => {
    site.update((tx) => tx.ups({ test: { id: 'quick', resultsSummary: 'inProgress', startTimeMs: Date.now() } }));
    site.update((tx) => tx.ups({ test: { resultsSummary: 'donePass', resultsDetail: 'all blocks fine', elapsedS: 12 } }));
    const done = await waitFor(() => of(/SNMP v2c/, '.1.3.6.1.2.1.33.2.2')[0], 8000, 'upsTrapTestCompleted');
    expect(done).toContain('.1.3.6.1.2.1.33.1.7.1.0 = OID: .1.3.6.1.2.1.33.1.7.7.4');
    expect(done).toContain('.1.3.6.1.2.1.33.1.7.3.0 = INTEGER: 1');
    expect(done).toContain('.1.3.6.1.2.1.33.1.7.4.0 = STRING: "all blocks fine"');
    expect(done).toContain('.1.3.6.1.2.1.33.1.7.6.0 = INTEGER: 1200');
  });

  it('sends upsTrapOnBattery with its three objects and repeats it while on battery', async () => {
    site.update((tx) => tx.ups({ output: { source: 'battery' }, battery: { estimatedMinutesRemaining: 42, secondsOnBattery: 12 } }));
    const traps = await waitFor(() => (of(/SNMP v2c/, '.1.3.6.1.2.1.33.2.1').length >= 2 ? of(/SNMP v2c/, '.1.3.6.1.2.1.33.2.1') : null), 8000, 'two upsTrapOnBattery');
    expect(traps[0]).toContain('.1.3.6.1.2.1.33.1.2.3.0 = INTEGER: 42\t.1.3.6.1.2.1.33.1.2.2.0 = INTEGER: 12\t.1.3.6.1.2.1.33.1.9.7.0 = INTEGER: 5');
    site.update((tx) => tx.ups({ output: { source: 'normal' } }));
  });
});

// Production pacing (notificationIntervalMs default 5000): a burst of module-lost traps must not
// hold back a ground-fault or thermal-runaway trap; each trap says when its alarm was raised; and a
// battery-monitor warning is not an upsAlarmBatteryBad to UPS-MIB managers.
describeWithTools(['snmptrapd', 'snmpwalk'], 'SNMP notification priorities at the production pacing', () => {
  let agent: SnmpAgent;
  let trapd: ReturnType<typeof startProcess>;
  const site = buildSite(2, 8);
  const BMS = '.1.3.6.1.4.1.32473.1';
  const lines = (trapOid: string) => trapLines(trapd).filter(trapOidIs(trapOid));
  /** TimeTicks of one varbind in a snmptrapd line. */
  const ticksOf = (line: string, oid: string) => Number(new RegExp(`${oid.replace(/\./g, '\\.')} = Timeticks: \\((\\d+)\\)`).exec(line)?.[1]);

  beforeAll(async () => {
    const trapPort = await freeUdpPort();
    agent = await createSnmpAgent(site, {
      port: 0, address: '127.0.0.1', communities: [{ name: 'ro-community' }],
      receivers: [{ host: '127.0.0.1', port: trapPort, version: '2c', community: 'trapcomm' }],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    trapd = await startTrapd(trapPort, ['authCommunity log trapcomm']);
  });

  afterAll(async () => {
    await agent?.close();
    await trapd?.stop();
  });

  it('a ground-fault trap and a thermal-runaway trap go out at once behind six module-lost traps', async () => {
    site.update((tx) => {
      for (let g = 1; g <= 6; g++) tx.module(g, { communication: 'lost' });
    });
    site.evaluateAlarms();
    expect(site.snapshot().alarms.filter((a) => a.kind === 'module-lost')).toHaveLength(6);
    // As the threshold evaluation raises it once its 2 s delay has passed (now, on the site's clock).
    site.reconcileAlarms('ground-fault-test', [{
      kind: 'string-ground-fault', severity: 'alarm', entity: { kind: 'string', string: 2 }, message: 'S02 ground-fault current 0.3 A above 0.1 A', value: 0.3, limit: 0.1,
    }]);
    const gfAlarm = site.snapshot().alarms.find((a) => a.kind === 'string-ground-fault')!;
    expect(gfAlarm).toBeDefined();
    site.reconcileAlarms('runaway', [{
      kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'module', string: 2, module: 3, global: 11 },
      message: 'S02 thermal runaway: S02-M03 rising 14.2 K/h', value: 14.2, limit: 5,
    }]);
    const runawayAlarm = site.snapshot().alarms.find((a) => a.kind === 'thermal-runaway')!;
    const gf = await waitFor(() => lines(`${BMS}.0.8`)[0], 3000, 'bmsGroundFault without waiting behind the module-lost traps');
    const runaway = await waitFor(() => lines(`${BMS}.0.5`)[0], 3000, 'bmsThermalRunaway without waiting behind the module-lost traps');
    // Paced at one per 5 s, the module-lost traps after the first wait; these two went at once, so
    // snmptrapd logged both before the second module-lost trap (however late this test reads it).
    const secondLost = await waitFor(() => lines(`${BMS}.0.6`)[1], 12_000, 'the second module-lost trap, 5 s after the first');
    const order = trapLines(trapd);
    for (const line of [gf, runaway]) expect(order.indexOf(line)).toBeLessThan(order.indexOf(secondLost));
    // The runaway trap names the block, not module 0.
    expect(runaway).toContain(`${BMS}.1.6.1.5.${runawayAlarm.id} = INTEGER: 2`);
    expect(runaway).toContain(`${BMS}.1.6.1.6.${runawayAlarm.id} = INTEGER: 3`);
    // Both carry the time their alarm was raised (bmsAlarmRaisedTime), no later than the trap's sysUpTime.
    for (const [line, alarm] of [[gf, gfAlarm], [runaway, runawayAlarm]] as const) {
      const raised = ticksOf(line, `${BMS}.1.6.1.10.${alarm.id}`);
      expect(raised).toBeGreaterThan(0);
      expect(raised).toBeLessThanOrEqual(ticksOf(line, '.1.3.6.1.2.1.1.3.0'));
    }
  });

  it('a module-lost trap that waited in the queue still says when its alarm was raised', async () => {
    const second = await waitFor(() => lines(`${BMS}.0.6`)[1], 12_000, 'the second module-lost trap, 5 s after the first');
    const id = Number(new RegExp(`${BMS.replace(/\./g, '\\.')}\\.1\\.6\\.1\\.2\\.(\\d+) = `).exec(second)![1]);
    const raised = ticksOf(second, `${BMS}.1.6.1.10.${id}`);
    // Sent at least one pacing interval (500 ticks) after the burst began; raised at the burst.
    expect(ticksOf(second, '.1.3.6.1.2.1.1.3.0') - raised).toBeGreaterThanOrEqual(490);
  }, 120_000);

  it('a string-imbalance warning is not upsAlarmBatteryBad; the same at alarm level is', async () => {
    const batteryBadRows = async () => (await snmp('snmpwalk', ['-v2c', '-c', 'ro-community', `127.0.0.1:${agent.port}`, '.1.3.6.1.2.1.33.1.6.2.1.2']))
      .split('\n').filter((l) => l.endsWith('OID: .1.3.6.1.2.1.33.1.6.3.1'));
    const imbalance = (severity: 'warning' | 'alarm') => site.reconcileAlarms('imbalance-test', [{
      kind: 'string-imbalance', severity, entity: { kind: 'string', string: 1 }, message: 'S01 voltage spread 0.09 V above 0.08 V', value: 0.09, limit: 0.08,
    }]);
    imbalance('warning');
    expect(await batteryBadRows()).toEqual([]);
    imbalance('alarm');
    expect(await batteryBadRows()).toHaveLength(1);
  });
});
