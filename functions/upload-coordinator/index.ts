// FC 3.0 HTTP-trigger adapter of the upload coordinator. The app (config, OSS client, cluster client)
// is built on the first invocation and kept for the instance; each invocation brings fresh STS
// credentials in context.credentials, swapped into the OSS client. Module load does no I/O.
import { ConfigError, loadConfig } from '../../shared/config';
import { errorResponse, HttpError } from '../../shared/http/errors';
import { responseToFc, toFcHandler, type FcHttpResult } from '../../shared/http/fc';
import type { FcContextLike } from '../../shared/oss';
import { createCoordinatorApp, type CoordinatorApp } from '../../shared/upload/app';

let app: CoordinatorApp | undefined;
let handle: ((event: unknown) => Promise<FcHttpResult>) | undefined;

export const handler = async (event: unknown, context: FcContextLike | undefined): Promise<FcHttpResult> => {
  try {
    if (!app) {
      app = createCoordinatorApp(loadConfig(process.env), { fcContext: context ?? null });
      handle = toFcHandler(app.handle);
    } else {
      const c = context?.credentials;
      if (c?.accessKeyId && c.accessKeySecret) {
        app.oss.setCredentials({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) });
      }
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Names the variables and why, never their values (ConfigError does not echo secrets).
    console.error(err.message);
    return responseToFc(errorResponse(new HttpError(500, 'ConfigError', err.message)));
  }
  return handle!(event);
};
