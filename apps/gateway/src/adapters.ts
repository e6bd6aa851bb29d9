// Starts the protocol adapters the configuration enables, each from its own config section, and
// stops them in reverse order. Adapter libraries know nothing of this file's configuration shape.
import { CommandInterface, KirchhoffError, Site } from '@kirchhoff/core';
import { createSnmpAgent, NotificationReceiver, UserOption } from '@kirchhoff/snmp';
import type { GatewayConfig } from './config/types';
import type { Logger } from './log';

export interface RunningAdapter {
  readonly name: string;
  /** `udp 0.0.0.0:1161` as actually bound (port 0 resolved). */
  readonly endpoint: string;
  close(): Promise<void>;
}

type SnmpUserConfig = GatewayConfig['snmp']['users'][number];

function snmpUser(u: SnmpUserConfig): Omit<UserOption, 'access' | 'view'> {
  return {
    name: u.name,
    securityLevel: u.securityLevel,
    ...(u.securityLevel !== 'noAuthNoPriv' ? { auth: { protocol: u.authProtocol, password: u.authKey } } : {}),
    ...(u.securityLevel === 'authPriv' ? { priv: { protocol: u.privProtocol, password: u.privKey } } : {}),
  };
}

async function startSnmp(config: GatewayConfig, site: Site, commands: CommandInterface, logger: Logger): Promise<RunningAdapter> {
  const c = config.snmp;
  const receivers: NotificationReceiver[] = c.traps.map((t) => ({
    host: t.host,
    port: t.port,
    type: t.inform ? 'inform' : 'trap',
    ...(t.version === 'v2c' ? { version: '2c' as const, community: t.community } : { version: '3' as const, user: snmpUser(c.users.find((u) => u.name === t.user)!) }),
  }));
  const agent = await createSnmpAgent(site, {
    port: c.port,
    address: c.host,
    communities: c.communities,
    users: c.users.map((u) => ({ ...snmpUser(u), access: u.access })),
    commands: c.writes ? commands : null,
    ...(c.engineId ? { engineId: c.engineId } : {}),
    ...(c.stateFile ? { stateFile: c.stateFile } : {}),
    receivers,
    notificationIntervalMs: c.notificationIntervalMs,
    system: { name: config.site.name, location: config.site.location, contact: config.site.contact },
    logger,
  });
  return { name: 'SNMP agent', endpoint: `udp ${c.host}:${agent.port}`, close: () => agent.close() };
}

/** Turns a failed listen into a message naming the key to change. */
function listenError(error: unknown, key: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new KirchhoffError('listen.in-use', `${key} ${port} is already in use by another program: stop it, or choose another port with --set ${key}=PORT`);
  if (code === 'EACCES') return new KirchhoffError('listen.denied', `${key} ${port} needs root: use a port above 1023, or run with CAP_NET_BIND_SERVICE`);
  return error;
}

/** Starts every enabled adapter that this build has; stops those started if one fails. */
export async function startAdapters(config: GatewayConfig, site: Site, commands: CommandInterface, logger: Logger): Promise<RunningAdapter[]> {
  const running: RunningAdapter[] = [];
  const start = async (key: string, port: number, fn: () => Promise<RunningAdapter>) => {
    try {
      running.push(await fn());
    } catch (error) {
      throw listenError(error, key, port);
    }
  };
  try {
    if (config.snmp.enabled) await start('snmp.port', config.snmp.port, () => startSnmp(config, site, commands, logger.child('snmp')));
  } catch (error) {
    await stopAdapters(running, logger);
    throw error;
  }
  return running;
}

export async function stopAdapters(running: readonly RunningAdapter[], logger: Logger): Promise<void> {
  for (const a of [...running].reverse()) {
    try {
      await a.close();
    } catch (error) {
      logger.error(`${a.name} did not stop cleanly`, { error });
    }
  }
}
