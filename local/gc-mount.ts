// The artifact GC function on the local gateway: `POST /events` stands in for EventBridge (body: one
// CloudEvent or an array) and `POST /reconcile` for the timer trigger; both answer the JSON summary
// (500 with the same body when an event could not be processed, so a caller retries). Both are admin
// routes: in the cloud only the EventBridge rule and the timer can invoke the function, so locally only
// the holder of the stack's admin token may (the gateway checks it before the body is read). OSS and
// cluster access come from the arguments, never from the environment.
import type { GcApp } from '../shared/gc/app';
import type { HttpRequest } from '../shared/http/types';
import type { LocalFunctionAccess, Mount } from './gateway';

export interface GcMountOptions extends LocalFunctionAccess {
  /** The clock (tests step over delays). */
  now?: () => Date;
}

const MAX_EVENTS_BODY = 32 * 1024 * 1024; // EventBridge's synchronous batch limit

export async function gcMounts(o: GcMountOptions): Promise<{ mounts: Mount[]; app: GcApp }> {
  // Loaded on demand: the CLI bundle pods run does not evaluate these unless the local stack starts.
  const [{ loadConfig, startupWarnings }, { kubeConfigFromConfig }, { createOssClient }, { createGcApp }, { KubeWorkflows }, http] = await Promise.all([
    import('../shared/config'),
    import('../shared/k8s'),
    import('../shared/oss'),
    import('../shared/gc/app'),
    import('../shared/gc/workflows'),
    import('../shared/http'),
  ]);
  const { HttpError, Router, jsonResponse, readJsonObject, toNodeListener, invalidArgument } = http;
  const config = loadConfig({ ...(o.env ?? process.env), OSS_REGION: o.region, OSS_BUCKET: o.bucket, OSS_ENDPOINT: o.ossEndpoint });
  for (const w of startupWarnings(config)) o.log?.(w);
  const oss = createOssClient({ bucket: o.bucket, region: o.region, endpoint: o.ossEndpoint, credentials: o.credential });
  const workflows = new KubeWorkflows(kubeConfigFromConfig({ kubeconfigPath: o.kubeconfigPath }).kubeConfig);
  const app = createGcApp(config, { oss, workflows, ...(o.now ? { now: o.now } : {}), ...(o.log ? { log: o.log } : {}) });

  const dryRunOf = (req: HttpRequest): boolean | undefined => {
    const v = req.query.get('dryRun');
    if (v === null) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw invalidArgument('dryRun', `must be true or false, got ${JSON.stringify(v)}`);
  };
  const answer = (s: { errors: string[] }) => jsonResponse(s.errors.length > 0 ? 500 : 200, s);

  const router = new Router({ onError: (err, req) => o.log?.(`artifact-gc: ${req.method} ${req.path}: ${(err as Error)?.stack ?? String(err)}`) })
    .on('POST', '/events', async (req) => {
      const dryRun = dryRunOf(req);
      const body = await req.body();
      if (!body || body.length === 0) throw new HttpError(400, 'InvalidArgument', 'body: a CloudEvent or an array of CloudEvents is required', { field: 'body' });
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new HttpError(400, 'InvalidJson', `body: not valid JSON: ${(err as Error).message}`, { field: 'body' });
      }
      if (typeof payload !== 'object' || payload === null) throw invalidArgument('body', 'must be a CloudEvent object or an array of them');
      return answer(await app.handleEvents(payload, dryRun === undefined ? {} : { dryRun }));
    })
    .on('POST', '/reconcile', async (req) => {
      const body = await readJsonObject(req, { ifEmpty: {} });
      for (const k of Object.keys(body)) if (k !== 'dryRun') throw invalidArgument(k, 'unknown field (accepted: dryRun)');
      if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw invalidArgument('dryRun', 'must be a boolean');
      const dryRun = (body.dryRun as boolean | undefined) ?? dryRunOf(req);
      return answer(await app.reconcile(dryRun === undefined ? {} : { dryRun }));
    });
  const handler = toNodeListener(router.handle, { maxBodyBytes: MAX_EVENTS_BODY });
  const wrapped: GcApp = {
    ...app,
    close: () => {
      app.close();
      oss.close();
    },
  };
  return {
    app: wrapped,
    mounts: [
      { name: 'artifact-gc', prefix: '/events', auth: 'admin', description: 'POST one CloudEvent or an array (the EventBridge stand-in): artifact GC; admin token', handler },
      { name: 'artifact-gc', prefix: '/reconcile', auth: 'admin', description: 'POST: the GC reconcile (the timer trigger stand-in); admin token', handler },
    ],
  };
}
