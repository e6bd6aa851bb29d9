// The other half of the cycle; c.ts imports a.ts without closing a cycle.
export type { A as B } from './a';
