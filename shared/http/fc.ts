// The Function Compute 3.0 seam. HTTP trigger adapter: the event (a Buffer of JSON) -> HttpRequest;
// HttpResponse -> the `{ statusCode, headers, body, isBase64Encoded }` object FC turns into the HTTP
// response. And the function role's STS credentials, which FC hands every invocation: in the handler's
// `context.credentials` (event and HTTP-trigger functions) or in x-fc-* request headers (web functions
// on a custom runtime); one helper keeps a client on the newest of them.
import { errorResponse, HttpError } from './errors';
import { payloadTooLarge } from './body';
import { MAX_JSON_BODY_BYTES, type HttpHandler, type HttpRequest, type HttpResponse } from './types';

/** STS credentials of the function's role (AssumeRole on `role`, valid for hours, renewed by FC). */
export interface FcRoleCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The part of an FC 3.0 handler `context` we read. */
export interface FcContext {
  requestId?: string;
  /** Present when the function has a role. */
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string } | null;
}

/** The role credentials of an event / HTTP-trigger invocation, or undefined when it carries none. */
export function fcContextCredentials(context: FcContext | null | undefined): FcRoleCredentials | undefined {
  const c = context?.credentials;
  if (!c?.accessKeyId || !c.accessKeySecret) return undefined;
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) };
}

/**
 * The role credentials FC passes a custom runtime per request (x-fc-access-key-id, -secret,
 * x-fc-security-token), or undefined. FC owns that header namespace inside FC; elsewhere any client can
 * send them, so callers use this only when running in FC.
 */
export function fcHeaderCredentials(headers: Record<string, string | string[] | undefined>): FcRoleCredentials | undefined {
  const id = headers['x-fc-access-key-id'];
  const secret = headers['x-fc-access-key-secret'];
  const token = headers['x-fc-security-token'];
  if (typeof id !== 'string' || typeof secret !== 'string' || typeof token !== 'string' || !id || !secret || !token) return undefined;
  return { accessKeyId: id, accessKeySecret: secret, securityToken: token };
}

/**
 * `(credentials) => void` that moves `client` onto the newest role credentials an invocation brings,
 * rebuilding its signers only when they changed; undefined (none in this invocation) keeps the current ones.
 */
export function fcCredentialUpdater(client: { setCredentials(c: FcRoleCredentials): void }): (c: FcRoleCredentials | undefined) => void {
  let current: string | undefined;
  return (c) => {
    if (!c) return;
    const key = `${c.accessKeyId}\n${c.securityToken ?? ''}\n${c.accessKeySecret}`;
    if (key === current) return;
    client.setCredentials(c);
    current = key;
  };
}

/** The fields of an FC 3.0 HTTP trigger event we read. */
export interface FcHttpEvent {
  version?: string;
  /** URL-encoded path. */
  rawPath?: string;
  headers?: Record<string, string>;
  /** Multi-value parameters arrive comma-joined. */
  queryParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string; path?: string }; requestId?: string };
}

export interface FcHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

// FC forbids setting these on a response.
const RESERVED = new Set(['connection', 'content-length', 'date', 'keep-alive', 'server', 'upgrade']);

/** Parses the trigger event; throws HttpError 400 if it is not one. */
export function fcEventToRequest(event: unknown, maxBodyBytes = MAX_JSON_BODY_BYTES): HttpRequest {
  let e: FcHttpEvent;
  try {
    const raw = Buffer.isBuffer(event) ? event.toString('utf8') : typeof event === 'string' ? event : undefined;
    e = (raw !== undefined ? JSON.parse(raw) : event) as FcHttpEvent;
  } catch {
    throw new HttpError(400, 'InvalidEvent', 'the invocation payload is not an HTTP trigger event (JSON)');
  }
  const method = e?.requestContext?.http?.method;
  if (typeof e !== 'object' || e === null || typeof method !== 'string') {
    throw new HttpError(400, 'InvalidEvent', 'the invocation payload is not an HTTP trigger event (no requestContext.http.method)');
  }
  // rawPath keeps the encoding (so an encoded '/' stays inside its segment); http.path is decoded.
  const path = typeof e.rawPath === 'string' ? e.rawPath : encodeURI(e.requestContext?.http?.path ?? '/');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(e.queryParameters ?? {})) query.append(k, String(v));
  // FC hands the whole event over; the body is still only decoded (and measured) when a handler asks.
  const raw = typeof e.body === 'string' && e.body !== '' ? e.body : undefined;
  const base64 = e.isBase64Encoded === true;
  let decoded: Promise<Buffer | undefined> | undefined;
  const body = () =>
    (decoded ??= (async () => {
      if (raw === undefined) return undefined;
      // Cheap upper bound first: no decoding of something obviously past the cap.
      if ((base64 ? Math.floor((raw.length * 3) / 4) - 2 : raw.length) > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);
      const buf = Buffer.from(raw, base64 ? 'base64' : 'utf8');
      if (buf.length > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);
      return buf;
    })());
  return { method, path, query, headers, body };
}

export function responseToFc(r: HttpResponse): FcHttpResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (!RESERVED.has(k.toLowerCase()) && !k.toLowerCase().startsWith('x-fc-')) headers[k] = v;
  const type = (r.headers['content-type'] ?? '').toLowerCase();
  const text = type.startsWith('application/json') || type.startsWith('text/');
  return { statusCode: r.status, headers, body: r.body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text && r.body.length > 0 };
}

/** Wraps a handler for an FC 3.0 HTTP trigger: `(event) => result`. */
export function toFcHandler(handler: HttpHandler, options: { maxBodyBytes?: number } = {}): (event: unknown) => Promise<FcHttpResult> {
  return async (event) => {
    let req: HttpRequest;
    try {
      req = fcEventToRequest(event, options.maxBodyBytes);
    } catch (err) {
      if (err instanceof HttpError) return responseToFc(errorResponse(err));
      throw err;
    }
    return responseToFc(await handler(req));
  };
}
