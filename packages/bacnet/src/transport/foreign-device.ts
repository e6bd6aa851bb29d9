// Foreign-device registration (J.5.2): register with a BBMD, renew before the entry expires, and
// read its BVLC-Result. Broadcasts of a registered foreign device go through that BBMD (J.5.3).
import type { Clock, ClockTimer, RateLimitedLog } from '@kirchhoff/core';
import { decodeBvlcResult, registerForeignDevice } from '../framing/bvll';
import type { BacnetLogger } from '../options';
import { samePeer, type Peer } from './peer';

export class ForeignDeviceRegistration {
  registered = false;
  private timer: ClockTimer | null = null;
  private closed = false;

  constructor(
    readonly bbmd: Peer, private readonly ttlS: number, private readonly clock: Clock,
    private readonly log: BacnetLogger, private readonly problems: RateLimitedLog,
  ) {}

  start(): void {
    const register = () => {
      if (this.closed) return;
      this.bbmd.send(registerForeignDevice(this.ttlS));
      // Re-register well before the BBMD's entry (TTL + 30 s grace) expires.
      this.timer = this.clock.setTimeout(register, Math.max(10, this.ttlS / 2) * 1000);
    };
    register();
  }

  /** Whether a datagram came from the BBMD (only it may forward to this device, J.5). */
  isBbmd(from: Peer): boolean {
    return samePeer(from, this.bbmd);
  }

  /** A BVLC-Result from `from`; ignored unless from our BBMD. */
  onResult(d: Buffer, from: Peer): void {
    const code = decodeBvlcResult(d);
    if (!this.isBbmd(from) || code === null) return;
    if (code === 0) {
      if (!this.registered) this.log.info(`registered as a foreign device with the BBMD at ${from.key}`);
      this.registered = true;
    } else {
      this.registered = false;
      this.problems.warn('bbmd-refused', `the BBMD at ${from.key} refused the foreign-device registration (BVLC-Result 0x${code.toString(16).padStart(4, '0')})`);
    }
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
  }
}
