// @kirchhoff/rccmd: RCCMD shutdown sender (jobs bound to site events) and listener, usable
// with or without the Kirchhoff gateway. Wire formats and compatibility: docs/rccmd.md.
export * from './errors';
export { systemClock, VirtualClock } from '@kirchhoff/core';
export type { Clock, ClockTimer } from '@kirchhoff/core';
export type { RccmdLogger } from './log';
export * from './codec';
export { LineFramer } from './framing';
export type { FrameResult } from './framing';
export * from './transport';
export * from './sender';
export * from './placeholders';
export * from './jobs';
export * from './listener';
