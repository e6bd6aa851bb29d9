// A data logger file for the service report's tests: one 3-block string with its identity, alarms
// inside and outside the period, a capacity test in which block 2 collapses early (with its
// per-second samples) and one a year earlier in which it did not, and the health engine's kept
// state with block 2's Ri rising 1 % a day.
import { CAPACITY_TEST_DEFAULTS, type CapacityTestRecord, StringDischarge, type TestSample } from '../engine/health';
import { HistoryDb } from '@kirchhoff/history';
import { configuredIdentities } from '../services/life/config';

export const DAY_MS = 86_400_000;
/** The capacity test starts here; the report's period is [FROM, TO). */
export const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
export const FROM = T0 - 10 * DAY_MS;
export const TO = T0 + DAY_MS;
/** Block 2's Ri: baseline 5 mOhm, one point a day from RI_START, rising 1 % of the baseline a day. */
export const RI_START = T0 - 30 * DAY_MS;
export const BASELINE_OHM = 0.005;
/** An earlier capacity test, outside the period. */
export const EARLIER_TEST = T0 - 365 * DAY_MS;

/** A discharge of a 3-block 10 Ah string at 1 A: block 2 gets to the end voltage (10.5 V) after 5.8 h, the others after 10.5 h and more. */
function discharge(startMs = T0, block2VoltsPerS = 1 / 10_000): { record: CapacityTestRecord; samples: TestSample[] } {
  const d = new StringDischarge({ string: 1, firstGlobal: 1, moduleCount: 3, cells: 6, ratedCapacityAh: 10 }, startMs, CAPACITY_TEST_DEFAULTS);
  const samples: TestSample[] = [];
  // The 10-hour rate, sampled every 10 s (the gateway samples every second; the figures are the same).
  for (let s = 0; s <= 50_000 && !d.ended; s += 10) {
    const sample = { atMs: startMs + s * 1000, string: 1, currentA: -1, voltagesV: [12.6 - s / 18_000, 12.6 - s * block2VoltsPerS, 12.6 - s / 19_000], temperaturesC: [25, 25.5, 24.8] };
    samples.push(sample);
    d.step(sample);
  }
  const endMs = samples[samples.length - 1].atMs;
  return { record: { id: 0, trigger: 'api', startMs, endMs, end: d.ended, endVoltsPerCell: 1.75, strings: [d.result(endMs)], by: 'admin' }, samples };
}

/** Writes the fixture into a new data logger file at `path`; returns the test record as stored. */
export function buildReportDb(path: string): CapacityTestRecord {
  const db = new HistoryDb(path);
  try {
    db.applyConfiguredIdentity(configuredIdentities([{
      modules: 3, moduleType: 'C20', capacityAh: 10,
      battery: { manufacturer: 'Acme Batteries GmbH', model: 'UPS-36', serial: 'SYS-0042', commissioningDate: '2024-05-14' },
      blocks: { chemistry: 'lead-acid VRLA AGM', serials: ['B1', 'B2', 'B3'], commissioningResistancesOhm: [], positions: {} },
    }]), FROM - DAY_MS);
    db.setPassportInfo('site', FROM - DAY_MS, { site: { name: 'Plant <North> & "Co"', location: 'Battery room 2' }, strings: 1 });
    db.setPassportInfo('string/1', FROM - DAY_MS, { name: 'UPS A', modules: 3, moduleType: 'C20', capacityAh: 10, battery: {} });
    db.writeBatch({
      samples: Array.from({ length: 48 }, (_, i) => ['string/1', 'sumVoltageV', FROM + i * 3_600_000, 40.8 - (i % 5) * 0.1, 0] as [string, string, number, number, number]),
      events: [
        { atMs: FROM - DAY_MS, category: 'alarm', action: 'raised', severity: 'alarm', entity: 'string/1/module/3', alarmKind: 'module-temperature-high', alarmId: 1, message: 'S01-M03 temperature high before the period' },
        { atMs: T0 + 3_600_000, category: 'alarm', action: 'raised', severity: 'alarm', entity: 'string/1/module/2', alarmKind: 'module-voltage-low', alarmId: 2, message: 'S01-M02 voltage 10.2 V below 10.5 V' },
        { atMs: T0 + 7_200_000, category: 'alarm', action: 'cleared', severity: 'alarm', entity: 'string/1/module/2', alarmKind: 'module-voltage-low', alarmId: 2, message: 'S01-M02 voltage back to normal' },
        { atMs: T0 + 5_000_000, category: 'battery', action: 'test-ended', severity: 'info', message: 'capacity test 1 ended at the end voltage' },
      ],
      audit: [],
    });
    // A year before the period, block 2 was still as good as the others.
    const earlier = discharge(EARLIER_TEST, 1 / 17_000);
    db.appendTestSamples(EARLIER_TEST, earlier.samples);
    db.saveCapacityTest(earlier.record);
    const { record, samples } = discharge();
    db.appendTestSamples(T0, samples);
    const id = db.saveCapacityTest(record);
    const capacities = record.strings[0].blocks.map((b) => b.capacityC10At25Ah);
    const flat = (ohm: number) => Array.from({ length: 31 }, (_, d) => ({ atMs: RI_START + d * DAY_MS, ohm, n: 20 }));
    db.setEngineState('health', T0 + DAY_MS / 2, {
      version: 1, atMs: T0 + DAY_MS / 2, strings: [{}],
      blocks: [
        { capacityAh: capacities[0], firstCapacityAh: capacities[0], capacityAtMs: T0, capacityTestId: id, capacitySource: 'capacity-test', baselineOhm: BASELINE_OHM, baselineSource: 'measured', baselineAtMs: RI_START, ri: { bucketMs: DAY_MS, points: flat(BASELINE_OHM) } },
        {
          capacityAh: capacities[1], firstCapacityAh: capacities[1], capacityAtMs: T0, capacityTestId: id, capacitySource: 'capacity-test', baselineOhm: BASELINE_OHM, baselineSource: 'measured', baselineAtMs: RI_START,
          ri: { bucketMs: DAY_MS, points: Array.from({ length: 31 }, (_, d) => ({ atMs: RI_START + d * DAY_MS, ohm: BASELINE_OHM * (1 + d / 100), n: 20 })) },
        },
        // No capacity of its own in the state: its SoH is the Ri-based indication.
        { baselineOhm: 0.0052, baselineSource: 'measured', baselineAtMs: RI_START, ri: { bucketMs: DAY_MS, points: flat(0.0052) } },
      ],
    });
    return { ...record, id };
  } finally {
    db.close();
  }
}
