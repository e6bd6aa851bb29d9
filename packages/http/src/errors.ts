// Errors of the HTTP API: every failure is a JSON body {error: {code, message, field?}} with a 4xx
// or 5xx status, and a schema violation names the field it is about.
import { COMMAND_ERRORS, CommandError } from '@kirchhoff/core';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** The part of an ajv error this module reads. */
export interface SchemaViolation {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** `threshold.warnHigh` from `/threshold/warnHigh`; array items by index. */
function dotted(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
}

export function schemaError(violations: readonly SchemaViolation[], part: string): ApiError {
  const v = violations[0];
  const where = PART[part] ?? part;
  let field = dotted(v.instancePath);
  let message: string;
  switch (v.keyword) {
    case 'required':
      field = [field, String(v.params.missingProperty)].filter(Boolean).join('.');
      message = `${field} is required`;
      break;
    case 'additionalProperties':
      field = [field, String(v.params.additionalProperty)].filter(Boolean).join('.');
      message = `${field} is not a known field`;
      break;
    case 'enum':
      message = `${field} must be one of ${(v.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
      break;
    case 'type':
      message = `${field || where} must be ${String(v.params.type).replace(',', ' or ')}`;
      break;
    default:
      message = `${field || where} ${v.message ?? 'is not valid'}`;
  }
  return new ApiError(400, 'invalid', `${where} ${message}`, field || undefined);
}

const COMMAND_FIELDS = /^(on|relay|test|action|string|module|alarmId|mode|warnHigh|alarmHigh|warnLow|alarmLow|hysteresis|delayMs|(control|settings)\.\w+|threshold)$/;

/** The HTTP answer for a rejected or failed command. */
export function commandError(e: CommandError): ApiError {
  // Core names the field first in its messages: `on must be true or false`, `relay 9 does not exist`.
  const first = /^([A-Za-z.]+) /.exec(e.message)?.[1];
  const field = first && COMMAND_FIELDS.test(first) ? first : undefined;
  return new ApiError(COMMAND_ERRORS[e.code]?.httpStatus ?? 500, e.code === 'failed' ? 'command-failed' : e.code, e.message, e.code === 'invalid' || e.code === 'not-found' ? field : undefined);
}
