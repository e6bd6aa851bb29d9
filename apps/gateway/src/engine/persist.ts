// Keeps the SoC estimator's state in the data logger so that a gateway restart (on day 7 of a
// charging pause, say) carries on instead of starting over from a rest-voltage lookup.
import type { Logger } from '../log';
import type { BatteryEngines } from '.';

export const SOC_STATE_KEY = 'soc';
/** Besides every charge-mode change, the state is written at most this often (rest loses ~0.1 %/day). */
export const SOC_STATE_SAVE_INTERVAL_MS = 600_000;

export interface EngineStateStore {
  saveEngineState(key: string, atMs: number, value: unknown): Promise<void>;
}

/** A function to call after each engine tick: writes the state on a mode change and every SOC_STATE_SAVE_INTERVAL_MS. */
export function engineStateSaver(engines: BatteryEngines, store: EngineStateStore, logger: Logger): () => void {
  let lastSavedMs = -Infinity;
  let lastModes = '';
  let saving = false;
  return () => {
    const state = engines.persistedState();
    if (!state || saving) return;
    const modes = state.strings.map((s) => s.mode).join();
    if (modes === lastModes && state.atMs - lastSavedMs < SOC_STATE_SAVE_INTERVAL_MS) return;
    saving = true;
    lastModes = modes;
    lastSavedMs = state.atMs;
    store.saveEngineState(SOC_STATE_KEY, state.atMs, state)
      .catch((error: unknown) => logger.warn('the SoC state was not saved in the data logger: a restart now starts the estimate over', { error }))
      .finally(() => { saving = false; });
  };
}
