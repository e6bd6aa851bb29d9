// What a UPS source offers the gateway: reading is its own business (it writes the site), and
// the UPS commands (tests, shutdown, settings) go to it through the gateway's command executor.
import type { Command, CommandResult } from '@kirchhoff/core';

export type UpsCommand = Extract<Command, { type: 'ups-test' | 'ups-control' | 'ups-settings' }>;

export interface UpsSource {
  readonly kind: 'q1' | 'snmp';
  /** Sends the command to the UPS; rejects with a CommandError the client sees. */
  execute(command: UpsCommand): Promise<CommandResult>;
  /** Reads the UPS once now (tests, a scheduler); resolves with whether it answered. */
  poll(): Promise<boolean>;
  close(): Promise<void>;
}
