// A running artifact download function for integration tests: the local OSS server + the local
// Kubernetes API (tokens.yaml RBAC) + the download routes mounted on a gateway, as `argo-oss local`
// mounts them. Optionally the function reaches OSS through a TCP proxy that counts open connections.
//
//   const d = await startDownloadFixture({ env: { ARGO_OSS_SHARE_SECRET: '…' }, countOssConnections: true });
//   await d.kube.writeWorkflow(workflow('wf-1', { 'wf-1-1': { outputs: [artifact('out', 'wf-1/out.txt')] } }));
//   await d.put('wf-1/out.txt', 'hello');
//   const r = await d.request('/artifacts/argo/wf-1/wf-1-1/out', { token: TOKENS.alice });
//   d.ossConnections()      open connections from the function to OSS (with countOssConnections)
//
// The fixture's workflows keep Argo's default keyFormat {{workflow.name}}/{{pod.name}}, so by default it
// runs the single-tenant layout (LEGACY_LAYOUT); test/isolation-download.test.ts overrides it with
// namespaced keys and tests the tenant boundary.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Env } from '../../shared/config';
import type { DownloadApp } from '../../shared/download/app';
import { createOssClient, mapLimit, putObject, type OssClient } from '../../shared/oss';
import { LOCAL_DEFAULT_REGION } from '../../local/defaults';
import { downloadMounts } from '../../local/download-mount';
import { startGateway, type RunningGateway } from '../../local/gateway';
import type { OssServerOptions } from '../../local/oss-server';
import { startTestKubeApi, type TestKubeApi, type TokenSpec } from './kube-api';
import { startTestOssServer, type TestOssServer } from './oss-server';

/** Bearer tokens of the fixture's users. */
export const TOKENS = {
  /** get/list workflows in namespace argo. */
  alice: 'alice-token',
  /** Authenticated, no rights at all. */
  bob: 'bob-token',
  /** get workflows in namespace other only. */
  carol: 'carol-token',
  /** get only the workflow named `visible` in argo. */
  dave: 'dave-token',
} as const;

const USERS: TokenSpec[] = [
  { token: TOKENS.alice, user: 'alice', rules: [{ namespaces: ['argo'], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get', 'list'] }] },
  { token: TOKENS.bob, user: 'bob' },
  { token: TOKENS.carol, user: 'carol', rules: [{ namespaces: ['other'], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get'] }] },
  { token: TOKENS.dave, user: 'dave', rules: [{ namespaces: ['argo'], apiGroups: ['argoproj.io'], resources: ['workflows'], resourceNames: ['visible'], verbs: ['get'] }] },
];

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTP request with Node's client (no redirects followed, raw path sent as is). */
export function httpCall(origin: string, path: string, o: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export interface StreamedResult {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  /** The body ended cleanly (false: the connection was cut). */
  complete: boolean;
  error?: string;
}

/** GET with the body hashed as it streams (never held); a cut connection is reported, not thrown. */
export function streamCall(origin: string, path: string, o: RequestOptions = {}): Promise<StreamedResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: o.method ?? 'GET', headers, agent: false }, (res: IncomingMessage) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let done = false;
      const finish = (complete: boolean, error?: string) => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), complete, ...(error ? { error } : {}) });
      };
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => finish(true));
      res.on('error', (err) => finish(false, err.message));
      res.on('aborted', () => finish(false, 'aborted'));
      res.on('close', () => finish(res.complete, res.complete ? undefined : 'closed before the end'));
    });
    req.on('error', (err) => reject(err));
    req.end();
  });
}

// Deterministic test data (AES-CTR keystream); shared with the demo (scripts/demo).
export { pseudoRandom, pseudoRandomSha } from '../../local/pseudo-random';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Workflow manifests

export interface NodeSpec {
  templateName?: string;
  inputs?: object[];
  outputs?: object[];
}

/** An OSS artifact as the controller records it: key only (location from template or repository), or a full block. */
export function artifact(name: string, key: string, extra: Record<string, unknown> = {}, oss: Record<string, unknown> = {}): object {
  return { name, path: `/tmp/${name}`, ...extra, oss: { ...oss, key } };
}

export interface WorkflowOptions {
  namespace?: string;
  templates?: object[];
  /** status.artifactRepositoryRef.artifactRepository.oss (default: the fixture bucket on the default endpoint). */
  repository?: Record<string, unknown> | null;
  status?: Record<string, unknown>;
}

export function workflow(name: string, nodes: Record<string, NodeSpec>, o: WorkflowOptions = {}): object {
  const repo = o.repository === undefined ? { endpoint: 'http://oss-cn-hangzhou-internal.aliyuncs.com', bucket: 'argo-artifacts', keyFormat: '{{workflow.name}}/{{pod.name}}' } : o.repository;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: o.namespace ?? 'argo' },
    spec: { entrypoint: 'main', templates: o.templates ?? [{ name: 'main', container: { image: 'alpine' } }] },
    status: {
      phase: 'Succeeded',
      ...(repo ? { artifactRepositoryRef: { configMap: 'artifact-repositories', key: 'default-v1', namespace: o.namespace ?? 'argo', artifactRepository: { oss: repo } } } : {}),
      nodes: Object.fromEntries(
        Object.entries(nodes).map(([id, n]) => [
          id,
          {
            id,
            name: `${name}.${id}`,
            displayName: id,
            type: 'Pod',
            phase: 'Succeeded',
            templateName: n.templateName ?? 'main',
            ...(n.inputs ? { inputs: { artifacts: n.inputs } } : {}),
            ...(n.outputs ? { outputs: { artifacts: n.outputs } } : {}),
          },
        ]),
      ),
      ...o.status,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fixture

/** Keys laid out as {{workflow.name}}/…, one tenant: no namespace boundary (the fixture's default). */
export const LEGACY_LAYOUT = { ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.name}}/', ARGO_OSS_SINGLE_TENANT: 'true' } as const;

export interface DownloadFixtureOptions {
  /** Download settings (ARGO_OSS_SHARE_SECRET, ARGO_OSS_DOWNLOAD_MODE, …). ARGO_OSS_AUTH_CACHE_SECONDS defaults to 0, the layout to LEGACY_LAYOUT. */
  env?: Env;
  /** Put a connection-counting TCP proxy between the function and the OSS server. */
  countOssConnections?: boolean;
  oss?: Partial<OssServerOptions>;
}

export interface DownloadFixture {
  /** Gateway origin serving /artifacts, /input-artifacts, /artifact-files, /share. */
  url: string;
  ossServer: TestOssServer;
  kube: TestKubeApi;
  /** Client straight to the OSS server (seeding and checks). */
  oss: OssClient;
  app: DownloadApp;
  /** Endpoint the function uses (the proxy when counting). */
  functionOssEndpoint: string;
  put(key: string, body: string | Buffer): Promise<void>;
  putStream(key: string, body: Readable): Promise<void>;
  putMany(entries: Array<[string, string | Buffer]>, concurrency?: number): Promise<void>;
  request(path: string, o?: RequestOptions): Promise<HttpResult>;
  stream(path: string, o?: RequestOptions): Promise<StreamedResult>;
  /** Open connections from the function to OSS (needs countOssConnections). */
  ossConnections(): OssConnections;
  close(): Promise<void>;
}

export interface OssConnections {
  /** Every open connection from the function, including idle keep-alive ones (HEAD, List) that the pool keeps for 15 s. */
  total: number;
  /** Open connections carrying a GetObject: the artifact bytes (one request each, never pooled). */
  getObject: number;
}

function countingProxy(targetPort: number): Promise<{ server: Server; port: number; open: () => OssConnections; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const getters = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    clients.add(client);
    client.once('data', (chunk: Buffer) => {
      const [method, target] = chunk.toString('latin1', 0, Math.min(chunk.length, 4096)).split('\r\n')[0].split(' ');
      if (method === 'GET' && target !== undefined && !target.includes('?')) getters.add(client);
    });
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      sockets.delete(client);
      clients.delete(client);
      getters.delete(client);
      drop();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      drop();
    });
    client.on('error', drop);
    upstream.on('error', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        server,
        port,
        open: () => ({ total: clients.size, getObject: getters.size }),
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    }),
  );
}

export async function startDownloadFixture(options: DownloadFixtureOptions = {}): Promise<DownloadFixture> {
  const ossServer = await startTestOssServer(options.oss ?? {});
  const kube = await startTestKubeApi({ tokens: USERS });
  const proxy = options.countOssConnections ? await countingProxy(ossServer.server.port) : undefined;
  const directEndpoint = `http://localhost:${ossServer.server.port}`;
  const functionOssEndpoint = proxy ? `http://localhost:${proxy.port}` : directEndpoint;
  const { mounts, app } = await downloadMounts({
    ossEndpoint: functionOssEndpoint,
    credential: ossServer.credentials,
    region: LOCAL_DEFAULT_REGION,
    bucket: ossServer.bucket,
    kubeconfigPath: kube.api.kubeconfigPath,
    env: { ARGO_OSS_AUTH_CACHE_SECONDS: '0', ...LEGACY_LAYOUT, ...options.env },
    log: () => undefined,
  });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({ port: 0, mounts });
  } catch (err) {
    app.close();
    await Promise.allSettled([kube.close(), ossServer.close(), proxy?.close()]);
    throw err;
  }
  const oss = createOssClient({ bucket: ossServer.bucket, region: LOCAL_DEFAULT_REGION, endpoint: directEndpoint, credentials: ossServer.credentials });
  return {
    url: gateway.url,
    ossServer,
    kube,
    oss,
    app,
    functionOssEndpoint,
    async put(key, body) {
      await putObject(oss, key, body, { maxBytes: 64 * 1024 * 1024 });
    },
    async putStream(key, body) {
      // ali-oss's chunked PutObject (missing from the project's narrowed Client type).
      const sdk = oss.sdk as unknown as { putStream(key: string, body: Readable, o: { timeout: number }): Promise<unknown> };
      await sdk.putStream(key, body, { timeout: 600_000 });
    },
    async putMany(entries, concurrency = 16) {
      await mapLimit(entries, concurrency, ([k, v]) => putObject(oss, k, v));
    },
    request: (path, o) => httpCall(gateway.url, path, o),
    stream: (path, o) => streamCall(gateway.url, path, o),
    ossConnections: () => {
      if (!proxy) throw new Error('startDownloadFixture({ countOssConnections: true }) is needed');
      return proxy.open();
    },
    async close() {
      oss.close();
      await gateway.close();
      app.close();
      await Promise.allSettled([kube.close(), ossServer.close(), proxy?.close()]);
    },
  };
}
