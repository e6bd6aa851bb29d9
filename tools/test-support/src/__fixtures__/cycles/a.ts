// A type-only import cycle with b.ts, for the cycle check's own test.
import type { B } from './b';
export interface A { readonly b?: B }
