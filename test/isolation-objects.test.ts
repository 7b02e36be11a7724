// Tenant isolation (issue 10) of the coordinator's object endpoints and of the artifact-driver plugin
// (issue 12): two namespaces each run a workflow named `same`; a pod may read its namespace's keys,
// delete only its workflow's, and never see, list, delete or overwrite the other tenant's — through
// /objects directly or through the plugin. Refusals look the same whether or not the key exists.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject, objectExists, putObject } from '../shared/oss';
import { ownerMetadata } from '../shared/tenancy';
import { startPluginServer, type PluginServer } from '../cli/plugin';
import { artifact, artifactClient, pluginConfiguration, type ArtifactServiceClient } from './helpers/artifact-plugin';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';
import { seedTenants, type Tenants } from './helpers/tenants';

const READER = 'system:serviceaccount:argo:argo-server';
const READER_TOKEN = 'argo-server-sidecar-token';

let c: TestCoordinator;
let t: Tenants;
let dir: string;

const A_KEY = 'team-a/same/same-main-1/out.txt';
const B_KEY = 'team-b/same/same-main-2/secret.txt';
const B_DIR = 'team-b/same/same-main-2/dir';

beforeAll(async () => {
  c = await startTestCoordinator({ env: { ARGO_OSS_READERS: READER } });
  t = await seedTenants(c.kube);
  // argo-server's own pod-bound token (its pod is no workflow's: only the read-only grant applies).
  await c.kube.addTokens([{ token: READER_TOKEN, serviceAccount: { namespace: 'argo', name: 'argo-server' }, pod: { name: 'argo-server-7d9f', uid: randomUUID() } }]);
  await putObject(c.oss, A_KEY, 'a', { meta: ownerMetadata(t.a.workflow) });
  await putObject(c.oss, B_KEY, 'b', { meta: ownerMetadata(t.b.workflow) });
  await putObject(c.oss, `${B_DIR}/f.txt`, 'f', { meta: ownerMetadata(t.b.workflow) });
  dir = await mkdtemp(join(tmpdir(), 'isolation-objects-'));
});

afterAll(async () => {
  await c?.close();
  await rm(dir, { recursive: true, force: true });
});

const stat_ = (key: string, token: string) => c.api('GET', `/objects/stat?key=${encodeURIComponent(key)}`, { token });
const list = (prefix: string, token: string) => c.api('GET', `/objects/list?prefix=${encodeURIComponent(prefix)}`, { token });
const del = (key: string, token: string) => c.api('POST', '/objects/delete', { token, body: { key } });

/** The 403 body with the key blanked: identical for an existing and a missing key. */
const shape = (r: { status: number; body: any }, key: string) => ({ status: r.status, body: JSON.stringify(r.body).split(key).join('<key>') });

describe('/objects across tenants', () => {
  it("a pod reads its namespace's keys and its workflow's directory", async () => {
    expect((await stat_(A_KEY, t.a.podToken)).status).toBe(200);
    expect((await list('team-a/', t.a.podToken)).status).toBe(200);
  });

  it("another tenant's pod cannot stat, list or delete, and cannot tell whether the key exists", async () => {
    const missing = 'team-b/same/same-main-2/never-written.txt';
    const existing = shape(await stat_(B_KEY, t.a.podToken), B_KEY);
    expect(existing.status).toBe(403);
    expect(existing).toEqual(shape(await stat_(missing, t.a.podToken), missing));
    expect(shape(await stat_(B_DIR, t.a.podToken), B_DIR)).toEqual(existing); // not even "it is a directory"
    expect((await list('team-b/', t.a.podToken)).status).toBe(403);
    expect((await list('team-b/same/', t.a.podToken)).status).toBe(403);
    const d = await del(B_KEY, t.a.podToken);
    expect(shape(d, B_KEY)).toEqual(shape(await del(missing, t.a.podToken), missing));
    expect(d.status).toBe(403);
    expect((await del(B_DIR, t.a.podToken)).status).toBe(403);
    expect(await objectExists(c.oss, B_KEY)).toBe(true);
    expect(await objectExists(c.oss, `${B_DIR}/f.txt`)).toBe(true);
  });

  it("a pod may read but not delete another workflow's keys of its own namespace", async () => {
    await putObject(c.oss, 'team-a/other/p/x.txt', 'x');
    expect((await stat_('team-a/other/p/x.txt', t.a.podToken)).status).toBe(200);
    expect((await del('team-a/other/p/x.txt', t.a.podToken)).status).toBe(403);
    expect(await objectExists(c.oss, 'team-a/other/p/x.txt')).toBe(true);
  });

  it("Argo's artifact-GC pod acts for its workflow: deletes its keys, nothing of the other tenant", async () => {
    await putObject(c.oss, 'team-a/same/gc/x.txt', 'x');
    expect(await del('team-a/same/gc/x.txt', t.a.gcPodToken)).toMatchObject({ status: 200, body: { deleted: 1 } });
    expect((await del(B_KEY, t.a.gcPodToken)).status).toBe(403);
    expect((await stat_(B_KEY, t.a.gcPodToken)).status).toBe(403);
  });

  it('the attackers of issue 10 (label spoof, foreign or forged owners, finished and deleting pods) get nothing', async () => {
    for (const [name, token] of Object.entries(t.attackers)) {
      expect((await stat_(B_KEY, token)).status, name).toBe(403);
      expect((await del(B_KEY, token)).status, name).toBe(403);
      expect((await list('team-b/', token)).status, name).toBe(403);
    }
    expect(await objectExists(c.oss, B_KEY)).toBe(true);
  });

  it('outside the prefixes, the recorded owner decides: its workflow may read and delete, the other tenant may not', async () => {
    await putObject(c.oss, 'legacy/a-owned.txt', 'legacy', { meta: ownerMetadata(t.a.workflow) });
    expect((await stat_('legacy/a-owned.txt', t.b.podToken)).status).toBe(403);
    expect((await del('legacy/a-owned.txt', t.b.podToken)).status).toBe(403);
    // Same 403 for a key nobody owns and for one that does not exist.
    expect(shape(await stat_('legacy/a-owned.txt', t.b.podToken), 'legacy/a-owned.txt')).toEqual(shape(await stat_('legacy/none.txt', t.b.podToken), 'legacy/none.txt'));
    expect((await stat_('legacy/a-owned.txt', t.a.podToken)).status).toBe(200);
    expect(await del('legacy/a-owned.txt', t.a.podToken)).toMatchObject({ status: 200, body: { deleted: 1 } });
  });

  it("the read-only grant (argo-server's identity) may stat and list anything, delete and write nothing", async () => {
    expect((await stat_(B_KEY, READER_TOKEN)).status).toBe(200);
    expect((await list('team-a/', READER_TOKEN)).status).toBe(200);
    expect((await del(B_KEY, READER_TOKEN)).status).toBe(403);
    expect((await c.api('POST', '/uploads', { token: READER_TOKEN, body: { key: 'team-b/same/x', size: 1 } })).status).toBe(403);
    expect((await stat_('.argo-oss/uploads/x.json', READER_TOKEN)).status).toBe(400);
  });
});

describe('the plugin across tenants', () => {
  let server: PluginServer;
  let client: ArtifactServiceClient;
  let config: string;

  beforeAll(async () => {
    const token = join(dir, 'token');
    await writeFile(token, t.a.podToken); // the plugin runs in team-a's pod
    server = await startPluginServer({ socket: join(dir, 'socket'), env: { ARGO_OSS_TOKEN_FILE: token }, log: () => undefined });
    client = artifactClient(server.socketPath);
    config = pluginConfiguration({ coordinator: c.url, bucket: c.ossServer.bucket, endpoint: c.env.OSS_ENDPOINT });
  });
  afterAll(async () => {
    client?.close();
    await server?.close(1000);
  });

  it("team-a's plugin cannot load, stream, list, probe, delete or overwrite team-b's artifacts", async () => {
    const dest = join(dir, 'stolen.tmp');
    const load = await client.call('Load', { input_artifact: artifact(B_KEY, config), path: dest });
    expect(load.success).toBe(false);
    expect(load.error).toMatch(/403 Forbidden/);
    await expect(stat(dest)).rejects.toMatchObject({ code: 'ENOENT' });
    const stream = await client.openStream(artifact(B_KEY, config));
    expect(stream.frames).toEqual([]);
    expect(stream.status?.details).toMatch(/403 Forbidden/);
    expect((await client.call('ListObjects', { artifact: artifact(B_DIR, config) })).error).toMatch(/403 Forbidden/);
    expect((await client.call('IsDirectory', { artifact: artifact(B_DIR, config) })).error).toMatch(/403 Forbidden/);
    expect((await client.call('Delete', { artifact: artifact(B_KEY, config) })).error).toMatch(/403 Forbidden/);
    const src = join(dir, 'evil.txt');
    await writeFile(src, 'overwritten');
    expect((await client.call('Save', { path: src, output_artifact: artifact(B_KEY, config) })).error).toMatch(/403 Forbidden/);
    expect((await client.saveStream(artifact(B_KEY, config), [Buffer.from('overwritten')])).response?.error).toMatch(/403 Forbidden/);
    expect((await getObject(c.oss, B_KEY)).body.toString()).toBe('b');
    expect(await objectExists(c.oss, `${B_DIR}/f.txt`)).toBe(true);
  });

  it("team-a's plugin saves and loads its own workflow's artifacts", async () => {
    const src = join(dir, 'mine.txt');
    await writeFile(src, 'mine');
    expect(await client.call('Save', { path: src, output_artifact: artifact('team-a/same/same-main-1/mine.txt', config) })).toEqual({ success: true, error: '' });
    expect((await client.call('Load', { input_artifact: artifact('team-a/same/same-main-1/mine.txt', config), path: join(dir, 'mine.tmp') })).success).toBe(true);
  });
});
