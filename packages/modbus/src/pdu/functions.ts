// One handler per Modbus function: request PDU in, response PDU out. Shared by the TCP (MBAP)
// and RTU framings; checks run in the order of the specification's state diagrams:
// function (01), quantity and byte count (03), address range (02), execution (04).
import { DeviceIdentification, ModbusDataModel, RequestContext } from './data-model';
import { ExceptionCode, ModbusException, exceptionPdu } from './exceptions';

export const FunctionCode = {
  ReadCoils: 0x01,
  ReadDiscreteInputs: 0x02,
  ReadHoldingRegisters: 0x03,
  ReadInputRegisters: 0x04,
  WriteSingleCoil: 0x05,
  WriteSingleRegister: 0x06,
  WriteMultipleCoils: 0x0f,
  WriteMultipleRegisters: 0x10,
  ReadWriteMultipleRegisters: 0x17,
  EncapsulatedInterface: 0x2b,
} as const;

/** Largest PDU (function code + data) in either framing. */
export const MAX_PDU_BYTES = 253;

/** Quantity limits from the Modbus Application Protocol v1.1b3. */
export const LIMITS = {
  readBits: 2000,
  readRegisters: 125,
  writeCoils: 1968,
  writeRegisters: 123,
  readWriteRead: 125,
  readWriteWrite: 121,
} as const;

/** Handlers read the request PDU before their first await: it may be a view of a reused buffer. */
export type PduHandler = (pdu: Buffer, model: ModbusDataModel, context: RequestContext) => Buffer | Promise<Buffer>;

const MEI_READ_DEVICE_ID = 0x0e;

function fail(code: ExceptionCode): never {
  throw new ModbusException(code);
}

/** The PDU length a function needs; a request of another length is answered with 03. */
function expectLength(pdu: Buffer, length: number): void {
  if (pdu.length !== length) fail(ExceptionCode.IllegalDataValue);
}

function checkRange(address: number, quantity: number): void {
  if (address + quantity > 0x10000) fail(ExceptionCode.IllegalDataAddress);
}

function readBits(table: 'coils' | 'discreteInputs'): PduHandler {
  return (pdu, model) => {
    expectLength(pdu, 5);
    const address = pdu.readUInt16BE(1);
    const quantity = pdu.readUInt16BE(3);
    if (quantity < 1 || quantity > LIMITS.readBits) fail(ExceptionCode.IllegalDataValue);
    checkRange(address, quantity);
    const bits = model.readBits(table, address, quantity);
    const byteCount = Math.ceil(quantity / 8);
    const out = Buffer.alloc(2 + byteCount);
    out[0] = pdu[0];
    out[1] = byteCount;
    for (let i = 0; i < quantity; i++) if (bits[i]) out[2 + (i >> 3)] |= 1 << (i & 7);
    return out;
  };
}

const readRegisters: PduHandler = (pdu, model) => {
  expectLength(pdu, 5);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > LIMITS.readRegisters) fail(ExceptionCode.IllegalDataValue);
  checkRange(address, quantity);
  const out = Buffer.allocUnsafe(2 + quantity * 2);
  out[0] = pdu[0];
  out[1] = quantity * 2;
  model.readRegisters(address, quantity, out, 2);
  return out;
};

const writeSingleCoil: PduHandler = async (pdu, model, context) => {
  expectLength(pdu, 5);
  const address = pdu.readUInt16BE(1);
  const value = pdu.readUInt16BE(3);
  if (value !== 0x0000 && value !== 0xff00) fail(ExceptionCode.IllegalDataValue);
  const echo = Buffer.from(pdu);
  await model.writeCoils(address, [value === 0xff00], context);
  return echo;
};

const writeSingleRegister: PduHandler = async (pdu, model, context) => {
  expectLength(pdu, 5);
  const echo = Buffer.from(pdu);
  await model.writeRegisters(pdu.readUInt16BE(1), [pdu.readUInt16BE(3)], context);
  return echo;
};

const writeMultipleCoils: PduHandler = async (pdu, model, context) => {
  if (pdu.length < 6) fail(ExceptionCode.IllegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5];
  if (quantity < 1 || quantity > LIMITS.writeCoils || byteCount !== Math.ceil(quantity / 8)) fail(ExceptionCode.IllegalDataValue);
  expectLength(pdu, 6 + byteCount);
  checkRange(address, quantity);
  const values: boolean[] = [];
  for (let i = 0; i < quantity; i++) values.push((pdu[6 + (i >> 3)] & (1 << (i & 7))) !== 0);
  const echo = Buffer.from(pdu.subarray(0, 5));
  await model.writeCoils(address, values, context);
  return echo;
};

function registerValues(pdu: Buffer, offset: number, quantity: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(offset + 2 * i));
  return values;
}

const writeMultipleRegisters: PduHandler = async (pdu, model, context) => {
  if (pdu.length < 6) fail(ExceptionCode.IllegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5];
  if (quantity < 1 || quantity > LIMITS.writeRegisters || byteCount !== quantity * 2) fail(ExceptionCode.IllegalDataValue);
  expectLength(pdu, 6 + byteCount);
  checkRange(address, quantity);
  const echo = Buffer.from(pdu.subarray(0, 5));
  await model.writeRegisters(address, registerValues(pdu, 6, quantity), context);
  return echo;
};

const readWriteMultipleRegisters: PduHandler = async (pdu, model, context) => {
  if (pdu.length < 10) fail(ExceptionCode.IllegalDataValue);
  const readAddress = pdu.readUInt16BE(1);
  const readQuantity = pdu.readUInt16BE(3);
  const writeAddress = pdu.readUInt16BE(5);
  const writeQuantity = pdu.readUInt16BE(7);
  const byteCount = pdu[9];
  if (readQuantity < 1 || readQuantity > LIMITS.readWriteRead) fail(ExceptionCode.IllegalDataValue);
  if (writeQuantity < 1 || writeQuantity > LIMITS.readWriteWrite || byteCount !== writeQuantity * 2) fail(ExceptionCode.IllegalDataValue);
  expectLength(pdu, 10 + byteCount);
  checkRange(readAddress, readQuantity);
  checkRange(writeAddress, writeQuantity);
  // Both ranges are checked before anything is written: a refused read must not leave a write done.
  model.assertRegisters(readAddress, readQuantity);
  await model.writeRegisters(writeAddress, registerValues(pdu, 10, writeQuantity), context);
  const out = Buffer.allocUnsafe(2 + readQuantity * 2);
  out[0] = pdu[0];
  out[1] = readQuantity * 2;
  model.readRegisters(readAddress, readQuantity, out, 2);
  return out;
};

/** Object ids of Read Device Identification (Modbus Application Protocol 1.1b3, 6.21): 0..2 basic, 3..6 regular. */
export const DEVICE_ID_OBJECT_IDS: Readonly<Record<keyof DeviceIdentification, number>> = {
  vendorName: 0x00, productCode: 0x01, majorMinorRevision: 0x02, vendorUrl: 0x03, productName: 0x04, modelName: 0x05, userApplicationName: 0x06,
};

/** 43/14 Read Device Identification, basic and regular categories, stream and individual access. */
const encapsulatedInterface: PduHandler = (pdu, model) => {
  if (pdu.length < 2 || pdu[1] !== MEI_READ_DEVICE_ID) fail(ExceptionCode.IllegalFunction);
  expectLength(pdu, 4);
  const readCode = pdu[2];
  let objectId = pdu[3];
  if (readCode < 1 || readCode > 4) fail(ExceptionCode.IllegalDataValue);
  const ident = model.identification();
  const objects = (Object.keys(DEVICE_ID_OBJECT_IDS) as (keyof DeviceIdentification)[]).map((f) => ({ id: DEVICE_ID_OBJECT_IDS[f], value: ident[f] })).filter((o): o is { id: number; value: string } => o.value !== undefined);
  const byId = new Map(objects.map((o) => [o.id, Buffer.from(o.value, 'utf8').subarray(0, 240)]));
  const conformity = 0x82; // regular identification, stream and individual access
  const header = (more: boolean, next: number, count: number) => Buffer.from([0x2b, MEI_READ_DEVICE_ID, readCode, conformity, more ? 0xff : 0x00, more ? next : 0x00, count]);
  if (readCode === 4) {
    const value = byId.get(objectId);
    if (!value) fail(ExceptionCode.IllegalDataAddress);
    return Buffer.concat([header(false, 0, 1), Buffer.from([objectId, value.length]), value]);
  }
  const lastId = readCode === 1 ? 2 : 6;
  // The specification restarts a stream at object 0 when the requested id is not in the category.
  if (!byId.has(objectId) || objectId > lastId) objectId = 0;
  const parts: Buffer[] = [];
  let size = 7;
  let count = 0;
  for (let id = objectId; id <= lastId; id++) {
    const value = byId.get(id);
    if (!value) continue;
    if (size + 2 + value.length > MAX_PDU_BYTES) return Buffer.concat([header(true, id, count), ...parts]);
    parts.push(Buffer.from([id, value.length]), value);
    size += 2 + value.length;
    count++;
  }
  return Buffer.concat([header(false, 0, count), ...parts]);
};

export const HANDLERS: Readonly<Record<number, PduHandler>> = {
  [FunctionCode.ReadCoils]: readBits('coils'),
  [FunctionCode.ReadDiscreteInputs]: readBits('discreteInputs'),
  [FunctionCode.ReadHoldingRegisters]: readRegisters,
  [FunctionCode.ReadInputRegisters]: readRegisters,
  [FunctionCode.WriteSingleCoil]: writeSingleCoil,
  [FunctionCode.WriteSingleRegister]: writeSingleRegister,
  [FunctionCode.WriteMultipleCoils]: writeMultipleCoils,
  [FunctionCode.WriteMultipleRegisters]: writeMultipleRegisters,
  [FunctionCode.ReadWriteMultipleRegisters]: readWriteMultipleRegisters,
  [FunctionCode.EncapsulatedInterface]: encapsulatedInterface,
};

export type ErrorReporter = (error: unknown, pdu: Buffer, context: RequestContext) => void;

function toException(pdu: Buffer, error: unknown, context: RequestContext, report?: ErrorReporter): Buffer {
  if (error instanceof ModbusException) return exceptionPdu(pdu[0], error.code);
  report?.(error, pdu, context);
  return exceptionPdu(pdu[0], ExceptionCode.ServerDeviceFailure);
}

/**
 * Answers one request PDU. Synchronous for reads (the polling fast path), a promise for writes.
 * Never throws: every failure becomes an exception response; unexpected errors go to `report`.
 */
export function handlePdu(pdu: Buffer, model: ModbusDataModel, context: RequestContext, report?: ErrorReporter): Buffer | Promise<Buffer> {
  if (pdu.length < 1) return exceptionPdu(0, ExceptionCode.IllegalFunction);
  const handler = HANDLERS[pdu[0]];
  if (!handler) return exceptionPdu(pdu[0], ExceptionCode.IllegalFunction);
  try {
    const result = handler(pdu, model, context);
    if (result instanceof Promise) return result.catch((e: unknown) => toException(pdu, e, context, report));
    return result;
  } catch (e) {
    return toException(pdu, e, context, report);
  }
}
