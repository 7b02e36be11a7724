// HttpError: a status plus the JSON body `{ "error": { "code", "message", "field"?, "details"? } }`.
import type { HttpResponse } from './types';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: unknown };
}

export class HttpError extends Error {
  override name = 'HttpError';
  readonly field?: string;
  readonly details?: unknown;
  /** Extra response headers, e.g. Allow on 405 or WWW-Authenticate on 401. */
  readonly headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    extra: { field?: string; details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    if (extra.field !== undefined) this.field = extra.field;
    if (extra.details !== undefined) this.details = extra.details;
    if (extra.headers !== undefined) this.headers = extra.headers;
  }

  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

/** 400 InvalidArgument naming the offending field. */
export function invalidArgument(field: string, message: string, details?: unknown): HttpError {
  return new HttpError(400, 'InvalidArgument', `${field}: ${message}`, { field, ...(details !== undefined ? { details } : {}) });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: Buffer.from(text, 'utf8'),
  };
}

export function emptyResponse(status = 204, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'cache-control': 'no-store', ...headers }, body: Buffer.alloc(0) };
}

export function errorResponse(err: HttpError): HttpResponse {
  return jsonResponse(err.status, err.toJSON(), err.headers);
}
