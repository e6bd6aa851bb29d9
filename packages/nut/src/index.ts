// @kirchhoff/nut: a NUT (Network UPS Tools) server over a Kirchhoff site model.
export * from './protocol';
export * from './variables';
export * from './session';
export * from './options';
export * from './server';
export { MAX_QUEUED_LINES, MAX_UNREAD_OUTPUT_BYTES } from './connection';
export * from './fsd-rules';
