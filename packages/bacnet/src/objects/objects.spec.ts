// The error class and code of every answer, frozen against an implementation this project did not
// write: @bacnet-js/client's enumerations of ASHRAE 135 clause 21 (BACnetErrorClass, BACnetErrorCode).
// bacnet-stack (ERROR_CODE_INVALID_TIME_STAMP = 14) agrees on the code that was wrong here (74).
import { ErrorClass, ErrorCode } from '@bacnet-js/client';
import { ERR } from './objects';

const STANDARD: Record<keyof typeof ERR, [keyof typeof ErrorClass, keyof typeof ErrorCode]> = {
  UNKNOWN_OBJECT: ['OBJECT', 'UNKNOWN_OBJECT'],
  UNKNOWN_PROPERTY: ['PROPERTY', 'UNKNOWN_PROPERTY'],
  INVALID_ARRAY_INDEX: ['PROPERTY', 'INVALID_ARRAY_INDEX'],
  PROPERTY_IS_NOT_AN_ARRAY: ['PROPERTY', 'PROPERTY_IS_NOT_AN_ARRAY'],
  WRITE_ACCESS_DENIED: ['PROPERTY', 'WRITE_ACCESS_DENIED'],
  INVALID_DATA_TYPE: ['PROPERTY', 'INVALID_DATA_TYPE'],
  VALUE_OUT_OF_RANGE: ['PROPERTY', 'VALUE_OUT_OF_RANGE'],
  PASSWORD_FAILURE: ['SECURITY', 'PASSWORD_FAILURE'],
  SECURITY_WRITE_DENIED: ['SECURITY', 'WRITE_ACCESS_DENIED'],
  OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED: ['SERVICES', 'OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED'],
  SERVICE_REQUEST_DENIED: ['SERVICES', 'SERVICE_REQUEST_DENIED'],
  INVALID_EVENT_STATE: ['SERVICES', 'INVALID_EVENT_STATE'],
  INVALID_TIME_STAMP: ['SERVICES', 'INVALID_TIMESTAMP'],
  COV_SUBSCRIPTION_FAILED: ['SERVICES', 'COV_SUBSCRIPTION_FAILED'],
  NOT_COV_PROPERTY: ['SERVICES', 'NOT_COV_PROPERTY'],
  OTHER_DEVICE: ['DEVICE', 'OTHER'],
  RESOURCES_OTHER: ['RESOURCES', 'OTHER'],
};

it.each(Object.entries(STANDARD))('%s is the standard class and code', (name, [cls, code]) => {
  expect(ERR[name as keyof typeof ERR]).toEqual({ errorClass: ErrorClass[cls], errorCode: ErrorCode[code] });
});
