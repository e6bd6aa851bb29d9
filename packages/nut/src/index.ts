// @kirchhoff/nut: a NUT (Network UPS Tools) server over a Kirchhoff site model.
export * from './protocol';
export * from './variables';
export * from './session';
export * from './options';
export * from './server';
export * from './fsd-rules';
