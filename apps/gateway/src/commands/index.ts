// The table of CLI commands. Each command lives in its own file; add one line here per command.
import type { CliCommand } from './types';
import { hashPasswordCommand } from './hash-password';
import { startCommand } from './start';
import { configCheckCommand } from './config-check';
import { simulateModulesCommand } from './simulate-modules';
import { simulateCommand } from './simulate';
import { rccmdListenCommand } from './rccmd-listen';
import { exportCommand } from './export';
import { simulateUpsCommand } from './simulate-ups';
import { passportCommand } from './passport';
import { reportCommand } from './report';

export const COMMANDS: CliCommand[] = [startCommand, configCheckCommand, simulateModulesCommand, simulateCommand, rccmdListenCommand, simulateUpsCommand, exportCommand, passportCommand, reportCommand, hashPasswordCommand];
