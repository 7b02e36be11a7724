// The artifact-driver plugin (`argo-oss plugin SOCKET`) driven over a real Unix socket by a gRPC
// client built from the tests' own copy of Argo's artifact.proto, against the local stack (OSS
// server, Kubernetes API, coordinator). Mirrors Argo's plugin e2e tests: output/input on a mount,
// output on input, directory passing, main logs, SaveStream (also failing mid-stream), missing keys.
// Lifecycle and fault tests run the plugin as its own process: test/plugin-process.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { getObject, headObject, listObjectsPage, putObject } from '../shared/oss';
import { startPluginServer, type PluginServer } from '../cli/plugin';
import { artifact, artifactClient, pluginConfiguration, STATUS, type ArtifactServiceClient } from './helpers/artifact-plugin';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';
import { extractTgz } from './helpers/uploader';
import { createTgzStream } from '../cli/upload/tgz';

const KiB = 1024;
const MiB = 1024 * KiB;
const WORKFLOW_PREFIX = '{{workflow.namespace}}/{{workflow.name}}/';

let c: TestCoordinator;
let dir: string;
let tokenFile: string;
let server: PluginServer;
let client: ArtifactServiceClient;
let config: string;
const logs: string[] = [];

beforeAll(async () => {
  c = await startTestCoordinator({ env: { ARGO_OSS_WORKFLOW_KEY_PREFIX: WORKFLOW_PREFIX } });
  dir = await mkdtemp(join(tmpdir(), 'plugin-test-'));
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, await c.podToken('wf-a'));
  // The socket's directory does not exist yet: the plugin creates it (Argo may start it first).
  server = await startPluginServer({ socket: join(dir, 'artifact-plugins', 'argo-oss', 'socket'), env: { ARGO_OSS_TOKEN_FILE: tokenFile }, log: (l) => logs.push(l) });
  client = artifactClient(server.socketPath);
  config = pluginConfiguration({ coordinator: c.url, bucket: c.ossServer.bucket, endpoint: c.env.OSS_ENDPOINT, partSize: '100KB', concurrency: 4 });
});

afterAll(async () => {
  client?.close();
  await server?.close(1000);
  await c?.close();
  await rm(dir, { recursive: true, force: true });
});

const art = (key: string, configuration = config) => artifact(key, configuration);
const save = (path: string, key: string, configuration = config) => client.call('Save', { path, output_artifact: art(key, configuration) });
const load = (key: string, path: string, configuration = config) => client.call('Load', { input_artifact: art(key, configuration), path });

async function expectObject(key: string, data: Buffer): Promise<void> {
  const head = await headObject(c.oss, key);
  expect(head.size).toBe(data.length);
  expect(head.crc64).toBe(crc64(data));
}

describe('Save and Load (Argo executor paths)', () => {
  it('output on a mount (archive: none): the raw file becomes the object, verified', async () => {
    const path = join(dir, 'mainctrfs', 'mnt', 'out', 'hi.txt');
    await mkdir(join(dir, 'mainctrfs', 'mnt', 'out'), { recursive: true });
    await writeFile(path, 'hi');
    expect(await save(path, 'argo/wf-a/wf-a-123/hi.txt')).toEqual({ success: true, error: '' });
    await expectObject('argo/wf-a/wf-a-123/hi.txt', Buffer.from('hi'));
  });

  it('input on a mount: Load creates the parent directories and writes exactly the bytes', async () => {
    const data = randomBytes(1 * MiB + 123); // several ranges of 100 KiB in parallel
    const src = join(dir, 'src.bin');
    await writeFile(src, data);
    expect(await save(src, 'argo/wf-a/wf-a-123/big.bin')).toEqual({ success: true, error: '' });
    await expectObject('argo/wf-a/wf-a-123/big.bin', data);
    const dest = join(dir, 'mainctrfs', 'mnt', 'in', 'deeper', 'big.bin.tmp');
    expect(await load('argo/wf-a/wf-a-123/big.bin', dest)).toEqual({ success: true, error: '' });
    expect(Buffer.compare(await readFile(dest), data)).toBe(0);
    // Nothing else was left next to it (the temp name was renamed away).
    expect(await readdir(join(dir, 'mainctrfs', 'mnt', 'in', 'deeper'))).toEqual(['big.bin.tmp']);
  });

  it('output on input: the path Load wrote is saved again under a new key', async () => {
    const path = join(dir, 'same', 'file.txt');
    await mkdir(join(dir, 'same'), { recursive: true });
    await writeFile(path, 'first');
    expect((await save(path, 'argo/wf-a/p1/file.txt')).success).toBe(true);
    await rm(path);
    expect((await load('argo/wf-a/p1/file.txt', path)).success).toBe(true);
    await writeFile(path, `${await readFile(path, 'utf8')} and second`);
    expect((await save(path, 'argo/wf-a/p2/file.txt')).success).toBe(true);
    expect((await getObject(c.oss, 'argo/wf-a/p2/file.txt')).body.toString()).toBe('first and second');
  });

  it('directory passing: a tgz (the default) and a raw directory (archive: none) round-trip', async () => {
    const tree = join(dir, 'tree', 'out');
    await mkdir(join(tree, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(tree, 'empty'), { recursive: true });
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('alpha'),
      'sub/b.bin': randomBytes(300 * KiB),
      'sub/deeper/ünïcødé 名前.txt': Buffer.from('utf-8 names'),
      'zero.txt': Buffer.alloc(0),
    };
    for (const [rel, data] of Object.entries(files)) await writeFile(join(tree, rel), data);

    // Default strategy: the executor hands Save a .tgz file.
    const tgz = join(dir, 'tree', 'out.tgz');
    const chunks: Buffer[] = [];
    for await (const chunk of createTgzStream(tree)) chunks.push(chunk as Buffer);
    await writeFile(tgz, Buffer.concat(chunks));
    expect((await save(tgz, 'argo/wf-a/pod/out.tgz')).success).toBe(true);
    const loadedTgz = join(dir, 'inputs', 'out.tgz.tmp');
    expect((await load('argo/wf-a/pod/out.tgz', loadedTgz)).success).toBe(true);
    const entries = await extractTgz(await readFile(loadedTgz));
    expect(entries.find((e) => e.name === 'out/sub/deeper/ünïcødé 名前.txt')?.data.toString()).toBe('utf-8 names');

    // archive: none: one object per file under key/.
    expect(await save(tree, 'argo/wf-a/pod/out')).toEqual({ success: true, error: '' });
    const listed = await client.call('ListObjects', { artifact: art('argo/wf-a/pod/out') });
    expect(listed.error).toBe('');
    expect(listed.objects.sort()).toEqual(Object.keys(files).map((f) => `argo/wf-a/pod/out/${f}`).sort());
    expect(await client.call('IsDirectory', { artifact: art('argo/wf-a/pod/out') })).toEqual({ is_directory: true, error: '' });
    expect(await client.call('IsDirectory', { artifact: art('argo/wf-a/pod/out/a.txt') })).toEqual({ is_directory: false, error: '' });
    expect((await client.call('ListObjects', { artifact: art('argo/wf-a/pod/out/a.txt') })).objects).toEqual(['argo/wf-a/pod/out/a.txt']);

    const into = join(dir, 'inputs', 'out.tmp');
    expect(await load('argo/wf-a/pod/out', into)).toEqual({ success: true, error: '' });
    for (const [rel, data] of Object.entries(files)) expect(Buffer.compare(await readFile(join(into, rel)), data), rel).toBe(0);
    // Argo's own OSS driver also writes `dir/` markers: Load turns them into (empty) directories.
    await putObject(c.oss, 'argo/wf-a/pod/argo-style/', Buffer.alloc(0));
    await putObject(c.oss, 'argo/wf-a/pod/argo-style/x/', Buffer.alloc(0));
    await putObject(c.oss, 'argo/wf-a/pod/argo-style/x/f.txt', Buffer.from('f'));
    const argoStyle = join(dir, 'inputs', 'argo-style.tmp');
    expect((await load('argo/wf-a/pod/argo-style', argoStyle)).success).toBe(true);
    expect(await readFile(join(argoStyle, 'x', 'f.txt'), 'utf8')).toBe('f');
  });

  it('main logs: the log file is saved as <archive key>/main.log and listed under the key', async () => {
    const log = join(dir, 'outputs', 'logs', 'main.log');
    await mkdir(join(dir, 'outputs', 'logs'), { recursive: true });
    await writeFile(log, 'line 1\nline 2\n');
    expect((await save(log, 'argo/wf-a/wf-a-main-1/main.log')).success).toBe(true);
    const listed = await client.call('ListObjects', { artifact: art('argo/wf-a/wf-a-main-1') });
    expect(listed.objects).toEqual(['argo/wf-a/wf-a-main-1/main.log']);
    expect((await getObject(c.oss, 'argo/wf-a/wf-a-main-1/main.log')).body.toString()).toBe('line 1\nline 2\n');
  });

  it('a missing key: Load fails and leaves no file; IsDirectory is false, ListObjects empty, no error', async () => {
    const dest = join(dir, 'missing', 'x.tmp');
    const r = await load('argo/wf-a/nope/x.tgz', dest);
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/no artifact at argo\/wf-a\/nope\/x\.tgz/);
    await expect(stat(dest)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(dir, 'missing')).catch(() => [])).toEqual([]);
    expect(await client.call('IsDirectory', { artifact: art('argo/wf-a/nope/x.tgz') })).toEqual({ is_directory: false, error: '' });
    expect(await client.call('ListObjects', { artifact: art('argo/wf-a/nope/x.tgz') })).toEqual({ objects: [], error: '' });
  });

  it('Save of a path that does not exist fails naming it; nothing is written', async () => {
    const r = await save(join(dir, 'no-such-file'), 'argo/wf-a/pod/ghost.txt');
    expect(r).toMatchObject({ success: false });
    expect(r.error).toMatch(/no-such-file: no such file or directory/);
    await expect(headObject(c.oss, 'argo/wf-a/pod/ghost.txt')).rejects.toMatchObject({ kind: 'NotFound' });
  });
});

describe('OpenStream', () => {
  it('streams the object as ordered frames of at most 1 MiB, then an is_end frame without data', async () => {
    const data = randomBytes(3 * MiB + 77);
    const src = join(dir, 'stream.bin');
    await writeFile(src, data);
    expect((await save(src, 'argo/wf-a/pod/stream.bin')).success).toBe(true);
    const r = await client.openStream(art('argo/wf-a/pod/stream.bin'));
    expect(r.status).toBeUndefined();
    expect(r.errors).toEqual([]);
    expect(r.ends).toBe(1);
    expect(r.endCarriedData).toBe(false);
    expect(Math.max(...r.frames.map((f) => f.length))).toBeLessThanOrEqual(MiB);
    expect(Buffer.compare(Buffer.concat(r.frames), data)).toBe(0);
  });

  it('a missing key is an error before any data', async () => {
    const r = await client.openStream(art('argo/wf-a/pod/absent.bin'));
    expect(r.frames).toEqual([]);
    expect(r.status).toMatchObject({ code: STATUS.NOT_FOUND });
    expect(r.status?.details).toMatch(/no artifact at argo\/wf-a\/pod\/absent\.bin/);
  });

  it('an empty object is just the is_end frame', async () => {
    await putObject(c.oss, 'argo/wf-a/pod/empty', Buffer.alloc(0));
    const r = await client.openStream(art('argo/wf-a/pod/empty'));
    expect(r).toMatchObject({ frames: [], ends: 1, endCarriedData: false });
    expect(r.status).toBeUndefined();
  });
});

describe('SaveStream', () => {
  it('GetCapabilities says supports_save_stream', async () => {
    expect(await client.call('GetCapabilities', {})).toEqual({ supports_save_stream: true });
  });

  it('streams 6 MB of 2 MiB chunks into one verified object', async () => {
    const data = randomBytes(6_000_000);
    const chunks = [0, 1, 2].map((i) => data.subarray(i * 2 * MiB, (i + 1) * 2 * MiB));
    const r = await client.saveStream(art('argo/wf-a/uploads/stream.bin'), chunks);
    expect(r.response).toEqual({ success: true, error: '' });
    await expectObject('argo/wf-a/uploads/stream.bin', data);
    expect(await c.listUploads()).toEqual([]);
  });

  it('a failure in the middle of the stream answers with its own message and leaves no object or upload', async () => {
    // OSS refuses every part from now on (a 4xx is not retried): the upload fails while chunks still come.
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart' }, count: -1, status: 400, code: 'InvalidArgument', message: 'injected refusal' });
    try {
      async function* endless() {
        for (let i = 0; i < 1000; i++) yield randomBytes(256 * KiB);
      }
      const r = await client.saveStream(art('argo/wf-a/uploads/broken.bin'), endless());
      expect(r.response?.success).toBe(false);
      expect(r.response?.error).toMatch(/injected refusal/);
    } finally {
      await c.ossServer.admin('DELETE', `/faults/${fault.id}`);
    }
    await expect(headObject(c.oss, 'argo/wf-a/uploads/broken.bin')).rejects.toMatchObject({ kind: 'NotFound' });
    expect(await c.listUploads()).toEqual([]);
  });

  it('a client that cancels mid-stream leaves no object or upload behind', async () => {
    const chunks = Array.from({ length: 8 }, () => randomBytes(128 * KiB));
    const r = await client.saveStream(art('argo/wf-a/uploads/cancelled.bin'), chunks, { cancelAfter: 4 });
    expect(r.error?.code).toBe(STATUS.CANCELLED);
    // The plugin aborts the multipart upload once it sees the cancellation.
    for (let i = 0; i < 100 && (await c.listUploads()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await c.listUploads()).toEqual([]);
    await expect(headObject(c.oss, 'argo/wf-a/uploads/cancelled.bin')).rejects.toMatchObject({ kind: 'NotFound' });
  });
});

describe('Delete', () => {
  it('deletes an object, or a whole directory artifact; already gone is success', async () => {
    await putObject(c.oss, 'argo/wf-a/del/file.txt', Buffer.from('x'));
    for (const k of ['a', 'b/c', 'b/d']) await putObject(c.oss, `argo/wf-a/del/dir/${k}`, Buffer.from(k));
    await putObject(c.oss, 'argo/wf-a/del/dirfoo', Buffer.from('sibling'));
    expect(await client.call('Delete', { artifact: art('argo/wf-a/del/file.txt') })).toEqual({ success: true, error: '' });
    expect(await client.call('Delete', { artifact: art('argo/wf-a/del/dir') })).toEqual({ success: true, error: '' });
    const left = await listObjectsPage(c.oss, { prefix: 'argo/wf-a/del/' });
    expect(left.objects.map((o) => o.key)).toEqual(['argo/wf-a/del/dirfoo']);
    expect(await client.call('Delete', { artifact: art('argo/wf-a/del/dir') })).toEqual({ success: true, error: '' });
  });

  it('refuses an empty key and anything under .argo-oss/', async () => {
    const empty = await client.call('Delete', { artifact: art('') });
    expect(empty.success).toBe(false);
    expect(empty.error).toMatch(/plugin\.key is required/);
    const reserved = await client.call('Delete', { artifact: art('.argo-oss/uploads/x') });
    expect(reserved.success).toBe(false);
    expect(reserved.error).toMatch(/reserved prefix/);
  });
});

describe('configuration and identity', () => {
  it('a missing or bad field fails the call and names the field', async () => {
    const path = join(dir, 'cfg.txt');
    await writeFile(path, 'x');
    const noBucket = await save(path, 'argo/wf-a/cfg.txt', pluginConfiguration({ coordinator: c.url, endpoint: 'oss-cn-hangzhou.aliyuncs.com' }));
    expect(noBucket).toEqual({ success: false, error: 'output_artifact.plugin.configuration: bucket: is required' });
    const badPart = await save(path, 'argo/wf-a/cfg.txt', pluginConfiguration({ coordinator: c.url, bucket: 'b-1', endpoint: 'e.example.com', partSize: '1KB' }));
    expect(badPart.error).toMatch(/partSize: must be from 100KB/);
    const notYaml = await client.call('IsDirectory', { artifact: art('argo/wf-a/x', 'coordinator: [') });
    expect(notYaml.error).toMatch(/configuration: is not valid YAML/);
    const typo = await client.call('ListObjects', { artifact: art('argo/wf-a/x', pluginConfiguration({ coordinator: c.url, bucket: 'b-1', endpoint: 'e', partsize: 1 })) });
    expect(typo.error).toMatch(/partsize: unknown field/);
  });

  it("another workflow's keys: Save and Load are refused by the coordinator", async () => {
    const path = join(dir, 'other.txt');
    await writeFile(path, 'x');
    const r = await save(path, 'argo/wf-b/pod/x.txt');
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/403 Forbidden/);
    await putObject(c.oss, 'argo/wf-b/pod/secret.txt', Buffer.from('secret'));
    const l = await load('argo/wf-b/pod/secret.txt', join(dir, 'stolen.tmp'));
    expect(l.success).toBe(false);
    expect(l.error).toMatch(/403 Forbidden/);
    await expect(stat(join(dir, 'stolen.tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
