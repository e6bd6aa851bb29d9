// The HTTP API's tests' site (test-support's: two strings of four blocks in float, a UPS on mains,
// a breaker relay) and a command interface that records what the API submitted.
import { CommandExecutor, CommandInterface, Command, Site } from '@kirchhoff/core';
import { fixtureSite } from '@kirchhoff/test-support';

export { fixtureSite };

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
