// `kirchhoff rccmd-listen --config FILE`: the RCCMD listener for a host that must shut down,
// configured from a YAML file (allowed senders, keys, redundancy, commands, dry run).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { AllowedSender, RccmdListener, RCCMD_PORT } from '@kirchhoff/rccmd';
import { ConfigError } from '../config/load';
import { arr, bool, int, map, obj, str, validate } from '../config/schema-dsl';
import { createLogger, LOG_LEVELS, Logger, LogLevel } from '../log';
import { CliCommand, CliIo, UsageError } from './types';

const USAGE = `usage:
  kirchhoff rccmd-listen --config FILE [--dry-run]

  --config FILE   the listener's YAML file (allowed senders, keys, redundancy, commands);
                  an example is packages/rccmd/examples/listener.yaml, keys in docs/rccmd.md
  --dry-run       log what would run instead of running it (overrides the file)`;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const endpoint = (what: string, port: number, on: boolean) => obj(`${what}.`, {
  enabled: bool(`Listen on ${what}.`, on),
  host: str('Address to listen on.', { default: '0.0.0.0', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' }),
  port: int('Port; 0 = any free port (for tests).', { min: 0, max: 65535, default: port }),
});

export const LISTENER_SCHEMA = obj('kirchhoff rccmd-listen configuration', {
  id: str('This listener\'s id in its answers.', { default: 'listener', pattern: NAME, patternDoc: '1..64 of A-Z a-z 0-9 . _ -' }),
  udp: endpoint('UDP (RCCMD port 6003)', RCCMD_PORT, true),
  tcp: endpoint('TCP (RCCMD port 6003)', RCCMD_PORT, true),
  tls: obj('TLS 1.3 with client certificates (this project\'s own; port 6004 is its own choice).', {
    enabled: bool('Listen for TLS.', false),
    host: str('Address to listen on.', { default: '0.0.0.0', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' }),
    port: int('Port; 0 = any free port (for tests).', { min: 0, max: 65535, default: 6004 }),
    cert: str('This listener\'s certificate (PEM file).', { default: '' }),
    key: str('Its private key (PEM file).', { default: '' }),
    ca: str('The CA that signs the senders\' client certificates (PEM file).', { default: '' }),
  }),
  senders: arr('Allowed senders; messages from anyone else are refused.', obj('A sender', {
    address: str('IP address or CIDR range.', { pattern: /^[0-9a-fA-F.:]+(\/\d{1,3})?$/, patternDoc: 'an IP address or CIDR range' }),
    id: str('The sender id it uses (the gateway\'s rccmd.senderId); empty = any.', { default: '', pattern: /^([A-Za-z0-9._-]{1,64})?$/, patternDoc: 'empty, or 1..64 of A-Z a-z 0-9 . _ -' }),
    key: str('HMAC key shared with this sender (the gateway\'s rccmd.hmacKey).', { default: '', pattern: /^(.{16,})?$/, patternDoc: 'empty, or at least 16 characters' }),
    keyFile: str('File holding the key instead (first line).', { default: '' }),
  }), { default: [] }),
  redundancy: int('Act on a shutdown or execute only after this many different senders sent it.', { min: 1, max: 64, default: 1 }),
  voteWindowS: int('How long a sender\'s vote counts.', { min: 1, max: 86_400, default: 600, unit: 's' }),
  aliveTimeoutS: int('Report a sender silent when not heard from this long; 0 = no alive checks.', { min: 0, max: 86_400, default: 0, unit: 's' }),
  replayWindowS: int('Accepted clock difference for signed messages.', { min: 1, max: 3600, default: 30, unit: 's' }),
  allowUnauthenticated: bool('Accept unsigned shutdown/execute (kirchhoff format) from allowed addresses: dangerous, warned about.', false),
  acceptRccmdMessages: bool('Accept public-form RCCMD text messages (unauthenticated; they only show text).', false),
  dryRun: bool('Only log what would run.', false),
  actions: obj('What to run.', {
    shutdown: str('Command for a shutdown, e.g. systemctl poweroff; empty = log only.', { default: '' }),
    execute: map('Commands an execute may name (name: command line).', NAME, 'command names', str('A command line.')),
    message: str('Command for each message, with the text in $RCCMD_TEXT, e.g. logger -t rccmd "$RCCMD_TEXT"; empty = log only.', { default: '' }),
  }),
  log: obj('Logging.', {
    level: str('Least severe level written.', { enum: LOG_LEVELS, default: 'info' }),
    format: str('json or pretty; auto = pretty on a terminal.', { enum: ['auto', 'json', 'pretty'], default: 'auto' }),
  }),
});

interface ListenerFile {
  id: string;
  udp: { enabled: boolean; host: string; port: number };
  tcp: { enabled: boolean; host: string; port: number };
  tls: { enabled: boolean; host: string; port: number; cert: string; key: string; ca: string };
  senders: { address: string; id: string; key: string; keyFile: string }[];
  redundancy: number; voteWindowS: number; aliveTimeoutS: number; replayWindowS: number;
  allowUnauthenticated: boolean; acceptRccmdMessages: boolean; dryRun: boolean;
  actions: { shutdown: string; execute: Record<string, string>; message: string };
  log: { level: LogLevel; format: 'auto' | 'json' | 'pretty' };
}

function readText(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: key, message: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` }], file);
  }
}

/** Reads and validates a listener file; throws a ConfigError listing every problem. */
export function readListenerFile(file: string): ListenerFile {
  const text = readText(file, '(file)');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `not valid YAML: ${(error as Error).message.split('\n')[0]}` }], file);
  }
  const { value, problems } = validate(LISTENER_SCHEMA, data ?? {});
  const c = value as ListenerFile;
  if (!problems.length) {
    if (c.tls.enabled && (!c.tls.cert || !c.tls.key || !c.tls.ca)) problems.push({ path: 'tls', message: 'tls.enabled needs tls.cert, tls.key and tls.ca' });
    if (!c.udp.enabled && !c.tcp.enabled && !c.tls.enabled) problems.push({ path: 'udp', message: 'no transport enabled: enable udp, tcp or tls' });
    if (c.redundancy > Math.max(1, c.senders.length)) problems.push({ path: 'redundancy', message: `${c.redundancy} is more than the ${c.senders.length} allowed senders` });
  }
  if (problems.length) throw new ConfigError(problems, file);
  return c;
}

/** Starts the listener a file describes (the CLI command without its signal handling). */
export async function startListenerFromFile(file: string, options: { dryRun?: boolean; logger?: Logger } = {}): Promise<RccmdListener> {
  const c = readListenerFile(file);
  const logger = options.logger ?? createLogger({ level: c.log.level, format: c.log.format === 'auto' ? undefined : c.log.format }, 'rccmd-listen');
  const senders: AllowedSender[] = c.senders.map((s, i) => {
    const key = s.keyFile ? readText(s.keyFile, `senders.${i}.keyFile`).split('\n')[0].trim() : s.key;
    return { address: s.address, ...(s.id ? { id: s.id } : {}), ...(key ? { key } : {}) };
  });
  const listener = new RccmdListener({
    id: c.id,
    udp: c.udp.enabled ? { host: c.udp.host, port: c.udp.port } : null,
    tcp: c.tcp.enabled ? { host: c.tcp.host, port: c.tcp.port } : null,
    tls: c.tls.enabled ? { host: c.tls.host, port: c.tls.port, cert: readText(c.tls.cert, 'tls.cert'), key: readText(c.tls.key, 'tls.key'), ca: readText(c.tls.ca, 'tls.ca') } : null,
    senders,
    redundancy: c.redundancy,
    voteWindowS: c.voteWindowS,
    aliveTimeoutS: c.aliveTimeoutS,
    replayWindowS: c.replayWindowS,
    allowUnauthenticated: c.allowUnauthenticated,
    acceptRccmdMessages: c.acceptRccmdMessages,
    dryRun: options.dryRun || c.dryRun,
    actions: {
      ...(c.actions.shutdown ? { shutdown: c.actions.shutdown } : {}),
      execute: c.actions.execute,
      ...(c.actions.message ? { message: c.actions.message } : {}),
    },
    logger,
  });
  await listener.start();
  return listener;
}

export const rccmdListenCommand: CliCommand = {
  name: 'rccmd-listen',
  summary: 'run the RCCMD listener of a host that must shut down (--config FILE)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'dry-run': { type: 'boolean' } }, strict: true });
    if (!values.config) throw new UsageError('say which listener file to use: --config FILE');
    const listener = await startListenerFromFile(values.config, { dryRun: values['dry-run'] });
    io.out(`RCCMD listener on ${listener.endpoints().join(', ')}${values['dry-run'] ? ' (dry run)' : ''}; Ctrl-C stops it.`);
    return new Promise<number>((resolve) => {
      const stop = () => listener.close().then(() => resolve(0), () => resolve(1));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
