// Runs what an accepted message asks for: the configured shutdown, a named execute command, or
// the message command (bounded in number: any allowed sender can send texts), or only logs it in
// dry-run mode. The message text reaches a command through RCCMD_TEXT, never its command line.
import { spawn } from 'node:child_process';
import type { RateLimitedLog } from '@kirchhoff/core';
import type { RccmdLogger } from '../log';
import type { ListenerAction, ListenerActions, ListenerEvent } from './options';

/** Message commands (actions.message) running at once; further messages meanwhile run nothing. */
export const MAX_MESSAGE_COMMANDS = 4;

export type RunCommand = (command: string, env: Readonly<Record<string, string>>) => Promise<number | null>;

export function defaultRunCommand(command: string, env: Readonly<Record<string, string>>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
}

export interface CommandRunnerOptions {
  readonly actions: ListenerActions;
  readonly dryRun: boolean;
  readonly runCommand: RunCommand;
  readonly logger: RccmdLogger;
  readonly problems: RateLimitedLog;
  readonly emit: (event: ListenerEvent) => void;
}

export class CommandRunner {
  private readonly running = new Set<Promise<unknown>>();
  private runningMessages = 0;

  constructor(private readonly o: CommandRunnerOptions) {}

  /** Whether an execute of `name` is configured. */
  canExecute(name: string | undefined): boolean {
    return !!name && !!this.o.actions.execute?.[name];
  }

  /** Runs (or in dry run logs) `action`; `senders` decided it, `sender` sent the last message. */
  run(action: ListenerAction, name: string | null, senders: readonly string[], text: string, sender: string): void {
    const a = this.o.actions;
    const command = action === 'shutdown' ? a.shutdown : action === 'execute' ? a.execute?.[name!] : a.message;
    const dryRun = this.o.dryRun;
    const logger = this.o.logger;
    this.o.emit({ type: 'action', action, command: command ?? null, dryRun, senders, ...(text ? { text } : {}) });
    const what = `${action}${name ? ` ${name}` : ''}`;
    if (!command) {
      if (action !== 'message') logger.error(`RCCMD ${what} accepted from ${senders.join(', ')}, but no ${action} command is configured`);
      return;
    }
    if (dryRun) {
      logger.warn(`RCCMD DRY RUN: would run ${what}: ${command}`, { senders, text });
      return;
    }
    // Message commands follow any text a sender (or, in public form, anyone on an allowed address)
    // sends: bounded in number, and logged only when they fail. Shutdown and execute are voted on.
    const isMessage = action === 'message';
    if (isMessage && this.runningMessages >= MAX_MESSAGE_COMMANDS) {
      this.o.problems.warn('message-command-busy', `RCCMD message from ${sender}: ${MAX_MESSAGE_COMMANDS} message commands still running: not run`, { senders });
      return;
    }
    if (!isMessage) logger.warn(`RCCMD ${what}: running ${command}`, { senders });
    const env = { RCCMD_ACTION: action, RCCMD_COMMAND: name ?? '', RCCMD_SENDER: sender, RCCMD_SENDERS: senders.join(','), RCCMD_TEXT: text };
    if (isMessage) this.runningMessages++;
    const run = this.o.runCommand(command, env).then(
      (code) => {
        this.o.emit({ type: 'action-done', action, exitCode: code });
        if (isMessage) {
          if (code !== 0) this.o.problems.warn('message-command-failed', `RCCMD ${what}: command failed`, { exitCode: code });
        } else if (code === 0) logger.info(`RCCMD ${what}: command ended`, { exitCode: code });
        else logger.error(`RCCMD ${what}: command failed`, { exitCode: code });
      },
      (error) => logger.error(`RCCMD ${what}: command could not run: ${(error as Error).message}`),
    ).finally(() => {
      this.running.delete(run);
      if (isMessage) this.runningMessages--;
    });
    this.running.add(run);
  }

  /** Resolves when every command started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}
