// Fuzz campaign, full form (hardening issue 19, "Done when"): >= 1,000,000 seeded hostile inputs
// across every listener (Modbus TCP and RTU over a socat pty, SNMP, BACnet, HTTP, HTTPS handshake
// and HTTP over TLS, the MQTT broker, the NUT server, the RCCMD listener over TCP and UDP), probed with a valid
// request every 500 inputs, all listeners at once. Prints per listener: inputs, crashes, hangs, RSS at start and end of its
// phase, log lines; then each process's memory growth from after a warm-up pass to the end, two ways:
// RSS as the kernel counts it (garbage not yet collected, V8 heap pages and malloc arenas kept for
// reuse), and after a full garbage collection (SIGUSR2 to the child, started with --expose-gc): RSS,
// V8 heap in use and external memory. A leak shows as heap-after-GC growth that goes on in the
// second half of the run; warm-up as RSS that rises once and stays. The children inherit the
// environment: MALLOC_ARENA_MAX=1 shows how much of the RSS growth is glibc's per-thread malloc
// arenas (the libuv pool's threads run scrypt, TLS and file work, each in an arena of its own).
// Peer in the same run: the same probes answered by an idle gateway (RSS drift with no input).
// Run: npm run bench:fuzz -w kirchhoff     FUZZ_INPUTS=1000000 (total)  FUZZ_SEED=<seed> replays a run
//      FUZZ_ONLY=snmp,bacnet runs only those listeners (their inputs are the same as in the full run).
import { formatResults, fuzzListener, ListenerResult } from '../src/fuzz/campaign';
import type { HeapAfterGc } from '../src/fuzz/child';
import { startFuzzRig } from '../src/fuzz/rig';

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 0x7fffffff));
const TOTAL = Number(process.env.FUZZ_INPUTS ?? 1_000_000);
const ONLY = process.env.FUZZ_ONLY?.split(',');
/** Share of the inputs per listener: datagram listeners are cheap, the pty is slow (silence between frames). */
const WEIGHTS: Record<string, number> = {
  'modbus-tcp': 14, 'modbus-rtu': 2, snmp: 15, bacnet: 15, http: 10, 'https-handshake': 6, https: 6, 'mqtt-broker': 14, nut: 8, 'rccmd-tcp': 8, 'rccmd-udp': 10,
};
const WEIGHT_SUM = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
const inputsFor = (name: string) => Math.ceil(TOTAL * (WEIGHTS[name] ?? 1) / WEIGHT_SUM);
const mb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  console.log(`fuzz campaign: seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${TOTAL} inputs`);
  const rig = await startFuzzRig();
  try {
    const listeners = rig.listeners.filter((l) => !ONLY || ONLY.includes(l.name));
    // Warm-up: every listener once (JIT, buffers, TLS contexts), then the baseline RSS.
    const warm = await Promise.all(listeners.map((l) => fuzzListener(l, { seed: SEED ^ 0x5a5a, inputs: () => 500, probeEvery: 100 })));
    for (const r of warm.filter((x) => x.failure)) console.log(`  warm-up ${r.name}: ${r.failure}`);
    const baseline = Object.fromEntries(Object.entries(rig.processes).map(([n, p]) => [n, p.rssKb()]));
    const heapAll = async () => Object.fromEntries(await Promise.all(Object.entries(rig.processes).map(async ([n, p]) => [n, p.exit() ? null : await p.heapAfterGc()] as const)));
    const gcBase = await heapAll();
    const linesAtStart = Object.fromEntries(Object.entries(rig.processes).map(([n, p]) => [n, p.lines()]));
    console.log(`warm-up: ${warm.reduce((a, r) => a + r.inputs, 0)} inputs, ${warm.reduce((a, r) => a + r.crashes + r.hangs, 0)} failures; baseline RSS ${Object.entries(baseline).map(([n, kb]) => `${n} ${(kb / 1024).toFixed(1)} MB`).join(', ')}`);
    const idleStart = Object.fromEntries(Object.entries(rig.processes).map(([n, p]) => [n, p.rssKb()]));
    await new Promise((r) => setTimeout(r, 10_000));
    const idleDrift = Object.entries(rig.processes).map(([n, p]) => `${n} ${((p.rssKb() - idleStart[n]) / 1024).toFixed(1)} MB`);
    console.log(`peer: idle 10 s, RSS drift ${idleDrift.join(', ')}`);
    const t0 = Date.now();
    // All listeners at once: the processes see the mixed load an attacker would send.
    let lastPrint = Date.now();
    const progress = new Map<string, number>();
    const planned = listeners.reduce((a, l) => a + inputsFor(l.name), 0);
    /** The gateway's memory after a full collection during the run: when, how far, what. */
    const samples: { s: number; done: number; heap: HeapAfterGc }[] = [];
    const sample = () => {
      const done = [...progress.values()].reduce((a, b) => a + b, 0) / planned;
      rig.processes.gateway.heapAfterGc().then((heap) => samples.push({ s: Math.round((Date.now() - t0) / 1000), done, heap }), () => undefined);
    };
    let halfTaken = false;
    const results: ListenerResult[] = await Promise.all(listeners.map((l) => fuzzListener(l, {
      seed: SEED, inputs: inputsFor, probeEvery: 500,
      onProgress: (name, sent) => {
        progress.set(name, sent);
        if (!halfTaken && [...progress.values()].reduce((a, b) => a + b, 0) >= planned / 2) {
          halfTaken = true;
          sample();
        }
        if (Date.now() - lastPrint > 60_000) {
          sample();
          lastPrint = Date.now();
          console.log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${[...progress].map(([n, k]) => `${n} ${k}/${inputsFor(n)}`).join(', ')}`);
        }
      },
    })));
    const final = await Promise.all(rig.listeners.map((l) => l.probe().then(() => 'answers', (e: Error) => e.message)));
    console.log(`\nseed ${SEED}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n${formatResults(results)}`);
    const sum = (f: (r: ListenerResult) => number) => results.reduce((a, r) => a + f(r), 0);
    console.log(`total: ${sum((r) => r.inputs)} inputs, ${sum((r) => r.crashes)} crashes, ${sum((r) => r.hangs)} hangs, ${sum((r) => r.logLines)} log lines`);
    const rssEnd = Object.fromEntries(Object.entries(rig.processes).map(([n, p]) => [n, p.exit() ? null : p.rssKb()]));
    const gcEnd = await heapAll();
    console.log(`RSS growth after warm-up (the 20 MB target; includes garbage not yet collected and memory kept for reuse): ${Object.entries(rssEnd).map(([n, kb]) => `${n} ${kb === null ? 'EXITED' : `${((kb - baseline[n]) / 1024).toFixed(1)} MB`}`).join(', ')}`);
    for (const [n, end] of Object.entries(gcEnd)) {
      const base = gcBase[n];
      if (!end || !base) continue;
      console.log(`  ${n} after a full GC, warm-up -> end: RSS ${mb(end.rss - base.rss)} (${(base.rss / 1048576).toFixed(1)} -> ${(end.rss / 1048576).toFixed(1)} MB), V8 heap used ${mb(end.heapUsed - base.heapUsed)} (${(base.heapUsed / 1048576).toFixed(1)} -> ${(end.heapUsed / 1048576).toFixed(1)} MB), V8 heap reserved ${mb(end.heapTotal - base.heapTotal)}, external ${mb(end.external - base.external)}`);
    }
    const gw = gcEnd.gateway;
    if (gw && samples.length) {
      console.log(`  gateway V8 heap used after GC during the run: ${samples.map((x) => `${x.s} s (${Math.round(x.done * 100)} %) ${(x.heap.heapUsed / 1048576).toFixed(1)} MB`).join(', ')}, end ${(gw.heapUsed / 1048576).toFixed(1)} MB`);
      const half = samples.find((x) => x.done >= 0.5) ?? samples[samples.length - 1];
      console.log(`  gateway growth in the second half (${Math.round(half.done * 100)} % -> end): V8 heap used after GC ${mb(gw.heapUsed - half.heap.heapUsed)}, RSS after GC ${mb(gw.rss - half.heap.rss)}`);
    }
    // The listeners run at once, so a process's log lines are the figure (per listener they overlap).
    console.log(`log lines per process: ${Object.entries(rig.processes).map(([n, p]) => `${n} ${p.lines() - linesAtStart[n]}`).join(', ')}`);
    console.log(`final probes: ${rig.listeners.map((l, i) => `${l.name} ${final[i]}`).join(', ')}`);
  } finally {
    await rig.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
