// The command runner alone: what runs, with which environment, in dry run, and the bound on
// message commands.
import { ProblemLog } from '@kirchhoff/core';
import { silentLogger } from '../log';
import type { ListenerEvent } from './options';
import { CommandRunner, CommandRunnerOptions, MAX_MESSAGE_COMMANDS } from './runner';

function runner(o: Partial<CommandRunnerOptions> = {}) {
  const events: ListenerEvent[] = [];
  const ran: { command: string; env: Readonly<Record<string, string>> }[] = [];
  const pending: (() => void)[] = [];
  const r = new CommandRunner({
    actions: { shutdown: 'systemctl poweroff', execute: { 'stop-db': 'systemctl stop postgresql' }, message: 'wall "$RCCMD_TEXT"' },
    dryRun: false,
    runCommand: (command, env) => {
      ran.push({ command, env });
      return new Promise((resolve) => pending.push(() => resolve(0)));
    },
    logger: silentLogger,
    problems: new ProblemLog().source('test', silentLogger),
    emit: (e) => events.push(e),
    ...o,
  });
  return { r, events, ran, finish: () => pending.splice(0).forEach((f) => f()) };
}

describe('CommandRunner', () => {
  it('runs the shutdown command with the RCCMD_* environment; the text is never on the command line', async () => {
    const { r, ran, events, finish } = runner();
    r.run('shutdown', null, ['gw-a', 'gw-b'], 'UPS "A"; rm -rf /', 'gw-b');
    finish();
    await r.idle();
    expect(ran).toEqual([{ command: 'systemctl poweroff', env: { RCCMD_ACTION: 'shutdown', RCCMD_COMMAND: '', RCCMD_SENDER: 'gw-b', RCCMD_SENDERS: 'gw-a,gw-b', RCCMD_TEXT: 'UPS "A"; rm -rf /' } }]);
    expect(events).toEqual([
      { type: 'action', action: 'shutdown', command: 'systemctl poweroff', dryRun: false, senders: ['gw-a', 'gw-b'], text: 'UPS "A"; rm -rf /' },
      { type: 'action-done', action: 'shutdown', exitCode: 0 },
    ]);
  });

  it('runs an execute by name; knows which names are configured', async () => {
    const { r, ran, finish } = runner();
    expect(r.canExecute('stop-db')).toBe(true);
    expect(r.canExecute('format-disk')).toBe(false);
    r.run('execute', 'stop-db', ['gw-a'], '', 'gw-a');
    finish();
    await r.idle();
    expect(ran.map((x) => [x.command, x.env.RCCMD_COMMAND])).toEqual([['systemctl stop postgresql', 'stop-db']]);
  });

  it('dry run: reports the action, runs nothing', () => {
    const { r, ran, events } = runner({ dryRun: true });
    r.run('shutdown', null, ['gw-a'], '', 'gw-a');
    expect(ran).toEqual([]);
    expect(events).toEqual([{ type: 'action', action: 'shutdown', command: 'systemctl poweroff', dryRun: true, senders: ['gw-a'] }]);
  });

  it(`runs at most ${MAX_MESSAGE_COMMANDS} message commands at once; shutdown is never held back by them`, async () => {
    const { r, ran, finish } = runner();
    for (let i = 0; i < MAX_MESSAGE_COMMANDS + 2; i++) r.run('message', null, ['gw-a'], `text ${i}`, 'gw-a');
    r.run('shutdown', null, ['gw-a'], '', 'gw-a');
    expect(ran.map((x) => x.env.RCCMD_ACTION)).toEqual([...Array(MAX_MESSAGE_COMMANDS).fill('message'), 'shutdown']);
    finish();
    await r.idle();
    r.run('message', null, ['gw-a'], 'later', 'gw-a');
    expect(ran).toHaveLength(MAX_MESSAGE_COMMANDS + 2);
    finish();
    await r.idle();
  });
});
