// Battery health: capacity tests and discharge analysis, state of health and the rest of each block's
// health record (docs/health.md).
export * from './capacity-test';
export * from './ri-trend';
export * from './health';
