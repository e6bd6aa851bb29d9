// The command-error table against each standard's numbers, written out from the standards:
// RFC 9110 status codes, Modbus exceptions (01 illegal function, 03 illegal data value, 04 server
// device failure), RFC 3416 error-status (6 noAccess, 10 wrongValue, 11 noCreation, 14 commitFailed),
// ASHRAE 135 (class 0 device / code 0 other, class 2 property / 37 value-out-of-range, 40 write-access-denied).
import { COMMAND_ERRORS } from './command-errors';

describe('command error table', () => {
  it('answers each refusal with the published numbers of every protocol', () => {
    const wire = Object.fromEntries(Object.entries(COMMAND_ERRORS).map(([code, e]) => [code, [e.httpStatus, e.modbusException, e.snmpCheckStatus, e.snmpCommitStatus, e.bacnetError.errorClass, e.bacnetError.errorCode]]));
    expect(wire).toEqual({
      invalid: [400, 3, 10, 14, 2, 37],
      'not-found': [404, 3, 11, 14, 2, 37],
      forbidden: [403, 1, 10, 6, 2, 40],
      unsupported: [501, 1, 10, 14, 0, 0],
      failed: [500, 4, 10, 14, 0, 0],
    });
  });
});
