// snmpEngineID and snmpEngineBoots (RFC 3411/3414): the same engine id across restarts, from
// the configuration or a state file, and a boots counter that increases on every start.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KirchhoffError } from '@kirchhoff/core';
import { ENTERPRISE } from './bms-mib';

export class SnmpConfigError extends KirchhoffError {}

/** RFC 3411 format: enterprise number with the top bit set, format 5 (octets), 12 bytes of a hash of `seed`. */
export function engineIdFromSeed(seed: string): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE((ENTERPRISE[6] | 0x80000000) >>> 0, 0);
  head[4] = 5;
  return Buffer.concat([head, createHash('sha256').update(seed).digest().subarray(0, 12)]);
}

export function parseEngineId(hex: string): Buffer {
  const clean = hex.replace(/^0x/i, '').replace(/[:\s]/g, '');
  if (!/^([0-9a-f]{2}){5,32}$/i.test(clean)) throw new SnmpConfigError('snmp.engine-id', `snmp.engineId must be 5 to 32 bytes of hex, got ${JSON.stringify(hex)}`);
  return Buffer.from(clean, 'hex');
}

/** Seconds since 2024-01-01: increases across restarts without storage, below 2^31-1 until 2092. */
const clockBoots = (nowMs: number) => Math.max(1, Math.floor((nowMs - Date.UTC(2024, 0, 1)) / 1000));

export interface EngineIdentity {
  readonly engineId: Buffer;
  readonly boots: number;
  readonly source: 'option' | 'state-file' | 'seed';
}

/**
 * Engine id: the option, else the one in the state file (created on first start), else derived
 * from `seed`. Boots: the state file's counter plus one, else a clock-derived number.
 */
export function resolveEngine(o: { engineId?: string; stateFile?: string; seed: string; nowMs?: number }): EngineIdentity {
  const fromOption = o.engineId ? parseEngineId(o.engineId) : null;
  if (!o.stateFile) {
    return { engineId: fromOption ?? engineIdFromSeed(o.seed), boots: clockBoots(o.nowMs ?? Date.now()), source: fromOption ? 'option' : 'seed' };
  }
  let state: { engineId?: string; boots?: number } = {};
  try {
    state = JSON.parse(readFileSync(o.stateFile, 'utf8')) as typeof state;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SnmpConfigError('snmp.state-file', `cannot read snmp.stateFile ${o.stateFile}: ${(e as Error).message}`);
  }
  const engineId = fromOption ?? (state.engineId ? parseEngineId(state.engineId) : engineIdFromSeed(`${o.seed}:${Date.now()}:${Math.random()}`));
  const boots = Math.min(2147483647, (Number.isInteger(state.boots) ? state.boots! : 0) + 1);
  try {
    mkdirSync(dirname(o.stateFile), { recursive: true });
    const tmp = `${o.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ engineId: engineId.toString('hex'), boots }, null, 2) + '\n');
    renameSync(tmp, o.stateFile);
  } catch (e) {
    throw new SnmpConfigError('snmp.state-file', `cannot write snmp.stateFile ${o.stateFile}: ${(e as Error).message}`);
  }
  return { engineId, boots, source: fromOption ? 'option' : 'state-file' };
}
