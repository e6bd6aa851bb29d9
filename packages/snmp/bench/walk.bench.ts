// Benchmark: snmpbulkwalk of the whole agent on a 16 x 32 site (v2c and v3 authPriv), against
// net-snmp's snmpd walking its own tree in the same run. Prints median OIDs/s and the ratio.
// Run: npm run bench -w @kirchhoff/snmp   (tsx; needs snmpbulkwalk and snmpd on PATH)
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Site } from '@kirchhoff/core';
import { createSnmpAgent } from '../src/index';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REPETITIONS = process.env.BENCH_MAX_REPETITIONS ?? '10';
const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-snmp-bench-'));
const env = { ...process.env, SNMP_PERSISTENT_DIR: dir, MIBS: '' };
const AUTH = 'bench-auth-secret';
const PRIV = 'bench-priv-secret';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs the walk as a child process (asynchronously: the agent under test shares this event loop). */
function bulkwalk(args: string[]): Promise<{ oids: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('snmpbulkwalk', ['-On', '-Cc', `-Cr${REPETITIONS}`, '-t', '5', '-r', '1', ...args, '.1'], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`snmpbulkwalk ${args.join(' ')} failed: ${err}`));
      resolve({ oids: out.split('\n').filter((l) => l.startsWith('.') && !l.includes('No more variables')).length, seconds });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const strings = 16;
  const modules = 32;
  const site = new Site({
    strings: Array.from({ length: strings }, () => ({ modules, moduleType: 'C20' as const })),
    ups: true,
    sensors: [{ name: 'Room', kind: 'temperature' }, { name: 'H2', kind: 'hydrogen' }],
    inputs: [{ name: 'Door' }], relays: [{ name: 'Fan' }],
  });
  site.update((tx) => {
    for (let g = 1; g <= strings * modules; g++) tx.moduleReadings(g, { voltageV: 13.5 + (g % 7) / 100, temperatureC: 24, resistanceOhm: 0.004, socPercent: 99 });
    for (let s = 1; s <= strings; s++) tx.string(s, { dcCurrentA: 0.4, rippleCurrentA: 1.2, differentialPositiveA: 0.01, differentialNegativeA: 0.01, socPercent: 99, autonomyMin: 40 });
    tx.sensor(1, 22);
  });

  const agentPort = await freePort();
  const agent = await createSnmpAgent(site, {
    port: agentPort, address: '127.0.0.1',
    communities: [{ name: 'bench-community' }],
    users: [{ name: 'bench', securityLevel: 'authPriv', auth: { protocol: 'sha', password: AUTH }, priv: { protocol: 'aes', password: PRIV } }],
    logger: { info: () => undefined, warn: () => undefined, error: (m) => console.error(m) },
  });

  const snmpdPort = await freePort();
  writeFileSync(join(dir, 'snmpd.conf'), [
    `agentAddress udp:127.0.0.1:${snmpdPort}`,
    'rocommunity bench-community 127.0.0.1',
    `createUser bench SHA ${AUTH} AES ${PRIV}`,
    'rouser bench priv',
    'master no',
  ].join('\n'));
  const snmpd = spawn('snmpd', ['-f', '-Lf', join(dir, 'snmpd.log'), '-I', '-smux', '-C', '-c', join(dir, 'snmpd.conf'), '-p', join(dir, 'snmpd.pid')], { env, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const r = spawnSync('snmpget', ['-v2c', '-c', 'bench-community', '-t', '0.5', '-r', '0', `127.0.0.1:${snmpdPort}`, '1.3.6.1.2.1.1.3.0'], { env });
    if (r.status === 0) break;
    if (i > 40) throw new Error(`snmpd did not start: see ${join(dir, 'snmpd.log')}`);
  }

  const v2c = ['-v2c', '-c', 'bench-community'];
  const v3 = ['-v3', '-l', 'authPriv', '-u', 'bench', '-a', 'SHA', '-A', AUTH, '-x', 'AES', '-X', PRIV];
  const cases = [
    { name: 'kirchhoff v2c', args: [...v2c, `127.0.0.1:${agentPort}`] },
    { name: 'snmpd     v2c', args: [...v2c, `127.0.0.1:${snmpdPort}`] },
    { name: 'kirchhoff v3 authPriv', args: [...v3, `127.0.0.1:${agentPort}`] },
    { name: 'snmpd     v3 authPriv', args: [...v3, `127.0.0.1:${snmpdPort}`] },
  ];
  const rates = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const counts = new Map<string, number>();
  await bulkwalk(cases[0].args); // warm-up (JIT, index build)
  await bulkwalk(cases[1].args);
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) {
      const r = await bulkwalk(c.args);
      rates.get(c.name)!.push(r.oids / r.seconds);
      counts.set(c.name, r.oids);
    }
  }
  snmpd.kill('SIGTERM');
  await agent.close();

  console.log(`snmpbulkwalk -Cr${REPETITIONS} of the whole tree, ${strings} x ${modules} site, median of ${RUNS} runs (node ${process.version})`);
  for (const c of cases) console.log(`  ${c.name.padEnd(24)} ${String(counts.get(c.name)).padStart(6)} OIDs  ${Math.round(median(rates.get(c.name)!)).toString().padStart(7)} OIDs/s`);
  for (const v of ['v2c', 'v3 authPriv']) {
    const ours = median(rates.get(`kirchhoff ${v}`)!);
    const peer = median(rates.get(`snmpd     ${v}`)!);
    console.log(`  ratio kirchhoff/snmpd ${v.padEnd(12)} ${(ours / peer).toFixed(2)}x (target >= 0.5x)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
