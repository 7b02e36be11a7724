// Starts the local Kubernetes API on an ephemeral port over a temporary cluster directory, for
// integration tests that use the real @kubernetes/client-node against it.
//
//   const k8s = await startTestKubeApi({ tokens: [{ token: 't', user: 'alice', rules: [...] }] });
//   await k8s.writeWorkflow({ metadata: { name: 'wf', namespace: 'argo' }, status: { phase: 'Succeeded' } });
//   const api = k8s.kubeConfig('t').makeApiClient(CustomObjectsApi);
//   ...
//   await k8s.close();
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { startKubeApi, TOKENS_FILE, type RunningKubeApi, type TokenSpec } from '../../local/kube-api';
import { writeFileAtomic } from '../../local/kube-api/manifest-file';

export type { TokenSpec };

export interface TestKubeApiOptions {
  /** Extra tokens.yaml entries besides the admin one. */
  tokens?: TokenSpec[];
  adminToken?: string;
  /** Use this directory instead of a fresh temporary one (it is then not removed on close). */
  clusterDir?: string;
  log?: (line: string) => void;
}

export interface TestKubeApi {
  api: RunningKubeApi;
  clusterDir: string;
  /** A loaded KubeConfig for `token` (default: the admin token). */
  kubeConfig(token?: string): KubeConfig;
  /** Writes a Workflow manifest (object → YAML, or JSON if fileName ends in .json); returns its path. */
  writeWorkflow(workflow: object | string, fileName?: string): Promise<string>;
  /** Writes a Pod manifest; returns its path. */
  writePod(pod: object | string, fileName?: string): Promise<string>;
  /** Writes a WorkflowArtifactGCTask manifest; returns its path. */
  writeGcTask(task: object | string, fileName?: string): Promise<string>;
  /** Replaces tokens.yaml with the admin entry plus `entries` (seen by the next request). */
  writeTokens(entries: TokenSpec[]): Promise<void>;
  /** Adds entries to those written so far by addTokens (serialised; tokens.yaml is rewritten whole). */
  addTokens(entries: TokenSpec[]): Promise<void>;
  close(): Promise<void>;
}

export async function startTestKubeApi(opts: TestKubeApiOptions = {}): Promise<TestKubeApi> {
  const ownDir = opts.clusterDir === undefined;
  const clusterDir = opts.clusterDir ?? (await mkdtemp(join(tmpdir(), 'kube-api-test-')));
  const adminToken = opts.adminToken ?? 'test-admin-token';
  const admin: TokenSpec = { token: adminToken, user: 'admin', groups: ['system:masters'], admin: true };
  const writeTokens = (entries: TokenSpec[]) =>
    writeFileAtomic(join(clusterDir, TOKENS_FILE), stringify({ tokens: [admin, ...entries.filter((e) => e.token !== adminToken)] }), 0o600);

  await writeTokens(opts.tokens ?? []);
  const api = await startKubeApi({ clusterDir, adminToken, log: opts.log });

  const writeManifest = async (dir: string, manifest: object | string, fileName?: string) => {
    const obj = (typeof manifest === 'string' ? parse(manifest) : manifest) as { metadata?: { name?: string; namespace?: string } };
    const name = fileName ?? (obj.metadata?.name ? `${obj.metadata.namespace ?? 'default'}.${obj.metadata.name}.yaml` : undefined);
    if (!name) throw new Error('the manifest has no metadata.name: pass a fileName');
    const text = typeof manifest === 'string' ? manifest : name.endsWith('.json') ? `${JSON.stringify(manifest, null, 2)}\n` : stringify(manifest);
    const path = join(clusterDir, dir, name);
    await writeFileAtomic(path, text);
    return path;
  };

  const added: TokenSpec[] = [];
  let adding: Promise<void> = Promise.resolve();
  const addTokens = (entries: TokenSpec[]) => {
    added.push(...entries);
    const run = adding.then(() => writeTokens([...opts.tokens ?? [], ...added]));
    adding = run.catch(() => undefined);
    return run;
  };

  return {
    api,
    clusterDir,
    kubeConfig(token = adminToken) {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'local', server: api.url, skipTLSVerify: true }],
        users: [{ name: 'user', token }],
        contexts: [{ name: 'local', cluster: 'local', user: 'user' }],
        currentContext: 'local',
      });
      return kc;
    },
    writeWorkflow: (wf, fileName) => writeManifest('workflows', wf, fileName),
    writePod: (pod, fileName) => writeManifest('pods', pod, fileName),
    writeGcTask: (task, fileName) => writeManifest('workflowartifactgctasks', task, fileName),
    writeTokens,
    addTokens,
    async close() {
      await api.close();
      if (ownDir) await rm(clusterDir, { recursive: true, force: true });
    },
  };
}
