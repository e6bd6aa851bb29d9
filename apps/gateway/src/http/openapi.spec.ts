// docs/openapi.json is the document the route table generates, and the document describes every
// route with its role and the request fields the server validates.
import { readFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiDocument, renderOpenApi } from './openapi';
import { ROUTES } from './routes';

describe('docs/openapi.json', () => {
  it('equals the document generated from the route table (npx tsx apps/gateway/src/http/openapi.ts rewrites it)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('has every route, its role and its body schema', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { description: string; requestBody?: { content: Record<string, { schema: unknown }> }; security?: unknown[] }>> };
    for (const r of ROUTES) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op).toBeDefined();
      expect(op.description).toContain(r.access === 'public' ? 'No login needed.' : r.access === 'metrics' ? 'Role: viewer' : `Role: ${r.access}`);
      if (r.body) expect(op.requestBody!.content['application/json'].schema).toEqual(r.body);
      expect(op.security).toEqual(r.access === 'public' ? [] : expect.arrayContaining([{ bearer: [] }]));
    }
    expect(doc.paths['/api/relays/{id}'].put.description).toContain('Role: operator or above.');
  });
});
