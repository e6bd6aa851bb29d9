// The fuzz campaign in its short form (hardening issue, "Done when"): 300 inputs per listener
// (3,300 in all over 11 listeners, a few seconds) against every listener of running processes, probed every 50
// inputs. The full campaign (>= 1,000,000 inputs) is `npm run bench:fuzz -w kirchhoff`.
// The seed is printed; FUZZ_SEED=<seed> replays the same inputs.
import { describeWithTools } from '@kirchhoff/test-support';
import { formatResults, fuzzListener, ListenerResult } from './campaign';
import { FuzzRig, startFuzzRig } from './rig';

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 0x7fffffff));
const PER_LISTENER = 300;

describeWithTools(['socat', 'openssl'], 'fuzz campaign, short form', () => {
  let rig: FuzzRig;
  const results: ListenerResult[] = [];

  beforeAll(async () => {
    rig = await startFuzzRig();
  }, 120_000);
  afterAll(async () => {
    if (results.length) process.stdout.write(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED})\n${formatResults(results)}\n`);
    await rig?.stop();
  });

  it(`every listener survives ${PER_LISTENER} seeded hostile inputs: no crash, no hang, bounded memory and log (seed ${SEED})`, async () => {
    for (const listener of rig.listeners) results.push(await fuzzListener(listener, { seed: SEED, inputs: () => PER_LISTENER, probeEvery: 50 }));
    // Each process still answers every one of its listeners at the end.
    const last = await Promise.all(rig.listeners.map((l) => l.probe().then(() => `${l.name} answers`, (e: Error) => `${l.name}: ${e.message}`)));
    expect(last).toEqual(rig.listeners.map((l) => `${l.name} answers`));
    expect(results.map((r) => ({ name: r.name, inputs: r.inputs, crashes: r.crashes, hangs: r.hangs, failure: r.failure })))
      .toEqual(rig.listeners.map((l) => ({ name: l.name, inputs: PER_LISTENER, crashes: 0, hangs: 0, failure: undefined })));
    for (const [name, p] of Object.entries(rig.processes)) expect({ name, exit: p.exit() }).toEqual({ name, exit: null });
    // One line per kind of problem per minute: a few kinds per listener, never one per input.
    for (const r of results) expect({ name: r.name, logLines: Math.min(r.logLines, 40) }).toEqual({ name: r.name, logLines: r.logLines });
  }, 300_000);
});
