import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startOssServer, type RunningOssServer } from './oss-server';
import { startKubeApi, type RunningKubeApi } from './kube-api';
import { startGateway, type LocalFunctionAccess, type Mount, type RunningGateway } from './gateway';
import { downloadMounts } from './download-mount';
import { localShareSecret } from './share-secret';
import { SIGN_IN_PATH, signInMount } from './sign-in';
import { uploadCoordinatorMount } from './upload-mount';
import { gcMounts } from './gc-mount';
import { LOCAL_DEFAULT_PORTS } from './defaults';
import type { LocalCredential } from './env';
import type { Env } from '../shared/config';

export interface LocalStackOptions {
  dataDir: string;
  /** Defaults to `<dataDir>/cluster`. */
  clusterDir?: string;
  host?: string;
  ports?: Partial<Record<keyof typeof LOCAL_DEFAULT_PORTS, number>>;
  credential: LocalCredential;
  region: string;
  bucket: string;
  /** Admin bearer token for the Kubernetes API (ARGO_OSS_LOCAL_TOKEN); generated when absent. */
  adminToken?: string;
  /** More functions to serve on the gateway; later issues add theirs. */
  mounts?: Mount[];
  /** Mount the upload coordinator at /uploads (default true). */
  uploadCoordinator?: boolean;
  /** Mount the artifact download routes (/artifacts, /input-artifacts, /artifact-files, /share; default true). */
  download?: boolean;
  /** Mount the artifact GC at /events (the EventBridge stand-in) and /reconcile (default true). */
  gc?: boolean;
  /** Seed the example Workflow `argo/hello-artifacts` with its artifacts at the first start (local/example.ts; default false). */
  example?: boolean;
  /** Where the mounted functions read their own settings (ARGO_OSS_PART_URL_TTL, …); default process.env. */
  env?: Env;
  log?: (line: string) => void;
}

export interface LocalStack {
  oss: RunningOssServer;
  kube: RunningKubeApi;
  gateway: RunningGateway;
  /** Environment that points the CLI and functions at this stack (also written to `<dataDir>/local.env`). */
  env: Record<string, string>;
  envFile: string;
  /** The secret of share links (ARGO_OSS_SHARE_SECRET, else kept in <dataDir>/share-secret). */
  shareSecret: string;
  /** The sign-in page that sets the browser's authorization cookie (with the download routes). */
  signInUrl?: string;
  /** The seeded example, when it is in the cluster directory: its listing URL and a share link to it (valid 24 h). */
  example?: { url: string; shareUrl: string; seeded: boolean };
  close(): Promise<void>;
}

/** Starts the OSS-compatible server, the file-backed Kubernetes API and the function gateway. */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(opts.dataDir);
  const clusterDir = resolve(opts.clusterDir ?? join(dataDir, 'cluster'));
  const ports = { ...LOCAL_DEFAULT_PORTS, ...opts.ports };
  const log = opts.log;
  await mkdir(dataDir, { recursive: true });

  const started: { close(): Promise<void> }[] = [];
  try {
    const oss = await startOssServer({
      host: opts.host,
      port: ports.oss,
      dataDir: join(dataDir, 'oss'),
      buckets: [opts.bucket],
      credentials: [opts.credential],
      region: opts.region,
      log: log && ((line) => log(`oss     ${line}`)),
    });
    started.push(oss);
    const kube = await startKubeApi({
      host: opts.host,
      port: ports.cluster,
      clusterDir,
      adminToken: opts.adminToken,
      log: log && ((line) => log(`k8s     ${line}`)),
    });
    started.push(kube);

    // ali-oss cannot presign against an IP endpoint, so clients are pointed at `localhost`.
    const ossEndpoint = `http://localhost:${oss.port}`;
    const env: Record<string, string> = {
      OSS_ENDPOINT: ossEndpoint,
      OSS_REGION: opts.region,
      OSS_BUCKET: opts.bucket,
      OSS_ACCESS_KEY_ID: opts.credential.accessKeyId,
      OSS_ACCESS_KEY_SECRET: opts.credential.accessKeySecret,
      ...(opts.credential.securityToken ? { OSS_SECURITY_TOKEN: opts.credential.securityToken } : {}),
      KUBECONFIG: kube.kubeconfigPath,
      ARGO_OSS_TOKEN: kube.adminToken,
    };

    const example = opts.example ? await seedLocalExample({ ossEndpoint, opts, dataDir, clusterDir }) : undefined;
    if (example?.seeded) log?.(`example seeded: Workflow argo/hello-artifacts in ${example.manifest}`);

    const mounts = [...(opts.mounts ?? [])];
    // Share links are on by default locally: a generated secret, kept in the data dir.
    const share = await localShareSecret(dataDir, opts.env ?? process.env);
    env.ARGO_OSS_SHARE_SECRET = share.secret;
    const access: LocalFunctionAccess = {
      ossEndpoint,
      credential: opts.credential,
      region: opts.region,
      bucket: opts.bucket,
      kubeconfigPath: kube.kubeconfigPath,
      env: { ...(opts.env ?? process.env), ARGO_OSS_SHARE_SECRET: share.secret },
    };
    const tagged = (tag: string) => log && ((line: string) => log(`${tag.padEnd(7)} ${line}`));
    if (opts.uploadCoordinator !== false) {
      const coordinator = await uploadCoordinatorMount({ ...access, log: tagged('uploads') });
      started.push({ close: async () => coordinator.app.close() });
      mounts.push(...coordinator.mounts);
    }
    if (opts.download !== false) {
      const download = await downloadMounts({ ...access, signInPath: SIGN_IN_PATH, log: tagged('download') });
      started.push({ close: async () => download.app.close() });
      mounts.push(...download.mounts, signInMount(await localTokenCheck(kube.kubeconfigPath)));
    }
    if (opts.gc !== false) {
      const gc = await gcMounts({ ...access, log: tagged('gc') });
      started.push({ close: async () => gc.app.close() });
      mounts.push(...gc.mounts);
    }

    const gateway = await startGateway({
      host: opts.host,
      port: ports.gateway,
      mounts,
      adminToken: kube.adminToken,
      info: { service: 'argo-oss local stack', oss: ossEndpoint, kubernetes: kube.url, bucket: opts.bucket, region: opts.region },
      log: log && ((line) => log(`gateway ${line}`)),
    });
    started.push(gateway);
    env.ARGO_OSS_GATEWAY = gateway.url;
    // So that `argo-oss upload FILE --key K` needs no flags once local.env is sourced.
    if (opts.uploadCoordinator !== false) env.ARGO_OSS_COORDINATOR = gateway.url;

    const envFile = join(dataDir, 'local.env');
    await writeFile(
      envFile,
      `# Written by 'argo-oss local'; source it to point the CLI at this stack.\n` +
        Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n') + '\n',
      { mode: 0o600 },
    );

    return {
      oss,
      kube,
      gateway,
      env,
      envFile,
      shareSecret: share.secret,
      ...(example?.present && opts.download !== false ? { example: await exampleLinks(gateway.url, share.secret, example.seeded) } : {}),
      ...(opts.download !== false ? { signInUrl: `${gateway.url}${SIGN_IN_PATH}` } : {}),
      close: () => closeAll(started),
    };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

async function closeAll(services: { close(): Promise<void> }[]): Promise<void> {
  await Promise.allSettled([...services].reverse().map((s) => s.close()));
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function seedLocalExample(o: { ossEndpoint: string; opts: LocalStackOptions; dataDir: string; clusterDir: string }) {
  const [{ createOssClient }, { seedExample }] = await Promise.all([import('../shared/oss'), import('./example')]);
  const oss = createOssClient({ bucket: o.opts.bucket, region: o.opts.region, endpoint: o.ossEndpoint, credentials: o.opts.credential });
  try {
    return await seedExample({ oss, bucket: o.opts.bucket, dataDir: o.dataDir, clusterDir: o.clusterDir });
  } finally {
    oss.close();
  }
}

async function exampleLinks(gatewayUrl: string, secret: string, seeded: boolean): Promise<{ url: string; shareUrl: string; seeded: boolean }> {
  const [{ examplePaths, exampleKey }, { shareGrant, shareSignature }] = await Promise.all([import('./example'), import('../shared/download/share')]);
  const path = examplePaths().results;
  const expires = Math.floor(Date.now() / 1000) + 24 * 3600;
  const q = new URLSearchParams({ expires: String(expires), signature: shareSignature(secret, path, expires), grant: shareGrant(secret, path, expires, exampleKey('results')) });
  return { url: `${gatewayUrl}${path}`, shareUrl: `${gatewayUrl}${path}?${q}`, seeded };
}

/** Whether the local cluster knows a token (TokenReview with the stack's admin kubeconfig). */
async function localTokenCheck(kubeconfigPath: string): Promise<(token: string) => Promise<boolean>> {
  const [{ KubeClient, kubeConfigFromConfig }] = await Promise.all([import('../shared/k8s')]);
  const kube = new KubeClient(kubeConfigFromConfig({ kubeconfigPath }).kubeConfig);
  return async (token) => (await kube.reviewToken(token)).authenticated;
}
