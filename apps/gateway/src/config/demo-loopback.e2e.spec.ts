// `kirchhoff start --demo` stays on loopback (issue 16.7): every listener binds 127.0.0.1 and the
// BACnet I-Am goes to 127.0.0.1, not to 255.255.255.255 where a real building's devices would
// hear device 260001. Checked on the configuration, and on the wire: the demo runs in a private
// network namespace whose loopback also carries a site address (10.99.0.1), with tshark capturing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run } from '@kirchhoff/test-support';
import { demoConfig, DEMO_PORTS } from './demo-config';
import { finishConfig } from './load';
import { configListeners } from './start-checks';

const BIN = join(__dirname, '..', '..', 'bin', 'kirchhoff.js');

describe('the demo configuration', () => {
  it('binds every listener to 127.0.0.1 and announces BACnet on loopback, at any size', () => {
    for (const size of [{}, { strings: 16, modules: 32 }]) {
      const c = finishConfig(demoConfig(size));
      const ls = configListeners(c);
      expect(ls.map((l) => l.key).sort()).toEqual(['bacnet.port', 'http.port', 'modbus.tcp.port', 'mqtt.broker.port', 'nut.port', 'snmp.port']);
      expect(ls.filter((l) => l.host !== '127.0.0.1')).toEqual([]);
      expect(c.bacnet.broadcastAddress).toBe('127.0.0.1');
    }
  });
});

// The script runs inside `unshare -n`: nothing it does can reach another machine.
const SCRIPT = `
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const dgram = require('node:dgram');
const [bin, dir] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
execFileSync('ip', ['addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
const pcap = dir + '/demo.pcap';
const shark = spawn('tshark', ['-q', '-i', 'lo', '-w', pcap, '-f', 'udp or tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
let sharkErr = '';
shark.stderr.on('data', (d) => (sharkErr += d));
const connect = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port });
  s.once('connect', () => { s.destroy(); resolve('open'); });
  s.once('error', (e) => resolve(e.code));
});
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  for (let i = 0; i < 200 && !/Capturing on/.test(sharkErr); i++) await wait(50);
  // "Capturing on" comes before the filter sees packets: probe until one is in the file (issue 16.13).
  const seen = (filter) => { try { return execFileSync('tshark', ['-r', pcap, '-Y', filter], { encoding: 'utf8' }).trim() !== ''; } catch { return false; } };
  const probe = dgram.createSocket('udp4');
  for (let i = 0; i < 600 && !seen('udp.dstport == 9'); i++) { probe.send('probe', 9, '127.0.0.1'); await wait(100); }
  probe.close();
  const gw = spawn(process.execPath, [bin, 'start', '--demo', '--status-every', '0', '--set', 'history.path=' + dir + '/h.db', '--set', 'log.format=json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gw.stdout.on('data', (d) => (out += d));
  gw.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 1200 && !out.includes('Ctrl-C stops the gateway.'); i++) await wait(50);
  const result = { ready: out.includes('Ctrl-C stops the gateway.'), loopback: {}, site: {} };
  for (const [name, port] of Object.entries(${JSON.stringify({ modbus: DEMO_PORTS.modbus, http: DEMO_PORTS.http, mqtt: DEMO_PORTS.mqttBroker, nut: DEMO_PORTS.nut })})) {
    result.loopback[name] = await connect('127.0.0.1', port);
    result.site[name] = await connect('10.99.0.1', port);
  }
  // The I-Am at start-up: waited for in the file, not for a fixed time.
  for (let i = 0; i < 600 && !seen('udp.port == ${DEMO_PORTS.bacnet}'); i++) await wait(100);
  await wait(1500); // and whatever else it would send soon after (a pause that only bounds how long we look)
  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));
  shark.kill('SIGINT');
  await new Promise((r) => shark.once('exit', r));
  result.bacnetDestinations = execFileSync('tshark', ['-r', pcap, '-Y', 'udp.port == ${DEMO_PORTS.bacnet}', '-T', 'fields', '-e', 'ip.dst'], { encoding: 'utf8' }).split('\\n').filter(Boolean);
  result.bacnetPackets = result.bacnetDestinations.length;
  // What the demo sent on its own (UDP: I-Am, syslog, RCCMD); the TCP to 10.99.0.1 is this probe's.
  result.otherDestinations = execFileSync('tshark', ['-r', pcap, '-Y', 'udp', '-T', 'fields', '-e', 'ip.dst'], { encoding: 'utf8' }).split('\\n').filter((d) => d && d !== '127.0.0.1');
  if (!result.ready) result.output = out.slice(-2000);
  console.log(JSON.stringify(result));
})();
`;

describeWithTools(['unshare', 'ip', 'tshark'], 'the demo on the wire (private network namespace)', () => {
  it('answers on 127.0.0.1, not on the site address, and sends its BACnet I-Am only to 127.0.0.1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-demo-netns-'));
    try {
      writeFileSync(join(dir, 'probe.js'), SCRIPT);
      // Generous: on a loaded 2-core machine the start, the probe and the reads each take tens of seconds.
      const r = await run('unshare', ['-n', process.execPath, join(dir, 'probe.js'), BIN, dir], { timeoutMs: 300_000 });
      const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
      expect(result.ready).toBe(true);
      expect(result.loopback).toEqual({ modbus: 'open', http: 'open', mqtt: 'open', nut: 'open' });
      expect(result.site).toEqual({ modbus: 'ECONNREFUSED', http: 'ECONNREFUSED', mqtt: 'ECONNREFUSED', nut: 'ECONNREFUSED' });
      // The I-Am went out, and only to loopback.
      expect(result.bacnetPackets).toBeGreaterThan(0);
      expect(result.bacnetDestinations.filter((d: string) => d !== '127.0.0.1')).toEqual([]);
      expect(result.otherDestinations).toEqual([]);
      expect(r.code).toBe(0);
    } finally {
      // A probe ended by the timeout leaves its tshark and gateway running: each has the folder in its arguments.
      await run('pkill', ['-f', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 330_000);
});
