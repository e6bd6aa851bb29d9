// The agent's OID lookup: every object instance the agent serves, in one array sorted by OID,
// searched by bisection. GET is an exact match, GETNEXT the first entry after the request, so a
// walk costs O(log n) per step whatever the table shapes (net-snmp's agent re-sorts siblings
// on every step, which is quadratic on big tables).
import { Tag } from './ber';
import type { SnmpValue } from './message';
import type { Command, CommandOrigin } from '@kirchhoff/core';

export type Oid = readonly number[];

export function parseOid(text: string): number[] {
  const parts = text.replace(/^\./, '').split('.');
  const out = parts.map(Number);
  if (out.length < 2 || out.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)) throw new RangeError(`not a numeric OID: ${text}`);
  return out;
}

export function oidText(oid: Oid): string {
  return oid.join('.');
}

export function compareOid(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

export function startsWith(oid: Oid, prefix: Oid): boolean {
  if (oid.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (oid[i] !== prefix[i]) return false;
  return true;
}

/** What a SET handler gets: the whole request, to pair objects such as upsTestId with its spin lock. */
export interface SetContext {
  readonly varbinds: readonly { readonly oid: Oid; readonly value: SnmpValue }[];
  readonly origin: CommandOrigin;
}

/** A SET handler's verdict: an RFC 3416 error status, or what to do once every varbind passed. */
export type WriteCheck = { readonly error: number } | { readonly command?: Command; readonly apply?: () => void };

export interface Leaf {
  readonly oid: Oid;
  /** Length of the object's OID without the instance (scalars: oid.length - 1). */
  readonly objectLength: number;
  /** The current value, or undefined when there is none now (skipped by walks). */
  readonly read: () => SnmpValue | undefined;
  readonly write?: (value: SnmpValue, ctx: SetContext) => WriteCheck;
}

export class OidIndex {
  readonly leaves: readonly Leaf[];

  constructor(leaves: Leaf[]) {
    leaves.sort((a, b) => compareOid(a.oid, b.oid));
    for (let i = 1; i < leaves.length; i++) {
      if (compareOid(leaves[i - 1].oid, leaves[i].oid) === 0) throw new Error(`duplicate OID ${oidText(leaves[i].oid)}`);
    }
    this.leaves = leaves;
  }

  /** Index of the first leaf whose OID is >= oid (leaves.length when none). */
  lowerBound(oid: Oid): number {
    let lo = 0;
    let hi = this.leaves.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOid(this.leaves[mid].oid, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  exact(oid: Oid): Leaf | undefined {
    const i = this.lowerBound(oid);
    const leaf = this.leaves[i];
    return leaf && compareOid(leaf.oid, oid) === 0 ? leaf : undefined;
  }

  /** True when `oid` lies under an object the agent implements (for noSuchInstance vs noSuchObject). */
  hasObjectFor(oid: Oid): boolean {
    const i = this.lowerBound(oid);
    for (const leaf of [this.leaves[i], this.leaves[i - 1]]) {
      if (leaf && oid.length >= leaf.objectLength && startsWith(oid, leaf.oid.slice(0, leaf.objectLength))) return true;
    }
    return false;
  }
}

// Value constructors, so MIB tables read as tables.
export const int = (value: number): SnmpValue => ({ tag: Tag.Integer, value: clampInt(value) });
export const gauge = (value: number): SnmpValue => ({ tag: Tag.Gauge32, value: clampUnsigned(value) });
export const counter = (value: number): SnmpValue => ({ tag: Tag.Counter32, value: Math.round(value) % 2 ** 32 });
export const ticks = (value: number): SnmpValue => ({ tag: Tag.TimeTicks, value: clampUnsigned(value) });
export const str = (value: string, max = 255): SnmpValue => ({ tag: Tag.OctetString, value: truncateUtf8(value, max) });
export const oidValue = (value: Oid): SnmpValue => ({ tag: Tag.Oid, value });

function clampInt(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(v)));
}
function clampUnsigned(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.max(0, Math.min(0xffffffff, Math.round(v)));
}
function truncateUtf8(s: string, max: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

export function integerOf(v: SnmpValue): number | undefined {
  return v.tag === Tag.Integer ? v.value : undefined;
}
export function stringOf(v: SnmpValue): string | undefined {
  return v.tag === Tag.OctetString ? v.value.toString('utf8') : undefined;
}
