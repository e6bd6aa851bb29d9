// `kirchhoff hash-password`: reads a password (typed without echo on a terminal, or the first line
// of standard input) and prints its scrypt hash for http.users[].passwordHash.
import type { Readable } from 'node:stream';
import { UsageError, type CliCommand, type CliIo } from './types';
import { hashPassword } from '@kirchhoff/http';

const USAGE = `usage:
  kirchhoff hash-password            type the password twice (not shown)
  printf '%s\\n' "$PASSWORD" | kirchhoff hash-password
                                     hash the first line of standard input

Prints a line for http.users in the configuration:
  - { name: NAME, role: viewer|operator|admin, passwordHash: '$scrypt$ln=15,r=8,p=1$...' }`;

const MIN_LENGTH = 8;

/** The first line of a non-terminal input. */
function firstLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => { input.removeAllListeners('data'); resolve(text.split(/\r?\n/)[0]); };
    input.setEncoding('utf8');
    input.on('data', (d: string) => { text += d; if (text.includes('\n')) { input.pause(); done(); } });
    input.once('end', done);
    input.once('error', reject);
  });
}

/** Reads one line from a terminal without echoing it. */
function hidden(input: NodeJS.ReadStream, prompt: string, io: CliIo): Promise<string> {
  return new Promise((resolve) => {
    io.err(prompt);
    let text = '';
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          io.err('\n');
          resolve(text);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        text = ch === '\u007f' || ch === '\b' ? text.slice(0, -1) : text + ch;
      }
    };
    input.on('data', onData);
  });
}

export const hashPasswordCommand: CliCommand & { run(argv: string[], io: CliIo, input?: Readable): Promise<number> } = {
  name: 'hash-password',
  summary: 'print the scrypt hash of a password for http.users',
  usage: USAGE,
  async run(argv: string[], io: CliIo, input: Readable = process.stdin): Promise<number> {
    if (argv.length) throw new UsageError(`hash-password takes no arguments (a password on the command line would stay in the shell history): ${argv.join(' ')}`);
    const tty = (input as NodeJS.ReadStream).isTTY === true;
    let password: string;
    if (tty) {
      password = await hidden(input as NodeJS.ReadStream, 'Password: ', io);
      const again = await hidden(input as NodeJS.ReadStream, 'Again: ', io);
      if (again !== password) {
        io.err('the two passwords differ: nothing printed\n');
        return 1;
      }
    } else {
      password = await firstLine(input);
    }
    if (password.length < MIN_LENGTH) {
      io.err(`the password has ${password.length} characters: use at least ${MIN_LENGTH} (a passphrase of several words is best)\n`);
      return 1;
    }
    io.out(`${await hashPassword(password)}\n`);
    return 0;
  },
};
