// The table of CLI commands. Each command lives in its own file; add one line here per command.
import type { CliCommand } from './types';

export const COMMANDS: CliCommand[] = [];
