// Finds import cycles between source files, type-only imports included (`import type`, `export ...
// from`, `import('...')` types), across the workspace's projects: `@kirchhoff/x` is packages/x/src.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const EXTENSIONS = ['.ts', '.tsx', '/index.ts'];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveFile(base: string): string | undefined {
  for (const ext of ['', ...EXTENSIONS]) {
    const candidate = base + ext;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every module a file imports or re-exports, resolved to a file (bare package names other than @kirchhoff/* are left out). */
function importsOf(ts: typeof import('typescript'), file: string, root: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    let target: string | undefined;
    if (fileName.startsWith('.')) target = resolveFile(resolve(dirname(file), fileName));
    else {
      const m = /^@kirchhoff\/([^/]+)(\/.*)?$/.exec(fileName);
      if (m) target = resolveFile(join(root, 'packages', m[1], 'src', m[2] ?? 'index'));
    }
    if (target) out.push(target);
  }
  return out;
}

/**
 * The import cycles among the `.ts` files under `dirs` (relative to `root`), each as the list of
 * its files (relative paths); strongly connected components of two or more files, or a file importing itself.
 */
export async function importCycles(root: string, dirs: readonly string[]): Promise<string[][]> {
  // Loaded here, not with the other test helpers: only this check needs the compiler.
  const ts = (await import('typescript')).default;
  const files = dirs.flatMap((d) => sourceFiles(join(root, d)));
  const graph = new Map(files.map((f) => [f, importsOf(ts, f, root)]));
  // Tarjan's strongly connected components, iterative (deep import chains must not overflow the stack).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next); low.set(start, next); next++;
    stack.push(start); onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const edges = graph.get(top.node) ?? [];
      if (top.edge < edges.length) {
        const to = edges[top.edge++];
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next); low.set(to, next); next++;
          stack.push(to); onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        if (component.length > 1 || edges.includes(top.node)) cycles.push(component.map((f) => relative(root, f)).sort());
      }
    }
  }
  return cycles;
}
