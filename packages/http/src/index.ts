// @kirchhoff/http: the HTTP API over a site (JSON, server-sent events, OpenAPI, Prometheus
// /metrics) and the web pages, on Fastify. createHttpApi builds it without a socket (tests use
// app.inject()); startHttpApi also listens. What it reads from a gateway: services.ts.
export * from './options';
export * from './services';
export * from './server';
export * from './auth';
export * from './passwords';
export * from './demo-users';
export * from './notices';
export * from './metrics';
export * from './openapi';
export { ROUTES, redacted, type Route, type ApiContext, type ApiRequest, type Access } from './routes';
export { WEB_ROOT, CONTENT_SECURITY_POLICY } from './web';
