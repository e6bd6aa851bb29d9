// The capacity test record as the data logger keeps it and the API shows it: per string and per
// block what a discharge delivered (the engine that fills it: the gateway's engine/health).

/** What started the record: an operator (API, web), the scheduler, a real mains failure, the simulator. */
export type CapacityTestTrigger = 'api' | 'scheduler' | 'mains-failure' | 'simulator';

/**
 * Why the record ended: the end voltage (the string's median block reached it), the time limit,
 * the discharge stopped (mains back, load off) before that, or an operator aborted it.
 */
export type CapacityTestEnd = 'end-voltage' | 'time-limit' | 'discharge-stopped' | 'aborted';

export interface BlockTestResult {
  readonly string: number;
  readonly module: number;
  readonly global: number;
  /** Ah the string delivered through this block until the test ended. */
  readonly deliveredAh: number;
  readonly deliveredWh: number;
  /** Seconds from the start until the block's voltage under load reached the end voltage; null when it did not. */
  readonly timeToEndVoltageS: number | null;
  /**
   * Ah the block gave to the end voltage at the test rate: measured when it got there, extrapolated
   * along its discharge curve (Shepherd fit) when it was close, else null (see atLeastAh).
   */
  readonly capacityAtRateAh: number | null;
  /** How capacityAtRateAh was found. */
  readonly capacityMethod: 'measured' | 'extrapolated' | 'none';
  /** The block gave at least this much (what it delivered until the test ended). */
  readonly atLeastAh: number;
  /** capacityAtRateAh at the 10-hour rate and 25 deg C (IEC 60896-11 temperature correction), or null. */
  readonly capacityC10At25Ah: number | null;
  /** capacityC10At25Ah over the rated capacity, percent, or null. */
  readonly capacityPercent: number | null;
  readonly meanTemperatureC: number | null;
  /** Voltage under load at the end of the test, or null (no reading). */
  readonly endVoltageV: number | null;
  /** Reached the end voltage before earlyFraction of the string's median block capacity. */
  readonly collapsedEarly: boolean;
}

export interface StringTestResult {
  readonly string: number;
  readonly ratedCapacityAh: number;
  readonly cells: number;
  readonly endVoltageV: number;
  readonly meanCurrentA: number | null;
  readonly deliveredAh: number;
  readonly durationS: number;
  readonly blocks: readonly BlockTestResult[];
  /**
   * The end-of-discharge view: every block's voltage at the end with the string mean and median,
   * ranked by when the block reached the end voltage (first first; those that did not, lowest voltage
   * first). At the end the blocks that only just got there sit deepest in their knee, so the voltage
   * alone would rank a slightly small healthy block below a weak one that collapsed hours ago.
   */
  readonly endOfDischarge: {
    readonly meanV: number | null;
    readonly medianV: number | null;
    readonly ranking: readonly { readonly module: number; readonly voltageV: number; readonly belowMeanV: number; readonly timeToEndVoltageS: number | null }[];
    /** Modules (1-based within the string) that collapsed early, lowest capacity first. */
    readonly collapsedEarly: readonly number[];
  };
}

/** A finished (or running) test record: what the data logger keeps and the API shows. */
export interface CapacityTestRecord {
  /** Assigned by the data logger; 0 until stored. */
  readonly id: number;
  readonly trigger: CapacityTestTrigger;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly end: CapacityTestEnd | null;
  readonly endVoltsPerCell: number;
  readonly strings: readonly StringTestResult[];
  /** Who started it (API user, job name), or null. */
  readonly by: string | null;
}

/** One block's result in one record: a point of its capacity-fade history. */
export interface BlockCapacityPoint {
  readonly testId: number;
  readonly startMs: number;
  readonly trigger: CapacityTestTrigger;
  readonly end: CapacityTestEnd | null;
  readonly capacityC10At25Ah: number | null;
  readonly capacityPercent: number | null;
  readonly capacityMethod: BlockTestResult['capacityMethod'];
  readonly timeToEndVoltageS: number | null;
  readonly collapsedEarly: boolean;
}

/** One second of a running test for one string: what the data logger keeps beside the record. */
export interface TestSample {
  readonly atMs: number;
  readonly string: number;
  readonly currentA: number | null;
  readonly voltagesV: readonly (number | null)[];
  readonly temperaturesC: readonly (number | null)[];
}
