// A small Kubernetes-compatible API over HTTP, backed by a directory, for the local stack and tests:
// the same @kubernetes/client-node code that reads a real cluster runs against it unchanged.
// Layout, semantics and how to call it (merge patch needs an explicit Content-Type): docs/local-stack.md.
import { workflowAdvice } from './workflow-advice';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { registerDiscovery } from './discovery';
import { writeKubeconfig } from './kubeconfig';
import { registerResource } from './resources';
import { registerReviews } from './reviews';
import { Router } from './router';
import { createRequestListener } from './server';
import { ManifestStore } from './store';
import { ensureAdminToken, TokenRegistry } from './tokens';
import { PODS, WORKFLOW_ARTIFACT_GC_TASKS, WORKFLOWS } from './types';

export interface KubeApiOptions {
  host?: string; // default 127.0.0.1
  port?: number; // 0 = ephemeral
  clusterDir: string; // created with workflows/, pods/, workflowartifactgctasks/ if missing
  adminToken?: string; // ensured present in tokens.yaml as an admin entry (default: existing admin entry, else a random one written there)
  log?: (line: string) => void;
}

export interface RunningKubeApi {
  url: string;
  port: number;
  adminToken: string;
  kubeconfigPath: string;
  close(): Promise<void>;
}

export { MERGE_PATCH, JSON_PATCH } from './resources';
export { API_AUDIENCE, POD_NAME_EXTRA, POD_UID_EXTRA, TokensFileError, parseTokensFile, type TokenSpec, type GroupSpec } from './tokens';

export const TOKENS_FILE = 'tokens.yaml';
export const KUBECONFIG_FILE = 'kubeconfig.yaml';

export async function startKubeApi(opts: KubeApiOptions): Promise<RunningKubeApi> {
  const log = opts.log ?? (() => undefined);
  const clusterDir = resolve(opts.clusterDir);
  const workflowsDir = join(clusterDir, WORKFLOWS.dir);
  const podsDir = join(clusterDir, PODS.dir);
  const gcTasksDir = join(clusterDir, WORKFLOW_ARTIFACT_GC_TASKS.dir);
  await mkdir(workflowsDir, { recursive: true });
  await mkdir(podsDir, { recursive: true });
  await mkdir(gcTasksDir, { recursive: true });

  // Fails here, before listening, if tokens.yaml is invalid.
  const tokensFile = join(clusterDir, TOKENS_FILE);
  const adminToken = await ensureAdminToken(tokensFile, opts.adminToken);
  const tokens = new TokenRegistry(tokensFile, log);
  const initialTokens = await tokens.current();

  const host = opts.host ?? '127.0.0.1';
  let hostPort = '';
  const router = new Router();
  registerDiscovery(router, () => hostPort);
  const workflowStore = new ManifestStore(WORKFLOWS, workflowsDir, log, workflowAdvice);
  await workflowStore.list(); // reports unusable manifests already there at start
  registerResource(router, WORKFLOWS, workflowStore, {
    writable: true,
    fieldSelectors: ['metadata.name', 'metadata.namespace'],
  });
  registerResource(router, PODS, new ManifestStore(PODS, podsDir, log), {
    writable: false,
    fieldSelectors: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.serviceAccountName', 'status.phase'],
  });
  registerResource(router, WORKFLOW_ARTIFACT_GC_TASKS, new ManifestStore(WORKFLOW_ARTIFACT_GC_TASKS, gcTasksDir, log), {
    writable: false,
    fieldSelectors: ['metadata.name', 'metadata.namespace'],
  });
  registerReviews(router);

  const server = createServer(createRequestListener({ router, tokens, log }));
  const port = await listen(server, host, opts.port ?? 0);
  hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${hostPort}`;

  const kubeconfigPath = join(clusterDir, KUBECONFIG_FILE);
  try {
    await writeKubeconfig(kubeconfigPath, url, adminToken, initialTokens.tokens);
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  log(`listening on ${url} (cluster dir ${clusterDir}, kubeconfig ${kubeconfigPath})`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    adminToken,
    kubeconfigPath,
    close: () => (closing ??= closeServer(server)),
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`kube-api: ${host}:${port} is already in use (choose another port, or 0 for an ephemeral one)`) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
