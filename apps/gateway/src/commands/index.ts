// The table of CLI commands. Each command lives in its own file; add one line here per command.
import type { CliCommand } from './types';
import { simulateCommand } from './simulate';
import { simulateModulesCommand } from './simulate-modules';

export const COMMANDS: CliCommand[] = [simulateCommand, simulateModulesCommand];
