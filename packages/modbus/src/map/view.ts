// A snapshot plus what several registers derive from it (alarm bits per entity, site-wide
// flags), computed once per snapshot version instead of once per register.
import type { AlarmKind, Measurement, Severity, SiteSnapshot } from '@kirchhoff/core';

export interface SiteView {
  readonly snap: SiteSnapshot;
  /** Active alarm kinds per entity id (`string/2/module/7`, `ups`, ...). */
  readonly kindsByEntity: ReadonlyMap<string, ReadonlySet<AlarmKind>>;
  readonly severitiesByEntity: ReadonlyMap<string, ReadonlySet<Severity>>;
  readonly activeKinds: ReadonlySet<AlarmKind>;
}

function add<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function entityKey(e: SiteSnapshot['alarms'][number]['entity']): string {
  switch (e.kind) {
    case 'site': return 'site';
    case 'string': return `string/${e.string}`;
    case 'module': return `module/${e.global}`;
    case 'ups': return 'ups';
    case 'sensor': return `sensor/${e.id}`;
    case 'input': return `input/${e.id}`;
    case 'relay': return `relay/${e.id}`;
  }
}

export function siteView(snap: SiteSnapshot): SiteView {
  const kindsByEntity = new Map<string, Set<AlarmKind>>();
  const severitiesByEntity = new Map<string, Set<Severity>>();
  const activeKinds = new Set<AlarmKind>();
  for (const a of snap.alarms) {
    const key = entityKey(a.entity);
    add(kindsByEntity, key, a.kind);
    add(severitiesByEntity, key, a.severity);
    activeKinds.add(a.kind);
  }
  return { snap, kindsByEntity, severitiesByEntity, activeKinds };
}

/** Key of a module in the view's maps (global number), a string, a sensor. */
export const keys = {
  module: (global: number) => `module/${global}`,
  string: (n: number) => `string/${n}`,
  sensor: (id: number) => `sensor/${id}`,
  ups: () => 'ups',
};

/** A measurement's value when it can be shown: failed readings are "not available". */
export function valueOf(m: Measurement): number | null {
  return m.quality === 'failed' ? null : m.value;
}

export interface BitSpec<T> {
  readonly mask: number;
  readonly name: string;
  readonly description: string;
  readonly test: (subject: T) => boolean;
}

/** Packs the bits whose test holds. */
export function packBits<T>(specs: readonly BitSpec<T>[], subject: T): number {
  let v = 0;
  for (const s of specs) if (s.test(subject)) v |= s.mask;
  return v;
}
