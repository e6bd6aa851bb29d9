// The shape of the declarative register map: blocks of fields at fixed addresses, each with a
// type, a scale factor and a unit. The server, the documentation and the CSV all read these.
import type { Command, SiteSnapshot } from '@kirchhoff/core';
import type { SiteView } from './view';

export type RegisterType = 'uint16' | 'int16' | 'bits16' | 'enum16' | 'uint32' | 'int32' | 'float32';

export const REGISTER_WORDS: Readonly<Record<RegisterType, 1 | 2>> = {
  uint16: 1, int16: 1, bits16: 1, enum16: 1, uint32: 2, int32: 2, float32: 2,
};

/** Raw value meaning "no valid reading" (the status bits say why). */
export const NOT_AVAILABLE: Readonly<Record<Exclude<RegisterType, 'float32' | 'bits16'>, number>> = {
  uint16: 0xffff, int16: -0x8000, enum16: 0xffff, uint32: 0xffffffff, int32: -0x80000000,
};

export interface BitDoc {
  readonly mask: number;
  readonly name: string;
  readonly description: string;
}

export interface EnumDoc {
  readonly value: number;
  readonly name: string;
}

export interface RegisterField {
  /** Register offset within one instance of the block. */
  readonly offset: number;
  readonly name: string;
  readonly type: RegisterType;
  /** Value in `unit` = raw x scale. Integer types only; float mirrors carry the value itself. */
  readonly scale: number;
  readonly unit: string;
  readonly description: string;
  readonly bits?: readonly BitDoc[];
  readonly values?: readonly EnumDoc[];
  /** The value in `unit`, or null when there is no valid reading. */
  readonly read: (view: SiteView, instance: number) => number | null;
  /** A holding register a master may write, through the command interface. */
  readonly writable?: boolean;
}

export interface RegisterBlock {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly base: number;
  /** Registers per instance; offsets without a field are reserved and read 0. */
  readonly stride: number;
  readonly maxInstances: number;
  /** What one instance is (`string`, `module`, ...); null for a block that exists once. */
  readonly instance: string | null;
  /** How many instances this site has (the rest are outside the map: exception 02). */
  readonly count: (snap: SiteSnapshot) => number;
  readonly fields: readonly RegisterField[];
  /** Turns the values written to one instance (field name -> value in the field's unit) into commands. */
  readonly toCommands?: (instance: number, written: ReadonlyMap<string, number | null>, view: SiteView) => Command[];
}

export interface BitBlock {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly base: number;
  readonly maxInstances: number;
  readonly instance: string;
  readonly count: (snap: SiteSnapshot) => number;
  /** Name of bit `instance` for the documentation's per-bit list, when it is fixed. */
  readonly names?: readonly string[];
  readonly read: (view: SiteView, instance: number) => boolean;
  readonly toCommand?: (instance: number, value: boolean) => Command;
}

export interface RegisterMap {
  /** FC3 and FC4 serve the same registers. */
  readonly registers: readonly RegisterBlock[];
  readonly coils: readonly BitBlock[];
  readonly discreteInputs: readonly BitBlock[];
}

export function addressOf(block: { base: number; stride?: number }, instance: number, offset = 0): number {
  return block.base + (block.stride ?? 1) * (instance - 1) + offset;
}
