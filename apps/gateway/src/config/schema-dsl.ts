// A small declarative schema for the configuration: each key's type, range, default and
// documentation in one place. Validation names the key path, the bad value and what is valid;
// the README's configuration reference is generated from the same table.

export type SchemaNode = ObjectNode | ArrayNode | NumberNode | StringNode | BooleanNode | MapNode;

interface Common {
  readonly doc: string;
  /** May be absent; objects fill their absent fields' defaults. */
  readonly optional?: boolean;
}
export interface ObjectNode extends Common {
  readonly type: 'object';
  readonly fields: Readonly<Record<string, SchemaNode>>;
}
export interface ArrayNode extends Common {
  readonly type: 'array';
  readonly items: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: readonly unknown[];
}
/** An object whose keys are chosen by the user (e.g. sensor ids), all with one value schema. */
export interface MapNode extends Common {
  readonly type: 'map';
  readonly keyPattern: RegExp;
  readonly keyDoc: string;
  readonly values: SchemaNode;
}
export interface NumberNode extends Common {
  readonly type: 'number' | 'integer';
  readonly min?: number;
  readonly max?: number;
  readonly oneOf?: readonly number[];
  readonly nullable?: boolean;
  readonly default?: number | null;
  readonly unit?: string;
}
export interface StringNode extends Common {
  readonly type: 'string';
  readonly enum?: readonly string[];
  readonly pattern?: RegExp;
  readonly patternDoc?: string;
  readonly default?: string;
}
export interface BooleanNode extends Common {
  readonly type: 'boolean';
  readonly default?: boolean;
}

export const obj = (doc: string, fields: Record<string, SchemaNode>, optional = false): ObjectNode => ({ type: 'object', doc, fields, optional });
export const arr = (doc: string, items: SchemaNode, o: Partial<Omit<ArrayNode, 'type' | 'doc' | 'items'>> = {}): ArrayNode => ({ type: 'array', doc, items, ...o });
export const int = (doc: string, o: Partial<Omit<NumberNode, 'type' | 'doc'>> = {}): NumberNode => ({ type: 'integer', doc, ...o });
export const num = (doc: string, o: Partial<Omit<NumberNode, 'type' | 'doc'>> = {}): NumberNode => ({ type: 'number', doc, ...o });
export const str = (doc: string, o: Partial<Omit<StringNode, 'type' | 'doc'>> = {}): StringNode => ({ type: 'string', doc, ...o });
export const bool = (doc: string, def: boolean): BooleanNode => ({ type: 'boolean', doc, default: def });
export const map = (doc: string, keyPattern: RegExp, keyDoc: string, values: SchemaNode): MapNode => ({ type: 'map', doc, keyPattern, keyDoc, values, optional: true });

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
