// What the MIB builders read from: the snapshot of the request being served, the agent's clock
// (sysUpTime), the UPS-MIB alarm rows, and whether a write is enabled.
import type { CommandInterface, CommandType, SiteSnapshot } from '@kirchhoff/core';

export interface UpsAlarmRow {
  readonly id: number;
  /** Well-known alarm number (upsWellKnownAlarms.n). */
  readonly descr: number;
  /** sysUpTime at detection; 0 when present at agent start. */
  readonly timeTicks: number;
}

export interface MibContext {
  /** The snapshot the current request reads (set by the agent once per request). */
  snap: SiteSnapshot;
  readonly startedAtMs: number;
  /** sysUpTime now, in hundredths of a second. */
  uptimeTicks(): number;
  /** sysUpTime at a wall-clock time (0 when before the agent started). */
  ticksAt(ms: number): number;
  readonly upsAlarms: () => readonly UpsAlarmRow[];
  /** The UPS test spin lock (RFC 1628 TestAndIncr), kept by the agent. */
  testSpinLock: number;
  readonly commands: CommandInterface | null;
  canWrite(type: CommandType): boolean;
  /** This agent's software version (upsIdentAgentSoftwareVersion). */
  readonly agentVersion: string;
}
