// Imports a.ts only: no cycle.
import type { A } from './a';
export type C = A;
