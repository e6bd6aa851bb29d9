import { CommandExecutor, CommandInterface, CommandError, Command } from './commands';
import { Site } from './site';
import type { ChangeEvent } from './feed';

function setup(policy = {}) {
  const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }], relays: [{ name: 'Breaker', function: 'breaker' }], ups: true });
  const executed: Command[] = [];
  const executor: CommandExecutor = {
    execute: async (cmd) => {
      executed.push(cmd);
      if (cmd.type === 'set-relay') site.update((tx) => tx.relay(cmd.relay, cmd.on));
      return { ok: true, message: 'done' };
    },
  };
  const audit: ChangeEvent[] = [];
  site.subscribe((e) => e.type === 'command' && audit.push(e));
  return { site, executed, audit, commands: new CommandInterface(site, executor, policy) };
}

const origin = { protocol: 'modbus' as const, remote: '127.0.0.1:40000' };

describe('command interface', () => {
  it('refuses every write unless the policy enables it, and audits the refusal', async () => {
    const { commands, executed, audit } = setup();
    await expect(commands.submit({ type: 'set-relay', relay: 1, on: true }, origin)).rejects.toMatchObject({ code: 'forbidden' });
    expect(executed).toHaveLength(0);
    expect(audit).toMatchObject([{ type: 'command', outcome: 'rejected', error: { code: 'forbidden' } }]);
  });

  it('hands enabled hardware commands to the executor', async () => {
    const { commands, site, executed } = setup({ modbus: ['set-relay'] });
    await commands.submit({ type: 'set-relay', relay: 1, on: true }, origin);
    expect(executed).toEqual([{ type: 'set-relay', relay: 1, on: true }]);
    expect(site.snapshot().relays[0].on).toBe(true);
  });

  it('validates before authorizing, naming the field and what is valid', async () => {
    const { commands } = setup({ modbus: 'all' });
    const reject = (c: unknown) => commands.submit(c as Command, origin);
    await expect(reject({ type: 'set-relay', relay: 2, on: true })).rejects.toThrow('relay 2 does not exist (valid: 1..1)');
    await expect(reject({ type: 'set-relay', relay: 1, on: 'yes' })).rejects.toThrow('on must be true or false, got "yes"');
    await expect(reject({ type: 'module', action: 'identify', string: 1, module: 4 })).rejects.toMatchObject({ code: 'not-found', message: 'module 4 does not exist (valid: 1..3)' });
    await expect(reject({ type: 'module', action: 'explode', string: 1, module: 1 })).rejects.toThrow(/action must be one of identify/);
    await expect(reject({ type: 'ups-test', test: 'forever' })).rejects.toMatchObject({ code: 'invalid' });
    await expect(reject({ type: 'reboot' })).rejects.toThrow(/command type "reboot" is unknown/);
    await expect(reject({ type: 'set-threshold', key: 'nope', threshold: {} })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('applies thresholds to the model and rejects inconsistent ones', async () => {
    const { commands, site } = setup({ modbus: ['set-threshold'] });
    await commands.submit({ type: 'set-threshold', key: 'moduleVoltage', threshold: { alarmHigh: 14.6 } }, origin);
    expect(site.snapshot().thresholds.moduleVoltage.alarmHigh).toBe(14.6);
    await expect(commands.submit({ type: 'set-threshold', key: 'moduleVoltage', threshold: { warnHigh: 15 } }, origin))
      .rejects.toThrow('thresholds.moduleVoltage: warnHigh (15) must be below alarmHigh (14.6)');
    await expect(commands.submit({ type: 'set-threshold', key: 'moduleVoltage', threshold: { color: 1 } as never }, origin))
      .rejects.toThrow(/threshold field color is unknown/);
    expect(site.snapshot().thresholds.moduleVoltage.warnHigh).toBe(14.1);
  });

  it('reports an executor failure as failed, with its message', async () => {
    const site = new Site({ strings: [{ modules: 1, moduleType: 'C20' }], ups: true });
    const commands = new CommandInterface(site, { execute: async () => { throw new Error('UPS did not answer'); } }, { snmp: 'all' });
    const err = await commands.submit({ type: 'ups-test', test: 'quick' }, { protocol: 'snmp' }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: 'failed', message: 'UPS did not answer' });
  });
});

describe('UPS control and settings commands', () => {
  it('validate against the RFC 1628 ranges, naming the field', async () => {
    const { commands, executed } = setup({ snmp: 'all' });
    const snmp = { protocol: 'snmp' as const };
    await expect(commands.submit({ type: 'ups-control', control: { rebootWithDurationS: 301 } }, snmp)).rejects.toThrow('control.rebootWithDurationS must be a whole number from -1 to 300, got 301');
    await expect(commands.submit({ type: 'ups-control', control: {} }, snmp)).rejects.toThrow(/changes nothing/);
    await expect(commands.submit({ type: 'ups-settings', settings: { name: 'x'.repeat(64) } }, snmp)).rejects.toThrow('settings.name must be a text of at most 63 characters');
    await expect(commands.submit({ type: 'ups-settings', settings: { audibleStatus: 'loud' } as never }, snmp)).rejects.toThrow('settings.audibleStatus must be one of "disabled", "enabled", "muted", got "loud"');
    await expect(commands.submit({ type: 'ups-settings', settings: { colour: 'red' } as never }, snmp)).rejects.toThrow(/settings.colour is unknown/);
    expect(executed).toHaveLength(0);
    await commands.submit({ type: 'ups-control', control: { shutdownAfterDelayS: 60, shutdownType: 'system' } }, snmp);
    await commands.submit({ type: 'ups-settings', settings: { lowBattTimeMin: 7, name: 'UPS-B' } }, snmp);
    expect(executed.map((c) => c.type)).toEqual(['ups-control', 'ups-settings']);
  });

  it('are refused on a site without a UPS', async () => {
    const site = new Site({ strings: [{ modules: 1, moduleType: 'C20' }] });
    const commands = new CommandInterface(site, null, { snmp: 'all' });
    await expect(commands.submit({ type: 'ups-control', control: { autoRestart: true } }, { protocol: 'snmp' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('answers only after the audit log committed the row, for accepted and refused commands alike', async () => {
    const { commands, audit } = setup({ modbus: ['set-relay'] });
    const commits: (() => void)[] = [];
    commands.setAuditCommit(() => new Promise<void>((r) => commits.push(r)));
    let answered = 0;
    const ok = commands.submit({ type: 'set-relay', relay: 1, on: true }, origin).then(() => answered++);
    const refused = commands.submit({ type: 'ups-test', test: 'quick' }, origin).catch(() => answered++);
    await new Promise((r) => setImmediate(r));
    expect({ audited: audit.length, waiting: commits.length, answered }).toEqual({ audited: 2, waiting: 2, answered: 0 });
    for (const commit of commits) commit();
    await Promise.all([ok, refused]);
    expect(answered).toBe(2);
  });

  it('still answers when the audit log fails to commit (the logger counts and logs its own errors)', async () => {
    const { commands } = setup({ modbus: ['set-relay'] });
    commands.setAuditCommit(() => Promise.reject(new Error('disk full')));
    await expect(commands.submit({ type: 'set-relay', relay: 1, on: true }, origin)).resolves.toMatchObject({ ok: true });
  });
});
