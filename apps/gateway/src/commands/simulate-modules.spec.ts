// `kirchhoff simulate-modules` argument checks: what a user who mistypes sees.
import { MODULE_TYPE_NAMES } from '@kirchhoff/core';
import { simulateModulesCommand } from './simulate-modules';
import { UsageError } from './types';

const io = { out: () => undefined, err: () => undefined };
const run = (args: string[]) => simulateModulesCommand.run(args, io);

describe('kirchhoff simulate-modules arguments', () => {
  it('needs a port', async () => {
    await expect(run(['--strings', '2'])).rejects.toThrow(new UsageError('--port PATH is required'));
  });

  it('refuses more modules than the bus addresses', async () => {
    await expect(run(['--port', '/dev/null', '--strings', '16', '--modules', '33'])).rejects.toThrow(/16 x 33 modules exceed the bus's 512/);
  });

  it('refuses unknown module types and banks, naming the valid ones', async () => {
    await expect(run(['--port', '/dev/null', '--type', 'C99'])).rejects.toThrow(`--type C99 is not one of ${MODULE_TYPE_NAMES.join(', ')}`);
    await expect(run(['--port', '/dev/null', '--bank', 'magic'])).rejects.toThrow(/--bank magic is not physics or fixed/);
  });

  it('refuses a baud rate that is not a whole number', async () => {
    await expect(run(['--port', '/dev/null', '--baud', 'fast'])).rejects.toThrow(/--baud fast is not valid/);
  });
});
