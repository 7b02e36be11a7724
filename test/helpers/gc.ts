// A GC test bench: the local OSS server and Kubernetes API, the real ali-oss and client-node clients,
// a GC app with a steppable clock, Workflow builders and readers for the audit log and the ledger.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../shared/config';
import { createGcApp, KubeWorkflows, type AuditRecord, type GcApp, type GcDeps } from '../../shared/gc';
import { AUDIT_PREFIX } from '../../shared/gc/audit';
import { createOssClient, getObject, iterateObjectPages, mapLimit, objectExists, putObject, type OssClient } from '../../shared/oss';
import type { Artifact, NodeStatus, Workflow } from '../../shared/argo';
import { startTestKubeApi, type TestKubeApi } from './kube-api';
import { startTestOssServer, type TestOssServer } from './oss-server';

export const BUCKET = 'argo-artifacts';
/** The namespaced key layout (issue 10): GC deletes only under `<namespace>/<name>/` or by recorded owner. */
export const NAMESPACED_KEY_PREFIX = '{{workflow.namespace}}/{{workflow.name}}/';

export interface ArtifactSpec {
  node?: string;
  name: string;
  key?: string;
  strategy?: string;
  archiveNone?: boolean;
  deleted?: boolean;
  /** Extra fields merged into the artifact. */
  extra?: Partial<Artifact>;
}

export interface WorkflowSpec {
  name: string;
  uid?: string;
  namespace?: string;
  phase?: string;
  strategy?: string;
  annotations?: Record<string, string>;
  finishedAt?: string;
  artifacts: ArtifactSpec[];
}

/** An Argo Workflow whose Pod nodes carry the given output artifacts (repository: our bucket). */
export function workflow(s: WorkflowSpec): Workflow {
  const nodes: Record<string, NodeStatus> = {};
  for (const a of s.artifacts) {
    const node = a.node ?? `${s.name}-1`;
    nodes[node] ??= { id: node, name: node, type: 'Pod', phase: 'Succeeded', templateName: 'main', outputs: { artifacts: [] } };
    nodes[node].outputs!.artifacts!.push({
      name: a.name,
      path: `/tmp/${a.name}`,
      ...(a.key !== undefined ? { oss: { key: a.key } } : {}),
      ...(a.strategy ? { artifactGC: { strategy: a.strategy as never } } : {}),
      ...(a.archiveNone ? { archive: { none: {} } } : {}),
      ...(a.deleted ? { deleted: true } : {}),
      ...a.extra,
    });
  }
  nodes[s.name] = { id: s.name, name: s.name, type: 'Steps', phase: s.phase ?? 'Succeeded', templateName: 'main' };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name: s.name,
      namespace: s.namespace ?? 'argo',
      uid: s.uid ?? `uid-${s.name}`,
      ...(s.annotations ? { annotations: s.annotations } : {}),
      labels: { 'workflows.argoproj.io/completed': String(['Succeeded', 'Failed', 'Error'].includes(s.phase ?? 'Succeeded')) },
    },
    spec: { entrypoint: 'main', templates: [{ name: 'main' }], ...(s.strategy ? { artifactGC: { strategy: s.strategy as never } } : {}) },
    status: {
      phase: s.phase ?? 'Succeeded',
      startedAt: '2030-01-01T00:00:00Z',
      finishedAt: s.finishedAt ?? new Date().toISOString(),
      nodes,
      artifactRepositoryRef: { configMap: 'artifact-repositories', key: 'default', artifactRepository: { archiveLogs: true, oss: { bucket: BUCKET, endpoint: 'oss-cn-hangzhou.aliyuncs.com', keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}' } } },
    },
  };
}

/** kube-eventer's CloudEvent for a workflow event. */
export function kubeEvent(wf: { metadata: { name?: string; namespace?: string; uid?: string } }, reason = 'WorkflowSucceeded', id = `evt-${Math.random().toString(36).slice(2)}`) {
  return {
    specversion: '1.0',
    id,
    source: 'acs.cs',
    type: 'cs:k8s:WorkflowRelatedEvent',
    subject: `acs:cs:cn-hangzhou:1:c/apis/argoproj.io/v1alpha1/namespaces/${wf.metadata.namespace}/workflows/${wf.metadata.name}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {
      metadata: { name: `${wf.metadata.name}.17a`, namespace: wf.metadata.namespace },
      reason,
      type: reason === 'WorkflowSucceeded' ? 'Normal' : 'Warning',
      involvedObject: { kind: 'Workflow', apiVersion: 'argoproj.io/v1alpha1', namespace: wf.metadata.namespace, name: wf.metadata.name, uid: wf.metadata.uid },
    },
  };
}

export interface GcBench {
  ossServer: TestOssServer;
  k8s: TestKubeApi;
  oss: OssClient;
  endpoint: string;
  /** The GC's clock: real time plus `offsetMs`. */
  clock: { offsetMs: number; advance(ms: number): void; now(): Date };
  lines: string[];
  app(env?: Record<string, string>, deps?: Partial<GcDeps>): GcApp;
  writeWorkflow(wf: Workflow): Promise<string>;
  removeWorkflow(wf: Workflow): Promise<void>;
  readWorkflow(wf: Workflow): Promise<Workflow>;
  put(keys: string[], body?: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  keys(prefix?: string): Promise<string[]>;
  audit(): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export async function startGcBench(): Promise<GcBench> {
  const ossServer = await startTestOssServer();
  const k8s = await startTestKubeApi();
  const endpoint = `http://localhost:${ossServer.server.port}`;
  const oss = createOssClient({ bucket: BUCKET, region: 'cn-hangzhou', endpoint, credentials: { ...ossServer.credentials } });
  const clock = {
    offsetMs: 0,
    advance(ms: number) {
      this.offsetMs += ms;
    },
    now() {
      return new Date(Date.now() + this.offsetMs);
    },
  };
  const lines: string[] = [];
  const apps: GcApp[] = [];
  const fileOf = (wf: Workflow) => join(k8s.clusterDir, 'workflows', `${wf.metadata.namespace}.${wf.metadata.name}.yaml`);
  return {
    ossServer,
    k8s,
    oss,
    endpoint,
    clock,
    lines,
    app(env = {}, deps = {}) {
      const config = loadConfig({ OSS_ENDPOINT: endpoint, OSS_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, ARGO_OSS_GC_STALE_UPLOAD_HOURS: '0', ARGO_OSS_WORKFLOW_KEY_PREFIX: NAMESPACED_KEY_PREFIX, ...env });
      const app = createGcApp(config, { oss, workflows: new KubeWorkflows(k8s.kubeConfig()), now: () => clock.now(), log: (l) => lines.push(l), ...deps });
      apps.push(app);
      return app;
    },
    writeWorkflow: (wf) => k8s.writeWorkflow(wf),
    removeWorkflow: (wf) => rm(fileOf(wf)),
    async readWorkflow(wf) {
      return parse(await readFile(fileOf(wf), 'utf8')) as Workflow;
    },
    async put(keys, body = 'x') {
      await mapLimit(keys, 16, (k) => putObject(oss, k, body));
    },
    exists: (key) => objectExists(oss, key),
    async keys(prefix = '') {
      const out: string[] = [];
      for await (const page of iterateObjectPages(oss, { prefix })) out.push(...page.objects.map((o) => o.key));
      return out.filter((k) => !k.startsWith('.argo-oss/'));
    },
    async audit() {
      const records: AuditRecord[] = [];
      for await (const page of iterateObjectPages(oss, { prefix: AUDIT_PREFIX })) {
        for (const o of page.objects) {
          const text = (await getObject(oss, o.key)).body.toString('utf8');
          records.push(...text.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord));
        }
      }
      return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    },
    async close() {
      for (const a of apps) a.close();
      oss.close();
      await k8s.close();
      await ossServer.close();
    },
  };
}
