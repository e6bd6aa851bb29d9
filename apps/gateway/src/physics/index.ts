// String physics and the simulated site built on it.
export * from './battery-physics';
export * from './physics-bank';
export * from './faults';
export * from './simulated-site';
export { createRng } from './rng';
export type { Rng } from './rng';
export * from './balance-check';
export * from './chemistry';
