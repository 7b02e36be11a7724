// A running upload coordinator for integration tests: the local OSS server + the local Kubernetes API
// + the coordinator mounted at /uploads on a gateway, each on an ephemeral loopback port.
//
//   const c = await startTestCoordinator();          // options: { env?, oss?: OssServerOptions }
//   c.url                      gateway origin: the API is at `${c.url}/uploads…` and `/objects…` (= --coordinator URL)
//   c.adminToken               bearer token of an admin (group system:masters): may write any key
//   await c.podToken('wf-a')   bearer token of a new running pod of workflow wf-a (namespace argo), owned by
//                              it as Argo owns its pods (the Workflow is written on first use): may write argo/wf-a/…
//                              options { namespace?, podName?, tokenPodUid? (≠ the pod's uid → 403), expiresAt? }
//   c.workflowUid('wf-a')      the uid of a workflow podToken wrote (namespace argo by default)
//   await c.expireToken(token) that pod token is refused from now on (tokens.yaml expiresAt in the past)
//   await c.api('POST', '/uploads', { token, body })  → { status, body }  (JSON in, JSON out)
//   c.oss                      OssClient on the bucket with the server's credentials (verify objects)
//   await c.listUploads()      in-progress multipart uploads of the bucket (for "nothing written")
//   c.ossServer.admin(...)     fault injection etc. (test/helpers/oss-server.ts); c.kube: TestKubeApi
//   c.env                      the environment pointing a client at this stack (OSS_*, KUBECONFIG,
//                              ARGO_OSS_TOKEN = adminToken, ARGO_OSS_COORDINATOR = url)
//   await c.close()
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../../shared/config';
import { createOssClient, iterateMultipartUploads, type MultipartUploadSummary, type OssClient } from '../../shared/oss';
import type { CoordinatorApp } from '../../shared/upload/app';
import { startGateway, type RunningGateway } from '../../local/gateway';
import { workflowManifest, workflowPodManifest } from '../../local/kube-api/argo-objects';
import type { OssServerOptions } from '../../local/oss-server';
import { uploadCoordinatorMount } from '../../local/upload-mount';
import { LOCAL_DEFAULT_REGION } from '../../local/defaults';
import { startTestKubeApi, type TestKubeApi, type TokenSpec } from './kube-api';
import { startTestOssServer, type TestOssServer } from './oss-server';

const COORDINATOR_TOKEN = 'coordinator-own-token';

export interface TestCoordinatorOptions {
  /** Coordinator settings, e.g. { ARGO_OSS_PART_URL_TTL: '2', ARGO_OSS_ARTIFACT_ROOT: 'art/' }. */
  env?: Env;
  /** Options of the OSS server (faults, …). */
  oss?: Partial<OssServerOptions>;
  /** The coordinator's own cluster identity: a user with these rules (default: the cluster admin). */
  coordinatorRules?: TokenSpec['rules'];
  /** The coordinator's log (startup warnings, unexpected errors); default: discarded. */
  log?: (line: string) => void;
}

export interface PodTokenOptions {
  namespace?: string;
  podName?: string;
  /** The uid the token claims; default the pod's own. */
  tokenPodUid?: string;
  /** The token is refused from then on (tokens.yaml expiresAt). */
  expiresAt?: Date;
}

export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestCoordinator {
  url: string;
  adminToken: string;
  podToken(workflow: string, options?: PodTokenOptions): Promise<string>;
  workflowUid(workflow: string, namespace?: string): string | undefined;
  /** Makes a token from podToken expire now (the API server refuses it from the next request on). */
  expireToken(token: string): Promise<void>;
  api<T = any>(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResult<T>>;
  oss: OssClient;
  listUploads(): Promise<MultipartUploadSummary[]>;
  ossServer: TestOssServer;
  kube: TestKubeApi;
  app: CoordinatorApp;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestCoordinator(options: TestCoordinatorOptions = {}): Promise<TestCoordinator> {
  const ossServer = await startTestOssServer(options.oss ?? {});
  const kube = await startTestKubeApi(
    options.coordinatorRules ? { tokens: [{ token: COORDINATOR_TOKEN, user: 'argo-oss-coordinator', rules: options.coordinatorRules }] } : {},
  );
  let kubeconfigPath = kube.api.kubeconfigPath;
  if (options.coordinatorRules) {
    kubeconfigPath = join(kube.clusterDir, 'coordinator.kubeconfig.yaml');
    await writeFile(kubeconfigPath, kube.kubeConfig(COORDINATOR_TOKEN).exportConfig(), { mode: 0o600 });
  }
  const ossEndpoint = `http://localhost:${ossServer.server.port}`;
  const region = LOCAL_DEFAULT_REGION;
  const { mounts, app } = await uploadCoordinatorMount({
    ossEndpoint,
    credential: ossServer.credentials,
    region,
    bucket: ossServer.bucket,
    kubeconfigPath,
    env: options.env ?? {},
    log: options.log ?? (() => undefined),
  });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({ port: 0, mounts });
  } catch (err) {
    app.close();
    await Promise.allSettled([kube.close(), ossServer.close()]);
    throw err;
  }
  const oss = createOssClient({ bucket: ossServer.bucket, region, endpoint: ossEndpoint, credentials: ossServer.credentials });

  const workflows = new Map<string, Promise<string>>();
  const workflowOf = (namespace: string, name: string): Promise<string> => {
    const id = `${namespace}/${name}`;
    let uid = workflows.get(id);
    if (!uid) {
      const fresh = randomUUID();
      uid = kube.writeWorkflow(workflowManifest({ namespace, name, uid: fresh })).then(() => fresh);
      workflows.set(id, uid);
    }
    return uid;
  };
  const uids = new Map<string, string>();
  const podTokens = new Map<string, TokenSpec>();
  const podToken = async (workflow: string, o: PodTokenOptions = {}): Promise<string> => {
    const namespace = o.namespace ?? 'argo';
    const workflowUid = await workflowOf(namespace, workflow);
    uids.set(`${namespace}/${workflow}`, workflowUid);
    const podName = o.podName ?? `${workflow}-${randomBytes(4).toString('hex')}`;
    const uid = randomUUID();
    const token = `pod-${randomBytes(12).toString('hex')}`;
    await kube.writePod(workflowPodManifest({ namespace, name: workflow, uid: workflowUid }, { name: podName, uid }));
    const entry: TokenSpec = {
      token,
      serviceAccount: { namespace, name: 'default' },
      pod: { name: podName, uid: o.tokenPodUid ?? uid },
      ...(o.expiresAt ? { expiresAt: o.expiresAt.toISOString() } : {}),
    };
    podTokens.set(token, entry);
    await kube.addTokens([entry]);
    return token;
  };

  const expireToken = async (token: string): Promise<void> => {
    const entry = podTokens.get(token);
    if (!entry) throw new Error('expireToken: not a token made by podToken');
    entry.expiresAt = new Date(Date.now() - 1000).toISOString();
    await kube.addTokens([]); // rewrites tokens.yaml with the entries added so far, this one now expired
  };

  const api = async <T>(method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers,
      body: o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? (o.body as string) : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body: body as T, headers: res.headers };
  };

  const listUploads = async () => {
    const all: MultipartUploadSummary[] = [];
    for await (const page of iterateMultipartUploads(oss)) all.push(...page.uploads);
    return all;
  };

  return {
    url: gateway.url,
    adminToken: kube.api.adminToken,
    podToken,
    workflowUid: (workflow, namespace = 'argo') => uids.get(`${namespace}/${workflow}`),
    expireToken,
    api,
    oss,
    listUploads,
    ossServer,
    kube,
    app,
    env: {
      OSS_ENDPOINT: ossEndpoint,
      OSS_REGION: region,
      OSS_BUCKET: ossServer.bucket,
      OSS_ACCESS_KEY_ID: ossServer.credentials.accessKeyId,
      OSS_ACCESS_KEY_SECRET: ossServer.credentials.accessKeySecret,
      KUBECONFIG: kube.api.kubeconfigPath,
      ARGO_OSS_TOKEN: kube.api.adminToken,
      ARGO_OSS_COORDINATOR: gateway.url,
    },
    async close() {
      oss.close();
      await gateway.close();
      app.close();
      await Promise.allSettled([kube.close(), ossServer.close()]);
    },
  };
}
