// The `kirchhoff` command line: dispatches to the commands in commands/, turns usage and
// configuration errors into one clear message and an exit code (never a stack trace).
import { KirchhoffError } from '@kirchhoff/core';
import { COMMANDS } from './commands';
import { CliCommand, CliIo, UsageError } from './commands/types';
import { SOFTWARE_VERSION } from './version';

export function version(): string {
  return SOFTWARE_VERSION;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `kirchhoff ${version()}: open battery management gateway`,
    '',
    'usage: kirchhoff COMMAND [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '  kirchhoff COMMAND --help    options of a command',
    '  kirchhoff --version',
    '',
    'Quick start: kirchhoff start --demo',
  ].join('\n');
}

const stdio: CliIo = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };

/** Finds the command whose words start argv (longest first: `config check` before `config`). */
function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  const sorted = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

export async function run(argv: string[], io: CliIo = stdio): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(help());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.out(`kirchhoff ${version()}`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`kirchhoff: unknown command ${JSON.stringify(argv.join(' '))}\n\n${help()}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kirchhoff ${command.name}: ${(e as Error).message}\n\n${command.usage}`);
      return 2;
    }
    if (e instanceof KirchhoffError) {
      io.err(`kirchhoff ${command.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** Exits once stdout and stderr have drained: a pipe (`simulate --json | jq`) gets every byte. */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  // A reader that went away never drains: exit anyway after a moment.
  setTimeout(() => process.exit(code), 2000).unref();
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export function main(argv: string[]): void {
  run(argv).then(
    (code) => exitAfterFlush(code),
    (error) => {
      process.stderr.write(`kirchhoff: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(70);
    },
  );
}
