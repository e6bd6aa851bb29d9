// What a change, an alarm or an event is about, and the id every adapter names it by.

/** What a change is about; `id` is the same string every adapter uses for it. */
export type EntityRef =
  | { readonly kind: 'site' }
  | { readonly kind: 'string'; readonly string: number }
  | { readonly kind: 'module'; readonly string: number; readonly module: number; readonly global: number }
  | { readonly kind: 'ups' }
  | { readonly kind: 'sensor'; readonly id: number }
  | { readonly kind: 'input'; readonly id: number }
  | { readonly kind: 'relay'; readonly id: number };

export function entityId(e: EntityRef): string {
  switch (e.kind) {
    case 'site': return 'site';
    case 'string': return `string/${e.string}`;
    case 'module': return `string/${e.string}/module/${e.module}`;
    case 'ups': return 'ups';
    case 'sensor': return `sensor/${e.id}`;
    case 'input': return `input/${e.id}`;
    case 'relay': return `relay/${e.id}`;
  }
}
