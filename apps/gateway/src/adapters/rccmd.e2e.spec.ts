// RCCMD end to end: the demo gateway with an injected power failure sends a shutdown to a
// dry-run `rccmd-listen` listener after the configured delay; mains back in time cancels it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListenerEvent, RccmdListener, RccmdSender, parseTarget } from '@kirchhoff/rccmd';
import { startProcess, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { parseFault } from '../demo/faults';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { startListenerFromFile } from '../commands/rccmd-listen';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'bacnet.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1'];
const KEY = 'e2e-shared-key-0123456789';
const BIN = join(__dirname, '..', '..', 'bin', 'kirchhoff.js');

describe('gateway --demo with an RCCMD shutdown job', () => {
  let dir: string;
  let listener: RccmdListener;
  let events: ListenerEvent[];
  let port: number;
  const listenerLog = memoryLogger();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-rccmd-'));
    const file = join(dir, 'listener.yaml');
    writeFileSync(file, [
      'id: server-1',
      'udp: { host: 127.0.0.1, port: 0 }',
      'tcp: { enabled: false }',
      'senders:',
      `  - { address: 127.0.0.1, id: site-gw, key: ${KEY} }`,
      'actions: { shutdown: systemctl poweroff }',
      'dryRun: true',
    ].join('\n'));
    listener = await startListenerFromFile(file, { logger: listenerLog });
    events = [];
    listener.onEvent((e) => events.push(e));
    port = listener.ports().udp!;
  });
  afterAll(async () => {
    await listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    events.length = 0;
  });

  async function gatewayWith(fault: string, delayS: number): Promise<{ gw: Gateway; logger: ReturnType<typeof memoryLogger>; startedMs: number }> {
    const config = finishConfig(applySets(demoConfig(), [
      ...EPHEMERAL,
      'rccmd.senderId=site-gw',
      `rccmd.hmacKey=${KEY}`,
      `rccmd.jobs=[{name: shutdown-servers, trigger: ups-on-battery, timing: after-delay, seconds: ${delayS}, kind: shutdown, targets: ['127.0.0.1:${port}']}]`,
    ]));
    const logger = memoryLogger();
    const startedMs = Date.now();
    const gw = await startGateway(config, { logger, faults: [parseFault(fault)], cycleMs: 200 });
    return { gw, logger, startedMs };
  }

  it('power failure at 1 s, job delay 2 s: the dry-run listener gets the shutdown about 3 s after start', async () => {
    const { gw, logger, startedMs } = await gatewayWith('ups-on-battery@1', 2);
    try {
      const action = await waitFor(() => events.find((e) => e.type === 'action'), 10_000, 'the shutdown at the listener');
      const afterS = (Date.now() - startedMs) / 1000;
      expect(action).toEqual({ type: 'action', action: 'shutdown', command: 'systemctl poweroff', dryRun: true, senders: ['site-gw'], text: 'Shutdown from Kirchhoff demo site: ups-on-battery' });
      expect(afterS).toBeGreaterThanOrEqual(3);
      expect(events.find((e) => e.type === 'accepted')).toMatchObject({ authenticated: true, transport: 'udp', message: { kind: 'shutdown', from: 'site-gw', job: 'shutdown-servers' } });
      expect(gw.services.find((s) => s.name === 'RCCMD sender')).toEqual({ name: 'RCCMD sender', endpoint: '1 job', state: 'running' });
      await waitFor(() => logger.lines.some((l) => /RCCMD shutdown \(job shutdown-servers\) to udp:\/\/127\.0\.0\.1:\d+: acknowledged/.test(String(l.msg))), 3000, 'the send outcome in the gateway log');
      expect(listenerLog.lines.map((l) => String(l.msg))).toContain('RCCMD DRY RUN: would run shutdown: systemctl poweroff');
    } finally {
      await gw.stop();
    }
  }, 120_000);

  it('mains restored before the delay (fault 1-2 s, delay 3 s): nothing is sent, the job says cancelled', async () => {
    const { gw, logger } = await gatewayWith('ups-on-battery@1-2', 3);
    try {
      await waitFor(() => logger.lines.some((l) => /RCCMD job shutdown-servers: shutdown cancelled \(ups-on-battery cleared before it was due\)/.test(String(l.msg))), 10_000, 'the cancellation');
      // Past the time the shutdown would have gone (1 s + 3 s), with margin.
      await new Promise((r) => setTimeout(r, 3000));
      expect(events).toEqual([]);
    } finally {
      await gw.stop();
    }
  }, 120_000);

  it('warns loudly at start-up about the demo\'s unauthenticated public-form job', async () => {
    const logger = memoryLogger();
    const gw = await startGateway(finishConfig(applySets(demoConfig(), EPHEMERAL)), { logger, cycleMs: 3_600_000 });
    try {
      const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => String(l.msg));
      expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^UNAUTHENTICATED RCCMD messages configured: demo-powerfail \(public RCCMD form\)/)]));
    } finally {
      await gw.stop();
    }
  });

  it('refuses to start a public-form shutdown job, naming the job', async () => {
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, "rccmd.jobs=[{name: bad, trigger: ups-on-battery, kind: shutdown, format: rccmd, targets: ['127.0.0.1']}]"]));
    await expect(startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 })).rejects.toThrow(/RCCMD job "bad": an RCCMD shutdown cannot be sent in the public RCCMD form/);
  });
});

describe('kirchhoff rccmd-listen (the built bin)', () => {
  it('runs the listener a file describes, logs a received message, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-rccmd-'));
    const file = join(dir, 'listener.yaml');
    const { freeUdpPort } = await import('@kirchhoff/test-support');
    const port = await freeUdpPort();
    writeFileSync(file, `udp: { host: 127.0.0.1, port: ${port} }\ntcp: { enabled: false }\nsenders:\n  - { address: 127.0.0.1, id: gw, key: ${KEY} }\nlog: { format: json }\n`);
    const p = startProcess('node', [BIN, 'rccmd-listen', '--config', file, '--dry-run']);
    try {
      await waitFor(() => p.output().includes('RCCMD listener on udp 127.0.0.1'), 10_000, 'the listener to start');
      const [r] = await new RccmdSender({ id: 'gw', hmacKey: KEY }).send({ kind: 'message', format: 'kirchhoff', text: 'hello from the gateway', targets: [parseTarget(`127.0.0.1:${port}`)] });
      expect(r.outcome).toBe('acknowledged');
      await waitFor(() => p.output().includes('RCCMD message from gw: hello from the gateway'), 5000, 'the message in the log');
      expect(p.output()).toContain('DRY RUN');
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(p.child.exitCode).toBe(0);
  });
});
