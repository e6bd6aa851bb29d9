// What the function handlers need from whatever holds the data: the seam between the PDU layer
// (pure Modbus) and the site register map. Reads are synchronous so polling stays fast; writes
// may wait for the command interface.

export type BitTable = 'coils' | 'discreteInputs';

export interface RequestContext {
  /** `tcp` or `rtu`: for logs and the command audit trail. */
  readonly transport: 'tcp' | 'rtu';
  /** Where the request came from: `ip:port` or the serial device path. */
  readonly remote: string;
  /** RTU address 0: execute writes, never answer. */
  readonly broadcast: boolean;
}

export interface DeviceIdentification {
  readonly vendorName: string;
  readonly productCode: string;
  readonly majorMinorRevision: string;
  readonly vendorUrl?: string;
  readonly productName?: string;
  readonly modelName?: string;
  readonly userApplicationName?: string;
}

/**
 * Methods throw ModbusException for address (02), value (03) and refusal codes; anything else
 * thrown is answered with 04 (server device failure).
 */
export interface ModbusDataModel {
  /** Bits as 0/1 bytes. */
  readBits(table: BitTable, address: number, quantity: number): Uint8Array;
  /** Writes big-endian register values for [address, address + quantity) into `out` at `offset`. */
  readRegisters(address: number, quantity: number, out: Buffer, offset: number): void;
  /** Throws 02 unless every register of [address, address + quantity) is in the map. */
  assertRegisters(address: number, quantity: number): void;
  writeCoils(address: number, values: readonly boolean[], context: RequestContext): Promise<void>;
  writeRegisters(address: number, values: readonly number[], context: RequestContext): Promise<void>;
  identification(): DeviceIdentification;
}
