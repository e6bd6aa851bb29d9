// The command interface: writes from any protocol pass through here. Each command is validated
// against the site, authorized against the policy (everything off unless configured), then
// either applied to the model (thresholds, alarm acknowledgement) or handed to the executor
// (relays, UPS tests, module commands), which the gateway implements. Every outcome is audited
// on the change feed.
import { KirchhoffError } from './errors';
import { RESISTANCE_MODES } from './alarms/thresholds';
import type { Site } from './site';

export * from './command-types';
import type { Command, CommandOrigin, CommandType, Protocol, UpsControlPatch, UpsSettingsPatch } from './command-types';
import { COMMAND_TYPES, MODULE_ACTIONS, UPS_TESTS } from './command-types';

type FieldCheck = (v: unknown) => string | null;
const wholeIn = (lo: number, hi: number): FieldCheck => (v) => (Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? null : `a whole number from ${lo} to ${hi}`);
const numberIn = (lo: number, hi: number): FieldCheck => (v) => (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? null : `a number from ${lo} to ${hi}`);
const oneOf = (...values: unknown[]): FieldCheck => (v) => (values.includes(v) ? null : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
const text = (max: number): FieldCheck => (v) => (typeof v === 'string' && v.length <= max ? null : `a text of at most ${max} characters`);

/** RFC 1628 ranges of the writable upsControl objects. */
const UPS_CONTROL_FIELDS: Record<keyof UpsControlPatch, FieldCheck> = {
  shutdownType: oneOf('output', 'system'),
  shutdownAfterDelayS: wholeIn(-1, 2147483647),
  startupAfterDelayS: wholeIn(-1, 2147483647),
  rebootWithDurationS: wholeIn(-1, 300),
  autoRestart: oneOf(true, false),
};
/** RFC 1628 ranges of the writable upsIdent and upsConfig objects. */
const UPS_SETTINGS_FIELDS: Record<keyof UpsSettingsPatch, FieldCheck> = {
  name: text(63),
  attachedDevices: text(63),
  inputVoltageV: wholeIn(0, 2147483647),
  inputFrequencyHz: numberIn(0, 214748364.7),
  outputVoltageV: wholeIn(0, 2147483647),
  outputFrequencyHz: numberIn(0, 214748364.7),
  lowBattTimeMin: wholeIn(0, 2147483647),
  audibleStatus: oneOf('disabled', 'enabled', 'muted'),
  lowVoltageTransferPointV: wholeIn(0, 2147483647),
  highVoltageTransferPointV: wholeIn(0, 2147483647),
};

function checkFields(what: string, value: unknown, fields: Record<string, FieldCheck>): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CommandError('invalid', `${what} must be an object of ${Object.keys(fields).join(', ')}`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) throw new CommandError('invalid', `${what} changes nothing: give at least one of ${Object.keys(fields).join(', ')}`);
  for (const [k, v] of entries) {
    const check = fields[k];
    if (!check) throw new CommandError('invalid', `${what}.${k} is unknown (valid: ${Object.keys(fields).join(', ')})`);
    const expected = check(v);
    if (expected) throw new CommandError('invalid', `${what}.${k} must be ${expected}, got ${JSON.stringify(v)}`);
  }
}


export type CommandErrorCode = 'invalid' | 'not-found' | 'forbidden' | 'unsupported' | 'failed';

export class CommandError extends KirchhoffError {
  declare readonly code: CommandErrorCode;
  constructor(code: CommandErrorCode, message: string) {
    super(code, message);
  }
}

export interface CommandResult {
  readonly ok: true;
  readonly message: string;
}

/** What the gateway implements for commands that reach hardware. */
export interface CommandExecutor {
  execute(command: Exclude<Command, { type: 'set-threshold' | 'acknowledge-alarm' }>, origin: CommandOrigin): Promise<CommandResult>;
}

/** Which command types each protocol may submit. Absent = none: writes are off unless configured. */
export type CommandPolicy = Partial<Record<Protocol, readonly CommandType[] | 'all'>>;

/** Resolves once every audit row recorded so far is durable (the data logger's commit). */
export type AuditCommit = () => Promise<void>;

export class CommandInterface {
  private auditCommit: AuditCommit | null = null;

  constructor(
    private readonly site: Site,
    private readonly executor: CommandExecutor | null,
    private policy: CommandPolicy = {},
  ) {}

  /**
   * The audit log that records commands: `submit` answers (a protocol acknowledges the write) only
   * after it resolves, so an acknowledged command has its audit row even if the process dies next.
   * null = no durable audit log (nothing to wait for).
   */
  setAuditCommit(commit: AuditCommit | null): void {
    this.auditCommit = commit;
  }

  setPolicy(policy: CommandPolicy): void {
    this.policy = policy;
  }

  /** True when `origin` may submit commands of `type` at all (adapters use it to show read-only). */
  allows(protocol: Protocol, type: CommandType): boolean {
    const p = this.policy[protocol];
    return p === 'all' || (Array.isArray(p) && p.includes(type));
  }

  async submit(command: Command, origin: CommandOrigin): Promise<CommandResult> {
    try {
      this.validate(command);
      if (!this.allows(origin.protocol, command.type)) {
        throw new CommandError('forbidden', `${command.type} from ${origin.protocol} is not enabled: writes are off unless the configuration enables them for this protocol`);
      }
      const result = await this.apply(command, origin);
      this.audit(command, origin, 'ok');
      await this.committed();
      return result;
    } catch (error) {
      const e = error instanceof CommandError ? error : new CommandError('failed', error instanceof Error ? error.message : String(error));
      this.audit(command, origin, e.code === 'failed' ? 'failed' : 'rejected', e);
      await this.committed();
      throw e;
    }
  }

  /** Waits for the audit row just recorded to be durable; a failing audit log does not fail the command (it counts and logs its own errors). */
  private async committed(): Promise<void> {
    if (this.auditCommit) await this.auditCommit().catch(() => undefined);
  }

  /** Throws a CommandError naming the field when the command is malformed or names nothing. */
  validate(command: Command): void {
    const c = command as unknown as Record<string, unknown>;
    if (!c || typeof c !== 'object') throw new CommandError('invalid', 'a command must be an object');
    const t = this.site.topology;
    const intIn = (field: string, lo: number, hi: number) => {
      const v = c[field];
      if (!Number.isInteger(v)) throw new CommandError('invalid', `${field} must be a whole number, got ${JSON.stringify(v)}`);
      if ((v as number) < lo || (v as number) > hi) throw new CommandError('not-found', `${field} ${v} does not exist (valid: ${lo}..${hi})`);
    };
    switch (command.type) {
      case 'set-threshold': {
        if (typeof command.key !== 'string' || !this.site.isThresholdKey(command.key)) {
          throw new CommandError('not-found', `threshold ${JSON.stringify(command.key)} does not exist`);
        }
        const th = command.threshold as Record<string, unknown> | undefined;
        if (!th || typeof th !== 'object') throw new CommandError('invalid', 'threshold must be an object');
        const allowed = ['warnHigh', 'alarmHigh', 'warnLow', 'alarmLow', 'hysteresis', 'delayMs', ...(command.key === 'moduleResistance' ? ['mode'] : [])];
        for (const [k, v] of Object.entries(th)) {
          if (!allowed.includes(k)) throw new CommandError('invalid', `threshold field ${k} is unknown (valid: ${allowed.join(', ')})`);
          if (k === 'mode') {
            if (!(RESISTANCE_MODES as readonly unknown[]).includes(v)) throw new CommandError('invalid', `mode must be one of ${RESISTANCE_MODES.join(', ')}, got ${JSON.stringify(v)}`);
          } else if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
            throw new CommandError('invalid', `${k} must be a number or null, got ${JSON.stringify(v)}`);
          }
        }
        return;
      }
      case 'set-relay':
        intIn('relay', 1, this.site.snapshot().relays.length);
        if (typeof command.on !== 'boolean') throw new CommandError('invalid', `on must be true or false, got ${JSON.stringify(command.on)}`);
        return;
      case 'ups-test':
        if (!this.site.snapshot().ups) throw new CommandError('not-found', 'this site has no UPS');
        if (!UPS_TESTS.includes(command.test)) throw new CommandError('invalid', `test must be one of ${UPS_TESTS.join(', ')}, got ${JSON.stringify(command.test)}`);
        return;
      case 'ups-control':
        if (!this.site.snapshot().ups) throw new CommandError('not-found', 'this site has no UPS');
        checkFields('control', command.control, UPS_CONTROL_FIELDS);
        return;
      case 'ups-settings':
        if (!this.site.snapshot().ups) throw new CommandError('not-found', 'this site has no UPS');
        checkFields('settings', command.settings, UPS_SETTINGS_FIELDS);
        return;
      case 'module':
        if (!MODULE_ACTIONS.includes(command.action)) throw new CommandError('invalid', `action must be one of ${MODULE_ACTIONS.join(', ')}, got ${JSON.stringify(command.action)}`);
        intIn('string', 1, t.stringCount);
        intIn('module', 1, t.strings[command.string - 1].modules);
        return;
      case 'acknowledge-alarm':
        if (!Number.isInteger(command.alarmId)) throw new CommandError('invalid', `alarmId must be a whole number, got ${JSON.stringify(command.alarmId)}`);
        if (!this.site.snapshot().alarms.some((a) => a.id === command.alarmId)) throw new CommandError('not-found', `no active alarm with id ${command.alarmId}`);
        return;
      default:
        throw new CommandError('invalid', `command type ${JSON.stringify(c.type)} is unknown (valid: ${COMMAND_TYPES.join(', ')})`);
    }
  }

  private async apply(command: Command, origin: CommandOrigin): Promise<CommandResult> {
    switch (command.type) {
      case 'set-threshold':
        try {
          this.site.setThreshold(command.key, command.threshold);
        } catch (e) {
          throw new CommandError('invalid', (e as Error).message);
        }
        return { ok: true, message: `threshold ${command.key} set` };
      case 'acknowledge-alarm':
        this.site.acknowledgeAlarm(command.alarmId, origin.principal ?? origin.protocol);
        return { ok: true, message: `alarm ${command.alarmId} acknowledged` };
      default:
        if (!this.executor) throw new CommandError('unsupported', `${command.type} needs hardware this site model has no executor for`);
        return this.executor.execute(command, origin);
    }
  }

  private audit(command: Command, origin: CommandOrigin, outcome: 'ok' | 'rejected' | 'failed', error?: CommandError): void {
    this.site.emit({
      type: 'command', version: this.site.currentVersion, command, origin, outcome,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  }
}
