// One CLI command per file: name, one-line summary, usage text and a run function that returns
// the process exit code. cli.ts dispatches on the table in commands/index.ts.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  /** What the user types after `kirchhoff`, e.g. `start` or `config check`. */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A usage error: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {}
