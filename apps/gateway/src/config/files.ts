// Files a configuration names (PEM certificates, keys, CA bundles): read once at start, and
// checked by `config check` with the same message start would give.
import { accessSync, constants, readFileSync } from 'node:fs';
import { KirchhoffError } from '@kirchhoff/core';
import type { ConfigProblem } from './schema-dsl';

function why(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** The file named by `key`, as text; a KirchhoffError naming the key, the path and why if it cannot be read. */
export function readKeyFile(key: string, path: string): string;
export function readKeyFile(key: string, path: string, optional: true): string | undefined;
export function readKeyFile(key: string, path: string, optional = false): string | undefined {
  if (!path && optional) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KirchhoffError('config.file', `${key} ${path}: cannot read it (${why(error)})`);
  }
}

/** The named files (key -> path; empty paths skipped) that cannot be read, as configuration problems. */
export function unreadableFiles(files: readonly (readonly [string, string])[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [key, path] of files) {
    if (!path) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      problems.push({ path: key, message: `${path}: cannot read it (${why(error)})` });
    }
  }
  return problems;
}
