// A small site for the HTTP API's tests: two strings of four blocks in float, a UPS on mains, one
// relay; and a command interface that records what the API submitted.
import { CommandExecutor, CommandInterface, Command, Site } from '@kirchhoff/core';

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
  });
  return site;
}

/** A command interface that records what the API submitted, switches relays, and answers ok. */
export function fixtureCommands(site: Site): { commands: CommandInterface; executed: { command: Command; principal?: string; protocol: string }[] } {
  const executed: { command: Command; principal?: string; protocol: string }[] = [];
  const executor: CommandExecutor = {
    execute: async (command, origin) => {
      executed.push({ command, principal: origin.principal, protocol: origin.protocol });
      if (command.type === 'set-relay') site.update((tx) => tx.relay(command.relay, command.on));
      return { ok: true, message: 'done' };
    },
  };
  return { commands: new CommandInterface(site, executor, { http: 'all' }), executed };
}
