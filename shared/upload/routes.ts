// HTTP binding of the coordinator (paths under /uploads; docs/upload.md). The edge: authenticate
// first, then read and parse the body into a typed request (requests.ts), call the coordinator, and
// choose the status code.
import { emptyResponse, jsonResponse } from '../http/errors';
import { readJsonObject } from '../http/body';
import { Router } from '../http/router';
import type { HttpRequest } from '../http/types';
import type { Authenticator } from './auth';
import { mapUpstreamError } from './errors';
import { parseCompleteRequest, parseKeyParam, parseSignRequest, parseStartRequest } from './requests';
import type { UploadCoordinator } from './service';

export interface UploadRoutesOptions {
  /** ARGO_OSS_ARTIFACT_ROOT: every key must lie under it. */
  artifactRoot: string;
  onError?: (err: unknown, req: HttpRequest) => void;
}

export function uploadRoutes(coordinator: UploadCoordinator, auth: Authenticator, options: UploadRoutesOptions): Router {
  const router = new Router({ mapError: mapUpstreamError, ...(options.onError ? { onError: options.onError } : {}) });
  const root = options.artifactRoot;
  // Authentication comes before the body is read: an anonymous caller costs no body and learns nothing about validation.
  return router
    .on('POST', '/uploads', async (req) => {
      const caller = await auth.authenticate(req.headers);
      const started = await coordinator.start(caller, parseStartRequest(await readJsonObject(req), root));
      return jsonResponse(started.resumed ? 200 : 201, started);
    })
    .on('POST', '/uploads/:uploadId/sign', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return jsonResponse(200, await coordinator.sign(caller, p.uploadId, parseSignRequest(await readJsonObject(req), root)));
    })
    .on('GET', '/uploads/:uploadId', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return jsonResponse(200, await coordinator.state(caller, p.uploadId, parseKeyParam(req.query.get('key'), root)));
    })
    .on('POST', '/uploads/:uploadId/complete', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return jsonResponse(200, await coordinator.complete(caller, p.uploadId, parseCompleteRequest(await readJsonObject(req), root)));
    })
    .on('DELETE', '/uploads/:uploadId', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      await coordinator.abort(caller, p.uploadId, parseKeyParam(req.query.get('key'), root));
      return emptyResponse(204);
    });
}
