// Artifacts written through the argo-oss artifact plugin (`plugin: {key}` in the status, name and
// configuration in status.artifactRepositoryRef) are downloaded and reclaimed by our functions exactly
// like `oss` artifacts, on the local stack with the real clients: the GC sample workflow
// (examples/sample-artifact-gc.yaml, the managed service's own) gives the same result with a plugin
// repository as with an oss repository. Other plugins, other buckets and bad configurations are refused.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Artifact, ArtifactLocation, Workflow } from '../shared/argo';
import { deleteObject } from '../shared/oss';
import { BUCKET, kubeEvent, startGcBench, type GcBench } from './helpers/gc';
import { httpCall, startDownloadFixture, TOKENS, type DownloadFixture } from './helpers/download';

const ROOT = join(import.meta.dirname, '..');
const KEY_FORMAT = '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}';
const ENDPOINT = 'https://oss-cn-hangzhou-internal.aliyuncs.com';
const configuration = (bucket = BUCKET, endpoint = ENDPOINT) => `coordinator: https://upload.example.com\nbucket: ${bucket}\nendpoint: ${endpoint}\n`;

type Kind = 'oss' | 'plugin';

function repository(kind: Kind): ArtifactLocation {
  return kind === 'oss'
    ? { archiveLogs: true, oss: { bucket: BUCKET, endpoint: ENDPOINT, keyFormat: KEY_FORMAT } }
    : { archiveLogs: true, plugin: { name: 'argo-oss', keyFormat: KEY_FORMAT, configuration: configuration() } };
}

const located = (kind: Kind, key: string): Partial<Artifact> => (kind === 'oss' ? { oss: { key } } : { plugin: { key } });

/**
 * The sample as Argo records it once its single pod ran: the root node is the pod (id and pod name =
 * the workflow name), each output the default tar+gzip under the repository's keyFormat, key-only,
 * plus main-logs because the repository archives logs.
 */
function ranSample(sample: Record<string, any>, kind: Kind, name: string): Workflow {
  const namespace = 'argo';
  const archiveKey = `${namespace}/${name}/${name}`;
  const template = sample.spec.templates.find((t: { name: string }) => t.name === sample.spec.entrypoint);
  const artifacts: Artifact[] = template.outputs.artifacts.map((a: Artifact) => ({
    name: a.name,
    path: a.path,
    ...(a.artifactGC ? { artifactGC: a.artifactGC } : {}),
    ...located(kind, `${archiveKey}/${a.name}.tgz`),
  }));
  artifacts.push({ name: 'main-logs', ...located(kind, `${archiveKey}/main.log`) });
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace, uid: `uid-${name}`, labels: { 'workflows.argoproj.io/completed': 'true' } },
    spec: sample.spec,
    status: {
      phase: 'Succeeded',
      finishedAt: new Date().toISOString(),
      nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', phase: 'Succeeded', templateName: template.name, outputs: { artifacts } } },
      artifactRepositoryRef: { configMap: 'artifact-repositories', key: `${kind}-v1`, namespace, artifactRepository: repository(kind) },
    },
  };
}

describe('artifact GC of plugin artifacts (local stack)', () => {
  let b: GcBench;
  let sample: Record<string, any>;
  beforeAll(async () => {
    b = await startGcBench();
    sample = parse(await readFile(join(ROOT, 'examples', 'sample-artifact-gc.yaml'), 'utf8'));
  });
  afterAll(async () => {
    await b?.close();
  });

  it('the GC sample behaves exactly as with an oss repository: on completion, then on deletion', async () => {
    const runs = (['oss', 'plugin'] as const).map((kind) => ({ kind, wf: ranSample(sample, kind, `artifact-gc-${kind}`) }));
    const rel = (kind: Kind, keys: string[]) => keys.map((k) => k.replace(`argo/artifact-gc-${kind}/artifact-gc-${kind}/`, '')).sort();
    const results: Record<Kind, unknown[]> = { oss: [], plugin: [] };
    for (const { kind, wf } of runs) {
      await b.writeWorkflow(wf);
      const prefix = `argo/${wf.metadata.name}/${wf.metadata.name}/`;
      await b.put([`${prefix}on-completion.tgz`, `${prefix}on-deletion.tgz`, `${prefix}main.log`]);

      const completion = await b.app().handleEvents(kubeEvent(wf));
      expect(completion, kind).toMatchObject({ planned: 1, deleted: 1, deferred: 2, kept: 0, skipped: 0, refused: 0, failed: 0, errors: [] });
      const afterCompletion = rel(kind, await b.keys(prefix));
      expect(afterCompletion, kind).toEqual(['main.log', 'on-deletion.tgz']);
      const status = await b.readWorkflow(wf);
      const deleted = Object.fromEntries(status.status!.nodes![wf.metadata.name!].outputs!.artifacts!.map((a) => [a.name, a.deleted === true]));
      expect(deleted, kind).toEqual({ 'on-completion': true, 'on-deletion': false, 'main-logs': false });

      await b.removeWorkflow(wf);
      const deletion = await b.app().reconcile();
      expect(deletion, kind).toMatchObject({ deleted: 2, errors: [] });
      expect(await b.keys(prefix), kind).toEqual([]);

      const audit = (await b.audit()).filter((a) => a.workflow?.uid === wf.metadata.uid);
      const trail = audit.map((a) => [a.artifact, a.action, a.result ?? '', (a.key ?? '').replace(prefix, '')]).sort();
      results[kind] = [pick(completion), afterCompletion, deleted, pick(deletion), trail];
    }
    expect(results.plugin).toEqual(results.oss);
  });

  it("Argo's own GC pods acting first (through the plugin's Delete) leave nothing to fail: both are idempotent", async () => {
    const wf = ranSample(sample, 'plugin', 'artifact-gc-both');
    await b.writeWorkflow(wf);
    const prefix = 'argo/artifact-gc-both/artifact-gc-both/';
    // Argo's GC pod already deleted on-completion; the function's completion finds it gone.
    await b.put([`${prefix}on-deletion.tgz`, `${prefix}main.log`]);
    const s = await b.app().handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ deleted: 1, deferred: 2, failed: 0, refused: 0, errors: [] });
    const status = await b.readWorkflow(wf);
    expect(status.status!.nodes!['artifact-gc-both'].outputs!.artifacts!.find((a) => a.name === 'on-completion')?.deleted).toBe(true);
    // Argo's pods also took the deletion artifacts before the workflow went away.
    for (const k of [`${prefix}on-deletion.tgz`, `${prefix}main.log`]) await deleteObject(b.oss, k);
    await b.removeWorkflow(wf);
    expect(await b.app().reconcile()).toMatchObject({ deleted: 2, failed: 0, errors: [] });
    expect(await b.keys(prefix)).toEqual([]);
  });

  it('another plugin is left alone, ours naming another bucket is refused; ARGO_OSS_PLUGIN_NAME picks ours', async () => {
    const names = ranSample(sample, 'plugin', 'artifact-gc-names');
    await b.writeWorkflow(names);
    const p1 = 'argo/artifact-gc-names/artifact-gc-names/';
    await b.put([`${p1}on-completion.tgz`]);
    // Our plugin is named differently here: every plugin artifact is someone else's storage.
    const foreign = await b.app({ ARGO_OSS_PLUGIN_NAME: 'oss-driver' }).handleEvents(kubeEvent(names));
    expect(foreign).toMatchObject({ deleted: 0, refused: 0, kept: 3, errors: [] });
    const kept = (await b.audit()).filter((a) => a.workflow?.uid === names.metadata.uid && a.action === 'keep');
    expect(kept.map((a) => a.artifact).sort()).toEqual(['main-logs', 'on-completion', 'on-deletion']);
    expect(kept[0].reason).toMatch(/artifact plugin "argo-oss" .*not by "oss-driver"/);
    expect(await b.exists(`${p1}on-completion.tgz`)).toBe(true);

    // With the default name, the artifact whose own block names another bucket is refused, never deleted.
    const other = ranSample(sample, 'plugin', 'artifact-gc-other');
    const p2 = 'argo/artifact-gc-other/artifact-gc-other/';
    other.status!.nodes!['artifact-gc-other'].outputs!.artifacts![0].plugin = { name: 'argo-oss', configuration: configuration('someone-elses'), key: `${p2}on-completion.tgz` };
    await b.writeWorkflow(other);
    await b.put([`${p2}on-completion.tgz`]);
    const s = await b.app().handleEvents(kubeEvent(other));
    expect(s).toMatchObject({ deleted: 0, refused: 1, deferred: 2, errors: [] });
    const refused = (await b.audit()).filter((a) => a.workflow?.uid === other.metadata.uid && a.action === 'refuse');
    expect(refused.map((a) => a.artifact)).toEqual(['on-completion']);
    expect(refused[0].reason).toMatch(/bucket "someone-elses" is not served here/);
    expect(await b.exists(`${p2}on-completion.tgz`)).toBe(true);
  });
});

function pick(s: Record<string, any>) {
  const { planned, deleted, deferred, kept, skipped, refused, failed, objects } = s;
  return { planned, deleted, deferred, kept, skipped, refused, failed, objects };
}

describe('download of plugin artifacts (local stack)', () => {
  let d: DownloadFixture;
  const errorOf = (body: Buffer) => JSON.parse(body.toString()).error as { code: string; message: string };
  const own = (key: string, conf: string, name = 'argo-oss') => ({ plugin: { name, configuration: conf, key } });

  beforeAll(async () => {
    d = await startDownloadFixture({ env: { ARGO_OSS_ARTIFACT_ROOT: '' } });
    const k = 'argo/plug/plug';
    const artifacts = [
      { name: 'out', path: '/tmp/out', plugin: { key: `${k}/out.tgz` } },
      { name: 'dir', path: '/tmp/dir', archive: { none: {} }, plugin: { key: `${k}/dir` } },
      { name: 'explicit', path: '/tmp/e', ...own(`${k}/explicit.txt`, configuration(BUCKET, 'oss-cn-hangzhou.aliyuncs.com')) },
      { name: 'foreign', path: '/tmp/f', ...own(`${k}/out.tgz`, configuration(), 'minio') },
      { name: 'other-bucket', path: '/tmp/o', ...own(`${k}/out.tgz`, configuration('someone-elses')) },
      { name: 'other-endpoint', path: '/tmp/o', ...own(`${k}/out.tgz`, configuration(BUCKET, 'http://169.254.169.254')) },
      { name: 'bad-config', path: '/tmp/b', ...own(`${k}/out.tgz`, `bucket: ${BUCKET}\nendpoint: ${ENDPOINT}\n`) },
    ];
    await d.kube.writeWorkflow({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'plug', namespace: 'argo' },
      spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine' } }] },
      status: {
        phase: 'Succeeded',
        nodes: { plug: { id: 'plug', name: 'plug', type: 'Pod', phase: 'Succeeded', templateName: 'main', outputs: { artifacts } } },
        artifactRepositoryRef: { configMap: 'artifact-repositories', key: 'plugin-v1', namespace: 'argo', artifactRepository: repository('plugin') },
      },
    });
    await d.putMany([
      [`${k}/out.tgz`, 'the tgz bytes'],
      [`${k}/dir/a.txt`, 'a'],
      [`${k}/dir/sub/b.txt`, 'b'],
      [`${k}/explicit.txt`, 'explicit'],
    ]);
  }, 60_000);

  afterAll(async () => {
    await d?.close();
  });

  it('serves key-only and explicit plugin artifacts, files and directories, as Argo UI links them', async () => {
    const out = await d.request('/artifacts/argo/plug/plug/out', { token: TOKENS.alice });
    expect(out.status).toBe(200);
    expect(out.body.toString()).toBe('the tgz bytes');
    const explicit = await d.request('/artifact-files/argo/workflows/plug/plug/outputs/explicit', { token: TOKENS.alice });
    expect([explicit.status, explicit.body.toString()]).toEqual([200, 'explicit']);
    const listing = await httpCall(d.url, '/artifact-files/argo/workflows/plug/plug/outputs/dir/', { token: TOKENS.alice });
    expect(listing.status).toBe(200);
    expect(listing.body.toString()).toContain('a.txt');
    expect(listing.body.toString()).toContain('sub/');
    const inner = await d.request('/artifact-files/argo/workflows/plug/plug/outputs/dir/sub/b.txt', { token: TOKENS.alice });
    expect([inner.status, inner.body.toString()]).toEqual([200, 'b']);
  });

  it.each([
    ['another plugin', 'foreign', 422, 'UnsupportedStorage', /artifact plugin "minio"/],
    ['our plugin naming another bucket', 'other-bucket', 403, 'LocationNotServed', /someone-elses/],
    ['our plugin naming another endpoint (no SSRF)', 'other-endpoint', 403, 'LocationNotServed', /169\.254\.169\.254/],
    ['our plugin with a configuration missing a field', 'bad-config', 403, 'LocationNotServed', /plugin configuration: coordinator: is required/],
  ])('%s (%s) → %i %s', async (_, name, status, code, message) => {
    const r = await d.request(`/artifacts/argo/plug/plug/${name}`, { token: TOKENS.alice });
    expect(r.status).toBe(status);
    expect(errorOf(r.body).code).toBe(code);
    expect(errorOf(r.body).message).toMatch(message);
  });

  it('still checks the caller: no right on the workflow, no plugin artifact', async () => {
    expect((await d.request('/artifacts/argo/plug/plug/out', { token: TOKENS.bob })).status).toBe(403);
  });
});
