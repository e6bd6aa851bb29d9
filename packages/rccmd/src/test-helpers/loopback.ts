// Test helpers: a listener on loopback ephemeral ports that records its events and log lines.
import { RccmdListener, ListenerEvent, ListenerOptions } from '../listener';
import type { RccmdLogger } from '../log';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(): RccmdLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => lines.map((l) => `${l.level} ${l.message}`).join('\n') };
}

export interface TestListener {
  listener: RccmdListener;
  events: ListenerEvent[];
  log: ReturnType<typeof recordingLogger>;
  udpPort: number;
  tcpPort: number;
  tlsPort?: number;
  actions(): Extract<ListenerEvent, { type: 'action' }>[];
  rejections(): Extract<ListenerEvent, { type: 'rejected' }>[];
}

/** A listener on 127.0.0.1 (UDP and TCP on ephemeral ports unless `options` says otherwise). */
export async function startTestListener(options: Partial<ListenerOptions> & Pick<ListenerOptions, 'senders'>): Promise<TestListener> {
  const events: ListenerEvent[] = [];
  const log = recordingLogger();
  const listener = new RccmdListener({
    udp: { host: '127.0.0.1', port: 0 },
    tcp: { host: '127.0.0.1', port: 0 },
    dryRun: true,
    actions: { shutdown: 'systemctl poweroff', execute: { 'stop-db': 'systemctl stop postgresql' }, message: 'wall "$RCCMD_TEXT"' },
    logger: log,
    onEvent: (e) => events.push(e),
    ...options,
  });
  await listener.start();
  const ports = listener.ports();
  return {
    listener, events, log,
    udpPort: ports.udp ?? 0,
    tcpPort: ports.tcp ?? 0,
    ...(ports.tls ? { tlsPort: ports.tls } : {}),
    actions: () => events.filter((e): e is Extract<ListenerEvent, { type: 'action' }> => e.type === 'action'),
    rejections: () => events.filter((e): e is Extract<ListenerEvent, { type: 'rejected' }> => e.type === 'rejected'),
  };
}
