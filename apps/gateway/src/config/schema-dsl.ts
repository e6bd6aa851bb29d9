// A small declarative schema for the configuration: each key's type, range, default and
// documentation in one place. Validation names the key path, the bad value and what is valid;
// the README's configuration reference is generated from the same table.

export type SchemaNode = ObjectNode | ArrayNode | NumberNode | StringNode | BooleanNode | MapNode;

interface Common {
  readonly doc: string;
  /** May be absent; objects fill their absent fields' defaults. */
  readonly optional?: boolean;
}
export type Fields = Readonly<Record<string, SchemaNode>>;
export interface ObjectNode<F extends Fields = Fields> extends Common {
  readonly type: 'object';
  readonly fields: F;
}
export interface ArrayNode<I extends SchemaNode = SchemaNode> extends Common {
  readonly type: 'array';
  readonly items: I;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: readonly unknown[];
}
/** An object whose keys are chosen by the user (e.g. sensor ids), all with one value schema. */
export interface MapNode<V extends SchemaNode = SchemaNode> extends Common {
  readonly type: 'map';
  readonly keyPattern: RegExp;
  readonly keyDoc: string;
  readonly values: V;
}
/** T: the values allowed (a union of literals for oneOf); Null: whether null is; Opt: whether the key may be left out with no default. */
export interface NumberNode<T extends number = number, Null extends boolean = boolean, Opt extends boolean = boolean> extends Common {
  readonly type: 'number' | 'integer';
  readonly min?: number;
  readonly max?: number;
  readonly oneOf?: readonly T[];
  readonly nullable?: Null;
  readonly default?: number | null;
  readonly unit?: string;
  /** Type-level only: whether the validated value may be absent. */
  readonly absent?: Opt;
}
export interface StringNode<T extends string = string, Opt extends boolean = boolean> extends Common {
  readonly type: 'string';
  readonly enum?: readonly T[];
  readonly pattern?: RegExp;
  readonly patternDoc?: string;
  readonly default?: string;
  /** Type-level only: whether the validated value may be absent. */
  readonly absent?: Opt;
}
export interface BooleanNode extends Common {
  readonly type: 'boolean';
  readonly default?: boolean;
}

type NumberOptions = Partial<Omit<NumberNode, 'type' | 'doc' | 'absent'>>;
type StringOptions = Partial<Omit<StringNode, 'type' | 'doc' | 'absent'>>;
/** A key left out takes its default; with no default, an optional key stays absent. */
type Absent<O> = O extends { optional: true } ? (O extends { default: unknown } ? false : true) : false;
type OneOf<O, Else extends number> = O extends { oneOf: readonly (infer T extends number)[] } ? T : Else;
type EnumOf<O> = O extends { enum: readonly (infer T extends string)[] } ? T : string;

export const obj = <const F extends Fields>(doc: string, fields: F, optional = false): ObjectNode<F> => ({ type: 'object', doc, fields, optional });
export const arr = <I extends SchemaNode>(doc: string, items: I, o: Partial<Omit<ArrayNode, 'type' | 'doc' | 'items'>> = {}): ArrayNode<I> => ({ type: 'array', doc, items, ...o });
type NumberOf<O> = NumberNode<OneOf<O, number>, O extends { nullable: true } ? true : false, Absent<O>>;
// The casts only narrow the type parameters to what the options say (oneOf, enum, nullable, optional).
export const int = <const O extends NumberOptions = Record<never, never>>(doc: string, o?: O): NumberOf<O> => ({ type: 'integer', doc, ...o }) as NumberOf<O>;
export const num = <const O extends NumberOptions = Record<never, never>>(doc: string, o?: O): NumberOf<O> => ({ type: 'number', doc, ...o }) as NumberOf<O>;
export const str = <const O extends StringOptions = Record<never, never>>(doc: string, o?: O): StringNode<EnumOf<O>, Absent<O>> => ({ type: 'string', doc, ...o }) as StringNode<EnumOf<O>, Absent<O>>;
export const bool = (doc: string, def: boolean): BooleanNode => ({ type: 'boolean', doc, default: def });
export const map = <V extends SchemaNode>(doc: string, keyPattern: RegExp, keyDoc: string, values: V): MapNode<V> => ({ type: 'map', doc, keyPattern, keyDoc, values, optional: true });

/**
 * The validated value's TypeScript type, inferred from a schema node: what `validate` returns for it
 * (defaults filled in; a key absent only when it is optional and has no default).
 */
export type Infer<N> =
  // A schema not written out (the SchemaNode union itself) says nothing about its fields.
  N extends ObjectNode<infer F> ? (string extends keyof F ? Record<string, unknown> : InferFields<F>)
  : N extends ArrayNode<infer I> ? Infer<I>[]
  : N extends MapNode<infer V> ? Record<string, Infer<V>>
  : N extends BooleanNode ? boolean
  : N extends StringNode<infer T> ? T
  : N extends NumberNode<infer T, infer Null> ? ([Null] extends [true] ? T | null : T)
  : never;
type MayBeAbsent<N> = N extends { absent?: infer A } ? ([A] extends [true | undefined] ? ([A] extends [undefined] ? false : true) : false) : false;
type InferFields<F> = Simplify<
  { -readonly [K in keyof F as MayBeAbsent<F[K]> extends true ? never : K]: Infer<F[K]> }
  & { -readonly [K in keyof F as MayBeAbsent<F[K]> extends true ? K : never]?: Infer<F[K]> }>;
type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

export interface ConfigProblem {
  /** Dotted key path, array items by index: `strings.1.modules`. */
  readonly path: string;
  readonly message: string;
}

export function describeValid(node: SchemaNode): string {
  switch (node.type) {
    case 'object': return 'a mapping';
    case 'map': return `a mapping of ${node.keyDoc}`;
    case 'array': {
      const n = node.minItems !== undefined && node.maxItems !== undefined ? ` of ${node.minItems}..${node.maxItems}` : node.maxItems !== undefined ? ` of at most ${node.maxItems}` : '';
      return `a list${n} items`;
    }
    case 'boolean': return 'true or false';
    case 'string':
      if (node.enum) return `one of ${node.enum.join(', ')}`;
      return node.patternDoc ?? 'a text';
    case 'integer':
    case 'number': {
      if (node.oneOf) return `one of ${node.oneOf.join(', ')}`;
      const what = node.type === 'integer' ? 'a whole number' : 'a number';
      const range = node.min !== undefined && node.max !== undefined ? ` from ${node.min} to ${node.max}` : node.min !== undefined ? ` >= ${node.min}` : node.max !== undefined ? ` <= ${node.max}` : '';
      return `${what}${range}${node.unit ? ` (${node.unit})` : ''}${node.nullable ? ', or null' : ''}`;
    }
  }
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of two neighbours as one edit (typos like prot for port). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Checks `value` against `node`, returning the value with defaults filled in and every problem
 * found (all of them, not just the first, so one `config check` shows everything to fix).
 */
export function validate(node: SchemaNode, value: unknown, path = ''): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const out = check(node, value, path, problems);
  return { value: out, problems };
}

function check(node: SchemaNode, value: unknown, path: string, problems: ConfigProblem[]): unknown {
  const here = path || '(top level)';
  const bad = (why?: string) => {
    problems.push({ path: here, message: `${show(value)} is not valid: expected ${describeValid(node)}${why ? ` (${why})` : ''}` });
    return undefined;
  };
  switch (node.type) {
    case 'object': {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) return bad();
      const src = value as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const key of Object.keys(src)) {
        if (!(key in node.fields)) {
          const hint = closest(key, Object.keys(node.fields));
          problems.push({ path: path ? `${path}.${key}` : key, message: `unknown key${hint ? `: did you mean ${path ? `${path}.` : ''}${hint}?` : ''} (valid keys${path ? ` in ${path}` : ''}: ${Object.keys(node.fields).join(', ')})` });
        }
      }
      for (const [key, child] of Object.entries(node.fields)) {
        const v = check(child, src[key], path ? `${path}.${key}` : key, problems);
        if (v !== undefined) result[key] = v;
      }
      return result;
    }
    case 'map': {
      if (value === undefined || value === null) return {};
      if (typeof value !== 'object' || Array.isArray(value)) return bad();
      const result: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const p = path ? `${path}.${key}` : key;
        if (!node.keyPattern.test(key)) problems.push({ path: p, message: `key ${show(key)} is not valid: expected ${node.keyDoc}` });
        else result[key] = check(node.values, v, p, problems);
      }
      return result;
    }
    case 'array': {
      if (value === undefined || value === null) {
        if (node.default !== undefined) return structuredClone(node.default);
        if (node.optional) return [];
        problems.push({ path: here, message: `is required: expected ${describeValid(node)}` });
        return undefined;
      }
      if (!Array.isArray(value)) return bad();
      if ((node.minItems !== undefined && value.length < node.minItems) || (node.maxItems !== undefined && value.length > node.maxItems)) {
        problems.push({ path: here, message: `has ${value.length} items: expected ${describeValid(node)}` });
      }
      return value.map((v, i) => check(node.items, v, `${path}.${i}`, problems));
    }
    case 'boolean':
      if (value === undefined) return node.default;
      return typeof value === 'boolean' ? value : bad();
    case 'string':
      if (value === undefined) {
        if (node.default === undefined && !node.optional) problems.push({ path: here, message: `is required: expected ${describeValid(node)}` });
        return node.default;
      }
      if (typeof value !== 'string') return bad();
      if (node.enum && !node.enum.includes(value)) {
        const hint = closest(value, node.enum);
        return bad(hint ? `did you mean ${hint}?` : undefined);
      }
      if (node.pattern && !node.pattern.test(value)) return bad();
      return value;
    case 'integer':
    case 'number':
      if (value === undefined) {
        if (node.default === undefined && !node.optional) problems.push({ path: here, message: `is required: expected ${describeValid(node)}` });
        return node.default;
      }
      if (value === null) return node.nullable ? null : bad();
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad();
      if (node.type === 'integer' && !Number.isInteger(value)) return bad();
      if (node.oneOf && !node.oneOf.includes(value)) return bad();
      if ((node.min !== undefined && value < node.min) || (node.max !== undefined && value > node.max)) return bad('out of range');
      return value;
  }
}

/** Every leaf key with its type, default and documentation, for the generated reference. */
export function* leaves(node: SchemaNode, path = ''): Generator<{ path: string; node: SchemaNode }> {
  if (node.type === 'object') {
    for (const [k, child] of Object.entries(node.fields)) yield* leaves(child, path ? `${path}.${k}` : k);
  } else if (node.type === 'array' && node.items.type === 'object') {
    yield { path, node };
    yield* leaves(node.items, `${path}[]`);
  } else if (node.type === 'map') {
    yield { path, node };
    yield* leaves(node.values, `${path}.<${node.keyDoc.split(' ')[0]}>`);
  } else {
    yield { path, node };
  }
}

/** Looks up the schema node for a dotted path (array indexes and map keys allowed). */
export function nodeAt(root: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const part of path.split('.')) {
    if (!node) return undefined;
    if (node.type === 'object') node = node.fields[part];
    else if (node.type === 'array' && /^\d+$/.test(part)) node = node.items;
    else if (node.type === 'map' && node.keyPattern.test(part)) node = node.values;
    else return undefined;
  }
  return node;
}
