// `kirchhoff simulate-ups`: a Megatec/Q1 UPS on a serial port (one end of a socat pty pair, or a
// USB adapter), for the q1 UPS source without hardware. Stdin lines change its state.
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { SerialTransport } from '../serial';
import { createLogger } from '../log';
import { Q1Emulator } from '../services/sources/q1/emulator';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage: kirchhoff simulate-ups --port PATH [--baud B]

  --port PATH   serial port the UPS is on (e.g. one end of
                socat -d -d pty,raw,echo=0,link=/tmp/ups-a pty,raw,echo=0,link=/tmp/ups-b)
  --baud B      baud rate (default 2400)

Answers Q1, I and F; runs T, TL, T<nn>, CT, Q, S<n>[R<m>] and C like a Q1 unit; echoes
anything else. Lines on stdin change the UPS:
  mains on|off       utility present or failed (b7)
  battery low|ok     battery-low bit (b6)
  load N             output load in percent
  battery-voltage V  reported battery voltage
  fail-test on|off   the next battery test ends with the UPS-failed bit (b4)
  silent on|off      stop answering (a pulled cable)`;

export const simulateUpsCommand: CliCommand = {
  name: 'simulate-ups',
  summary: 'emulate a Megatec/Q1 UPS on a serial port (for the q1 UPS source, without hardware)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, baud: { type: 'string' } }, strict: true });
    if (!values.port) throw new UsageError('--port PATH is required');
    const baud = Number(values.baud ?? 2400);
    if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000) throw new UsageError(`--baud ${values.baud} is not valid: expected a whole number from 300 to 4000000`);
    const logger = createLogger({ level: 'info' }, 'simulate-ups');
    const transport = new SerialTransport({ path: values.port, baudRate: baud, logger });
    if (!(await transport.open())) {
      io.err(`cannot open ${values.port}`);
      await transport.close();
      return 1;
    }
    // Queries are polled every few seconds; print only what changes the UPS.
    const ups = new Q1Emulator(transport, {
      onCommand: (command, reply) => {
        if (!['Q1', 'I', 'F'].includes(command)) io.out(`received ${JSON.stringify(command)}${reply === null ? '' : ` -> ${JSON.stringify(reply)}`}`);
      },
    });
    io.out(`emulating a Q1 UPS on ${values.port} at ${baud} baud (stdin: mains on|off, battery low|ok, load N, battery-voltage V, fail-test on|off, silent on|off)`);
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const [what, arg] = line.trim().split(/\s+/);
      const on = arg === 'on';
      const s = ups.state;
      if (what === 'mains' && (arg === 'on' || arg === 'off')) s.mainsOn = on;
      else if (what === 'battery' && (arg === 'low' || arg === 'ok')) s.batteryLow = arg === 'low';
      else if (what === 'load' && Number.isFinite(Number(arg))) s.loadPercent = Math.max(0, Math.min(200, Number(arg)));
      else if (what === 'battery-voltage' && Number.isFinite(Number(arg))) s.batteryVoltageV = Number(arg);
      else if (what === 'fail-test' && (arg === 'on' || arg === 'off')) s.failNextTest = on;
      else if (what === 'silent' && (arg === 'on' || arg === 'off')) s.silent = on;
      else if (what) return io.err(`unknown input ${JSON.stringify(line)}`);
      else return;
      io.out(`ok ${line.trim()}`);
    });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      rl.once('close', () => undefined);
    });
    rl.close();
    ups.stop();
    await transport.close();
    return 0;
  },
};

// Lets tests run the emulator from source without the whole CLI:
// node -r tools/test-support/ts-register.js apps/gateway/src/commands/simulate-ups.ts --port ...
if (require.main === module) {
  const stdio: CliIo = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };
  simulateUpsCommand.run(process.argv.slice(2), stdio).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`simulate-ups: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
