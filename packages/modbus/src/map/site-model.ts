// Serves the register map over a site: a register image rebuilt once per snapshot version (so a
// poll is a copy), bits read on demand, and writes turned into commands for the core command
// interface. Which exception a refusal gives is documented in the package README.
import { COMMAND_ERRORS, CommandError, CommandInterface, Site, SiteSnapshot } from '@kirchhoff/core';
import type { BitTable, DeviceIdentification, ModbusDataModel, RequestContext } from '../pdu/data-model';
import { ExceptionCode, ModbusException } from '../pdu/exceptions';
import { REGISTER_MAP } from './table';
import { BitBlock, NOT_AVAILABLE, REGISTER_WORDS, RegisterBlock, RegisterField, RegisterMap } from './types';
import { SiteView, siteView } from './view';

/** Package version, also reported by Read Device Identification (a test keeps it equal to package.json). */
export const PACKAGE_VERSION = '0.1.0';

export interface SiteDataModelOptions {
  /** The command interface writes go through; without it every write is refused. */
  readonly commands?: CommandInterface | null;
  /** Writes are refused (exception 01) unless true. */
  readonly writes?: boolean;
  readonly identification?: Partial<DeviceIdentification>;
  readonly map?: RegisterMap;
}

interface Slot {
  readonly block: RegisterBlock;
  readonly instance: number;
  /** The field this register belongs to, or null for a reserved register. */
  readonly field: RegisterField | null;
}


function fail(code: ExceptionCode, message?: string): never {
  throw new ModbusException(code, message);
}

export class SiteDataModel implements ModbusDataModel {
  private readonly map: RegisterMap;
  private readonly slots: (Slot | undefined)[] = [];
  /** presentBefore[a] = registers in the map below address a: a range is in the map when the difference equals its length. */
  private readonly presentBefore = new Int32Array(0x10001);
  private readonly image = Buffer.alloc(0x20000);
  private imageOf: SiteSnapshot | null = null;
  private view: SiteView | null = null;
  private readonly writesEnabled: boolean;

  constructor(
    private readonly site: Site,
    private readonly options: SiteDataModelOptions = {},
  ) {
    this.map = options.map ?? REGISTER_MAP;
    this.writesEnabled = options.writes === true && !!options.commands;
    const snap = site.snapshot();
    for (const block of this.map.registers) {
      const byOffset = new Map<number, RegisterField>();
      for (const f of block.fields) for (let w = 0; w < REGISTER_WORDS[f.type]; w++) byOffset.set(f.offset + w, f);
      const count = Math.min(block.count(snap), block.maxInstances);
      for (let n = 1; n <= count; n++) {
        for (let o = 0; o < block.stride; o++) {
          const a = block.base + block.stride * (n - 1) + o;
          if (this.slots[a]) throw new Error(`register map: ${block.id} overlaps ${this.slots[a]!.block.id} at ${a}`);
          this.slots[a] = { block, instance: n, field: byOffset.get(o) ?? null };
        }
      }
    }
    for (let a = 0; a < 0x10000; a++) this.presentBefore[a + 1] = this.presentBefore[a] + (this.slots[a] ? 1 : 0);
  }

  get writable(): boolean {
    return this.writesEnabled;
  }

  /** The view of the current snapshot, rebuilding the register image when the site changed. */
  private current(): SiteView {
    const snap = this.site.snapshot();
    if (snap !== this.imageOf) {
      this.view = siteView(snap);
      this.rebuild(this.view);
      this.imageOf = snap;
    }
    return this.view!;
  }

  private rebuild(view: SiteView): void {
    const img = this.image;
    img.fill(0);
    for (const block of this.map.registers) {
      const count = Math.min(block.count(view.snap), block.maxInstances);
      for (let n = 1; n <= count; n++) {
        for (const f of block.fields) {
          const at = 2 * (block.base + block.stride * (n - 1) + f.offset);
          encode(img, at, f, f.read(view, n));
        }
      }
    }
  }

  assertRegisters(address: number, quantity: number): void {
    if (this.presentBefore[address + quantity] - this.presentBefore[address] !== quantity) fail(ExceptionCode.IllegalDataAddress);
  }

  readRegisters(address: number, quantity: number, out: Buffer, offset: number): void {
    this.assertRegisters(address, quantity);
    this.current();
    this.image.copy(out, offset, 2 * address, 2 * (address + quantity));
  }

  readBits(table: BitTable, address: number, quantity: number): Uint8Array {
    const view = this.current();
    const blocks = this.bitBlocks(table, address, quantity);
    const out = new Uint8Array(quantity);
    for (let i = 0; i < quantity; i++) {
      const { block, instance } = blocks[i];
      out[i] = block.read(view, instance) ? 1 : 0;
    }
    return out;
  }

  async writeCoils(address: number, values: readonly boolean[], context: RequestContext): Promise<void> {
    if (!this.writesEnabled) fail(ExceptionCode.IllegalFunction, 'writes are disabled');
    const targets = this.bitBlocks('coils', address, values.length);
    if (targets.some((t) => !t.block.toCommand)) fail(ExceptionCode.IllegalDataAddress);
    for (let i = 0; i < values.length; i++) await this.submit(targets[i].block.toCommand!(targets[i].instance, values[i]), context);
  }

  async writeRegisters(address: number, values: readonly number[], context: RequestContext): Promise<void> {
    if (!this.writesEnabled) fail(ExceptionCode.IllegalFunction, 'writes are disabled');
    this.assertRegisters(address, values.length);
    const groups = new Map<string, { block: RegisterBlock; instance: number; written: Map<string, number | null> }>();
    for (let i = 0; i < values.length; i++) {
      const slot = this.slots[address + i]!;
      if (!slot.field?.writable || !slot.block.toCommands) fail(ExceptionCode.IllegalDataAddress, `register ${address + i} is read-only`);
      const key = `${slot.block.id}/${slot.instance}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { block: slot.block, instance: slot.instance, written: new Map() }));
      g.written.set(slot.field.name, decode(slot.field, values[i]));
    }
    const view = this.current();
    const commands = [...groups.values()].flatMap((g) => {
      try {
        return g.block.toCommands!(g.instance, g.written, view);
      } catch (e) {
        if (e instanceof CommandError) fail(ExceptionCode.IllegalDataValue, e.message);
        throw e;
      }
    });
    for (const c of commands) await this.submit(c, context);
  }

  identification(): DeviceIdentification {
    return {
      vendorName: 'Kirchhoff',
      productCode: 'kirchhoff-modbus',
      majorMinorRevision: PACKAGE_VERSION,
      vendorUrl: 'https://github.com/kirchhoff-bms/kirchhoff',
      productName: 'Kirchhoff battery management gateway',
      modelName: '@kirchhoff/modbus',
      userApplicationName: this.site.snapshot().info.name,
      ...this.options.identification,
    };
  }

  private bitBlocks(table: BitTable, address: number, quantity: number): { block: BitBlock; instance: number }[] {
    const snap = this.site.snapshot();
    const blocks = table === 'coils' ? this.map.coils : this.map.discreteInputs;
    const out: { block: BitBlock; instance: number }[] = [];
    for (let a = address; a < address + quantity; a++) {
      const block = blocks.find((b) => a >= b.base && a < b.base + Math.min(b.count(snap), b.maxInstances));
      if (!block) fail(ExceptionCode.IllegalDataAddress);
      out.push({ block, instance: a - block.base + 1 });
    }
    return out;
  }

  private async submit(command: Parameters<CommandInterface['submit']>[0], context: RequestContext): Promise<void> {
    try {
      await this.options.commands!.submit(command, { protocol: 'modbus', remote: context.remote });
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      // How a refused command is answered: core's table (documented in the README).
      throw new ModbusException((COMMAND_ERRORS[e.code]?.modbusException ?? ExceptionCode.ServerDeviceFailure) as ExceptionCode, e.message);
    }
  }
}

/** Writes one field's value into the image at byte offset `at`. */
export function encode(img: Buffer, at: number, f: RegisterField, value: number | null): void {
  switch (f.type) {
    case 'float32':
      img.writeFloatBE(value === null ? NaN : value, at);
      return;
    case 'bits16':
      img.writeUInt16BE((value ?? 0) & 0xffff, at);
      return;
    case 'enum16':
      img.writeUInt16BE(value === null ? NOT_AVAILABLE.enum16 : value & 0xffff, at);
      return;
  }
  const raw = value === null || !Number.isFinite(value) ? null : Math.round(f.scale < 1 ? value * Math.round(1 / f.scale) : value / f.scale);
  switch (f.type) {
    case 'int16':
      img.writeInt16BE(raw === null ? NOT_AVAILABLE.int16 : clamp(raw, -0x7fff, 0x7fff), at);
      return;
    case 'uint16':
      img.writeUInt16BE(raw === null ? NOT_AVAILABLE.uint16 : clamp(raw, 0, 0xfffe), at);
      return;
    case 'int32':
      img.writeInt32BE(raw === null ? NOT_AVAILABLE.int32 : clamp(raw, -0x7fffffff, 0x7fffffff), at);
      return;
    case 'uint32':
      img.writeUInt32BE(raw === null ? NOT_AVAILABLE.uint32 : clamp(raw, 0, 0xfffffffe), at);
      return;
  }
}

/** A written 16-bit register as a value in the field's unit; "not available" becomes null. */
export function decode(f: RegisterField, raw: number): number | null {
  if (f.type === 'int16') {
    const signed = raw >= 0x8000 ? raw - 0x10000 : raw;
    return signed === NOT_AVAILABLE.int16 ? null : scaled(signed, f.scale);
  }
  return scaled(raw, f.scale);
}

// Dividing by the integer 1/scale keeps 14100 x 0.001 at 14.1 instead of 14.100000000000001.
function scaled(raw: number, scale: number): number {
  return scale >= 1 ? raw * scale : raw / Math.round(1 / scale);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
