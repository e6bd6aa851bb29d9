// @kirchhoff/history: the data logger. HistoryLogger (queue on the caller's thread, SQLite in a
// writer thread), HistoryDb (the database itself, for one-off readers), the records it keeps.
// better-sqlite3, the native module, loads only where a database is opened.
export * from './capacity-test-record';
export * from './types';
export * from './life';
export * from './db';
export * from './store';
export * from './reader';
export * from './csv';
export * from './sampler';
