// Shared by the gateway's browser tests and the web benchmarks: the in-process demo gateway with
// only its HTTP API on an ephemeral port (Chromium: @kirchhoff/test-support).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { launchChromium, logInToPages } from '@kirchhoff/test-support';
import type { Page } from 'playwright-core';
import { applySets, finishConfig } from '../src/config/load';
import { demoConfig } from '../src/config/demo-config';
import { commandPolicy, Gateway, startGateway } from '../src/gateway';
import { memoryLogger } from '../src/log';
import type { FaultSpec } from '../src/demo/faults';

/** Every other network service off: these tests are about the pages and the HTTP API. */
const ONLY_HTTP = [
  'http.port=0', 'http.host=127.0.0.1', 'modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false',
];

export interface DemoGateway {
  readonly gw: Gateway;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

export interface DemoOptions {
  strings?: number;
  modules?: number;
  faults?: readonly FaultSpec[];
  /** Source and alarm cycle; a long one holds the model still after the first cycle. */
  cycleMs?: number;
  sets?: readonly string[];
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoGateway> {
  const raw = demoConfig({ strings: options.strings, modules: options.modules });
  // Its own data logger file: the demo's default one is shared by every demo on the machine, and
  // two gateways writing it at once got "database is locked" on a busy machine.
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-web-demo-'));
  const config = finishConfig(applySets(raw, [...ONLY_HTTP, `history.path=${join(dir, 'history.db')}`, ...(options.sets ?? [])]));
  const gw = await startGateway(config, { logger: memoryLogger('warn'), cycleMs: options.cycleMs, faults: options.faults });
  const http = gw.services.find((s) => s.name === 'HTTP API');
  if (!http || http.state !== 'running') {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the demo's HTTP API is not running (${http?.state ?? 'absent'})`);
  }
  // The gateway's policy decides which protocols may submit commands at all; HTTP writes are then
  // authorised per role (the lead wires http into commandPolicy).
  if (!gw.commands.allows('http', 'set-relay')) gw.commands.setPolicy({ ...commandPolicy(config), http: 'all' });
  const port = Number(http.endpoint.split(':').pop());
  return { gw, url: `http://127.0.0.1:${port}`, close: async () => { await gw.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

export { launchChromium };

export const DEMO_PASSWORDS = Object.fromEntries(DEMO_HTTP_USERS.map((u) => [u.name, u.password])) as Readonly<Record<'admin' | 'operator' | 'viewer', string>>;

/** Logs in as a demo user through the login form and waits for the overview. */
export function logIn(page: Page, url: string, user: keyof typeof DEMO_PASSWORDS): Promise<void> {
  return logInToPages(page, url, user, DEMO_PASSWORDS[user]);
}
