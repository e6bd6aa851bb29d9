// The composed gateway as integrators meet it: the demo site, its adapters on ephemeral ports,
// read with the clients users run, compared with the site model.
import { createConnection } from 'node:net';
import { describeWithTools, run, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from './config/load';
import { demoConfig } from './config/demo-config';
import { Gateway, startGateway } from './gateway';
import { memoryLogger } from './log';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'bacnet.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1'];

describeWithTools(['snmpget'], 'gateway --demo: SNMP', () => {
  let gw: Gateway;
  const logger = memoryLogger();
  let port: number;

  beforeAll(async () => {
    const config = finishConfig(applySets(demoConfig(), EPHEMERAL));
    // One source cycle only, so the model holds still while the clients read it.
    gw = await startGateway(config, { logger, cycleMs: 3_600_000 });
    const snmp = gw.services.find((s) => s.name === 'SNMP agent')!;
    expect(snmp.state).toBe('running');
    port = Number(snmp.endpoint.split(':').pop());
  });
  afterAll(() => gw?.stop());

  it('answers v2c public and v3 demo with the model\'s values', async () => {
    const snap = gw.site.snapshot();
    const m = snap.modules[6];
    const moduleRow = `1.3.6.1.4.1.32473.1.1.3.1`;
    const oids = ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.33.1.2.5.0', `${moduleRow}.3.${m.string}.${m.module}`, `${moduleRow}.4.${m.string}.${m.module}`];
    const v2c = await run('snmpget', ['-v2c', '-c', 'public', '-On', '-Oqv', `127.0.0.1:${port}`, ...oids]);
    const v3 = await run('snmpget', ['-v3', '-l', 'authPriv', '-u', 'demo', '-a', 'SHA', '-A', 'kirchhoff-demo-auth', '-x', 'AES', '-X', 'kirchhoff-demo-priv', '-On', '-Oqv', `127.0.0.1:${port}`, ...oids]);
    const expected = [`"${snap.info.name}"`, String(Math.round(snap.ups!.battery.voltageV * 10)), `"${m.label}"`, String(Math.round(m.voltageV.value! * 1000))];
    expect(v2c.stdout.trim().split('\n')).toEqual(expected);
    expect(v3.stdout.trim().split('\n')).toEqual(expected);
  });

  it('warns loudly about the demo\'s default community and published v3 keys', () => {
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => String(l.msg));
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/community "public".*well-known default/),
      expect.stringMatching(/user "demo" uses a default or published auth password/),
    ]));
  });
});

describeWithTools(['mbpoll'], 'gateway --demo: Modbus TCP', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway(finishConfig(applySets(demoConfig(), EPHEMERAL)), { logger: memoryLogger(), cycleMs: 3_600_000 });
  });
  afterAll(() => gw?.stop());

  it('counts the Modbus connection among the adapter clients in /metrics', async () => {
    const clients = gw.deps.adapterClients;
    expect(clients()['modbus-tcp']).toBe(0);
    const port = gw.services.find((s) => s.name === 'Modbus TCP')!.endpoint.split(':').pop()!;
    const socket = createConnection(Number(port), '127.0.0.1');
    try {
      await waitFor(() => clients()['modbus-tcp'] === 1, 5000, 'the connection to be counted');
    } finally {
      socket.destroy();
    }
    await waitFor(() => clients()['modbus-tcp'] === 0, 5000, 'the closed connection to be uncounted');
  });

  it('counts bad frames per adapter and kind in /metrics, with one log line for them all', async () => {
    const port = Number(gw.services.find((s) => s.name === 'Modbus TCP')!.endpoint.split(':').pop());
    // Protocol identifier 0x1234 instead of 0: each of the 5 connections is closed after its frame.
    for (let i = 0; i < 5; i++) {
      const socket = createConnection(port, '127.0.0.1', () => socket.write(Buffer.from('000112340006010300000001', 'hex')));
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.on('close', resolve));
    }
    const http = gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(':').pop();
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`, { headers: { authorization: `Basic ${Buffer.from('viewer:kirchhoff-viewer').toString('base64')}` } })).text();
    expect(text).toMatch(/^kirchhoff_problems_total\{adapter="modbus",kind="framing"\} 5$/m);
    expect(text).toMatch(/^kirchhoff_problem_log_lines_total\{adapter="modbus",kind="framing"\} 1$/m);
  });

  it('serves the model\'s module registers to mbpoll', async () => {
    const tcp = gw.services.find((s) => s.name === 'Modbus TCP')!;
    expect(tcp.state).toBe('running');
    const port = tcp.endpoint.split(':').pop()!;
    const m = gw.site.snapshot().modules[26]; // string 2, module 7
    const first = 10000 + 10 * (m.global - 1);
    const r = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', '4', '-0', '-r', String(first), '-c', '10', '-1', '-q', '-p', port, '127.0.0.1']);
    const values = Object.fromEntries([...r.stdout.matchAll(/\[(\d+)\]:\s+(-?\d+)/g)].map((x) => [Number(x[1]) - first, Number(x[2])]));
    expect([values[0], values[1], values[8], values[9]]).toEqual([Math.round(m.voltageV.value! * 1000), Math.round(m.temperatureC.value! * 10), 2, 7]);
  });
});

describe('gateway with a real configuration', () => {
  it('starts no network service unless the configuration enables it', async () => {
    const config = finishConfig(applySets({ source: 'test', lines: new Map(), data: { strings: [{ modules: 4 }] } }, []));
    const gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 });
    try {
      expect(gw.services.every((s) => s.state === 'off')).toBe(true);
    } finally {
      await gw.stop();
    }
  });

  it('names the key to change when a port is taken', async () => {
    const first = await startGateway(finishConfig(applySets(demoConfig(), EPHEMERAL)), { logger: memoryLogger(), cycleMs: 3_600_000 });
    try {
      const taken = first.services.find((s) => s.name === 'SNMP agent')!.endpoint.split(':').pop();
      const second = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `snmp.port=${taken}`]));
      await expect(startGateway(second, { logger: memoryLogger(), cycleMs: 3_600_000 }))
        .rejects.toThrow(`snmp.port ${taken} is already in use by another program: stop it, or choose another port with --set snmp.port=PORT`);
    } finally {
      await first.stop();
    }
  });
});
