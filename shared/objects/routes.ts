// HTTP binding of the object endpoints (/objects/…), registered on the coordinator's router so they
// share its Authenticator, error mapping and deployment.
import { readJsonObject } from '../http/body';
import { jsonResponse } from '../http/errors';
import type { Router } from '../http/router';
import type { Authenticator } from '../upload/auth';
import type { ObjectService } from './service';

export function registerObjectRoutes(router: Router, objects: ObjectService, auth: Authenticator): Router {
  // Authentication comes before reading the query or the body: an anonymous caller learns nothing.
  return router
    .on('GET', '/objects/stat', async (req) => {
      const caller = await auth.authenticate(req.headers);
      const r = await objects.stat(caller, req.query.get('key'));
      return jsonResponse(r.status, r.body);
    })
    .on('GET', '/objects/list', async (req) => {
      const caller = await auth.authenticate(req.headers);
      const r = await objects.list(caller, req.query);
      return jsonResponse(r.status, r.body);
    })
    .on('POST', '/objects/delete', async (req) => {
      const caller = await auth.authenticate(req.headers);
      const r = await objects.delete(caller, await readJsonObject(req));
      return jsonResponse(r.status, r.body);
    });
}
