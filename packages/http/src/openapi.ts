// The OpenAPI 3.1 document of the HTTP API, generated from the route table. docs/openapi.json is
// this document; a test compares them (`npx tsx packages/http/src/openapi.ts` rewrites it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS, JsonSchema, ref } from './schemas';
import { ROUTES, Route } from './routes';
import { LIFE_COMPONENTS } from './life-routes';

const ERRORS: Record<number, string> = {
  400: 'Bad request: `error.field` names the field.',
  401: 'Not logged in, or the session expired.',
  403: 'The user\'s role does not allow this.',
  404: 'The thing named does not exist.',
  429: 'Too many failed logins from this address (Retry-After).',
  501: 'This site cannot do it (no executor for the command).',
  503: 'Too many live streams.',
};

function errorsOf(r: Route): number[] {
  const out = new Set<number>();
  if (r.params || r.query || r.body) out.add(400);
  if (r.access !== 'public') out.add(401);
  if (r.access === 'operator' || r.access === 'admin' || r.tag === 'commands') out.add(403);
  if (r.params || r.tag === 'history' || r.tag === 'life' || r.path === '/api/ups') out.add(404);
  if (r.path === '/api/login') [400, 401, 429].forEach((c) => out.add(c));
  if (r.tag === 'commands') out.add(501);
  if (r.path === '/api/live') out.add(503);
  return [...out].sort();
}

function parameters(r: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
    if (!schema?.properties) continue;
    for (const [name, s] of Object.entries(schema.properties)) {
      const { description, ...rest } = s;
      out.push({ name, in: where, required: where === 'path' || !!schema.required?.includes(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

function security(r: Route): unknown[] | undefined {
  if (r.access === 'public') return [];
  return [{ bearer: [] }, { cookie: [] }, { basic: [] }];
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const content = r.response.contentType && r.response.contentType !== 'application/json'
      ? { [r.response.contentType]: { schema: { type: 'string' } } }
      : { 'application/json': { schema: r.response.schema ?? { type: 'object' } } };
    const role = r.access === 'public' ? 'No login needed.' : r.access === 'metrics' ? 'Role: viewer (or none with http.metricsPublic).' : `Role: ${r.access} or above.`;
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, role].filter(Boolean).join('\n\n'),
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').split(/[/.-]/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('')}`,
      ...(parameters(r).length ? { parameters: parameters(r) } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      responses: {
        200: { description: r.response.description, content },
        ...Object.fromEntries(errorsOf(r).map((c) => [c, { description: ERRORS[c], content: { 'application/json': { schema: ref('Error') } } }])),
      },
      ...(security(r) ? { security: security(r) } : {}),
    };
  }
  const components: Record<string, JsonSchema> = { ...COMPONENTS, ...LIFE_COMPONENTS };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kirchhoff gateway HTTP API',
      version: '0.1.0',
      description: 'JSON for the site model (SI units, the unit in each field name; readings carry atMs and quality), live values as server-sent events, commands through the core command interface. Log in with POST /api/login, then send `Authorization: Bearer TOKEN` (or the kirchhoff_session cookie); HTTP Basic also works. Roles: viewer reads; operator also acknowledges alarms, switches relays and sets thresholds; admin may do everything. Errors are {error: {code, message, field?}}.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      { name: 'service', description: 'Health, metrics, this document.' },
      { name: 'auth', description: 'Login, sessions, users, security notices.' },
      { name: 'site', description: 'The site model.' },
      { name: 'alarms', description: 'Active alarms and their history.' },
      { name: 'history', description: 'From the data logger.' },
      { name: 'live', description: 'Server-sent events.' },
      { name: 'commands', description: 'Writes, through the core command interface (audited).' },
      { name: 'battery', description: 'Battery health: SoH, remaining capacity, Ri trend, capacity tests and discharges (docs/health.md).' },
      { name: 'life', description: 'Block and string life records (identity, dates, replacements; writes audited) and the battery passport. From the data logger.' },
    ],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/login.' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'kirchhoff_session', description: 'Set by POST /api/login for browsers.' },
        basic: { type: 'http', scheme: 'basic', description: 'User name and password on every request (for scrapers and curl).' },
      },
    },
  };
}

export const OPENAPI_FILE = join(__dirname, '..', '..', '..', 'docs', 'openapi.json');
export const renderOpenApi = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
