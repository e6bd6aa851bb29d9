// Device and object binding (clause 16.9, 16.10): Who-Is -> I-Am, Who-Has -> I-Have.
import { IAm, IHave } from '@bacnet-js/client/dist/lib/services';
import { OT } from '../objects/table';
import type { BacnetObject } from '../objects/objects';
import type { Peer } from '../transport/peer';
import { MAX_APDU } from '../transactions/requests';
import { ServiceHost, UnconfirmedHandler, UNCONFIRMED } from './service';

const MAX_INSTANCE = 4194303;

/** Who-Is with an optional instance range; answered with I-Am when this device is in it. */
export const whoIs: UnconfirmedHandler = (host, r, peer) => {
  let lo = 0;
  let hi = MAX_INSTANCE;
  if (!r.atEnd()) {
    lo = r.contextUnsigned(0);
    hi = r.contextUnsigned(1);
  }
  r.done();
  if (host.deviceInstance < lo || host.deviceInstance > hi) return;
  sendIAm(host, peer);
};

/** Who-Has by object identifier or name; answered with I-Have when this device holds it. */
export const whoHas: UnconfirmedHandler = (host, r, peer) => {
  let lo = 0;
  let hi = MAX_INSTANCE;
  if (r.isContext(0)) {
    lo = r.contextUnsigned(0);
    hi = r.contextUnsigned(1);
  }
  let obj: BacnetObject | undefined;
  if (r.isContext(2)) obj = host.findObject(r.contextObjectId(2));
  else obj = host.findObjectByName(r.contextCharacterString(3));
  r.done();
  if (!obj || host.deviceInstance < lo || host.deviceInstance > hi || host.dcc.state !== 'enable') return;
  const found = obj;
  host.sendUnconfirmed(peer, UNCONFIRMED.I_HAVE, (b) => IHave.encode(b, { type: OT.DEVICE, instance: host.deviceInstance }, found.id, found.name));
};

/** I-Am to a peer, or broadcast (peer null). Segmentation-supported: transmit only (1). */
export function sendIAm(host: ServiceHost, peer: Peer | null): void {
  host.sendUnconfirmed(peer, UNCONFIRMED.I_AM, (b) => IAm.encode(b, host.deviceInstance, MAX_APDU, 1, host.vendorId));
}
