// Modbus exception codes, one table mirroring the Modbus Application Protocol v1.1b3 (section 7),
// and the error a data model throws to make a handler answer with one of them.

export const ExceptionCode = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
  ServerDeviceFailure: 0x04,
  Acknowledge: 0x05,
  ServerDeviceBusy: 0x06,
  GatewayPathUnavailable: 0x0a,
  GatewayTargetFailedToRespond: 0x0b,
} as const;
export type ExceptionCode = (typeof ExceptionCode)[keyof typeof ExceptionCode];

export const EXCEPTION_NAMES: Readonly<Record<ExceptionCode, string>> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'server device failure',
  0x05: 'acknowledge',
  0x06: 'server device busy',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

/** Thrown by a data model; the handler answers `function | 0x80, code`. */
export class ModbusException extends Error {
  constructor(
    readonly code: ExceptionCode,
    message: string = EXCEPTION_NAMES[code],
  ) {
    super(message);
    this.name = 'ModbusException';
  }
}

export function exceptionPdu(functionCode: number, code: ExceptionCode): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}
