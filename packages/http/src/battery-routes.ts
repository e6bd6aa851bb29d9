// The HTTP API's battery-health routes (issue 15): each block's health (SoH, remaining capacity, Ri
// trend, throughput, ...), the capacity tests and discharges the data logger keeps, and starting or
// aborting a capacity test (admin, audited).
import type { JsonSchema } from './schemas';
import { P, params, ref, TIME } from './schemas';
import { ApiError } from './errors';
import { historyStore, timeRange } from './history';
import type { ApiContext, ApiRequest, Route } from './api';
import { submit } from './api';
import type { HealthApi } from './services';

const ok = (d: string, schema?: JsonSchema) => ({ description: d, ...(schema ? { schema } : {}) });

export const CAPACITY_TEST_START: JsonSchema = {
  type: 'object', additionalProperties: false,
  description: 'All fields optional: every string, 1.75 V per cell, 12 h, no UPS test command.',
  properties: {
    strings: { type: 'array', items: P.string, description: 'Strings to test (default: all). They must discharge together: a UPS battery test or a load bank.' },
    endVoltsPerCell: { type: 'number', minimum: 1.5, maximum: 2.0, description: 'Block voltage under load that ends a block\'s discharge, per cell (default 1.75; the test ends when the string\'s median block gets there).' },
    maxHours: { type: 'number', minimum: 0.1, maximum: 48, description: 'The test stops after this long in any case (default 12).' },
    upsTest: { type: 'boolean', description: 'Also send the UPS a deep battery test (ups-test deep, admin, audited) to start the discharge; otherwise the discharge is started at the UPS or load bank.' },
  },
};
export const CAPACITY_TEST_ABORT: JsonSchema = {
  type: 'object', additionalProperties: false,
  properties: { upsTest: { type: 'boolean', description: 'Also send the UPS ups-test abort.' } },
};

function healthOf(ctx: ApiContext): HealthApi {
  const h = ctx.services.health;
  if (!h) throw new ApiError(404, 'no-engines', 'no battery health: this gateway runs no battery bus (bus.port) and no demo, so no block is measured');
  return h;
}

function audit(ctx: ApiContext, req: ApiRequest, action: string, outcome: 'ok' | 'rejected' | 'failed', detail: unknown, error: string | null): void {
  ctx.services.history?.recordAudit({ kind: 'command', action, outcome, protocol: 'http', principal: req.user?.name ?? null, remote: req.remote, detail, error });
}

export const BATTERY_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/api/battery/health', tag: 'battery', access: 'viewer', summary: 'Health of every block and string, and the running capacity test',
    description: 'Per block: state of health and where it comes from (capacity-test, discharge, resistance, unknown), remaining capacity (C10 at 25 degC), capacity fade, Ri baseline, increase and trend with the projected end-of-life date, throughput and equivalent full cycles, round-trip efficiency, self-discharge, temperature history and expected life, deep discharges, balancing activity. Per string: current share, round-trip efficiency, the "0 % balancing while the charger runs" diagnosis. Method and sources: docs/health.md.',
    response: ok('The health record now.', ref('BatteryHealth')),
    handler: (ctx) => healthOf(ctx).snapshot(),
  },
  {
    method: 'GET', path: '/api/battery/health/modules/:global', tag: 'battery', access: 'viewer', summary: 'Health of one block (global module number)',
    params: params({ global: P.global }), response: ok('The block\'s health.', ref('BlockHealth')),
    handler: (ctx, req) => {
      const global = req.params.global as number;
      const b = healthOf(ctx).block(global);
      if (!b) throw new ApiError(404, 'not-found', `module ${global} does not exist (valid: 1..${ctx.site.snapshot().modules.length})`, 'global');
      return b;
    },
  },
  {
    method: 'GET', path: '/api/battery/health/modules/:global/capacity', tag: 'battery', access: 'viewer', summary: 'One block\'s capacity in every test and discharge that measured it, oldest first (its capacity-fade history)',
    params: params({ global: P.global }),
    response: ok('The history.', { type: 'array', items: { type: 'object', description: '{testId, startMs, trigger, end, capacityC10At25Ah, capacityPercent, capacityMethod (measured|extrapolated|none), timeToEndVoltageS, collapsedEarly}' } }),
    handler: (ctx, req) => historyStore(ctx.services).capacityHistory(req.params.global as number),
  },
  {
    method: 'GET', path: '/api/battery/tests', tag: 'battery', access: 'viewer', summary: 'Capacity tests and recorded discharges, newest first',
    description: 'From the data logger: every test started from the API or the scheduler, and every real discharge (mains failure) recorded, with the Ah delivered, the mean capacity and the blocks that collapsed early per string; compare them over the years.',
    query: { type: 'object', additionalProperties: false, properties: { from: TIME, to: TIME, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } } },
    response: ok('The records.', { type: 'array', items: ref('CapacityTestSummary') }),
    handler: (ctx, req) => {
      const { fromMs, toMs } = timeRange(req.query, null, ctx.site.now());
      return historyStore(ctx.services).capacityTests({ limit: req.query.limit as number, ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}) });
    },
  },
  {
    method: 'GET', path: '/api/battery/tests/:id', tag: 'battery', access: 'viewer', summary: 'One capacity test record with every block\'s result and the end-of-discharge view',
    params: params({ id: { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1, description: 'Record id (from /api/battery/tests).' } }),
    response: ok('The record.', ref('CapacityTestRecord')),
    handler: async (ctx, req) => {
      const rec = await historyStore(ctx.services).capacityTest(req.params.id as number);
      if (!rec) throw new ApiError(404, 'not-found', `no capacity test record ${String(req.params.id)}`, 'id');
      return rec;
    },
  },
  {
    method: 'GET', path: '/api/battery/tests/:id/samples', tag: 'battery', access: 'viewer', summary: 'The per-second samples of one string in a test (voltage and temperature per block, string current)',
    params: params({ id: { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1, description: 'Record id.' } }),
    query: { type: 'object', additionalProperties: false, required: ['string'], properties: { string: P.string, from: TIME, limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 } } },
    response: ok('The samples in time order; page on with from = the last atMs + 1.', { type: 'array', items: ref('TestSample') }),
    handler: async (ctx, req) => {
      const { fromMs } = timeRange(req.query, null, ctx.site.now());
      return historyStore(ctx.services).capacityTestSamples(req.params.id as number, req.query.string as number, fromMs, req.query.limit as number);
    },
  },
  {
    method: 'POST', path: '/api/battery/tests', tag: 'battery', access: 'admin', summary: 'Start a capacity test (audited)',
    description: 'The strings under test are recorded once a second from the moment they discharge (the UPS battery test, or a load bank) until their median block reaches the end voltage or the time limit; waiting for the discharge ends after an hour. One test at a time.',
    body: CAPACITY_TEST_START, response: ok('The test, waiting for the discharge.', ref('RunningTest')),
    handler: async (ctx, req) => {
      const body = (req.body ?? {}) as { strings?: number[]; endVoltsPerCell?: number; maxHours?: number; upsTest?: boolean };
      const health = healthOf(ctx);
      let test;
      try {
        test = health.startTest({
          trigger: 'api', strings: body.strings, by: req.user?.name ?? null,
          options: { endVoltsPerCell: body.endVoltsPerCell, maxDurationS: body.maxHours === undefined ? undefined : body.maxHours * 3600 },
        });
      } catch (e) {
        audit(ctx, req, 'capacity-test', 'rejected', body, (e as Error).message);
        const code = (e as { code?: unknown }).code;
        if (code === 'health.test-running' || code === 'health.invalid') throw new ApiError(code === 'health.test-running' ? 409 : 400, code === 'health.test-running' ? 'busy' : 'invalid', (e as Error).message);
        throw e;
      }
      audit(ctx, req, 'capacity-test', 'ok', body, null);
      if (body.upsTest) {
        try {
          await submit(ctx, req, { type: 'ups-test', test: 'deep' });
        } catch (e) {
          health.abortTest();
          throw e;
        }
      }
      return test;
    },
  },
  {
    method: 'POST', path: '/api/battery/tests/abort', tag: 'battery', access: 'admin', summary: 'Abort the running capacity test (audited; its record is kept, ended aborted)',
    body: CAPACITY_TEST_ABORT, response: ok('Done.', ref('CommandResult')),
    handler: async (ctx, req) => {
      const body = (req.body ?? {}) as { upsTest?: boolean };
      const running = healthOf(ctx).abortTest();
      if (!running) {
        audit(ctx, req, 'capacity-test-abort', 'rejected', body, 'no capacity test is running');
        throw new ApiError(409, 'not-running', 'no capacity test is running');
      }
      audit(ctx, req, 'capacity-test-abort', 'ok', body, null);
      if (body.upsTest) await submit(ctx, req, { type: 'ups-test', test: 'abort' });
      return { ok: true, message: 'capacity test aborted; its record is kept' };
    },
  },
];
