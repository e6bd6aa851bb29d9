// DeviceCommunicationControl (16.1): a password-protected switch that silences the device
// (disable) or only its own initiations (disable-initiation), for a while or until enabled again.
import { RejectReason } from '@bacnet-js/client';
import type { Clock, ClockTimer } from '@kirchhoff/core';
import { ERR } from '../objects/objects';
import type { BacnetLogger } from '../options';
import type { ConfirmedHandler, DccState } from './service';

export type { DccState };
/** BACnet's enable-disable enumeration, in wire order: 0 enable, 1 disable, 2 disable-initiation. */
const DCC_MODES: Readonly<Record<number, DccState>> = { 0: 'enable', 1: 'disable', 2: 'disable-initiation' };

export class CommunicationControl {
  state: DccState = 'enable';
  private timer: ClockTimer | null = null;

  constructor(private readonly clock: Clock, private readonly log: BacnetLogger) {}

  set(state: DccState, minutes: number): void {
    this.state = state;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (state !== 'enable' && minutes > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.state = 'enable';
        this.log.info('communication re-enabled after the DeviceCommunicationControl duration');
      }, minutes * 60_000);
    }
    this.log.info(`DeviceCommunicationControl: ${state}${minutes ? ` for ${minutes} min` : ''}`);
  }

  close(): void {
    this.clock.clearTimeout(this.timer);
  }
}

/** Offered only with bacnet.dccPassword (the device rejects the service without one). */
export const deviceCommunicationControl: ConfirmedHandler = (host, r) => {
  const minutes = r.isContext(0) ? r.contextUnsigned(0) : 0;
  const mode = r.contextEnumerated(1);
  const password = r.isContext(2) ? r.contextCharacterString(2) : '';
  r.done();
  const state = DCC_MODES[mode];
  if (state === undefined) return { kind: 'reject', reason: RejectReason.UNDEFINED_ENUMERATION };
  if (password.length > 20) return { kind: 'reject', reason: RejectReason.PARAMETER_OUT_OF_RANGE };
  if (password !== host.options.dccPassword) return { kind: 'error', error: ERR.PASSWORD_FAILURE };
  host.dcc.set(state, minutes);
  return { kind: 'simple' };
};
