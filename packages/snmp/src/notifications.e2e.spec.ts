// Traps and informs reach snmptrapd (v2c trap, v3 authPriv trap, v3 authPriv inform) on injected
// faults, with the varbinds an NMS needs, decoded by snmptrapd itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALARM_KIND_NAMES } from '@kirchhoff/core';
import { describeWithTools, freeUdpPort, startProcess, waitFor } from '@kirchhoff/test-support';
import { createSnmpAgent, SnmpAgent } from './index';
import { buildSite } from './test-helpers/e2e';

const kindNumber = (k: string) => ALARM_KIND_NAMES.indexOf(k as never) + 1;
const auth = { protocol: 'sha' as const, password: 'trap-auth-secret' };
const priv = { protocol: 'aes' as const, password: 'trap-priv-secret' };

describeWithTools(['snmptrapd'], 'SNMP notifications to snmptrapd', () => {
  let agent: SnmpAgent;
  let trapd: ReturnType<typeof startProcess>;
  const site = buildSite();
  /** snmptrapd lines: `TRAP2, SNMP v2c, community c|varbinds` with tab-separated varbinds. */
  const received = () => trapd.output().split('\n').filter((l) => l.includes('|.1.3.6.1.2.1.1.3.0'));
  const of = (security: RegExp, trapOid: string) => received().filter((l) => security.test(l) && new RegExp(`\\.1\\.3\\.6\\.1\\.6\\.3\\.1\\.1\\.4\\.1\\.0 = OID: ${trapOid.replace(/\./g, '\\.')}(\\t|$)`).test(l));

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
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-trapd-'));
    writeFileSync(join(dir, 'snmptrapd.conf'), [
      'authCommunity log trapcomm',
      // Traps carry the sender's engine id: snmptrapd must know the user under it.
      `createUser -e 0x${agent.engineId} trapuser SHA ${auth.password} AES ${priv.password}`,
      `createUser informuser SHA ${auth.password} AES ${priv.password}`,
      'authUser log trapuser',
      'authUser log informuser',
    ].join('\n'));
    trapd = startProcess('snmptrapd', ['-f', '-Lo', '-On', '-m', '', '-C', '-c', join(dir, 'snmptrapd.conf'), '-F', '%P|%v\n', `udp:127.0.0.1:${trapPort}`], { env: { ...process.env, SNMP_PERSISTENT_DIR: dir } });
    await waitFor(() => trapd.output().includes('NET-SNMP version'), 5000, 'snmptrapd to start');
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
