// Protocol_Services_Supported: the bit numbers are ASHRAE 135's BACnetServicesSupported (clause 21),
// written out here from the standard, not from the table under test.
import { SERVICE_BITS, serviceBits, servicesSupported } from './supported';

describe('BACnetServicesSupported', () => {
  it('each service sits at its ASHRAE 135 bit', () => {
    expect(SERVICE_BITS).toEqual({
      acknowledgeAlarm: 0, confirmedCOVNotification: 1, confirmedEventNotification: 2, getAlarmSummary: 3, getEnrollmentSummary: 4, subscribeCOV: 5,
      atomicReadFile: 6, atomicWriteFile: 7, addListElement: 8, removeListElement: 9, createObject: 10, deleteObject: 11, readProperty: 12,
      readPropertyMultiple: 14, writeProperty: 15, writePropertyMultiple: 16, deviceCommunicationControl: 17, confirmedPrivateTransfer: 18,
      confirmedTextMessage: 19, reinitializeDevice: 20, vtOpen: 21, vtClose: 22, vtData: 23, iAm: 26, iHave: 27, unconfirmedCOVNotification: 28,
      unconfirmedEventNotification: 29, unconfirmedPrivateTransfer: 30, unconfirmedTextMessage: 31, timeSynchronization: 32, whoHas: 33, whoIs: 34,
      readRange: 35, utcTimeSynchronization: 36, lifeSafetyOperation: 37, subscribeCOVProperty: 38, getEventInformation: 39,
    });
  });

  it('the device sets the bits of what it executes and initiates; DeviceCommunicationControl (17) only with a password', () => {
    expect(serviceBits(servicesSupported({}))).toEqual([0, 1, 2, 5, 12, 14, 15, 26, 27, 28, 29, 33, 34, 39]);
    expect(serviceBits(servicesSupported({ dccPassword: 'secret' }))).toEqual([0, 1, 2, 5, 12, 14, 15, 17, 26, 27, 28, 29, 33, 34, 39]);
  });
});
