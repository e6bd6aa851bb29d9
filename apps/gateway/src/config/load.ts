// Reading a configuration: YAML file -> `--set` overrides -> schema validation -> cross-key
// checks. Every problem names the key path (and the file line where there is one), the bad
// value and what would be valid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { KirchhoffError } from '@kirchhoff/core';
import { ConfigProblem, nodeAt, validate } from './schema-dsl';
import { CONFIG_SCHEMA } from './schema';
import type { GatewayConfig } from './types';
import { sourcesCrossChecks } from '../services/sources/config';
import { startChecks } from './start-checks';
import { actionsProblems } from '../services/actions/config';
import { lifeProblems } from '../services/life/config';

export class ConfigError extends KirchhoffError {
  constructor(readonly problems: readonly ConfigProblem[], readonly source: string) {
    super('config.invalid', `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

export interface RawConfig {
  data: Record<string, unknown>;
  /** Line of each key path in the file, for error messages. */
  lines: Map<string, number>;
  source: string;
}

export function readConfigFile(file: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KirchhoffError('config.unreadable', `cannot read configuration ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseConfigText(text, file);
}

/**
 * Secrets kept out of the YAML: a string value that is exactly `${env:NAME}`, `${file:/path}` or
 * `${credential:NAME}` (a systemd credential, LoadCredential=NAME:/path, read from
 * $CREDENTIALS_DIRECTORY) is replaced by that variable or file (one trailing newline dropped).
 */
const SECRET_REF = /^\$\{(env|file|credential):([^}]+)\}$/;

function resolveSecrets(data: unknown, env: NodeJS.ProcessEnv): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const readSecret = (path: string, file: string, what: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      problems.push({ path, message: `${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return undefined;
    }
  };
  const resolve = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') {
      const m = SECRET_REF.exec(node);
      if (!m) return node;
      const [, kind, name] = m;
      if (kind === 'env') {
        if (env[name] === undefined) problems.push({ path, message: `${node}: the environment variable ${name} is not set` });
        return env[name] ?? '';
      }
      if (kind === 'file') return readSecret(path, name, node) ?? '';
      const dir = env.CREDENTIALS_DIRECTORY;
      if (!dir) {
        problems.push({ path, message: `${node}: no systemd credentials (CREDENTIALS_DIRECTORY is not set: start the gateway from a unit with LoadCredential=${name}:/path)` });
        return '';
      }
      if (name.includes('/')) {
        problems.push({ path, message: `${node}: a credential name cannot contain /` });
        return '';
      }
      return readSecret(path, join(dir, name), node) ?? '';
    }
    if (Array.isArray(node)) return node.map((x, i) => resolve(x, path ? `${path}.${i}` : String(i)));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, path ? `${path}.${k}` : k)]));
    return node;
  };
  return { value: resolve(data, ''), problems };
}

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env): RawConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => ({ path: `line ${lineCounter.linePos(e.pos[0]).line}`, message: `YAML: ${e.message.split('\n')[0]}` })), source);
  }
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError([{ path: '(top level)', message: 'expected a mapping of keys (site:, strings:, ...)' }], source);
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
        const p = path ? `${path}.${key}` : key;
        const range = (pair.key as { range?: [number] })?.range;
        if (range) lines.set(p, lineCounter.linePos(range[0]).line);
        walk(pair.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const p = `${path}.${i}`;
        const range = (item as { range?: [number] })?.range;
        if (range) lines.set(p, lineCounter.linePos(range[0]).line);
        walk(item, p);
      });
    }
  };
  walk(doc.contents, '');
  const secrets = resolveSecrets(data, env);
  if (secrets.problems.length) {
    throw new ConfigError(secrets.problems.map((p) => (lines.has(p.path) ? { path: `${p.path} (line ${lines.get(p.path)})`, message: p.message } : p)), source);
  }
  return { data: secrets.value as Record<string, unknown>, lines, source };
}

/**
 * Applies `key=value` overrides. The value is read as YAML, so numbers, booleans, lists and
 * mappings work: `--set modbus.tcp.port=5021`, `--set 'strings=[{modules: 8}]'`.
 */
export function applySets(raw: RawConfig, sets: readonly string[]): RawConfig {
  const problems: ConfigProblem[] = [];
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      problems.push({ path: set, message: 'a --set needs the form key=value, e.g. modbus.tcp.port=5021' });
      continue;
    }
    const path = set.slice(0, eq).trim();
    const text = set.slice(eq + 1);
    if (!nodeAt(CONFIG_SCHEMA, path)) {
      problems.push({ path, message: `unknown key (from --set ${set})` });
      continue;
    }
    let value: unknown;
    try {
      value = text === '' ? '' : parseYaml(text);
    } catch {
      value = text;
    }
    if (nodeAt(CONFIG_SCHEMA, path)?.type === 'string' && typeof value !== 'string' && value !== null && typeof value !== 'object') value = text;
    setPath(raw.data, path.split('.'), value);
    raw.lines.delete(path);
  }
  if (problems.length) throw new ConfigError(problems, '--set');
  return raw;
}

function setPath(target: Record<string, unknown>, parts: string[], value: unknown): void {
  let obj: Record<string, unknown> = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i];
    if (typeof obj[k] !== 'object' || obj[k] === null) obj[k] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = value;
}

/** Validates and fills defaults; throws a ConfigError listing every problem. */
export function finishConfig(raw: RawConfig): GatewayConfig {
  const { value, problems } = validate(CONFIG_SCHEMA, raw.data);
  const all = [...problems];
  if (!problems.length) all.push(...crossChecks(value as GatewayConfig));
  if (all.length) {
    const located = all.map((p) => {
      const line = raw.lines.get(p.path);
      return line ? { path: `${p.path} (line ${line})`, message: p.message } : p;
    });
    throw new ConfigError(located, raw.source);
  }
  const config = value as GatewayConfig;
  // mqtt.url points the gateway at another broker instead of the embedded one (README): `--set
  // mqtt.url=...` on the demo must not leave an embedded broker serving nobody on its port.
  if (config.mqtt.url) config.mqtt.broker.enabled = false;
  return config;
}

/** Checks that span several keys (the sections with their own checks add theirs). */
function crossChecks(c: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [...sourcesCrossChecks(c), ...actionsProblems(c.actions, c.relays.length), ...startChecks(c), ...lifeProblems(c.strings)];
  const total = c.strings.reduce((n, s) => n + s.modules, 0);
  if (total > 512) problems.push({ path: 'strings', message: `${total} modules in all: a site has at most 512` });
  const cm = c.chargeMode;
  if (cm.boostVoltsPerCell <= cm.floatVoltsPerCell + cm.floatBandVPerCell) {
    problems.push({ path: 'chargeMode.boostVoltsPerCell', message: `${cm.boostVoltsPerCell} is not valid: expected more than chargeMode.floatVoltsPerCell + chargeMode.floatBandVPerCell (${+(cm.floatVoltsPerCell + cm.floatBandVPerCell).toFixed(3)} V)` });
  }
  if (c.runaway.breakerRelay > c.relays.length) {
    problems.push({ path: 'runaway.breakerRelay', message: `${c.runaway.breakerRelay} is not valid: expected 0 (none) or a relay id from 1 to ${c.relays.length} (relays has ${c.relays.length})` });
  }
  c.runaway.breakers.forEach((b, i) => {
    const at = `runaway.breakers.${i}`;
    if (b.relay > c.relays.length) problems.push({ path: `${at}.relay`, message: `${b.relay} is not valid: expected a relay id from 1 to ${c.relays.length} (relays has ${c.relays.length})` });
    if (b.relay === c.runaway.breakerRelay || c.runaway.breakers.findIndex((x) => x.relay === b.relay) !== i) problems.push({ path: `${at}.relay`, message: `relay ${b.relay} already trips another breaker: expected one relay per breaker` });
    b.strings.forEach((s, j) => {
      if (s > c.strings.length) problems.push({ path: `${at}.strings.${j}`, message: `string ${s} does not exist: expected 1 to ${c.strings.length}` });
    });
    if (b.statusInput > c.inputs.length) problems.push({ path: `${at}.statusInput`, message: `${b.statusInput} is not valid: expected 0 (not verified) or an input id from 1 to ${c.inputs.length} (inputs has ${c.inputs.length})` });
  });
  for (const id of Object.keys(c.thresholds.sensors)) {
    if (Number(id) > c.sensors.length) problems.push({ path: `thresholds.sensors.${id}`, message: `sensor ${id} does not exist (sensors has ${c.sensors.length})` });
  }
  c.snmp.users.forEach((u, i) => {
    if (u.securityLevel !== 'noAuthNoPriv' && !u.authKey) problems.push({ path: `snmp.users.${i}.authKey`, message: `is required for securityLevel ${u.securityLevel}: expected at least 8 characters` });
    if (u.securityLevel === 'authPriv' && !u.privKey) problems.push({ path: `snmp.users.${i}.privKey`, message: 'is required for securityLevel authPriv: expected at least 8 characters' });
  });
  c.snmp.traps.forEach((t, i) => {
    if (t.version === 'v3' && !c.snmp.users.some((u) => u.name === t.user)) {
      problems.push({ path: `snmp.traps.${i}.user`, message: `${JSON.stringify(t.user)} is not valid: expected one of snmp.users (${c.snmp.users.map((u) => u.name).join(', ') || 'none defined'})` });
    }
    if (t.version === 'v2c' && !t.community) problems.push({ path: `snmp.traps.${i}.community`, message: 'is required for a v2c receiver' });
  });
  return problems;
}

export function loadConfig(file: string, sets: readonly string[] = []): GatewayConfig {
  return finishConfig(applySets(readConfigFile(file), sets));
}
