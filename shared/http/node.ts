// Node http adapter (local gateway, tests): IncomingMessage -> HttpRequest -> ServerResponse.
// The body stays in the socket until the handler asks for it (after authentication); a response sent
// without reading it closes the connection instead of draining what the client still sends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, HttpError } from './errors';
import { payloadTooLarge } from './body';
import { MAX_JSON_BODY_BYTES, type HttpHandler, type HttpRequest, type HttpResponse } from './types';

export interface NodeAdapterOptions {
  /** Bodies above this are refused with 413 without reading them whole. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * Deadlines for receiving a request (never for sending a response: a download may stream for hours).
 * A client that dribbles its headers or body — slowloris — is cut off (408) instead of holding a
 * connection forever. For `http.createServer(options)`; `connectionsCheckingInterval` is how often
 * Node looks.
 */
export const REQUEST_TIMEOUTS = { headersTimeout: 20_000, requestTimeout: 120_000, connectionsCheckingInterval: 5_000 } as const;

/** Thrown by readBody when the body is over the limit (answer payloadTooLarge). */
export class BodyTooLarge extends Error {}

/** The whole (small) request body, refused past `max` bytes without reading it whole; undefined when empty. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let total = 0;
    let had = false;
    req.on('data', (chunk: Buffer) => {
      had = true;
      total += chunk.length;
      if (total > max) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping it
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(had ? Buffer.concat(chunks, total) : undefined));
    req.on('error', reject);
    // A client gone mid-body must not leave the request hanging.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection during the body'));
    });
  });
}

/** Node's headers as the HttpRequest shape: lower-case names, repeated values joined with ', '. */
export function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function send(res: ServerResponse, r: HttpResponse): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
  res.end(r.body);
}

/** The request's body, read at most once and only when asked for; 413 HttpError past `max`. */
export function lazyBody(req: IncomingMessage, max: number): () => Promise<Buffer | undefined> {
  let reading: Promise<Buffer | undefined> | undefined;
  return () =>
    (reading ??= readBody(req, max).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) throw payloadTooLarge(max);
      // The client went away mid-body: nobody will read the answer, but it is not our failure either.
      throw new HttpError(400, 'IncompleteBody', `the request body was cut off: ${(err as Error).message}`, { field: 'body' });
    }));
}

/** Wraps a handler as a Node request listener. */
export function toNodeListener(handler: HttpHandler, options: NodeAdapterOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const max = options.maxBodyBytes ?? MAX_JSON_BODY_BYTES;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const body = lazyBody(req, max);
    const request: HttpRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: flattenHeaders(req.headers), body };
    const response = await handler(request);
    if (res.destroyed) return; // the client went away
    // Unread (refused before reading, or past the cap): close rather than read what is left.
    if (!req.complete) response.headers = { ...response.headers, connection: 'close' };
    send(res, response);
  };
}
