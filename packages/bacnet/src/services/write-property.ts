// WriteProperty (15.9): a relay Binary Output's Present_Value at a priority, through the command
// interface; everything else is write-access-denied.
import { RejectReason } from '@bacnet-js/client';
import { COMMAND_ERRORS, CommandError } from '@kirchhoff/core';
import { ERR, P } from '../objects/objects';
import type { ConfirmedHandler, Reply } from './service';

export const writeProperty: ConfirmedHandler = async (host, r, peer): Promise<Reply> => {
  const id = r.contextObjectId(0);
  const prop = r.contextEnumerated(1);
  const index = r.isContext(2) ? r.contextUnsigned(2) : null;
  r.opening(3);
  const values = [];
  while (!r.isClosing(3)) values.push(r.application());
  r.closing(3);
  const priority = r.isContext(4) ? r.contextUnsigned(4) : 16;
  r.done();
  if (priority < 1 || priority > 16) return { kind: 'reject', reason: RejectReason.PARAMETER_OUT_OF_RANGE };
  const obj = host.findObject(id);
  if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
  if (!obj.byId.has(prop)) return { kind: 'error', error: ERR.UNKNOWN_PROPERTY };
  if (obj.relay === undefined || prop !== P.PRESENT_VALUE) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
  if (index !== null) return { kind: 'error', error: ERR.PROPERTY_IS_NOT_AN_ARRAY };
  if (values.length !== 1) return { kind: 'error', error: ERR.INVALID_DATA_TYPE };
  const v = values[0];
  let slot: boolean | null;
  if (v.tag === 0) slot = null;
  else if (v.tag === 9 && (v.value === 0 || v.value === 1)) slot = v.value === 1;
  else if (v.tag === 9) return { kind: 'error', error: ERR.VALUE_OUT_OF_RANGE };
  else return { kind: 'error', error: ERR.INVALID_DATA_TYPE };
  // Priority 6 is reserved for minimum on/off time (19.2.1.1).
  if (priority === 6) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
  const commands = host.options.commands;
  if (!commands || !commands.allows('bacnet', 'set-relay')) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
  const array = [...(host.priorityArrays.get(obj.relay) ?? [])];
  array[priority - 1] = slot;
  const effective = array.find((x) => x !== null) ?? false; // Relinquish_Default: inactive
  const current = host.site.snapshot().relays[obj.relay - 1].on;
  if (effective !== current) {
    try {
      await commands.submit({ type: 'set-relay', relay: obj.relay, on: effective }, { protocol: 'bacnet', remote: peer.key });
    } catch (e) {
      const code = e instanceof CommandError ? e.code : 'failed';
      const { errorClass, errorCode } = COMMAND_ERRORS[code].bacnetError;
      host.problems.warn(`write:${code}`, `WriteProperty from ${peer.key} refused by the command interface: ${(e as Error).message}`);
      return { kind: 'error', error: { errorClass, errorCode } };
    }
  }
  host.priorityArrays.set(obj.relay, array);
  host.scheduleEvaluate();
  return { kind: 'simple' };
};
