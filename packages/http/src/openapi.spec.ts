// docs/openapi.json is the document the route table generates, and the document describes every
// route with its role and the request fields the server validates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@kirchhoff/test-support';
import { OPENAPI_FILE, openApiDocument, renderOpenApi } from './openapi';
import { ROUTES } from './routes';

describe('docs/openapi.json', () => {
  it('equals the document generated from the route table (npx tsx packages/http/src/openapi.ts rewrites it)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('is a valid OpenAPI 3.1 document (checked against the specification\'s JSON schema)', async () => {
    // The validator is an ES module: it runs in its own node, as a user's tooling would.
    const validate = (doc: unknown) => run('node', ['--input-type=module', '-e', `
      import { Validator } from '@seriousme/openapi-schema-validator';
      const doc = JSON.parse(await new Promise((r) => { let t = ''; process.stdin.on('data', (d) => (t += d)); process.stdin.on('end', () => r(t)); }));
      process.stdout.write(JSON.stringify(await new Validator().validate(doc)));`], { cwd: join(__dirname, '..', '..'), input: JSON.stringify(doc) });
    const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
    const ok = await validate(doc);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true });
    // The check is real: a document without its info section is refused.
    const { info: _info, ...broken } = doc;
    expect(JSON.parse((await validate(broken)).stdout).valid).toBe(false);
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
