// What a route of the HTTP API is: its context (the site, the command interface, the settings and
// what the gateway injects), its request, and the table entry the server and the OpenAPI document read.
import { Command, CommandError, CommandInterface, CommandType, Site } from '@kirchhoff/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiServices, LifeHooks } from './services';
import type { Auth, AuthUser, Role } from './auth';
import { commandError } from './errors';
import type { LiveHub } from './live';
import type { HttpApiConfig, SecurityNotice } from './options';
import type { JsonSchema } from './schemas';

export type Access = 'public' | 'metrics' | Role;

export interface ApiContext {
  readonly site: Site;
  readonly commands: CommandInterface;
  /** The API's own settings (the gateway's `http` section). */
  readonly config: HttpApiConfig;
  readonly services: ApiServices;
  readonly life: LifeHooks;
  /** The software version (/health). */
  readonly version: string;
  /** The whole configuration for GET /api/config, before its secrets are redacted. */
  configuration(): unknown;
  readonly auth: Auth;
  readonly live: LiveHub;
  readonly tls: boolean;
  /** Audits a refused login (aggregated per address: one row at once, then one a minute). */
  refusedLogin(username: string, address: string, remote: string, reason: string): void;
  notices(): SecurityNotice[];
  metrics(): string;
  openapi(): unknown;
}

export interface ApiRequest {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly user: AuthUser | null;
  /** `address:port` of the client. */
  readonly remote: string;
  readonly raw: FastifyRequest;
  readonly reply: FastifyReply;
}

/** Returned by a handler that answered on its own (the event stream). */
export const ANSWERED = Symbol('answered');

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify form: `/api/strings/:string`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  readonly params?: JsonSchema;
  readonly query?: JsonSchema;
  readonly body?: JsonSchema;
  /** The 200 answer: JSON of a schema, an event stream, or text. */
  readonly response: { readonly description: string; readonly schema?: JsonSchema; readonly contentType?: 'application/json' | 'text/event-stream' | 'text/plain; version=0.0.4' | 'text/csv' };
  handler(ctx: ApiContext, req: ApiRequest): unknown;
}

/** Which role each command type needs. */
export const COMMAND_ROLES: Readonly<Record<CommandType, Role>> = {
  'acknowledge-alarm': 'operator', 'set-relay': 'operator', 'set-threshold': 'operator',
  'ups-test': 'admin', 'ups-control': 'admin', 'ups-settings': 'admin', module: 'admin',
};

export async function submit(ctx: ApiContext, req: ApiRequest, command: Command): Promise<unknown> {
  try {
    return await ctx.commands.submit(command, { protocol: 'http', principal: req.user?.name, remote: req.remote });
  } catch (e) {
    if (e instanceof CommandError) throw commandError(e);
    throw e;
  }
}

