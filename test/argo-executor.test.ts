// The executor harness (local/argo-executor) against the real plugin (`argo-oss plugin`, a child
// process per pod with that pod's token) and the whole local stack (coordinator and /objects,
// download, GC): the managed service's GC sample unchanged, artifact passing through steps with
// Load + untar, `archive: none` files and directories, logs, what the status records, and the
// coordinator refusing a key outside the pod's own workflow.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Artifact, Workflow } from '../shared/argo';
import { getObject, objectExists } from '../shared/oss';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { ClusterDir } from '../local/kube-api/cluster-dir';
import { startLocalStack, type LocalStack } from '../local/stack';
import { createOssClient, type OssClient } from '../shared/oss';
import { pluginProcess, runWorkflow, type MainFunction, type PluginRepository, type RunResult } from '../local/argo-executor';
import { kubeEvent } from './helpers/gc';

const ROOT = join(import.meta.dirname, '..');
const KEY_FORMAT = '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}';
const VIEWER = `viewer-${randomBytes(8).toString('hex')}`;

let stack: LocalStack;
let cluster: ClusterDir;
let oss: OssClient;
let work: string;
let repository: PluginRepository;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'argo-exec-'));
  stack = await startLocalStack({
    dataDir: join(work, 'stack'),
    ports: { gateway: 0, oss: 0, cluster: 0 },
    credential: LOCAL_DEFAULT_CREDENTIALS,
    region: LOCAL_DEFAULT_REGION,
    bucket: LOCAL_DEFAULT_BUCKET,
    env: { ARGO_OSS_AUTH_CACHE_SECONDS: '0' },
    log: () => undefined,
  });
  cluster = new ClusterDir(join(work, 'stack', 'cluster'));
  await cluster.addTokens([{ token: VIEWER, user: 'viewer', rules: [{ namespaces: ['argo'], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get'] }] }]);
  oss = createOssClient({ bucket: LOCAL_DEFAULT_BUCKET, region: LOCAL_DEFAULT_REGION, endpoint: stack.env.OSS_ENDPOINT, credentials: LOCAL_DEFAULT_CREDENTIALS });
  repository = {
    archiveLogs: true,
    plugin: {
      name: 'argo-oss',
      keyFormat: KEY_FORMAT,
      configuration: `coordinator: ${stack.gateway.url}\nbucket: ${LOCAL_DEFAULT_BUCKET}\nendpoint: https://oss-${LOCAL_DEFAULT_REGION}-internal.aliyuncs.com\npartSize: 1MiB\n`,
    },
  };
}, 60_000);

afterAll(async () => {
  oss?.close();
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function run(manifest: Workflow, main: MainFunction): Promise<RunResult> {
  return runWorkflow({ manifest, cluster, workDir: join(work, 'pods'), repository, repositoryRef: { configMap: 'artifact-repositories', key: 'plugin-v1' }, startPlugin: pluginProcess(), main });
}

const write = async (path: string, body: string | Buffer) => {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, body);
};

const get = (path: string) => fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${VIEWER}` } });
const post = async (path: string, body: unknown) => {
  // The GC's local stand-ins for EventBridge and the timer are admin routes.
  const res = await fetch(`${stack.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.kube.adminToken}` }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
};

describe('executor harness + plugin + local stack', () => {
  it('runs the GC sample unchanged: Argo\'s keys and status, downloadable, reclaimed on completion and on deletion', async () => {
    const manifest = parse(await readFile(join(ROOT, 'examples', 'sample-artifact-gc.yaml'), 'utf8')) as Workflow;
    const r = await run(manifest, async (pod) => {
      await write(join(pod.root, 'tmp/on-completion.txt'), 'hello world\n');
      await write(join(pod.root, 'tmp/on-deletion.txt'), 'hello world\n');
      return { log: 'wrote two files\n' };
    });
    const wf = r.workflow;
    const name = wf.metadata.name!;
    expect(name).toMatch(/^artifact-gc-[a-z0-9]{5}$/);
    expect(wf.status?.phase).toBe('Succeeded');
    expect(wf.spec).toEqual(manifest.spec);
    // One pod: the root node is the pod, named after the workflow.
    expect(r.pods).toHaveLength(1);
    const [pod] = r.pods;
    expect([pod.nodeId, pod.podName]).toEqual([name, name]);
    const prefix = `argo/${name}/${name}`;
    expect(r.pods[0].saves.map((s) => [s.artifact, s.key, s.path.split('/').slice(-1)[0]])).toEqual([
      ['on-completion', `${prefix}/on-completion.tgz`, 'on-completion.tgz'],
      ['on-deletion', `${prefix}/on-deletion.tgz`, 'on-deletion.tgz'],
      ['main-logs', `${prefix}/main.log`, 'main.log'],
    ]);
    // The status as Argo records it: plugin: {key} only; name and configuration stay in the repository ref.
    const stored = parse(await readFile(cluster.pathOf('workflows', 'argo', name), 'utf8')) as Workflow;
    const outputs = stored.status!.nodes![name].outputs!.artifacts!;
    expect(outputs).toEqual([
      { name: 'on-completion', path: '/tmp/on-completion.txt', artifactGC: { strategy: 'OnWorkflowCompletion' }, plugin: { key: `${prefix}/on-completion.tgz` } },
      { name: 'on-deletion', path: '/tmp/on-deletion.txt', plugin: { key: `${prefix}/on-deletion.tgz` } },
      { name: 'main-logs', plugin: { key: `${prefix}/main.log` } },
    ]);
    expect(stored.status!.artifactRepositoryRef).toMatchObject({ configMap: 'artifact-repositories', key: 'plugin-v1', namespace: 'argo', artifactRepository: repository });
    expect(stored.metadata.labels).toMatchObject({ 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Succeeded' });
    // The pod: controller-owned by the Workflow (name and uid), finished.
    const podManifest = parse(await readFile(cluster.pathOf('pods', 'argo', name), 'utf8'));
    expect(podManifest.metadata.ownerReferences).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name, uid: stored.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(podManifest.status.phase).toBe('Succeeded');

    // The download function serves it: a member of the .tgz, and the log.
    const member = await get(`/artifact-files/argo/workflows/${name}/${name}/outputs/on-completion/on-completion.txt`);
    expect([member.status, await member.text()]).toEqual([200, 'hello world\n']);
    const log = await get(`/artifacts/argo/${name}/${name}/main-logs`);
    expect([log.status, await log.text()]).toEqual([200, 'wrote two files\n']);

    // GC: the completion event takes on-completion; the deletion (reconcile) the rest.
    const completion = await post('/events', [kubeEvent(wf)]);
    expect(completion).toMatchObject({ deleted: 1, deferred: 2, failed: 0, refused: 0 });
    expect(await objectExists(oss, `${prefix}/on-completion.tgz`)).toBe(false);
    expect(await objectExists(oss, `${prefix}/on-deletion.tgz`)).toBe(true);
    await rm(cluster.pathOf('workflows', 'argo', name));
    expect(await post('/reconcile', {})).toMatchObject({ failed: 0, refused: 0 });
    for (const k of ['on-deletion.tgz', 'main.log']) expect(await objectExists(oss, `${prefix}/${k}`), k).toBe(false);
  }, 120_000);

  it('passes a directory and a file between DAG tasks (tgz, Load into <name>.tmp, untar), saves archive: none files and directories, skips a missing optional output', async () => {
    const manifest = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: 'passing-' },
      spec: {
        entrypoint: 'main',
        templates: [
          {
            name: 'main',
            dag: {
              tasks: [
                { name: 'consume', template: 'consume', dependencies: ['produce'], arguments: { artifacts: [{ name: 'in', from: '{{tasks.produce.outputs.artifacts.out}}' }, { name: 'raw', from: '{{tasks.produce.outputs.artifacts.tree}}' }, { name: 'note', from: '{{tasks.produce.outputs.artifacts.note}}' }] } },
                { name: 'produce', template: 'produce' },
              ],
            },
          },
          {
            name: 'produce',
            container: { image: 'alpine', volumeMounts: [{ name: 'work', mountPath: '/mnt/work' }] },
            outputs: {
              artifacts: [
                { name: 'out', path: '/mnt/out' },
                { name: 'note', path: '/etc/note.txt' },
                { name: 'conf', path: '/etc/conf', archive: { none: {} } },
                { name: 'tree', path: '/mnt/work/tree', archive: { none: {} } },
                { name: 'single', path: '/mnt/work/single.txt', archive: { none: {} } },
                { name: 'maybe', path: '/mnt/nothing', optional: true },
              ],
            },
          },
          { name: 'consume', inputs: { artifacts: [{ name: 'in', path: '/mnt/in' }, { name: 'raw', path: '/mnt/raw' }, { name: 'note', path: '/tmp/note.txt' }] }, container: { image: 'alpine' } },
        ],
      },
    } as unknown as Workflow;
    const seen: Record<string, string> = {};
    const r = await run(manifest, async (pod) => {
      if (pod.template.name === 'produce') {
        await write(join(pod.root, 'mnt/out/a.txt'), 'a');
        await write(join(pod.root, 'mnt/out/sub/b.txt'), 'b');
        await write(join(pod.root, 'mnt/work/tree/x.txt'), 'x');
        await write(join(pod.root, 'mnt/work/tree/deep/y.txt'), 'y');
        await write(join(pod.root, 'mnt/work/single.txt'), 'single');
        await write(join(pod.root, 'etc/note.txt'), 'a note');
        await write(join(pod.root, 'etc/conf/app.ini'), '[app]');
        return { log: 'produced\n' };
      }
      for (const f of ['mnt/in/a.txt', 'mnt/in/sub/b.txt', 'mnt/raw/x.txt', 'mnt/raw/deep/y.txt', 'tmp/note.txt']) seen[f] = await readFile(join(pod.root, f), 'utf8');
      return { log: 'consumed\n' };
    });
    expect(r.workflow.status?.phase).toBe('Succeeded');
    expect(seen).toEqual({ 'mnt/in/a.txt': 'a', 'mnt/in/sub/b.txt': 'b', 'mnt/raw/x.txt': 'x', 'mnt/raw/deep/y.txt': 'y', 'tmp/note.txt': 'a note' });
    const [produce, consume] = r.pods;
    const name = r.workflow.metadata.name!;
    expect(produce.podName).toMatch(new RegExp(`^${name}-produce-\\d+$`));
    const prefix = `argo/${name}/${produce.podName}`;
    // A directory by default reaches Save as <name>.tgz; archive: none as the directory or the file itself.
    expect(produce.saves.map((s) => [s.artifact, s.key])).toEqual([
      ['out', `${prefix}/out.tgz`],
      ['note', `${prefix}/note.tgz`],
      ['conf', `${prefix}/conf`],
      ['tree', `${prefix}/tree`],
      ['single', `${prefix}/single.txt`],
      ['main-logs', `${prefix}/main.log`],
    ]);
    expect(produce.outputs.map((a) => a.name)).toEqual(['out', 'note', 'conf', 'tree', 'single', 'main-logs']);
    // A base-image directory with archive: none: tar+gzipped by the emissary, untarred again by wait, saved as the directory.
    expect((await getObject(oss, `${prefix}/conf/app.ini`)).body.toString()).toBe('[app]'); // maybe: optional, not written
    for (const k of ['tree/x.txt', 'tree/deep/y.txt']) expect(await objectExists(oss, `${prefix}/${k}`), k).toBe(true);
    expect((await getObject(oss, `${prefix}/single.txt`)).body.toString()).toBe('single');
    // The consumer's inputs are recorded with their locations (plugin: {key}).
    const node = r.workflow.status!.nodes![consume.nodeId];
    expect(node.inputs?.artifacts?.map((a: Artifact) => [a.name, a.path, a.plugin])).toEqual([
      ['in', '/mnt/in', { key: `${prefix}/out.tgz` }],
      ['raw', '/mnt/raw', { key: `${prefix}/tree` }],
      ['note', '/tmp/note.txt', { key: `${prefix}/note.tgz` }],
    ]);
    expect(r.workflow.status!.nodes![name]).toMatchObject({ type: 'DAG', phase: 'Succeeded', children: [produce.nodeId, consume.nodeId] });
    // The pods' directories (filesystems, staging, sockets, tokens) are gone.
    expect(await readdir(join(work, 'pods'))).toEqual([]);
  }, 180_000);

  it('fails the node when a required output is missing or when an output names a key outside its own workflow (the coordinator refuses)', async () => {
    const manifest = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: 'refused-' },
      spec: {
        entrypoint: 'main',
        templates: [
          { name: 'main', steps: [[{ name: 'only', template: 'write' }]] },
          {
            name: 'write',
            container: { image: 'alpine' },
            outputs: {
              artifacts: [
                { name: 'missing', path: '/tmp/never-written' },
                { name: 'elsewhere', path: '/tmp/x.txt', archive: { none: {} }, plugin: { key: 'team-b/someone-else/x.txt' } },
                { name: 'fine', path: '/tmp/x.txt', archive: { none: {} } },
              ],
            },
          },
        ],
      },
    } as unknown as Workflow;
    const r = await run(manifest, async (pod) => {
      await write(join(pod.root, 'tmp/x.txt'), 'x');
    });
    expect(r.workflow.status?.phase).toBe('Failed');
    const root = r.workflow.status!.nodes![r.workflow.metadata.name!];
    expect(root).toMatchObject({ type: 'Steps', phase: 'Failed' });
    const [pod] = r.pods;
    expect(r.workflow.status!.nodes![pod.nodeId]).toMatchObject({ type: 'Pod', phase: 'Failed', displayName: 'only', message: expect.stringMatching(/never-written/) });
    expect(pod.phase).toBe('Failed');
    expect(pod.errors.join('\n')).toMatch(/output artifact missing: \/tmp\/never-written no such file or directory/);
    expect(pod.errors.join('\n')).toMatch(/output artifact elsewhere: Save: .*team-b\/someone-else\/x\.txt.*403 Forbidden/);
    expect(await objectExists(oss, 'team-b/someone-else/x.txt')).toBe(false);
    // What could be saved is, and only that is recorded.
    expect(pod.outputs.map((a) => a.name)).toEqual(['fine', 'main-logs']);
    expect(pod.saves.find((x) => x.artifact === 'fine')).toMatchObject({ key: expect.stringMatching(/\/x\.txt$/), bytes: 1 });
    expect((await getObject(oss, pod.saves.find((x) => x.artifact === 'fine')!.key)).body.toString()).toBe('x');
  }, 120_000);

  it('a plugin sidecar that never serves fails its pod (and the workflow), never hangs', async () => {
    const manifest = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'no-plugin-' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine' } }] } } as unknown as Workflow;
    let ran = false;
    const r = await runWorkflow({
      manifest,
      cluster,
      workDir: join(work, 'pods'),
      repository,
      startPlugin: pluginProcess({ command: [process.execPath, '-e', 'process.exit(3)'] }),
      main: async () => {
        ran = true;
      },
    });
    expect(r.workflow.status?.phase).toBe('Failed');
    expect(r.pods[0].errors.join('\n')).toMatch(/plugin exited \(3\) before serving/);
    expect(ran).toBe(false);
    expect(parse(await readFile(cluster.pathOf('pods', 'argo', r.pods[0].podName), 'utf8')).status.phase).toBe('Failed');
  }, 60_000);
});
