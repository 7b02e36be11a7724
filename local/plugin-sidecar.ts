// `argo-oss local --plugin`: the artifact-driver plugin as the local cluster's pods would run it — a
// child `argo-oss plugin <data-dir>/artifact-plugins/argo-oss/socket`, the sidecar of a Running pod
// `argo/argo-oss-local-plugin` that is controller-owned by the Workflow `argo/argo-oss-local`, with the
// pod-bound service-account token the local Kubernetes API issues for it (tokens.yaml). Any gRPC
// client of Argo's artifact.proto can then drive it; it may write keys under that workflow's prefix
// and read its namespace's, like any workflow pod. Stopped (SIGTERM) and its manifests and token
// removed on close.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type Env } from '../shared/config';
import { workflowKeyPrefix } from '../shared/tenancy';
import { pluginProcess } from './argo-executor/plugin-process';
import { workflowManifest, workflowPodManifest } from './kube-api/argo-objects';
import { ClusterDir, type NamedManifest } from './kube-api/cluster-dir';

export const LOCAL_PLUGIN_NAMESPACE = 'argo';
export const LOCAL_PLUGIN_WORKFLOW = 'argo-oss-local';
export const LOCAL_PLUGIN_POD = 'argo-oss-local-plugin';

export interface LocalPluginOptions {
  dataDir: string;
  clusterDir: string;
  /** The gateway serving the coordinator (/uploads, /objects). */
  coordinator: string;
  bucket: string;
  /** An endpoint the functions serve (the configuration names it). */
  endpoint: string;
  /** The CLI to run (`argo-oss plugin` is appended with the socket): e.g. [node, argo-oss.cjs]. */
  command: readonly string[];
  /** The functions' settings (ARGO_OSS_WORKFLOW_KEY_PREFIX, ARGO_OSS_ARTIFACT_ROOT); default process.env. */
  env?: Env;
  log?: (line: string) => void;
}

export interface LocalPlugin {
  socket: string;
  /** A configuration string (JSON, one line) for plugin artifacts against this stack. */
  configuration: string;
  /** Keys the plugin may write (its workflow's prefix). */
  keyPrefix: string;
  workflow: { namespace: string; name: string; uid: string };
  pod: { name: string; uid: string };
  close(): Promise<void>;
}

export async function startLocalPlugin(o: LocalPluginOptions): Promise<LocalPlugin> {
  const config = loadConfig(o.env ?? process.env);
  const cluster = new ClusterDir(o.clusterDir);
  const dir = join(o.dataDir, 'artifact-plugins', 'argo-oss');
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'socket');
  const tokenFile = join(dir, 'token');
  const workflow = { namespace: LOCAL_PLUGIN_NAMESPACE, name: LOCAL_PLUGIN_WORKFLOW, uid: randomUUID() };
  const pod = { name: LOCAL_PLUGIN_POD, uid: randomUUID() };
  const token = `local-plugin-${randomBytes(18).toString('hex')}`;
  await cluster.writeWorkflow(workflowManifest(workflow) as NamedManifest);
  await cluster.writePod(workflowPodManifest(workflow, { ...pod, phase: 'Running' }) as NamedManifest);
  await cluster.addTokens([{ token, serviceAccount: { namespace: workflow.namespace, name: 'default' }, pod }]);
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const forget = async () => {
    await cluster.removeTokens([token]).catch(() => undefined);
    await Promise.all([rm(cluster.pathOf('pods', workflow.namespace, pod.name), { force: true }), rm(cluster.pathOf('workflows', workflow.namespace, workflow.name), { force: true }), rm(tokenFile, { force: true })]);
  };
  let sidecar;
  try {
    sidecar = await pluginProcess({ command: [...o.command, 'plugin'], output: o.log })({ name: pod.name, tokenFile }, socket);
  } catch (err) {
    await forget();
    throw err;
  }
  return {
    socket,
    configuration: JSON.stringify({ coordinator: o.coordinator, bucket: o.bucket, endpoint: o.endpoint }), // JSON is YAML too
    keyPrefix: workflowKeyPrefix(config.workflowKeyPrefix, workflow, config.artifactRoot),
    workflow,
    pod,
    async close() {
      await sidecar.stop();
      await forget();
    },
  };
}
