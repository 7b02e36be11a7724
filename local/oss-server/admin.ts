/**
 * Admin API of the local OSS server (unauthenticated; the server listens on loopback by default).
 * Paths live under /_argo-oss/, which cannot clash with path-style buckets (bucket names have no
 * '_'). With virtual-hosted addressing (Host: <bucket>.localhost) these paths are ordinary keys.
 * All bodies are JSON; errors are { "error": { "code", "message" } } with a 4xx status.
 *
 *   GET    /_argo-oss/health
 *          → 200 { "status": "ok", "buckets": ["name", ...], "faults": <active fault count> }
 *
 *   POST   /_argo-oss/buckets            { "name": "my-bucket" }
 *          → 201 { "name", "created": true } | 200 { "name", "created": false } (already there)
 *
 *   POST   /_argo-oss/faults             a fault (below)            → 201 { "id": "..." }
 *   GET    /_argo-oss/faults             → 200 { "faults": [ { id, remaining, hits, ...spec } ] }
 *   DELETE /_argo-oss/faults             → 200 { "cleared": <n> }
 *   DELETE /_argo-oss/faults/<id>        → 204, or 404 when unknown
 *
 *     fault = {
 *       "match": {                      // all optional; every given field must match
 *         "operation": "UploadPart",    // OSS operation name: PutObject, GetObject, HeadObject,
 *                                       //   DeleteObject, DeleteMultipleObjects, ListObjects(V2),
 *                                       //   InitiateMultipartUpload, UploadPart, ListParts,
 *                                       //   CompleteMultipartUpload, AbortMultipartUpload, ...
 *         "method": "PUT", "bucket": "b", "key": "exact/key", "keyPrefix": "dir/"
 *       },
 *       "count": 1,                     // matching requests affected (default 1; -1 = until cleared)
 *       "every": 10,                    // only every 10th matching request (the 10th, 20th, …); the
 *                                       //   others pass untouched and do not use up the count
 *       "latencyMs": 2000,              // delay before the request is handled (combinable)
 *       "status": 503, "code": "ServiceUnavailable", "message": "...",
 *                                       // fail with this OSS error (either field implies the other)
 *       "resetAfterBytes": 1024, "direction": "response"
 *                                       // or: cut the connection after K bytes of the response body
 *                                       //   were sent ("response", default) or of the request body
 *                                       //   were read ("request"; 0 = before reading anything)
 *     }
 *   Faults apply after routing and before authentication, in the order they were added.
 *   The ARGO_OSS_FAULTS environment variable (a JSON array of faults) is loaded at start.
 *
 *   POST   /_argo-oss/lifecycle/apply    { "bucket"?: "b", "now"?: "2030-01-01T00:00:00Z" }
 *          Runs the enabled lifecycle rules once, as of `now` (default: the current time):
 *          → 200 { "expired":      [ { bucket, key, rule } ],
 *                  "transitioned": [ { bucket, key, storageClass, rule } ],
 *                  "aborted":      [ { bucket, key, uploadId, rule } ] }
 *          Days count in whole 24-hour periods from Last-Modified (objects) or initiation
 *          (uploads); CreatedBeforeDate matches objects last modified before that date.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSmallBody } from './body';
import { OssError } from './errors';
import { FaultSpecError, validateFaultSpec, type FaultRegistry } from './faults';
import { applyLifecycle } from './lifecycle';
import type { AdminRoute } from './router';
import type { Store } from './store';

export interface AdminDeps {
  store: Store;
  faults: FaultRegistry;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readSmallBody(req, 1024 * 1024);
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminError(400, 'InvalidJSON', 'the request body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AdminError(400, 'InvalidJSON', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

async function dispatch(req: IncomingMessage, res: ServerResponse, route: AdminRoute, deps: AdminDeps): Promise<void> {
  const m = req.method ?? 'GET';
  const path = route.path.replace(/\/+$/, '') || '/';
  if (path === '/health' && (m === 'GET' || m === 'HEAD')) {
    sendJson(res, 200, { status: 'ok', buckets: deps.store.listBuckets().map((b) => b.name), faults: deps.faults.list().length });
    return;
  }
  if (path === '/buckets' && m === 'POST') {
    const body = await readJson(req);
    if (typeof body.name !== 'string') throw new AdminError(400, 'InvalidArgument', '"name" must be a string');
    const { created } = await deps.store.createBucket(body.name);
    sendJson(res, created ? 201 : 200, { name: body.name, created });
    return;
  }
  if (path === '/faults') {
    if (m === 'GET') return sendJson(res, 200, { faults: deps.faults.list() });
    if (m === 'DELETE') return sendJson(res, 200, { cleared: deps.faults.clear() });
    if (m === 'POST') {
      const spec = validateFaultSpec(await readJson(req));
      sendJson(res, 201, { id: deps.faults.add(spec).id });
      return;
    }
  }
  const one = /^\/faults\/([^/]+)$/.exec(path);
  if (one && m === 'DELETE') {
    if (!deps.faults.remove(one[1])) throw new AdminError(404, 'NoSuchFault', `no active fault ${one[1]}`);
    res.statusCode = 204;
    res.end();
    return;
  }
  if (path === '/lifecycle/apply' && m === 'POST') {
    const body = await readJson(req);
    if (body.bucket !== undefined && typeof body.bucket !== 'string') throw new AdminError(400, 'InvalidArgument', '"bucket" must be a string');
    let now = new Date();
    if (body.now !== undefined) {
      if (typeof body.now !== 'string' || Number.isNaN(Date.parse(body.now))) {
        throw new AdminError(400, 'InvalidArgument', '"now" must be an ISO-8601 date-time string');
      }
      now = new Date(body.now);
    }
    sendJson(res, 200, await applyLifecycle(deps.store, { bucket: body.bucket as string | undefined, now }));
    return;
  }
  throw new AdminError(404, 'NotFound', `no admin endpoint ${m} /_argo-oss${route.path}`);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, route: AdminRoute, deps: AdminDeps): Promise<void> {
  try {
    await dispatch(req, res, route, deps);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof AdminError) sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    else if (err instanceof FaultSpecError) sendJson(res, 400, { error: { code: 'InvalidFault', message: err.message } });
    else if (err instanceof OssError) sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    else sendJson(res, 500, { error: { code: 'InternalError', message: String(err) } });
  }
}
