import { SimulatedSite } from '../physics';
import { memoryLogger } from '../log';
import { engineStateSaver, SOC_STATE_KEY } from './persist';
import type { SocPersistedState } from './soc';

describe('SoC state in the data logger', () => {
  it('is written on a charge-mode change and every 10 minutes, not every cycle, and restores the estimate', async () => {
    const sim = new SimulatedSite({ strings: [{ modules: 4, moduleType: 'C20' }], controlIntervalS: 60, physicsStepS: 30 });
    const saved: { key: string; atMs: number; value: SocPersistedState }[] = [];
    const save = engineStateSaver(sim.engines, { saveEngineState: async (key, atMs, value) => { saved.push({ key, atMs, value: value as SocPersistedState }); } }, memoryLogger());
    const run = async (s: number) => { for (let i = 0; i < s / 60; i++) { sim.advance(60); save(); await Promise.resolve(); } };
    await run(3600);
    // 60 cycles in an hour: one write at the start and one per 10 minutes.
    expect(saved.length).toBeGreaterThanOrEqual(6);
    expect(saved.length).toBeLessThanOrEqual(8);
    expect(saved.every((x) => x.key === SOC_STATE_KEY)).toBe(true);
    const before = saved.length;
    sim.physics.setCharger({ mode: 'discharge', currentA: 10 });
    await run(60);
    expect(saved.length).toBe(before + 1);
    expect(saved[saved.length - 1].value.strings[0].mode).toBe('discharge');
    await run(1800);
    const soc = sim.site.snapshot().strings[0].socPercent.value as number;
    expect(sim.engines.restart(sim.site, JSON.parse(JSON.stringify(sim.engines.persistedState())))).toBe(true);
    sim.advance(60);
    expect(Math.abs((sim.site.snapshot().strings[0].socPercent.value as number) - soc)).toBeLessThan(1);
  });
});
