// HTTP routes of the block and string life records (identity, dates, replacements) and of the
// battery passport. Writes are audited like every other write and answer once the record and its
// audit row are committed.
import { moduleLabel } from '@kirchhoff/core';
import { IDENTITY_FIELDS, lifeEntity, lifeLabel, LifeRecordError, STRING_POSITION, type IdentityPatch, type LifeRecord } from '@kirchhoff/history';
import { ApiError } from './errors';
import { historyStore } from './history';
import type { ApiContext, ApiRequest, Route } from './api';
import { JsonSchema, P, params, ref, TIME } from './schemas';
import { parseTime } from './history';

const DATE = '^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$';
const text = (d: string): JsonSchema => ({ type: ['string', 'null'], minLength: 1, maxLength: 200, description: `${d} null clears it.` });
const positive = (d: string): JsonSchema => ({ type: ['number', 'null'], minimum: 0.001, description: `${d} null clears it.` });
const date = (d: string): JsonSchema => ({ type: ['string', 'null'], pattern: DATE, description: `${d} YYYY-MM-DD or YYYY-MM; null clears it.` });
const IDENTITY_PROPS: Record<string, JsonSchema> = {
  manufacturer: text('Manufacturer.'), model: text('Model (type designation).'), serial: text('Serial number.'),
  chemistry: text('Chemistry as the datasheet names it (lead-acid VRLA AGM, NiCd, LFP).'),
  ratedCapacityAh: positive('Rated capacity, Ah.'), nominalVoltageV: positive('Nominal voltage, V.'),
  manufactureDate: date('Manufacture date:'), commissioningDate: date('Commissioning date (put into service):'),
  commissioningResistanceOhm: { type: ['number', 'null'], minimum: 0.00001, maximum: 1, description: 'Ri measured at commissioning, ohm (blocks: the health engine\'s Ri baseline). null clears it.' },
};
export const IDENTITY_PATCH: JsonSchema = {
  type: 'object', additionalProperties: false, minProperties: 1, properties: IDENTITY_PROPS,
  description: 'Identity fields to set; absent fields keep their value, null clears one.',
};
export const REPLACEMENT: JsonSchema = {
  type: 'object', additionalProperties: false,
  description: 'The new block. Fields not given are kept from the block taken out, except serial and manufacture date; commissioningDate is the replacement\'s date unless given.',
  properties: { ...IDENTITY_PROPS, at: { ...TIME, description: 'When the block was replaced (default: now). ISO 8601 or ms since 1970.' }, reason: { type: 'string', minLength: 1, maxLength: 200, description: 'Why (default: replaced).' } },
};
const identitySchema: JsonSchema = { type: 'object', description: `Identity fields that are known: ${IDENTITY_FIELDS.join(', ')}.` };

export const LIFE_COMPONENTS: Record<string, JsonSchema> = {
  LifeRecord: {
    type: 'object', additionalProperties: false,
    required: ['id', 'string', 'position', 'label', 'startedAtMs', 'endedAtMs', 'endReason', 'identity', 'sources', 'updatedAtMs'],
    description: 'One period of service of the string (position 0) or of the block at a position.',
    properties: {
      id: { type: 'integer', description: 'Record id.' }, string: { type: 'integer', description: 'String number.' },
      position: { type: 'integer', description: '0 = the string as a battery; 1..N = the block at that position.' }, label: { type: 'string', description: 'S01-M03, or string 1.' },
      startedAtMs: { type: 'number', description: 'When this record began (first recorded, or the replacement).' },
      endedAtMs: { type: ['number', 'null'], description: 'When the block was taken out; null while in service.' },
      endReason: { type: ['string', 'null'], description: 'replaced, or the reason given.' },
      identity: identitySchema,
      sources: { type: 'object', description: 'Per field: config, derived (from strings[].capacityAh or moduleType), api, inherited (from the replaced block) or replacement (its date).' },
      updatedAtMs: { type: 'number', description: 'Last change.' },
    },
  },
};

const withLabel = (r: LifeRecord) => ({ ...r, label: lifeLabel(r.string, r.position) });

function position(ctx: ApiContext, req: ApiRequest): { string: number; position: number } {
  const string = req.params.string as number;
  const n = ctx.site.topology.stringCount;
  if (string > n) throw new ApiError(404, 'not-found', `string ${string} does not exist (valid: 1..${n})`, 'string');
  if (req.params.module === undefined) return { string, position: STRING_POSITION };
  const module = req.params.module as number;
  if (!ctx.site.topology.globalOf(string, module)) throw new ApiError(404, 'not-found', `${moduleLabel(string, module)} does not exist on this site`, 'module');
  return { string, position: module };
}

/** Runs a life-record write, audits it (any outcome) and answers once both are committed. */
async function audited<T>(ctx: ApiContext, req: ApiRequest, action: string, detail: unknown, write: () => Promise<T>): Promise<T> {
  const history = historyStore(ctx.services);
  const audit = (outcome: 'ok' | 'rejected' | 'failed', error: string | null) =>
    history.recordAudit({ kind: 'config', action, outcome, protocol: 'http', principal: req.user?.name ?? null, remote: req.remote, detail, error });
  try {
    const result = await write();
    audit('ok', null);
    await history.flush();
    return result;
  } catch (e) {
    const message = (e as Error).message;
    // The worker sends errors back as text: a LifeRecordError's message names the field first.
    const field = /^([A-Za-z]+): /.exec(message)?.[1] ?? (e instanceof LifeRecordError ? e.field : undefined);
    const refused = e instanceof LifeRecordError || /is not valid|unknown field|is before the record|a replacement is of a block/.test(message);
    audit(refused ? 'rejected' : 'failed', message);
    await history.flush();
    if (refused) throw new ApiError(400, 'invalid', message, field);
    throw e;
  }
}

const lifeResponse = { description: 'The records, oldest first per position.', schema: { type: 'object', properties: { records: { type: 'array', items: ref('LifeRecord') } } } as JsonSchema };

export const LIFE_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/api/strings/:string/life', tag: 'life', access: 'viewer', summary: 'Life records of a string and its blocks, past ones too',
    description: 'Identity (manufacturer, model, serial, chemistry, rated capacity and voltage, manufacture and commissioning dates) per position and period of service; position 0 is the string as a battery. 404 (no-logger) when no data logger runs.',
    params: params({ string: P.string }), response: lifeResponse,
    handler: async (ctx, req) => {
      const at = position(ctx, req);
      return { records: (await historyStore(ctx.services).lifeRecords({ string: at.string })).map(withLabel) };
    },
  },
  {
    method: 'GET', path: '/api/strings/:string/modules/:module/life', tag: 'life', access: 'viewer', summary: 'Life records of one block position: the block in service and those it replaced',
    params: params({ string: P.string, module: P.module }), response: lifeResponse,
    handler: async (ctx, req) => {
      const at = position(ctx, req);
      return { records: (await historyStore(ctx.services).lifeRecords(at)).map(withLabel) };
    },
  },
  {
    method: 'PATCH', path: '/api/strings/:string/life', tag: 'life', access: 'operator', summary: 'Enter or correct the string\'s identity as a battery (audited)',
    description: 'Changes the record in service. A key the configuration states is written again when the configuration changes.',
    params: params({ string: P.string }), body: IDENTITY_PATCH, response: { description: 'The record.', schema: ref('LifeRecord') },
    handler: (ctx, req) => {
      const at = position(ctx, req);
      return audited(ctx, req, `life-record ${lifeEntity(at.string, at.position)}`, req.body, async () =>
        withLabel(await historyStore(ctx.services).setIdentity(at.string, at.position, req.body as IdentityPatch, ctx.site.now())));
    },
  },
  {
    method: 'PATCH', path: '/api/strings/:string/modules/:module/life', tag: 'life', access: 'operator', summary: 'Enter or correct the identity of the block in service (audited)',
    description: 'Corrections of the block in service; a block put in for another is a replacement (POST .../replacement), which keeps the old record.',
    params: params({ string: P.string, module: P.module }), body: IDENTITY_PATCH, response: { description: 'The record.', schema: ref('LifeRecord') },
    handler: (ctx, req) => {
      const at = position(ctx, req);
      return audited(ctx, req, `life-record ${lifeEntity(at.string, at.position)}`, req.body, async () => {
        const record = await historyStore(ctx.services).setIdentity(at.string, at.position, req.body as IdentityPatch, ctx.site.now());
        ctx.life.recordsChanged?.([record]);
        return withLabel(record);
      });
    },
  },
  {
    method: 'POST', path: '/api/strings/:string/modules/:module/replacement', tag: 'life', access: 'operator', summary: 'Record a block replacement: the old record ends, a new one starts (audited, logged as a battery event)',
    params: params({ string: P.string, module: P.module }), body: REPLACEMENT,
    response: { description: 'The ended and the started record.', schema: { type: 'object', properties: { ended: { oneOf: [ref('LifeRecord'), { type: 'null' }] }, started: ref('LifeRecord') } } },
    handler: (ctx, req) => {
      const at = position(ctx, req);
      const { at: when, reason, ...identity } = req.body as IdentityPatch & { at?: string; reason?: string };
      const atMs = parseTime(when, 'at') ?? ctx.site.now();
      if (atMs > ctx.site.now() + 60_000) throw new ApiError(400, 'invalid', `body at ${JSON.stringify(when)} is in the future: a replacement is recorded when it has happened`, 'at');
      const history = historyStore(ctx.services);
      return audited(ctx, req, `block-replacement ${lifeEntity(at.string, at.position)}`, req.body, async () => {
        const done = await history.replaceBlock(at.string, at.position, identity, atMs, reason);
        // The new block's health record starts over (capacity, Ri baseline, throughput).
        ctx.services.health?.blockReplaced(ctx.site.topology.globalOf(at.string, at.position)!);
        ctx.life.recordsChanged?.([done.started]);
        const was = done.ended?.identity.serial;
        const now = done.started.identity.serial;
        history.recordEvent({
          atMs, category: 'battery', action: 'block-replaced', severity: 'info', entity: lifeEntity(at.string, at.position),
          message: `${lifeLabel(at.string, at.position)} replaced${was || now ? `: serial ${was ?? '(unknown)'} -> ${now ?? '(unknown)'}` : ''}${reason ? ` (${reason})` : ''}`,
          detail: { endedRecordId: done.ended?.id ?? null, startedRecordId: done.started.id, by: req.user?.name ?? null },
        });
        return { ended: done.ended ? withLabel(done.ended) : null, started: withLabel(done.started) };
      });
    },
  },
  {
    method: 'GET', path: '/api/strings/:string/passport', tag: 'life', access: 'viewer', summary: 'The string\'s battery passport (Battery Pass data model 1.2.0), as `kirchhoff passport` writes it',
    description: 'One JSON document per string: generalProductInformation, performanceAndDurability and circularity as the data model\'s aspects, the blocks\' life records, where each value came from (sources) and the fields the gateway cannot know (missing, by name). docs/passport.md explains each field. 404 (no-logger) when no data logger runs.',
    params: params({ string: P.string }), response: { description: 'The passport.', schema: { type: 'object' } },
    handler: async (ctx, req) => {
      const at = position(ctx, req);
      historyStore(ctx.services);
      if (!ctx.life.passport) throw new ApiError(404, 'no-passport', 'this gateway builds no battery passport');
      return ctx.life.passport(at.string);
    },
  },
];
