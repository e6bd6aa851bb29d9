// `kirchhoff simulate-modules`: measuring modules on a real serial port (a pty pair from socat,
// or a USB adapter), answering the module bus protocol, backed by the string physics.
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { isModuleType, MAX_MODULES, MODULE_TYPE_NAMES, ModuleType } from '@kirchhoff/core';
import { ModuleEmulator } from '../bus/emulator';
import { createFixedBank } from '../bus/fixed-bank';
import type { ModuleBank } from '../bus/module-bank';
import { SerialTransport } from '../serial';
import { createLogger, LOG_LEVELS, LogLevel } from '../log';
import { BatteryPhysics, createPhysicsBank } from '../physics';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage: kirchhoff simulate-modules --port PATH [--strings S] [--modules M] [options]

  --port PATH      serial port the modules hang on (e.g. one end of
                   socat -d -d pty,raw,echo=0,link=/tmp/bus-a pty,raw,echo=0,link=/tmp/bus-b)
  --strings S      strings, 1..16 (default 1)
  --modules M      modules per string (default 20; at most 512 in all)
  --type T         module type: ${MODULE_TYPE_NAMES.join(', ')} (default C20)
  --baud B         baud rate (default 115200)
  --no-pace        answer at once instead of at the line's pace (a pty moves bytes
                   instantly; pacing makes cycle times those of a real line at --baud)
  --bank KIND      physics (string physics on a clock, default) or fixed (constant readings)
  --speed X        simulated seconds per real second for the physics (default 1)
  --seed N         physics seed (default 1)
  --unaddressed    modules start without addresses (commissioning); type "press N" on stdin
                   to press the button of module N
  --log-level L    ${LOG_LEVELS.join(', ')} (default info)`;

function num(value: string | undefined, name: string, lo: number, hi: number, def: number, integer = true): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < lo || n > hi) {
    throw new UsageError(`--${name} ${value} is not valid: expected ${integer ? 'a whole number' : 'a number'} from ${lo} to ${hi}`);
  }
  return n;
}

export const simulateModulesCommand: CliCommand = {
  name: 'simulate-modules',
  summary: 'emulate measuring modules on a serial port (for the bus driver, without hardware)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, strings: { type: 'string' }, modules: { type: 'string' }, type: { type: 'string' },
        baud: { type: 'string' }, 'no-pace': { type: 'boolean' }, bank: { type: 'string' }, speed: { type: 'string' },
        seed: { type: 'string' }, unaddressed: { type: 'boolean' }, 'log-level': { type: 'string' },
      },
      strict: true,
    });
    if (!values.port) throw new UsageError('--port PATH is required');
    const strings = num(values.strings, 'strings', 1, 16, 1);
    const modules = num(values.modules, 'modules', 1, MAX_MODULES, 20);
    if (strings * modules > MAX_MODULES) throw new UsageError(`${strings} x ${modules} modules exceed the bus's ${MAX_MODULES}`);
    const type = (values.type ?? 'C20') as ModuleType;
    if (!isModuleType(type)) throw new UsageError(`--type ${values.type} is not one of ${MODULE_TYPE_NAMES.join(', ')}`);
    const baud = num(values.baud, 'baud', 300, 4_000_000, 115200);
    const speed = num(values.speed, 'speed', 0, 1_000_000, 1, false);
    const seed = num(values.seed, 'seed', 0, 0xffffffff, 1);
    const bankKind = values.bank ?? 'physics';
    if (bankKind !== 'physics' && bankKind !== 'fixed') throw new UsageError(`--bank ${bankKind} is not physics or fixed`);
    const level = (values['log-level'] ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level ${level} is not one of ${LOG_LEVELS.join(', ')}`);

    const logger = createLogger({ level }, 'emulator');
    const layout = Array.from({ length: strings }, () => ({ modules, moduleType: type }));
    let bank: ModuleBank;
    let physicsTimer: NodeJS.Timeout | null = null;
    if (bankKind === 'physics') {
      const physics = new BatteryPhysics({ strings: layout, seed, startMs: Date.now() });
      bank = createPhysicsBank(physics);
      // The physics follows the wall clock (times --speed), in 1 s steps of simulated time.
      let last = Date.now();
      physicsTimer = setInterval(() => {
        const now = Date.now();
        const seconds = ((now - last) / 1000) * speed;
        last = now;
        if (seconds > 0) physics.advance(seconds, Math.min(1, seconds));
      }, 250);
    } else {
      bank = createFixedBank(layout, seed);
    }

    const transport = new SerialTransport({ path: values.port, baudRate: baud, logger });
    await transport.open();
    const emulator = new ModuleEmulator({ bank, transport, logger, paceBaud: values['no-pace'] ? 0 : baud, unaddressed: !!values.unaddressed });
    emulator.start();
    io.out(`emulating ${strings} x ${modules} ${type} modules (${bankKind}) on ${values.port} at ${baud} baud${values['no-pace'] ? '' : ', paced'}${values.unaddressed ? ', unaddressed' : ''}`);

    let lines: ReturnType<typeof createInterface> | null = null;
    if (values.unaddressed) {
      lines = createInterface({ input: process.stdin });
      lines.on('line', (line) => {
        const m = /^\s*press\s+(\d+)\s*$/.exec(line);
        if (!m) return io.err('type "press N" to press the button of module N');
        try {
          emulator.pressButton(Number(m[1]));
          io.out(`module ${m[1]}: button pressed, waiting for ASSIGN_ADDRESS`);
        } catch (e) {
          io.err((e as Error).message);
        }
      });
    }

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    if (physicsTimer) clearInterval(physicsTimer);
    lines?.close();
    await emulator.stop();
    await transport.close();
    io.out(`stopped: ${emulator.stats.requests} requests, ${emulator.stats.responses} answers, ${emulator.stats.badFrames} bad frames`);
    return 0;
  },
};

// Lets tests and benchmarks run the emulator from source without the whole CLI:
// node -r tools/test-support/ts-register.js apps/gateway/src/commands/simulate-modules.ts --port ...
if (require.main === module) {
  const stdio: CliIo = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };
  simulateModulesCommand.run(process.argv.slice(2), stdio).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`simulate-modules: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
