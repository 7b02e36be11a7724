// The local Kubernetes API through the real @kubernetes/client-node clients over real HTTP:
// workflows and pods read from the cluster directory, patches written back, deletes, discovery.
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApi } from '../local/kube-api';
import { artifactGcPodManifest, artifactGcTaskManifest } from '../local/kube-api/argo-objects';
import { startTestKubeApi, type TestKubeApi } from './helpers/kube-api';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'cluster');
const WF = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;
const FIXTURE_WF = 'artgc-oss-x7k2p';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface ApiError {
  code: number;
  body: string;
}

/** The rejection of `p` as a client-node ApiException, with its Status body parsed. */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: Record<string, any> }> {
  const err = (await p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  )) as ApiError;
  return { code: err.code, status: typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as any) };
}

function workflow(name: string, namespace: string | undefined, labels: Record<string, string> = {}, extra: object = {}) {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name, ...(namespace ? { namespace } : {}), labels }, ...extra };
}

let k8s: TestKubeApi;
let objects: CustomObjectsApi;
let core: CoreV1Api;
const logs: string[] = [];

beforeAll(async () => {
  k8s = await startTestKubeApi({ log: (line) => logs.push(line) });
  await cp(FIXTURES, k8s.clusterDir, { recursive: true });
  objects = k8s.kubeConfig().makeApiClient(CustomObjectsApi);
  core = k8s.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(() => k8s?.close());

describe('kubeconfig', () => {
  it('loads with loadFromFile and reaches the API as admin', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(k8s.api.kubeconfigPath);
    expect(kc.getCurrentCluster()?.server).toBe(k8s.api.url);
    expect(kc.getCurrentUser()?.token).toBe(k8s.api.adminToken);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.major).toBe('1');
    const wf = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...WF, namespace: 'argo', name: FIXTURE_WF });
    expect(wf.metadata.name).toBe(FIXTURE_WF);
  });
});

describe('workflows: get and list', () => {
  it('gets a realistic Workflow with its status.nodes and OSS artifacts', async () => {
    const wf = await objects.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: FIXTURE_WF });
    expect(wf.kind).toBe('Workflow');
    expect(wf.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(wf.metadata.uid).toBe('5b7c1f0e-2d3a-4c1b-9e8f-0a1b2c3d4e5f');
    expect(wf.metadata.creationTimestamp).toBe('2025-03-01T10:00:00Z');
    expect(wf.metadata.resourceVersion).toMatch(/^\d+$/);
    const produce = wf.status.nodes['artgc-oss-x7k2p-2946221430'];
    expect(produce.outputs.artifacts[0]).toMatchObject({ name: 'message', deleted: true, oss: { key: expect.stringContaining('message.tgz') } });
  });

  it('fills namespace, a stable UUID-shaped uid, resourceVersion and creationTimestamp when absent', async () => {
    await k8s.writeWorkflow({ metadata: { name: 'bare' } }, 'bare.yaml');
    const wf = await objects.getNamespacedCustomObject({ ...WF, namespace: 'default', name: 'bare' });
    expect(wf.metadata.namespace).toBe('default');
    expect(wf.kind).toBe('Workflow');
    expect(wf.metadata.uid).toMatch(UUID);
    expect(wf.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The uid is derived from namespace/name, so another server over the same directory agrees.
    const other = await startKubeApi({ clusterDir: k8s.clusterDir, adminToken: k8s.api.adminToken });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(other.kubeconfigPath);
      const again = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...WF, namespace: 'default', name: 'bare' });
      expect(again.metadata.uid).toBe(wf.metadata.uid);
      expect(again.metadata.resourceVersion).toBe(wf.metadata.resourceVersion);
    } finally {
      await other.close();
    }
  });

  it('names a manifest without metadata.name after its file', async () => {
    await k8s.writeWorkflow({ metadata: { generateName: 'gen-', namespace: 'argo' } }, 'gen-abcde.yml');
    const wf = await objects.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: 'gen-abcde' });
    expect(wf.metadata.generateName).toBe('gen-');
  });

  it('lists per namespace, across namespaces, and by label selector', async () => {
    await k8s.writeWorkflow(workflow('sel-a', 'team-a', { app: 'x', tier: 'web' }));
    await k8s.writeWorkflow(workflow('sel-b', 'team-a', { app: 'y' }));
    await k8s.writeWorkflow(workflow('sel-c', 'team-b', { app: 'x' }), 'team-b.sel-c.json');

    const nsList = await objects.listNamespacedCustomObject({ ...WF, namespace: 'team-a' });
    expect(nsList.kind).toBe('WorkflowList');
    expect(nsList.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(nsList.items.map((w: any) => w.metadata.name)).toEqual(['sel-a', 'sel-b']);

    const names = async (labelSelector: string) =>
      (await objects.listClusterCustomObject({ ...WF, labelSelector })).items.map((w: any) => `${w.metadata.namespace}/${w.metadata.name}`);
    expect(await names('app=x')).toEqual(['team-a/sel-a', 'team-b/sel-c']);
    expect(await names('app==x,tier=web')).toEqual(['team-a/sel-a']);
    expect(await names('app,app!=x')).toEqual(['team-a/sel-b']);
    expect(await names('app in (x,y),!tier')).toEqual(['team-a/sel-b', 'team-b/sel-c']);
    expect(await names('workflows.argoproj.io/completed=true')).toEqual([`argo/${FIXTURE_WF}`]);

    const all = await objects.listClusterCustomObject({ ...WF });
    expect(all.items.map((w: any) => w.metadata.namespace)).toEqual(expect.arrayContaining(['argo', 'default', 'team-a', 'team-b']));
  });

  it('rejects a malformed label selector with a 400 Status', async () => {
    const { code, status } = await failure(objects.listClusterCustomObject({ ...WF, labelSelector: 'a=(b' }));
    expect(code).toBe(400);
    expect(status).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringContaining('unable to parse requirement') });
  });

  it('pages with limit and continue', async () => {
    for (const n of [1, 2, 3, 4, 5]) await k8s.writeWorkflow(workflow(`page-${n}`, 'paging'));
    const first = await objects.listNamespacedCustomObject({ ...WF, namespace: 'paging', limit: 2 });
    expect(first.items.map((w: any) => w.metadata.name)).toEqual(['page-1', 'page-2']);
    expect(first.metadata.remainingItemCount).toBe(3);
    const second = await objects.listNamespacedCustomObject({ ...WF, namespace: 'paging', limit: 2, _continue: first.metadata.continue });
    expect(second.items.map((w: any) => w.metadata.name)).toEqual(['page-3', 'page-4']);
    const last = await objects.listNamespacedCustomObject({ ...WF, namespace: 'paging', limit: 2, _continue: second.metadata.continue });
    expect(last.items.map((w: any) => w.metadata.name)).toEqual(['page-5']);
    expect(last.metadata.continue).toBeUndefined();
  });

  it('sees files added, edited and removed while running, at once', async () => {
    const get = () => objects.getNamespacedCustomObject({ ...WF, namespace: 'live', name: 'live-wf' });
    expect((await failure(get())).code).toBe(404);

    const file = join(k8s.clusterDir, 'workflows', 'live.yaml');
    await writeFile(file, 'metadata: {name: live-wf, namespace: live}\nstatus: {phase: Running}\n');
    const running = await get();
    expect(running.status.phase).toBe('Running');

    await writeFile(file, 'metadata: {name: live-wf, namespace: live}\nstatus: {phase: Succeeded}\n');
    const done = await get();
    expect(done.status.phase).toBe('Succeeded');
    expect(done.metadata.resourceVersion).not.toBe(running.metadata.resourceVersion);

    await rm(file);
    expect((await failure(get())).code).toBe(404);
    const list = await objects.listNamespacedCustomObject({ ...WF, namespace: 'live' });
    expect(list.items).toEqual([]);
  });

  it('serves JSON manifests and skips (and logs) a broken file without breaking the rest', async () => {
    await k8s.writeWorkflow(workflow('from-json', 'formats'), 'from-json.json');
    await writeFile(join(k8s.clusterDir, 'workflows', 'broken.yaml'), 'metadata: {name: broken\n');
    await writeFile(join(k8s.clusterDir, 'workflows', 'wrong-kind.yaml'), 'kind: Pod\nmetadata: {name: nope}\n');
    const list = await objects.listNamespacedCustomObject({ ...WF, namespace: 'formats' });
    expect(list.items.map((w: any) => w.metadata.name)).toEqual(['from-json']);
    await objects.listClusterCustomObject({ ...WF });
    expect(logs.some((l) => l.includes('workflows/broken.yaml is ignored: invalid YAML'))).toBe(true);
    expect(logs.some((l) => l.includes('workflows/wrong-kind.yaml is ignored: kind is "Pod"'))).toBe(true);
    await rm(join(k8s.clusterDir, 'workflows', 'broken.yaml'));
    await rm(join(k8s.clusterDir, 'workflows', 'wrong-kind.yaml'));
  });

  it('answers 404 NotFound Status for an unknown workflow', async () => {
    const { code, status } = await failure(objects.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: 'missing' }));
    expect(code).toBe(404);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'workflows.argoproj.io "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', group: 'argoproj.io', kind: 'workflows' },
      code: 404,
    });
  });
});

describe('workflows: patch', () => {
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  it('merge-patches (RFC 7386) and rewrites the YAML file as YAML, keeping comments', async () => {
    const file = join(k8s.clusterDir, 'workflows', 'argo.artgc-oss-x7k2p.yaml');
    const before = await objects.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: FIXTURE_WF });
    const patched = await objects.patchNamespacedCustomObject(
      {
        ...WF,
        namespace: 'argo',
        name: FIXTURE_WF,
        body: {
          metadata: { labels: { 'workflows.argoproj.io/workflow-template': null, gc: 'done' } },
          status: { artifactGCStatus: { strategiesProcessed: { OnWorkflowDeletion: true } } },
        },
      },
      mergePatch,
    );
    expect(patched.metadata.labels).toEqual({ 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Succeeded', gc: 'done' });
    expect(patched.status.artifactGCStatus.strategiesProcessed).toEqual({ OnWorkflowCompletion: true, OnWorkflowDeletion: true });
    expect(patched.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);

    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# A completed Workflow with OSS artifacts')).toBe(true);
    expect(text).toContain('    gc: done\n');
    expect(text).not.toContain('workflow-template');
    expect(text.trimStart().startsWith('{')).toBe(false);
    expect(text).not.toContain('resourceVersion');

    const again = await objects.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: FIXTURE_WF });
    expect(again).toEqual(patched);
  });

  it('keeps JSON files JSON', async () => {
    const path = await k8s.writeWorkflow(workflow('json-patched', 'formats', { a: '1' }), 'json-patched.json');
    await objects.patchNamespacedCustomObject({ ...WF, namespace: 'formats', name: 'json-patched', body: { spec: { entrypoint: 'main' } } }, mergePatch);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk.spec).toEqual({ entrypoint: 'main' });
    expect(onDisk.metadata.labels).toEqual({ a: '1' });
  });

  it('applies a JSON patch (RFC 6902), the client default content type', async () => {
    await k8s.writeWorkflow(workflow('jp', 'patching', {}, { status: { nodes: { n1: { outputs: { artifacts: [{ name: 'a' }, { name: 'b' }] } } } } }));
    const out = await objects.patchNamespacedCustomObject({
      ...WF,
      namespace: 'patching',
      name: 'jp',
      body: [
        { op: 'test', path: '/status/nodes/n1/outputs/artifacts/1/name', value: 'b' },
        { op: 'add', path: '/status/nodes/n1/outputs/artifacts/1/deleted', value: true },
      ],
    });
    expect(out.status.nodes.n1.outputs.artifacts[1]).toEqual({ name: 'b', deleted: true });

    const failed = await failure(
      objects.patchNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'jp', body: [{ op: 'test', path: '/metadata/name', value: 'other' }] }),
    );
    expect(failed.code).toBe(422);
    expect(failed.status.message).toContain('test failed');
  });

  it('explains the client-node default when a merge-patch body is sent without the content type', async () => {
    const { code, status } = await failure(objects.patchNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'jp', body: { spec: {} } }));
    expect(code).toBe(400);
    expect(status.message).toContain("setHeaderOptions('Content-Type', PatchStrategy.MergePatch)");
  });

  it('rejects other patch content types with 415', async () => {
    const { code, status } = await failure(
      objects.patchNamespacedCustomObject(
        { ...WF, namespace: 'patching', name: 'jp', body: { spec: {} } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(code).toBe(415);
    expect(status.reason).toBe('UnsupportedMediaType');
  });

  it('enforces resourceVersion preconditions and immutable names', async () => {
    const current = await objects.getNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'jp' });
    const stale = await failure(
      objects.patchNamespacedCustomObject(
        { ...WF, namespace: 'patching', name: 'jp', body: { metadata: { resourceVersion: '1' }, spec: { x: 1 } } },
        mergePatch,
      ),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');

    const ok = await objects.patchNamespacedCustomObject(
      { ...WF, namespace: 'patching', name: 'jp', body: { metadata: { resourceVersion: current.metadata.resourceVersion }, spec: { x: 1 } } },
      mergePatch,
    );
    expect(ok.spec).toEqual({ x: 1 });

    const rename = await failure(objects.patchNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'jp', body: { metadata: { name: 'other' } } }, mergePatch));
    expect(rename.code).toBe(400);
  });

  it('serialises concurrent patches of one workflow so no update is lost', async () => {
    await k8s.writeWorkflow(workflow('busy', 'patching'));
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        objects.patchNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'busy', body: { metadata: { labels: { [`l${i}`]: `${i}` } } } }, mergePatch),
      ),
    );
    const wf = await objects.getNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'busy' });
    expect(Object.keys(wf.metadata.labels)).toHaveLength(12);
  });

  it('answers 404 when patching a workflow that does not exist', async () => {
    const { code } = await failure(objects.patchNamespacedCustomObject({ ...WF, namespace: 'patching', name: 'nope', body: {} }, mergePatch));
    expect(code).toBe(404);
  });
});

describe('workflows: delete', () => {
  it('removes the file of a workflow without finalizers', async () => {
    const path = await k8s.writeWorkflow(workflow('doomed', 'deleting'));
    const res = await objects.deleteNamespacedCustomObject({ ...WF, namespace: 'deleting', name: 'doomed' });
    expect(res.metadata.name).toBe('doomed');
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await failure(objects.getNamespacedCustomObject({ ...WF, namespace: 'deleting', name: 'doomed' }))).code).toBe(404);
  });

  it('with finalizers, sets deletionTimestamp and deletes when the last finalizer is patched away', async () => {
    const path = await k8s.writeWorkflow({ ...workflow('held', 'deleting'), metadata: { name: 'held', namespace: 'deleting', finalizers: ['workflows.argoproj.io/artifact-gc'] } });
    const res = await objects.deleteNamespacedCustomObject({ ...WF, namespace: 'deleting', name: 'held' });
    expect(res.metadata.deletionTimestamp).toMatch(/Z$/);
    const held = await objects.getNamespacedCustomObject({ ...WF, namespace: 'deleting', name: 'held' });
    expect(held.metadata.deletionTimestamp).toBe(res.metadata.deletionTimestamp);

    const adding = await failure(
      objects.patchNamespacedCustomObject(
        { ...WF, namespace: 'deleting', name: 'held', body: { metadata: { finalizers: ['workflows.argoproj.io/artifact-gc', 'another'] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(adding.code).toBe(422);

    await objects.patchNamespacedCustomObject({ ...WF, namespace: 'deleting', name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('pods', () => {
  it('gets a pod with its workflow label and lists pods by label', async () => {
    const pod = await core.readNamespacedPod({ namespace: 'argo', name: 'artgc-oss-x7k2p-produce-2946221430' });
    expect(pod.metadata?.uid).toBe('0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f');
    expect(pod.metadata?.labels?.['workflows.argoproj.io/workflow']).toBe(FIXTURE_WF);
    expect(pod.status?.phase).toBe('Running');

    await k8s.writePod({ metadata: { name: 'other-pod', namespace: 'argo', labels: { 'workflows.argoproj.io/workflow': 'other' } } });
    await k8s.writePod({ metadata: { name: 'elsewhere', namespace: 'team-a', labels: { 'workflows.argoproj.io/workflow': FIXTURE_WF } } });
    const list = await core.listNamespacedPod({ namespace: 'argo', labelSelector: `workflows.argoproj.io/workflow=${FIXTURE_WF}` });
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['artgc-oss-x7k2p-produce-2946221430']);
    const all = await core.listNamespacedPod({ namespace: 'argo' });
    expect(all.items.map((p) => p.metadata?.name)).toEqual(['artgc-oss-x7k2p-produce-2946221430', 'other-pod']);
    const everywhere = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=elsewhere' });
    expect(everywhere.items.map((p) => p.metadata?.namespace)).toEqual(['team-a']);
  });

  it('answers 404 for an unknown pod', async () => {
    const { code, status } = await failure(core.readNamespacedPod({ namespace: 'argo', name: 'ghost' }));
    expect(code).toBe(404);
    expect(status.message).toBe('pods "ghost" not found');
  });
});

describe('workflowartifactgctasks', () => {
  const TASKS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowartifactgctasks' } as const;

  it('serves GC tasks read-only, with the ownerReferences that tie a GC pod to its workflow', async () => {
    const wf = { namespace: 'gc-ns', name: 'wf-gc', uid: 'aaaaaaaa-0000-4000-8000-000000000001' };
    const task = { name: 'wf-gc-artgc-wfcomp-1-0', uid: 'aaaaaaaa-0000-4000-8000-000000000002' };
    await k8s.writeGcTask(artifactGcTaskManifest(wf, task));
    await k8s.writePod(artifactGcPodManifest(wf, task, { name: 'wf-gc-artgc-wfcomp-1', uid: 'aaaaaaaa-0000-4000-8000-000000000003' }));

    const got: any = await objects.getNamespacedCustomObject({ ...TASKS, namespace: 'gc-ns', name: task.name });
    expect(got.metadata.uid).toBe(task.uid);
    expect(got.metadata.ownerReferences).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'wf-gc', uid: wf.uid, controller: true, blockOwnerDeletion: true }]);
    const pod = await core.readNamespacedPod({ namespace: 'gc-ns', name: 'wf-gc-artgc-wfcomp-1' });
    expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'WorkflowArtifactGCTask', name: task.name, uid: task.uid, controller: true })]);
    const list: any = await objects.listNamespacedCustomObject({ ...TASKS, namespace: 'gc-ns' });
    expect(list.items.map((t: any) => t.metadata.name)).toEqual([task.name]);

    const { code } = await failure(objects.getNamespacedCustomObject({ ...TASKS, namespace: 'gc-ns', name: 'ghost' }));
    expect(code).toBe(404);
    const res = await fetch(`${k8s.api.url}/apis/argoproj.io/v1alpha1/namespaces/gc-ns/workflowartifactgctasks/${task.name}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${k8s.api.adminToken}` },
    });
    expect(res.status).toBe(405);
  });
});

describe('discovery, health, unknown paths', () => {
  const get = (path: string, token?: string) => fetch(`${k8s.api.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  it('serves health without a token', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    }
  });

  it('serves /api, /apis and the group resource lists', async () => {
    const apis: any = await (await get('/apis', k8s.api.adminToken)).json();
    expect(apis.groups.map((g: any) => g.name)).toEqual(['argoproj.io', 'authentication.k8s.io', 'authorization.k8s.io']);
    const wf: any = await (await get('/apis/argoproj.io/v1alpha1', k8s.api.adminToken)).json();
    expect(wf.resources[0]).toMatchObject({ name: 'workflows', kind: 'Workflow', namespaced: true });
    expect(wf.resources[1]).toMatchObject({ name: 'workflowartifactgctasks', kind: 'WorkflowArtifactGCTask', namespaced: true });
    const api: any = await (await get('/api', k8s.api.adminToken)).json();
    expect(api.versions).toEqual(['v1']);
  });

  it('answers unknown paths with a 404 Status, and wrong methods with 405', async () => {
    const res = await get('/apis/batch/v1/jobs', k8s.api.adminToken);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    const post = await fetch(`${k8s.api.url}/api/v1/namespaces/argo/pods/x`, { method: 'DELETE', headers: { Authorization: `Bearer ${k8s.api.adminToken}` } });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
  });
});
