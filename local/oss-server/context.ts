// Per-request state and the response helpers every handler uses, so common headers
// (x-oss-request-id, Server), error envelopes and HEAD semantics are decided in one place.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { OssError } from './errors';
import { errorXml } from './xml';
import type { Route } from './router';
import type { Store } from './store';

export interface ServerConfig {
  region: string;
  minPartSize: number;
  /** PutObject / UploadPart ceiling (5 GiB). */
  maxObjectSize: number;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  route: Route;
  store: Store;
  config: ServerConfig;
  /** The request body; a fault may wrap it to cut the connection after K bytes. */
  body(): Readable;
  /** Set after authentication. */
  accessKeyId?: string;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function hostId(req: IncomingMessage): string {
  return header(req, 'host') ?? 'localhost';
}

/** Headers every response carries. */
export function baseHeaders(res: ServerResponse, requestId: string): void {
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('Server', 'AliyunOSS');
  res.setHeader('Date', new Date().toUTCString());
}

export function sendXml(ctx: Ctx, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(xml, 'utf8');
  ctx.res.statusCode = status;
  ctx.res.setHeader('Content-Type', 'application/xml');
  ctx.res.setHeader('Content-Length', body.length);
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string | number> = {}): void {
  ctx.res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  if (!ctx.res.hasHeader('Content-Length')) ctx.res.setHeader('Content-Length', 0);
  ctx.res.end();
}

/**
 * Writes an OSS error. HEAD responses carry no body, so the envelope goes into the x-oss-err
 * header (base64), which ali-oss decodes. Headers of a half-built success response are dropped.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, requestId: string, err: OssError): void {
  if (res.headersSent) {
    // Too late for a status: break the connection so the client cannot mistake it for success.
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  baseHeaders(res, requestId);
  const xml = errorXml(err, requestId, hostId(req));
  const body = Buffer.from(xml, 'utf8');
  res.statusCode = err.status;
  res.setHeader('Content-Type', 'application/xml');
  if (req.method === 'HEAD') {
    res.setHeader('x-oss-err', body.toString('base64'));
    res.setHeader('Content-Length', 0);
    res.end();
    return;
  }
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** ISO-8601 as OSS writes it in XML (whole seconds, ".000Z"). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/**
 * `encoding-type=url` output. Space is %20 and '+' is %2B, so both plain unescaping and form
 * unescaping (the Go SDK uses url.QueryUnescape) give the key back.
 */
export function urlEncodeKey(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
