// Fault injection specs for the demo and the simulator:
// KIND[:string[:module]][@START[-END]], START and END in seconds after start.
import { UsageError } from '../commands/types';

export const FAULT_KINDS = ['ups-on-battery', 'thermal-runaway', 'module-lost', 'fuse-blown', 'high-ri', 'weak-block', 'ground-fault', 'sensor-failed'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** 1-based string; absent = the kind's default (string 1, or site-wide for UPS faults). */
  readonly string?: number;
  readonly module?: number;
  readonly startS: number;
  /** When the fault clears; absent = never. */
  readonly endS?: number;
}

export function parseFault(text: string): FaultSpec {
  const m = /^([a-z-]+)(?::(\d+))?(?::(\d+))?(?:@(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--fault ${JSON.stringify(text)} is not KIND[:string[:module]][@START[-END]], e.g. thermal-runaway:1:5@30-120`);
  const kind = m[1] as FaultKind;
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--fault kind ${JSON.stringify(m[1])} is unknown (valid: ${FAULT_KINDS.join(', ')})`);
  }
  const startS = m[4] === undefined ? 0 : Number(m[4]);
  const endS = m[5] === undefined ? undefined : Number(m[5]);
  if (endS !== undefined && endS <= startS) throw new UsageError(`--fault ${text}: END (${endS}) must be after START (${startS})`);
  return {
    kind,
    ...(m[2] !== undefined ? { string: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { module: Number(m[3]) } : {}),
    startS,
    ...(endS !== undefined ? { endS } : {}),
  };
}

/** True while the fault is in force at `elapsedS` seconds after start. */
export function faultActive(f: FaultSpec, elapsedS: number): boolean {
  return elapsedS >= f.startS && (f.endS === undefined || elapsedS < f.endS);
}
