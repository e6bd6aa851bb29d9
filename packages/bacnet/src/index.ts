// @kirchhoff/bacnet: a BACnet/IP device over a Kirchhoff site model.
export { createBacnetDevice } from './transport/udp';
export type { BacnetDevice } from './transport/udp';
export { createBacnetNode } from './device/device';
export type { BacnetNode } from './device/device';
export type { BacnetNetwork, UdpEndpoint } from './transport/peer';
export { CONFIRMED, UNCONFIRMED } from './services/service';
export { MAX_APDU } from './transactions/requests';
export type { BacnetDeviceOptions, BacnetLogger, EventRecipient } from './options';
export { BacnetConfigError } from './options';
export { ANALOG_POINTS, INSTANCE_FORMULAS, OTHER_OBJECTS, OT, UNITS, SENSOR_UNITS, MODULE_STATUS_STATES, UPS_OUTPUT_SOURCE_STATES } from './objects/table';
export type { AnalogPoint, AnalogGroup } from './objects/table';
export { P as PROPERTY } from './objects/objects';
export { objectTableMarkdown } from './objects/doc';
export type { CovSubscriptionView } from './objects/objects';
