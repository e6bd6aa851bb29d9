// ReadProperty (15.5) and ReadPropertyMultiple (15.7): property values from one snapshot.
import { RejectReason } from '@bacnet-js/client';
import { DecodeError } from '../codec/tags';
import { asn1, EncodeBuffer, encodeValue, V, Value } from '../codec/values';
import { BacnetObject, ERR, ObjectId, P, PropertyDef, PropertyError, ReadContext } from '../objects/objects';
import { ConfirmedHandler, TooLong } from './service';
import { MAX_RESPONSE_SEGMENTS } from '../transactions/segmentation';
import { MAX_APDU } from '../transactions/requests';

/** The longest answer this device builds: as many segments as it sends at most. */
export const ENCODE_LIMIT = MAX_RESPONSE_SEGMENTS * MAX_APDU;

export const readProperty: ConfirmedHandler = (host, r) => {
  const id = r.contextObjectId(0);
  const prop = r.contextEnumerated(1);
  const index = r.isContext(2) ? r.contextUnsigned(2) : null;
  r.done();
  const obj = host.findObject(id);
  if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
  if (prop === P.ALL || prop === P.REQUIRED || prop === P.OPTIONAL) return { kind: 'error', error: ERR.UNKNOWN_PROPERTY };
  const values = readValues(obj, prop, index, host.context());
  if (!Array.isArray(values)) return { kind: 'error', error: values as PropertyError };
  return {
    kind: 'complex',
    encode: (b) => {
      asn1.encodeContextObjectId(b, 0, obj.id.type, obj.id.instance);
      asn1.encodeContextEnumerated(b, 1, prop);
      if (index !== null) asn1.encodeContextUnsigned(b, 2, index);
      asn1.encodeOpeningTag(b, 3);
      for (const v of values) encodeValue(b, v);
      asn1.encodeClosingTag(b, 3);
    },
  };
};

export const readPropertyMultiple: ConfirmedHandler = (host, r) => {
  const specs: { id: ObjectId; props: { id: number; index: number | null }[] }[] = [];
  while (!r.atEnd()) {
    const id = r.contextObjectId(0);
    r.opening(1);
    const props: { id: number; index: number | null }[] = [];
    while (!r.isClosing(1)) {
      const pid = r.contextEnumerated(0);
      props.push({ id: pid, index: r.isContext(1) ? r.contextUnsigned(1) : null });
    }
    r.closing(1);
    if (!props.length) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'empty list of property references');
    specs.push({ id, props });
  }
  if (!specs.length) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'no read access specification');
  const ctx = host.context();
  return {
    kind: 'complex',
    encode: (b) => {
      for (const spec of specs) {
        asn1.encodeContextObjectId(b, 0, spec.id.type, spec.id.instance);
        asn1.encodeOpeningTag(b, 1);
        const obj = host.findObject(spec.id);
        for (const ref of spec.props) {
          if (!obj) {
            writeResult(b, ref.id, ref.index, ERR.UNKNOWN_OBJECT);
            continue;
          }
          if (ref.id === P.ALL || ref.id === P.REQUIRED || ref.id === P.OPTIONAL) {
            // Property_List is not part of ALL/REQUIRED (15.7.3.1.2).
            const defs = obj.properties.filter((p) => p.id !== P.PROPERTY_LIST && (ref.id === P.ALL || (ref.id === P.REQUIRED) === p.required));
            for (const def of defs) writeResult(b, def.id, null, def.read(ctx));
            continue;
          }
          writeResult(b, ref.id, ref.index, readValues(obj, ref.id, ref.index, ctx));
          if (b.offset > ENCODE_LIMIT) throw new TooLong();
        }
        asn1.encodeClosingTag(b, 1);
        if (b.offset > ENCODE_LIMIT) throw new TooLong();
      }
    },
  };
};

/** One property's value(s), or the element at an array index (0: the array's size). */
export function readValues(obj: BacnetObject, prop: number, index: number | null, ctx: ReadContext): readonly Value[] | PropertyError {
  const def: PropertyDef | undefined = obj.byId.get(prop);
  if (!def) return ERR.UNKNOWN_PROPERTY;
  const values = def.read(ctx);
  if (index === null) return values;
  if (!def.array) return ERR.PROPERTY_IS_NOT_AN_ARRAY;
  if (index === 0) return [V.uint(values.length)];
  if (index > values.length) return ERR.INVALID_ARRAY_INDEX;
  return [values[index - 1]];
}

/** BACnetReadAccessResult's listOfResults element: the value(s) [4] or the property access error [5]. */
function writeResult(b: EncodeBuffer, prop: number, index: number | null, result: readonly Value[] | PropertyError): void {
  asn1.encodeContextEnumerated(b, 2, prop);
  if (index !== null) asn1.encodeContextUnsigned(b, 3, index);
  if (Array.isArray(result)) {
    asn1.encodeOpeningTag(b, 4);
    for (const v of result as readonly Value[]) encodeValue(b, v);
    asn1.encodeClosingTag(b, 4);
  } else {
    const e = result as PropertyError;
    asn1.encodeOpeningTag(b, 5);
    asn1.encodeApplicationEnumerated(b, e.errorClass);
    asn1.encodeApplicationEnumerated(b, e.errorCode);
    asn1.encodeClosingTag(b, 5);
  }
}
