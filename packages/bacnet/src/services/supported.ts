// Protocol_Services_Supported: each BACnet service by its bit in BACnetServicesSupported (ASHRAE 135,
// clause 21), and the services this device executes or initiates.

/** Bit number of each service in the BACnetServicesSupported bit string (ASHRAE 135-2020, clause 21). */
export const SERVICE_BITS = {
  // Alarm and event services
  acknowledgeAlarm: 0, confirmedCOVNotification: 1, confirmedEventNotification: 2, getAlarmSummary: 3, getEnrollmentSummary: 4, subscribeCOV: 5,
  // File access services
  atomicReadFile: 6, atomicWriteFile: 7,
  // Object access services
  addListElement: 8, removeListElement: 9, createObject: 10, deleteObject: 11, readProperty: 12, readPropertyMultiple: 14, writeProperty: 15, writePropertyMultiple: 16,
  // Remote device management services
  deviceCommunicationControl: 17, confirmedPrivateTransfer: 18, confirmedTextMessage: 19, reinitializeDevice: 20,
  // Virtual terminal and security services
  vtOpen: 21, vtClose: 22, vtData: 23,
  // Unconfirmed services
  iAm: 26, iHave: 27, unconfirmedCOVNotification: 28, unconfirmedEventNotification: 29, unconfirmedPrivateTransfer: 30, unconfirmedTextMessage: 31,
  timeSynchronization: 32, whoHas: 33, whoIs: 34,
  // Later additions
  readRange: 35, utcTimeSynchronization: 36, lifeSafetyOperation: 37, subscribeCOVProperty: 38, getEventInformation: 39,
} as const;

export type BacnetService = keyof typeof SERVICE_BITS;

/**
 * What this device supports: executes AcknowledgeAlarm, SubscribeCOV, ReadProperty, ReadPropertyMultiple,
 * WriteProperty, DeviceCommunicationControl (only with a password), Who-Has, Who-Is, GetEventInformation;
 * initiates COV and event notifications, I-Am, I-Have.
 */
export function servicesSupported(options: { readonly dccPassword?: string }): BacnetService[] {
  return [
    'acknowledgeAlarm', 'confirmedCOVNotification', 'confirmedEventNotification', 'subscribeCOV', 'readProperty', 'readPropertyMultiple', 'writeProperty',
    ...(options.dccPassword ? ['deviceCommunicationControl' as const] : []),
    'iAm', 'iHave', 'unconfirmedCOVNotification', 'unconfirmedEventNotification', 'whoHas', 'whoIs', 'getEventInformation',
  ];
}

/** The bit numbers of services, ascending (what Protocol_Services_Supported sets). */
export const serviceBits = (services: readonly BacnetService[]): number[] => services.map((s) => SERVICE_BITS[s]).sort((a, b) => a - b);
