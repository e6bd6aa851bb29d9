// RCCMD (@kirchhoff/rccmd) in the gateway: the `rccmd` configuration section and the job runner
// that sends shutdown, execute, message and trap messages when site events happen.
import { ALARM_KIND_NAMES, KirchhoffError } from '@kirchhoff/core';
import {
  JOB_TIMINGS, JOB_TRIGGERS, parseTarget, RccmdJob, RccmdJobRunner, RccmdSender, RccmdTarget,
  targetLabel, TlsIdentity,
} from '@kirchhoff/rccmd';
import { arr, bool, type Infer, int, obj, str } from '../config/schema-dsl';
import { readKeyFile } from '../config/files';
import type { Logger } from '../log';
import { defineAdapter } from './types';
import { recordRccmdSends } from '../services/actions/external';
import type { ActionRecord } from '../services/actions/record';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const NAME_DOC = '1..64 of A-Z a-z 0-9 . _ -';

export const RCCMD_SCHEMA = obj('RCCMD shutdown sender (@kirchhoff/rccmd): jobs that send shutdown, execute, message and trap messages to RCCMD clients or `kirchhoff rccmd-listen`. Formats and what existing RCCMD clients understand: docs/rccmd.md.', {
  enabled: bool('Run the RCCMD jobs.', false),
  senderId: str('This gateway\'s id in the kirchhoff format (a listener\'s senders[].id).', { default: 'kirchhoff', pattern: NAME, patternDoc: NAME_DOC }),
  hmacKey: str('Shared secret: every kirchhoff-format message is signed with HMAC-SHA256 (timestamp, nonce, replay window). Empty = unsigned, warned about at start-up.', { default: '', pattern: /^(.{16,})?$/, patternDoc: 'empty, or at least 16 characters' }),
  tls: obj('Client certificate for targets with transport tls (TLS 1.3, PEM files).', {
    cert: str('Certificate file.', { default: '' }),
    key: str('Private key file.', { default: '' }),
    ca: str('File of the CA that signed the listeners\' certificates.', { default: '' }),
  }),
  retryForS: int('Keep retrying an undelivered message this long.', { min: 0, max: 30, default: 30, unit: 's' }),
  aliveIntervalS: int('Send an alive message to every kirchhoff-format unicast target this often, for the listeners\' alive checks; 0 = never.', { min: 0, max: 3600, default: 0, unit: 's' }),
  jobs: arr('What to send when.', obj('A job', {
    name: str('Name in logs and in the message.', { pattern: NAME, patternDoc: NAME_DOC }),
    trigger: str('The event: ups-on-battery, battery-low, runtime-below (runtimeBelowS), thermal-runaway, or alarm (any alarm of alarmKind).', { enum: JOB_TRIGGERS }),
    alarmKind: str('trigger alarm: the alarm kind.', { enum: ALARM_KIND_NAMES, optional: true }),
    runtimeBelowS: int('trigger runtime-below: active while the runtime on battery is below this.', { min: 1, max: 86_400, default: 300, unit: 's' }),
    timing: str('immediately; after-delay (seconds after the event, cancelled if it clears); repeat (every seconds); after-on-battery (seconds on battery); at-remaining-runtime (seconds of runtime left).', { enum: JOB_TIMINGS, default: 'immediately' }),
    seconds: int('The timing\'s N (all timings but immediately need it).', { min: 0, max: 86_400, default: 0, unit: 's' }),
    kind: str('What to send.', { enum: ['shutdown', 'message', 'execute', 'trap'], default: 'shutdown' }),
    text: str('Text with placeholders (#UPSNAME, #AUTONOMY, #INVOLT, ...: docs/rccmd.md); empty = a default per trigger.', { default: '' }),
    clearText: str('Message sent when the event clears after the job fired (e.g. "Powerfail on #UPSNAME: restored."); empty = none.', { default: '' }),
    command: str('kind execute: the name of a command prepared on the listener.', { default: '', pattern: /^([A-Za-z0-9._-]{1,64})?$/, patternDoc: `empty, or ${NAME_DOC}` }),
    format: str('kirchhoff (this project\'s format, signed when hmacKey is set) or rccmd (the public RCCMD text form: message and trap only, unauthenticated).', { enum: ['kirchhoff', 'rccmd'], default: 'kirchhoff' }),
    transport: str('udp, tcp, or tls (kirchhoff format, rccmd.tls certificate).', { enum: ['udp', 'tcp', 'tls'], default: 'udp' }),
    targets: arr('Listeners as host or host:port (port 6003 unless given).', str('host[:port]', { pattern: /^(\[[0-9a-fA-F:.]+\]|[0-9A-Za-z._-]+)(:\d{1,5})?$/, patternDoc: 'host or host:port' }), { default: [] }),
    broadcast: str('A broadcast address to send to as well (UDP), e.g. 10.0.0.255 or 10.0.0.255:6003; empty = none.', { default: '', pattern: /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?)?$/, patternDoc: 'empty, or an IPv4 broadcast address[:port]' }),
  }), { default: [] }),
});

export type RccmdConfig = Infer<typeof RCCMD_SCHEMA>;
export type RccmdJobConfig = RccmdConfig['jobs'][number];

function jobFrom(j: RccmdJobConfig, i: number): RccmdJob {
  const where = `rccmd.jobs.${i}`;
  let targets: RccmdTarget[];
  try {
    targets = [
      ...j.targets.map((t) => parseTarget(t, j.transport)),
      ...(j.broadcast ? [parseTarget(j.broadcast, 'udp', true)] : []),
    ];
  } catch (error) {
    throw new KirchhoffError('config.rccmd', `${where}: ${(error as Error).message}`);
  }
  return {
    name: j.name, trigger: j.trigger, timing: j.timing, kind: j.kind, format: j.format, targets,
    ...(j.trigger === 'alarm' && j.alarmKind ? { alarmKind: j.alarmKind } : {}),
    ...(j.trigger === 'runtime-below' ? { runtimeBelowS: j.runtimeBelowS } : {}),
    ...(j.timing !== 'immediately' ? { seconds: j.seconds } : {}),
    ...(j.text ? { text: j.text } : {}),
    ...(j.clearText ? { clearText: j.clearText } : {}),
    ...(j.command ? { command: j.command } : {}),
  };
}

const readPem = (file: string, key: string): string => readKeyFile(key, file);

/** Every way this configuration sends something a listener cannot authenticate, in words. */
export function unauthenticatedJobs(c: RccmdConfig): string[] {
  return c.jobs.flatMap((j) => {
    if (j.format === 'rccmd') return [`${j.name} (public RCCMD form)`];
    if (!c.hmacKey && j.transport !== 'tls') return [`${j.name} (kirchhoff format without rccmd.hmacKey over ${j.transport})`];
    if (!c.hmacKey && j.broadcast) return [`${j.name} (broadcast without rccmd.hmacKey)`];
    return [];
  });
}

function describeJobs(c: RccmdConfig): string {
  return `${c.jobs.length} job${c.jobs.length === 1 ? '' : 's'}`;
}

export const rccmdAdapter = defineAdapter<'rccmd', typeof RCCMD_SCHEMA, { readonly actions?: ActionRecord }>({
  key: 'rccmd',
  schema: RCCMD_SCHEMA,
  // A text message only, never a shutdown, to a loopback port: harmless when nothing listens.
  // Watch it with `kirchhoff rccmd-listen --config packages/rccmd/examples/demo-listener.yaml`.
  demo: {
    enabled: true,
    jobs: [{ name: 'demo-powerfail', trigger: 'ups-on-battery', kind: 'message', format: 'rccmd', targets: ['127.0.0.1:16003'], clearText: 'Powerfail on #UPSNAME: restored.' }],
  },
  notices(c) {
    const open = c.enabled ? unauthenticatedJobs(c) : [];
    return open.length
      ? [{ id: 'rccmd-unauthenticated', severity: 'critical', key: 'rccmd.hmacKey', message: `Unauthenticated RCCMD messages: ${open.join(', ')}. Anyone on the network can forge such messages. Set rccmd.hmacKey (and at the listeners), or use transport tls.` }]
      : [];
  },
  services: (c) => [{ name: 'RCCMD sender', endpoint: describeJobs(c), enabled: c.enabled }],
  // The sender listens on nothing; a failure to start is about its jobs.
  portKey: () => ({ key: 'rccmd.jobs', port: 0 }),
  async start({ config: c, site, logger, actions }) {
    if (!c.enabled) return null;
    const jobs = c.jobs.map(jobFrom);
    let tls: TlsIdentity | null = null;
    if (c.jobs.some((j) => j.transport === 'tls')) {
      if (!c.tls.cert || !c.tls.key || !c.tls.ca) throw new KirchhoffError('config.rccmd', 'jobs with transport tls need rccmd.tls.cert, rccmd.tls.key and rccmd.tls.ca (PEM files)');
      tls = { cert: readPem(c.tls.cert, 'rccmd.tls.cert'), key: readPem(c.tls.key, 'rccmd.tls.key'), ca: readPem(c.tls.ca, 'rccmd.tls.ca') };
    }
    const sender = new RccmdSender({ id: c.senderId, hmacKey: c.hmacKey || null, tls, retryForMs: c.retryForS * 1000, logger });
    const runner = new RccmdJobRunner(site, sender, jobs, { logger });
    // Every send and its result also goes into the alarm-action record (HTTP /api/actions, history).
    const unrecord = actions ? recordRccmdSends(sender, actions) : null;
    warnAtStart(c, jobs, logger);
    runner.start();
    const aliveTargets = uniqueTargets(jobs.filter((j) => j.format === 'kirchhoff').flatMap((j) => j.targets.filter((t) => !t.broadcast)));
    if (c.aliveIntervalS > 0) sender.startAlive(aliveTargets, c.aliveIntervalS * 1000);
    return {
      services: [{ name: 'RCCMD sender', endpoint: describeJobs(c) }],
      async close() {
        unrecord?.();
        runner.stop();
        sender.close();
      },
    };
  },
});

function uniqueTargets(targets: readonly RccmdTarget[]): RccmdTarget[] {
  const seen = new Map<string, RccmdTarget>();
  for (const t of targets) seen.set(targetLabel(t), t);
  return [...seen.values()];
}

function warnAtStart(c: RccmdConfig, jobs: readonly RccmdJob[], logger: Logger): void {
  if (!jobs.length) logger.warn('rccmd.enabled is true but rccmd.jobs is empty: nothing will be sent');
  const open = unauthenticatedJobs(c);
  if (open.length) {
    logger.warn(`UNAUTHENTICATED RCCMD messages configured: ${open.join(', ')}. Anyone on the network can forge such messages, and a listener cannot tell them from this gateway's. Set rccmd.hmacKey (and the same key at the listener), or use transport tls.`);
  }
  for (const j of jobs) {
    logger.info(`RCCMD job ${j.name}: ${j.kind}${j.command ? ` ${j.command}` : ''} on ${j.trigger === 'alarm' ? `alarm ${j.alarmKind}` : j.trigger}${j.timing === 'immediately' ? '' : `, ${j.timing} ${j.seconds} s`} to ${j.targets.map(targetLabel).join(', ')} (${j.format} format)`);
  }
}
