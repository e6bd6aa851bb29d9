// A small site with every kind of entity and readings of every quality, shared by the tests.
import { CommandExecutor, CommandInterface, CommandPolicy, Site } from '@kirchhoff/core';

export function fixtureSite(): Site {
  const site = new Site({
    info: { name: 'Test battery room' },
    strings: [{ modules: 4, moduleType: 'C20', capacityAh: 100 }, { modules: 3, moduleType: 'C20' }],
    ups: true,
    sensors: [{ name: 'Room', kind: 'temperature' }, { name: 'H2', kind: 'hydrogen' }],
    inputs: [{ name: 'Door', alarmSeverity: 'warning' }, { name: 'Fire' }],
    relays: [{ name: 'Breaker', function: 'breaker' }, { name: 'Fan', function: 'ventilation' }],
  });
  site.update((tx) => {
    for (let g = 1; g <= 7; g++) {
      tx.moduleReadings(g, { voltageV: 13.4 + g * 0.037, temperatureC: g === 2 ? -3.4 : 20 + g * 1.13, resistanceOhm: 0.0031 + g * 0.00017, socPercent: 91 + g * 1.1 });
      tx.module(g, { communication: 'ok', fuse: 'ok', equalize: { on: g % 2 === 0, dutyPercent: g % 2 === 0 ? 35 : 0 }, balancingActivityPercent: g * 3 });
    }
    tx.moduleQuality(5, 'stale');
    tx.module(7, { communication: 'lost' });
    tx.moduleReadings(7, { voltageV: null });
    tx.string(1, { dcCurrentA: 1.7, rippleCurrentA: 0.8, differentialPositiveA: 0.0123, differentialNegativeA: 0.0101, chargeMode: 'float', socPercent: 97.3, autonomyMin: 41 });
    tx.string(2, { dcCurrentA: -12.3, chargeMode: 'discharge', socPercent: 64.5, autonomyMin: 18 });
    tx.ups({
      ident: { manufacturer: 'Test UPS', model: 'T-1' },
      battery: { status: 'normal', secondsOnBattery: 70_000, estimatedMinutesRemaining: 33, estimatedChargeRemainingPercent: 87, voltageV: 545.6, currentA: -21.4, temperatureC: 24.5 },
      input: { lineBads: 3, lines: [{ frequencyHz: 49.9, voltageV: 231, currentA: 12.5, truePowerW: 102_400 }] },
      output: { source: 'normal', frequencyHz: 50, lines: [{ voltageV: 230, currentA: 10.2, powerW: 2300, percentLoad: 41 }] },
    });
    tx.sensor(1, 23.4);
    tx.sensor(2, 0.5);
    tx.input(1, true);
    tx.input(2, false);
    tx.relay(2, true);
  });
  site.evaluateAlarms(Date.now() + 3_600_000);
  return site;
}

/** A command interface whose executor switches relays in the model, or fails when asked to. */
export function fixtureCommands(site: Site, policy: CommandPolicy = { modbus: 'all' }, failing = false): CommandInterface {
  const executor: CommandExecutor = {
    execute: async (command) => {
      if (failing) throw new Error('relay board does not answer');
      if (command.type === 'set-relay') site.update((tx) => tx.relay(command.relay, command.on));
      return { ok: true, message: 'done' };
    },
  };
  return new CommandInterface(site, executor, policy);
}
