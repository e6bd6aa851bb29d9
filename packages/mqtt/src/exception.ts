// Report by exception: a value is worth sending when it moved past its deadband since it was last
// sent, or its quality changed, or it is not a number and differs at all.
import type { FieldValue, Quality } from '@kirchhoff/core';
import type { Deadbands, MetricSpec } from './table';

interface Sent {
  value: FieldValue;
  quality: Quality;
}

export class ExceptionFilter {
  private readonly sent = new Map<string, Sent>();

  constructor(private readonly deadbands: Deadbands) {}

  significant(key: string, spec: MetricSpec, value: FieldValue, quality: Quality): boolean {
    const last = this.sent.get(key);
    if (!last || last.quality !== quality) return true;
    if (typeof value === 'number' && typeof last.value === 'number' && spec.deadband) {
      const band = this.deadbands[spec.deadband];
      return band <= 0 ? value !== last.value : Math.abs(value - last.value) >= band - 1e-12;
    }
    return value !== last.value;
  }

  commit(key: string, value: FieldValue, quality: Quality): void {
    this.sent.set(key, { value, quality });
  }

  clear(): void {
    this.sent.clear();
  }
}
