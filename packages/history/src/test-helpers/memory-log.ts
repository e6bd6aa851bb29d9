// A HistoryLog that keeps its lines in memory, for the package's own tests.
import type { HistoryLog } from '../store';

export interface LogLine {
  readonly level: 'info' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function memoryLog(): HistoryLog & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}
