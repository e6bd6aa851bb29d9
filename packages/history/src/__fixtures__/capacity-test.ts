// A capacity test record and its per-second samples as the gateway's discharge analysis leaves them
// (written out here: the data logger stores and returns records, it does not compute them).
// A 3-block string (6 cells a block, 10 Ah) at 10 A to 1.75 V a cell (10.5 V a block): block 2
// reaches it after 2100 s (5.83 Ah, collapsed early), block 1 after 3780 s, ending the test
// (the string's median block), block 3 not at all.
import type { CapacityTestRecord, TestSample } from '../capacity-test-record';

export function capacityTestFixture(t0Ms: number): { record: CapacityTestRecord; samples: TestSample[] } {
  const samples: TestSample[] = [];
  for (let s = 0; s <= 3780; s += 1) {
    samples.push({ atMs: t0Ms + s * 1000, string: 1, currentA: -10, voltagesV: [12.6 - s / 1800, 12.6 - s / 1000, 12.6 - s / 1900], temperaturesC: [25, 25.5, 24.8] });
  }
  const block = { string: 1, deliveredAh: 10.5, meanTemperatureC: 25 };
  const record: CapacityTestRecord = {
    id: 0, trigger: 'api', startMs: t0Ms, endMs: t0Ms + 3780_000, end: 'end-voltage', endVoltsPerCell: 1.75, by: 'admin',
    strings: [{
      string: 1, ratedCapacityAh: 10, cells: 6, endVoltageV: 10.5, meanCurrentA: 10, deliveredAh: 10.5, durationS: 3780,
      blocks: [
        { ...block, module: 1, global: 1, deliveredWh: 121.3, timeToEndVoltageS: 3780, capacityAtRateAh: 10.5, capacityMethod: 'measured', atLeastAh: 10.5, capacityC10At25Ah: 11.2, capacityPercent: 112, endVoltageV: 10.5, collapsedEarly: false },
        { ...block, module: 2, global: 2, deliveredWh: 98.6, timeToEndVoltageS: 2100, capacityAtRateAh: 5.83, capacityMethod: 'measured', atLeastAh: 10.5, capacityC10At25Ah: 6.1, capacityPercent: 61, meanTemperatureC: 25.5, endVoltageV: 8.82, collapsedEarly: true },
        { ...block, module: 3, global: 3, deliveredWh: 122.1, timeToEndVoltageS: null, capacityAtRateAh: 11, capacityMethod: 'extrapolated', atLeastAh: 10.5, capacityC10At25Ah: 11.8, capacityPercent: 118, meanTemperatureC: 24.8, endVoltageV: 10.61, collapsedEarly: false },
      ],
      endOfDischarge: {
        meanV: 9.98, medianV: 10.5,
        ranking: [
          { module: 2, voltageV: 8.82, belowMeanV: 1.16, timeToEndVoltageS: 2100 },
          { module: 1, voltageV: 10.5, belowMeanV: -0.52, timeToEndVoltageS: 3780 },
          { module: 3, voltageV: 10.61, belowMeanV: -0.63, timeToEndVoltageS: null },
        ],
        collapsedEarly: [2],
      },
    }],
  };
  return { record, samples };
}
