// @kirchhoff/bacnet: a BACnet/IP device over a Kirchhoff site model.
export { createBacnetDevice, CONFIRMED, UNCONFIRMED, MAX_APDU } from './device';
export type { BacnetDevice } from './device';
export type { BacnetDeviceOptions, BacnetLogger, EventRecipient } from './options';
export { BacnetConfigError } from './options';
export { ANALOG_POINTS, INSTANCE_FORMULAS, OTHER_OBJECTS, OT, UNITS, SENSOR_UNITS, MODULE_STATUS_STATES, UPS_OUTPUT_SOURCE_STATES } from './table';
export type { AnalogPoint, AnalogGroup } from './table';
export { P as PROPERTY } from './objects';
export { objectTableMarkdown } from './doc';
export type { CovSubscriptionView } from './objects';
