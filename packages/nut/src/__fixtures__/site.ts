// The NUT tests' site (test-support's: a UPS on mains, two strings in float with their own
// estimates), its UPS going on battery, and a command interface that records.
import { CommandExecutor, CommandInterface, Command, Site } from '@kirchhoff/core';
import { fixtureSite } from '@kirchhoff/test-support';

export { fixtureSite };

/** The UPS goes on battery and the strings discharge at `autonomyMin` minutes left. */
export function onBattery(site: Site, autonomyMin: number, socPercent: number): void {
  site.update((tx) => {
    tx.ups({ output: { source: 'battery', frequencyHz: 50, lines: [{ voltageV: 230, currentA: 10.2, powerW: 2300, percentLoad: 41 }] } });
    for (const s of [1, 2]) tx.string(s, { dcCurrentA: -20, chargeMode: 'discharge', socPercent, autonomyMin });
  });
}

/** A command interface that records what NUT submitted (and applies nothing). */
export function fixtureCommands(site: Site, policy = { nut: 'all' as const }): { commands: CommandInterface; executed: { command: Command; principal?: string }[] } {
  const executed: { command: Command; principal?: string }[] = [];
  const executor: CommandExecutor = {
    execute: async (command, origin) => {
      executed.push({ command, principal: origin.principal });
      return { ok: true, message: 'done' };
    },
  };
  return { commands: new CommandInterface(site, executor, policy), executed };
}
