// A history database file opened read-only in this process (for `kirchhoff export` and scripts),
// behind the same HistoryReader interface the running logger offers.
import { HistoryDb } from './db';
import type { HistoryReader } from './types';

export function openHistoryFile(path: string): HistoryReader & { close(): void } {
  const db = new HistoryDb(path, { readonly: true });
  return {
    series: async (p) => db.series(p),
    measurements: async (q) => db.measurements(q),
    summary: async (from, to, p) => db.summary(from, to, p),
    events: async (q) => db.events(q),
    audit: async (q) => db.audit(q),
    capacityTests: async (q) => db.capacityTests(q),
    capacityTest: async (id) => db.capacityTest(id),
    capacityHistory: async (global) => db.capacityHistory(global),
    engineState: async (key) => db.engineState(key),
    capacityTestSamples: async (id, string, fromMs, limit) => db.capacityTestSamples(id, string, fromMs, limit),
    lifeRecords: async (q) => db.lifeRecords(q),
    passportInfo: async () => db.passportInfo(),
    close: () => db.close(),
  };
}
