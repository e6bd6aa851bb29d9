// `--set mqtt.url=...` points the demo at another broker "instead" (README): the embedded broker
// does not start, nothing listens on its port, and the site appears on the named broker (Mosquitto).
import { connect } from 'node:net';
import { describeWithTools, freeTcpPort, run } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'bacnet.port=0', 'http.port=0', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1', 'rccmd.enabled=false', 'nut.port=0'];
const SHARED_BROKER = 'mqtt://127.0.0.1:1883';

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describeWithTools(['mosquitto_sub'], 'gateway --demo --set mqtt.url=...', () => {
  let gw: Gateway;
  let brokerPort: number;
  const siteId = `t-mqtt-url-${process.pid}`;

  beforeAll(async () => {
    brokerPort = await freeTcpPort();
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `mqtt.broker.port=${brokerPort}`, `mqtt.url=${SHARED_BROKER}`, `mqtt.siteId=${siteId}`]));
    gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 });
  }, 120_000);
  afterAll(() => gw?.stop());

  it('does not start the embedded broker and publishes to the broker named', async () => {
    expect(gw.services.find((s) => s.name === 'MQTT broker (embedded)')?.state ?? 'off').toBe('off');
    expect(await refused(brokerPort)).toBe(true);
    expect(gw.services.find((s) => s.name === 'MQTT publisher')).toMatchObject({ state: 'running', endpoint: expect.stringContaining(SHARED_BROKER) });
    const status = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', '1883', '-W', '10', '-C', '1', '-t', `kirchhoff/${siteId}/status`], { timeoutMs: 15_000 });
    expect(status.stdout.trim()).toBe('online');
  }, 120_000);
});
