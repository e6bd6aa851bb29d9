// The module bus protocol's numbers in one place (mirrors docs/module-bus.md): frame layout,
// addresses, command codes, error codes, status bits and the timing rules both ends follow.
import type { ModuleType } from '@kirchhoff/core';

export const SOF = 0xa5;
/** SOF, address (2), command, length. */
export const HEADER_BYTES = 5;
export const CRC_BYTES = 2;
export const MAX_PAYLOAD = 64;
export const MAX_FRAME = HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES;

/** A module that was never addressed answers only commissioning commands. */
export const UNASSIGNED_ADDRESS = 0x0000;
export const FIRST_ADDRESS = 1;
export const LAST_ADDRESS = 512;
/** Every module acts on it; none answers, except where a command says otherwise. */
export const BROADCAST_ADDRESS = 0xffff;

/** Bit 7 of the command byte: set in every frame a module sends. */
export const RESPONSE_BIT = 0x80;
/** Bit 6: set (with bit 7) when the module refuses the request; payload = one error code. */
export const ERROR_BIT = 0x40;
export const COMMAND_MASK = 0x3f;

export const CMD = {
  READ_INFO: 0x01,
  READ_MEASUREMENTS: 0x02,
  READ_MEASUREMENTS_RANGE: 0x03,
  START_RI: 0x04,
  READ_RI: 0x05,
  SET_BYPASS: 0x06,
  SET_BYPASS_RANGE: 0x07,
  READ_FUSE: 0x08,
  CLEAR_FUSE: 0x09,
  IDENTIFY: 0x0a,
  SLEEP: 0x0b,
  WAKE: 0x0c,
  ASSIGN_ADDRESS: 0x10,
  ENUMERATE: 0x11,
  CHANGE_ADDRESS: 0x12,
} as const;
export type CommandName = keyof typeof CMD;
export type CommandCode = (typeof CMD)[CommandName];

export function commandName(code: number): CommandName | undefined {
  return (Object.keys(CMD) as CommandName[]).find((k) => CMD[k] === (code & COMMAND_MASK));
}

/** Why a module refused a request (payload of an error response). */
export const BUS_ERRORS = {
  1: { name: 'unknown-command', description: 'the module does not implement this command' },
  2: { name: 'bad-length', description: 'the payload length does not fit the command' },
  3: { name: 'bad-value', description: 'a payload value is out of range' },
  4: { name: 'busy', description: 'an Ri measurement is in progress' },
  5: { name: 'not-allowed', description: 'not allowed in the module\'s state (e.g. bypass while over temperature)' },
} as const;
export type BusErrorCode = keyof typeof BUS_ERRORS;
export const ERR = { UNKNOWN_COMMAND: 1, BAD_LENGTH: 2, BAD_VALUE: 3, BUSY: 4, NOT_ALLOWED: 5 } as const;

/** Status byte of a measurement. */
export const STATUS = {
  FUSE_BLOWN: 0x01,
  OVER_TEMPERATURE: 0x02,
  BYPASS_ON: 0x04,
  RI_MEASURING: 0x08,
  IDENTIFYING: 0x10,
  FUSE_TRIPPED: 0x20,
  ADDRESS_MODE: 0x40,
} as const;

/** Module type byte of the info payload (docs/module-bus.md): frozen, a new type takes the next number. */
export const MODULE_TYPE_CODES: Readonly<Record<ModuleType, number>> = { C20: 0, C23: 1, C30: 2, C40: 3, C41: 4 };

export const PROTOCOL_VERSION = 1;

/** Range commands answer at most this many modules per request. */
export const MAX_RANGE_COUNT = 64;
/** SET_BYPASS_RANGE carries first (2), count (1) and one duty byte per module. */
export const MAX_BYPASS_RANGE_COUNT = MAX_PAYLOAD - 3;

/** Encoded "no value" markers of the measurement payload. */
export const NO_VOLTAGE = 0xffff;
export const NO_TEMPERATURE = 0x7fff;
export const NO_RESISTANCE = 0xffffff;

export const BITS_PER_CHAR = 10;
/**
 * In a range answer, a module whose predecessor stays silent for this many character times
 * takes its own turn: a lost module costs the bus one slot, not a timeout.
 */
export const SLOT_CHARS = 20;

/** Bytes of a frame carrying `payload` bytes. */
export function frameBytes(payload: number): number {
  return HEADER_BYTES + payload + CRC_BYTES;
}

/** Time `bytes` take on the wire at `baud` (8N1: 10 bits per byte), ms. */
export function wireMs(bytes: number, baud: number): number {
  return (bytes * BITS_PER_CHAR * 1000) / baud;
}
