// FC 3.0 HTTP-trigger adapter of the upload coordinator. The app (config, OSS client, cluster client)
// is built on the first invocation and kept for the instance; each invocation's role credentials
// (context.credentials) move the OSS client along (shared/http/fc). Module load does no I/O.
import { ConfigError, loadConfig } from '../../shared/config';
import { errorResponse, HttpError } from '../../shared/http/errors';
import { fcContextCredentials, fcCredentialUpdater, responseToFc, toFcHandler, type FcContext, type FcHttpResult, type FcRoleCredentials } from '../../shared/http/fc';
import { createCoordinatorApp, type CoordinatorApp } from '../../shared/upload/app';

let app: CoordinatorApp | undefined;
let handle: ((event: unknown) => Promise<FcHttpResult>) | undefined;
let useCredentials: ((c: FcRoleCredentials | undefined) => void) | undefined;

export const handler = async (event: unknown, context: FcContext | undefined): Promise<FcHttpResult> => {
  try {
    if (!app) {
      app = createCoordinatorApp(loadConfig(process.env), { fcContext: context ?? null });
      handle = toFcHandler(app.handle);
      useCredentials = fcCredentialUpdater(app.oss);
    }
    useCredentials!(fcContextCredentials(context));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Names the variables and why, never their values (ConfigError does not echo secrets).
    console.error(err.message);
    return responseToFc(errorResponse(new HttpError(500, 'ConfigError', err.message)));
  }
  return handle!(event);
};
