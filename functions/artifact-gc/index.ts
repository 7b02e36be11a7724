// FC 3.0 event handler of the artifact GC, for both triggers:
//   - EventBridge (kube-eventer Workflow events, or whole-Workflow CloudEvents): one event or an array;
//   - timer: {"triggerTime", "triggerName", "payload"} → the reconcile (so does {"action":"reconcile"}).
// Returns the JSON summary. When an event could not be processed (cluster or OSS unreachable) it
// throws after handling the rest, so FC's async invocation retries the payload (maxAsyncRetryAttempts)
// and finally hands it to the dead-letter destination when one is configured; duplicates are harmless (the ledger dedupes),
// and the reconcile catches anything that still slips through. Malformed or foreign events never
// throw: redelivering them would not help.
import { ConfigError, loadConfig, startupWarnings } from '../../shared/config';
import { createGcApp, type GcApp } from '../../shared/gc/app';
import type { GcSummary } from '../../shared/gc/types';
import { fcContextCredentials, fcCredentialUpdater, type FcContext, type FcRoleCredentials } from '../../shared/http/fc';

let app: GcApp | undefined;
let useCredentials: ((c: FcRoleCredentials | undefined) => void) | undefined;

export const handler = async (event: Buffer | string, context: FcContext | undefined): Promise<GcSummary> => {
  try {
    if (!app) {
      const config = loadConfig(process.env);
      for (const w of startupWarnings(config)) console.error(w);
      app = createGcApp(config, { fcContext: context ?? null });
      useCredentials = fcCredentialUpdater(app.oss);
    }
    // Each invocation brings fresh STS credentials for the function role.
    useCredentials!(fcContextCredentials(context));
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message); // names the variables, never their values
    throw err;
  }
  const summary = await app.invoke(event, context?.requestId ? { requestId: context.requestId } : {});
  if (summary.errors.length > 0) {
    const err = new Error(`artifact-gc: ${summary.errors.length} event(s) could not be processed: ${summary.errors.join('; ')}`);
    Object.assign(err, { summary });
    throw err;
  }
  return summary;
};
