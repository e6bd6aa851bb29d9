import { applySets, finishConfig } from '../src/config/load';
import { demoConfig } from '../src/config/demo-config';
import { startGateway } from '../src/gateway';
import { memoryLogger } from '../src/log';
(async () => {
  const EPHEMERAL = ['modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'snmp.port=0', 'snmp.host=127.0.0.1', 'http.port=0', 'http.host=127.0.0.1', 'mqtt.broker.port=0', 'nut.port=0', 'rccmd.enabled=false', 'bacnet.enabled=false'];
  const gw = await startGateway(finishConfig(applySets(demoConfig(), EPHEMERAL)), { logger: memoryLogger(), cycleMs: 3_600_000 });
  const s = gw.site.snapshot();
  console.log(s.modules.slice(0, 30).map((m) => [m.label, m.sohPercent, m.sohMethod, m.remainingCapacityAh, m.resistanceIncreasePercent, m.endOfLifeAtMs].join(' ')).join('\n'));
  console.log(s.strings.map((x) => [x.label, x.meanSohPercent, x.minSohPercent, x.remainingCapacityAh, x.balancingStalled].join(' ')).join('\n'));
  await gw.stop();
})();
