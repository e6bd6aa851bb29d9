// @kirchhoff/core: the site model every Kirchhoff adapter reads and the gateway writes.
export * from './errors';
export * from './codes';
export * from './logger';
export * from './address-list';
export * from './clock';
export * from './module-types';
export * from './topology';
export * from './model';
export * from './feed';
export * from './site';
export * from './ups';
export * from './commands';
export * from './alarms/types';
export * from './alarms/thresholds';
export * from './alarms/evaluate';
export * from './alarms/table';
export * from './problem-log';
