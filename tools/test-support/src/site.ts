// A small site shared by the protocol packages' tests: two strings of four blocks in float with
// their own estimates, a UPS on mains, a breaker relay.
import { Site } from '@kirchhoff/core';

export function fixtureSite(): Site {
  const site = new Site({
    info: { name: 'Test battery room' },
    strings: [{ modules: 4, moduleType: 'C20', capacityAh: 100 }, { modules: 4, moduleType: 'C20', capacityAh: 100 }],
    ups: true,
    relays: [{ name: 'Breaker', function: 'breaker' }],
  });
  site.update((tx) => {
    for (let g = 1; g <= 8; g++) {
      tx.moduleReadings(g, { voltageV: 13.5 + g / 100, temperatureC: 21 + g / 10, resistanceOhm: 0.004, socPercent: 95 });
      tx.module(g, { communication: 'ok', fuse: 'ok' });
    }
    tx.string(1, { dcCurrentA: 0.06, chargeMode: 'float', socPercent: 98.6, autonomyMin: 41.5 });
    tx.string(2, { dcCurrentA: 0.05, chargeMode: 'float', socPercent: 97.2, autonomyMin: 39.2 });
    tx.ups({
      ident: { manufacturer: 'Test UPS', model: 'T-1', upsSoftwareVersion: '2.1' },
      battery: { status: 'normal', estimatedMinutesRemaining: 33, estimatedChargeRemainingPercent: 87, voltageV: 54.6, currentA: 0.1, temperatureC: 24.5 },
      input: { lines: [{ frequencyHz: 49.9, voltageV: 231, currentA: 12.5, truePowerW: 2400 }] },
      output: { source: 'normal', frequencyHz: 50, lines: [{ voltageV: 230, currentA: 10.2, powerW: 2300, percentLoad: 41 }] },
    });
  });
  return site;
}
