// HTTP binding of the coordinator (paths under /uploads; docs/upload.md).
import { emptyResponse, jsonResponse } from '../http/errors';
import { readJsonObject } from '../http/body';
import { Router } from '../http/router';
import type { HttpRequest } from '../http/types';
import type { Authenticator } from './auth';
import { mapUpstreamError } from './errors';
import type { UploadCoordinator } from './service';

export function uploadRoutes(coordinator: UploadCoordinator, auth: Authenticator, options: { onError?: (err: unknown, req: HttpRequest) => void } = {}): Router {
  const router = new Router({ mapError: mapUpstreamError, ...(options.onError ? { onError: options.onError } : {}) });
  const reply = (r: { status: number; body: unknown }) => (r.body === undefined ? emptyResponse(r.status) : jsonResponse(r.status, r.body));
  // Authentication comes before reading the body: an anonymous caller learns nothing about validation.
  return router
    .on('POST', '/uploads', async (req) => {
      const caller = await auth.authenticate(req.headers);
      return reply(await coordinator.start(caller, readJsonObject(req)));
    })
    .on('POST', '/uploads/:uploadId/sign', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return reply(await coordinator.sign(caller, p.uploadId, readJsonObject(req)));
    })
    .on('GET', '/uploads/:uploadId', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return reply(await coordinator.state(caller, p.uploadId, req.query.get('key')));
    })
    .on('POST', '/uploads/:uploadId/complete', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return reply(await coordinator.complete(caller, p.uploadId, readJsonObject(req)));
    })
    .on('DELETE', '/uploads/:uploadId', async (req, p) => {
      const caller = await auth.authenticate(req.headers);
      return reply(await coordinator.abort(caller, p.uploadId, req.query.get('key')));
    });
}
