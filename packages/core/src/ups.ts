// A UPS's initial state before its source has been read: identity unknown, nothing measured.
import type { UpsState } from './model';

export function defaultUps(): UpsState {
  return {
    ident: { manufacturer: '', model: '', upsSoftwareVersion: '', agentSoftwareVersion: '', name: 'UPS', attachedDevices: '' },
    battery: { status: 'unknown', secondsOnBattery: 0, estimatedMinutesRemaining: 0, estimatedChargeRemainingPercent: 0, voltageV: 0, currentA: 0, temperatureC: 0 },
    input: { lineBads: 0, lines: [] },
    output: { source: 'other', frequencyHz: 0, lines: [] },
    bypass: { frequencyHz: 0, lines: [] },
    test: { id: 'none', spinLock: 1, resultsSummary: 'noTestsInitiated', resultsDetail: '', startTimeMs: 0, elapsedS: 0 },
    control: { shutdownType: 'output', shutdownAfterDelayS: -1, startupAfterDelayS: -1, rebootWithDurationS: -1, autoRestart: true },
    config: {
      inputVoltageV: 230, inputFrequencyHz: 50, outputVoltageV: 230, outputFrequencyHz: 50, outputVA: 0, outputPowerW: 0,
      lowBattTimeMin: 5, audibleStatus: 'enabled', lowVoltageTransferPointV: 0, highVoltageTransferPointV: 0,
    },
    atMs: 0,
    quality: 'failed',
  };
}
