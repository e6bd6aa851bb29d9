// What a refused or failed command is on each protocol's wire: one table for every adapter, each
// number from its standard's own table (HTTP status, Modbus exception, SNMP error-status, BACnet
// error class and code), so the same refusal reads the same whichever way it came in.
import type { CommandErrorCode } from './commands';

export interface CommandErrorWire {
  readonly description: string;
  /** RFC 9110 status code. */
  readonly httpStatus: number;
  /** Modbus Application Protocol v1.1b3, section 7. */
  readonly modbusException: number;
  /** RFC 3416 error-status when a SET is refused while its values are checked, and when its commit fails. */
  readonly snmpCheckStatus: number;
  readonly snmpCommitStatus: number;
  /** ASHRAE 135 clause 21 Error: error-class and error-code. */
  readonly bacnetError: { readonly errorClass: number; readonly errorCode: number };
}

export const COMMAND_ERRORS: Readonly<Record<CommandErrorCode, CommandErrorWire>> = {
  invalid: {
    description: 'the command is malformed or a value is outside its range',
    httpStatus: 400, modbusException: 0x03, snmpCheckStatus: 10, snmpCommitStatus: 14, bacnetError: { errorClass: 2, errorCode: 37 },
  },
  'not-found': {
    description: 'the command names a relay, module, threshold or alarm that does not exist',
    httpStatus: 404, modbusException: 0x03, snmpCheckStatus: 11, snmpCommitStatus: 14, bacnetError: { errorClass: 2, errorCode: 37 },
  },
  forbidden: {
    description: 'writes of this kind are off for this protocol or this user',
    httpStatus: 403, modbusException: 0x01, snmpCheckStatus: 10, snmpCommitStatus: 6, bacnetError: { errorClass: 2, errorCode: 40 },
  },
  unsupported: {
    description: 'the site cannot do it (no UPS, a source without controls)',
    httpStatus: 501, modbusException: 0x01, snmpCheckStatus: 10, snmpCommitStatus: 14, bacnetError: { errorClass: 0, errorCode: 0 },
  },
  failed: {
    description: 'the command was accepted but carrying it out failed',
    httpStatus: 500, modbusException: 0x04, snmpCheckStatus: 10, snmpCommitStatus: 14, bacnetError: { errorClass: 0, errorCode: 0 },
  },
};
