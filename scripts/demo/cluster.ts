// The demo's side of the local cluster: the manifests a real cluster would hold for its workflows
// (Workflow, Pod, the pod's service-account token) written into the cluster directory the local
// Kubernetes API serves, and the calls a user would make (get, delete) through that API.
// Everything it adds is remembered, so that cleanup() leaves the cluster as it found it.
import { rm } from 'node:fs/promises';
import type { Workflow } from '../../shared/argo';
import type { TokenSpec } from '../../local/kube-api';
import { ClusterDir, type ManifestKind } from '../../local/kube-api/cluster-dir';

const WORKFLOWS_API = (ns: string) => `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/workflows`;

type Manifest = { metadata: { name: string; namespace: string; [field: string]: unknown }; [field: string]: unknown };

export class DemoCluster {
  private readonly files = new Set<string>();
  private readonly tokens = new Set<string>();
  private readonly cluster: ClusterDir;

  constructor(
    readonly clusterDir: string,
    readonly kubeUrl: string,
    private readonly adminToken: string,
    /** Once aborted, nothing more is added (cleanup still removes what was). */
    private readonly signal?: AbortSignal,
  ) {
    this.cluster = new ClusterDir(clusterDir);
  }

  /** Appends entries to tokens.yaml, keeping every other entry (the stack's admin, the user's own) and its comments. */
  addTokens(entries: TokenSpec[]): Promise<void> {
    this.signal?.throwIfAborted();
    for (const e of entries) this.tokens.add(e.token);
    return this.cluster.addTokens(entries);
  }

  async writePod(pod: Manifest): Promise<void> {
    await this.write('pods', pod);
  }

  /** Writes (or replaces) a Workflow manifest, as the controller's status updates would. */
  async writeWorkflow(wf: Workflow): Promise<void> {
    await this.write('workflows', wf as unknown as Manifest);
  }

  private async write(kind: ManifestKind, obj: Manifest): Promise<void> {
    this.signal?.throwIfAborted();
    this.files.add(this.cluster.pathOf(kind, obj.metadata.namespace, obj.metadata.name));
    await this.cluster.write(kind, obj);
  }

  private async api(method: string, path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.kubeUrl}${path}`, { method, headers: { authorization: `Bearer ${this.adminToken}`, accept: 'application/json' } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** GET the Workflow through the API (as the GC left it), or undefined when it is gone. */
  async getWorkflow(namespace: string, name: string): Promise<Workflow | undefined> {
    const r = await this.api('GET', `${WORKFLOWS_API(namespace)}/${encodeURIComponent(name)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`get workflow ${namespace}/${name}: HTTP ${r.status}: ${r.body?.message ?? ''}`);
    return r.body as Workflow;
  }

  /** DELETE through the API, as `argo delete` / `kubectl delete` does; answers the HTTP status. */
  async deleteWorkflow(namespace: string, name: string): Promise<number> {
    return (await this.api('DELETE', `${WORKFLOWS_API(namespace)}/${encodeURIComponent(name)}`)).status;
  }

  /** Removes every manifest and token the demo added. */
  async cleanup(): Promise<void> {
    await Promise.allSettled([...this.files].map((f) => rm(f, { force: true })));
    this.files.clear();
    const gone = [...this.tokens];
    this.tokens.clear();
    await this.cluster.removeTokens(gone);
  }
}
