// Code tables: every enumeration that goes on a wire is a record of name -> number written out in
// full (never an array position, which renumbers the wire when a name is inserted).

/** The names of a code table in the order of their codes. */
export function namesByCode<K extends string>(codes: Readonly<Record<K, number>>): K[] {
  return (Object.keys(codes) as K[]).sort((a, b) => codes[a] - codes[b]);
}

/** The inverse of a code table: the name a number on the wire stands for. */
export function codeNames<K extends string>(codes: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map((Object.keys(codes) as K[]).map((k) => [codes[k], k]));
}
