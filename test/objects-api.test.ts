// The coordinator's object endpoints (/objects/stat, /objects/list, /objects/delete) over HTTP
// against the local stack: what they answer, what they refuse, and who may call them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { listObjectsPage, objectExists, putObject } from '../shared/oss';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';

const WORKFLOW_PREFIX = '{{workflow.namespace}}/{{workflow.name}}/';
let c: TestCoordinator;
let pod: string;

beforeAll(async () => {
  c = await startTestCoordinator({ env: { ARGO_OSS_WORKFLOW_KEY_PREFIX: WORKFLOW_PREFIX } });
  pod = await c.podToken('wf-o');
});
afterAll(async () => {
  await c?.close();
});

const stat = (key: string, token = pod) => c.api('GET', `/objects/stat?key=${encodeURIComponent(key)}`, { token });
const list = (query: string, token = pod) => c.api('GET', `/objects/list?${query}`, { token });
const del = (body: unknown, token = pod) => c.api('POST', '/objects/delete', { token, body });

describe('GET /objects/stat', () => {
  it('answers size, ETag, CRC-64 and a presigned GET that serves ranges of exactly that object', async () => {
    const data = randomBytes(200_000);
    await putObject(c.oss, 'argo/wf-o/p/data.bin', data);
    const r = await stat('argo/wf-o/p/data.bin');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ key: 'argo/wf-o/p/data.bin', size: 200_000, crc64: crc64(data).toString() });
    expect(r.body.etag).toMatch(/^"?[0-9A-F-]+"?$/i);
    expect(Date.parse(r.body.urlExpiresAt)).toBeGreaterThan(Date.now());
    const ranged = await fetch(r.body.url, { headers: { range: 'bytes=100-199', 'if-match': r.body.etag } });
    expect(ranged.status).toBe(206);
    expect(Buffer.compare(Buffer.from(await ranged.arrayBuffer()), data.subarray(100, 200))).toBe(0);
    expect((await fetch(r.body.url, { headers: { 'if-match': '"0000"' } })).status).toBe(412);
  });

  it('404 NoSuchKey for a missing key, with details.directory telling a directory artifact apart', async () => {
    await putObject(c.oss, 'argo/wf-o/p/dir/a.txt', 'a');
    const missing = await stat('argo/wf-o/p/none');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NoSuchKey', details: { directory: false } });
    const directory = await stat('argo/wf-o/p/dir');
    expect(directory.status).toBe(404);
    expect(directory.body.error).toMatchObject({ code: 'NoSuchKey', details: { directory: true } });
  });

  it('400 naming the field for a bad key; the reserved prefix is refused', async () => {
    expect((await c.api('GET', '/objects/stat', { token: pod })).body.error).toMatchObject({ code: 'InvalidArgument', field: 'key' });
    expect((await stat('argo/wf-o/../x')).body.error).toMatchObject({ code: 'InvalidArgument', field: 'key' });
    const reserved = await stat('.argo-oss/uploads/x', c.adminToken);
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toMatch(/reserved prefix/);
  });
});

describe('GET /objects/list', () => {
  it('lists recursively under a prefix, page by page with marker and maxKeys', async () => {
    const keys = ['a', 'b/c', 'b/d/e', 'f'].map((k) => `argo/wf-o/list/${k}`);
    for (const k of keys) await putObject(c.oss, k, k);
    await putObject(c.oss, 'argo/wf-o/listing-sibling', 'not under list/');
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await list(`prefix=${encodeURIComponent('argo/wf-o/list/')}&maxKeys=3${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.objects.map((o: { key: string }) => o.key));
      expect(r.body.objects[0]).toMatchObject({ size: expect.any(Number), etag: expect.any(String), lastModified: expect.any(String) });
      if (!r.body.truncated) break;
      marker = r.body.nextMarker;
    }
    expect(seen).toEqual(keys);
  });

  it('400 for a missing prefix, a bad maxKeys or a marker outside the prefix', async () => {
    expect((await list('')).body.error).toMatchObject({ field: 'prefix' });
    expect((await list('prefix=argo/wf-o/list/&maxKeys=1001')).body.error).toMatchObject({ field: 'maxKeys' });
    expect((await list('prefix=argo/wf-o/list/&marker=argo/wf-x/z')).body.error).toMatchObject({ field: 'marker' });
  });

  it('never shows the coordinator bookkeeping, even to an admin whose prefix would match it', async () => {
    await putObject(c.oss, '.argo-oss/uploads/secret.json', '{}');
    const r = await list('prefix=.argo-os', c.adminToken);
    expect(r.status).toBe(200);
    expect(r.body.objects).toEqual([]);
  });
});

describe('POST /objects/delete', () => {
  it('deletes the object and everything under key/, never the sibling key-with-suffix; gone is deleted 0', async () => {
    for (const k of ['x', 'x/1', 'x/2/3', 'xy']) await putObject(c.oss, `argo/wf-o/del/${k}`, k);
    const r = await del({ key: 'argo/wf-o/del/x' });
    expect(r).toMatchObject({ status: 200, body: { deleted: 3 } });
    expect((await listObjectsPage(c.oss, { prefix: 'argo/wf-o/del/' })).objects.map((o) => o.key)).toEqual(['argo/wf-o/del/xy']);
    expect((await del({ key: 'argo/wf-o/del/x' })).body).toEqual({ deleted: 0 });
  });

  it('refuses, naming the field, an empty key, the bucket root, a key ending in / and the reserved prefix', async () => {
    for (const key of ['', '/', 'argo/wf-o/del/', '.argo-oss/x']) {
      const r = await del({ key }, c.adminToken);
      expect(r.status, key).toBe(400);
      expect(r.body.error, key).toMatchObject({ code: 'InvalidArgument', field: 'key' });
    }
    expect((await del({}, c.adminToken)).body.error).toMatchObject({ field: 'key' });
  });

  it('refuses the artifact root itself', async () => {
    const rooted = await startTestCoordinator({ env: { ARGO_OSS_ARTIFACT_ROOT: 'art/' } });
    try {
      await putObject(rooted.oss, 'art/keep', 'k');
      const r = await rooted.api('POST', '/objects/delete', { token: rooted.adminToken, body: { key: 'art' } });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/artifact root/);
      expect(await objectExists(rooted.oss, 'art/keep')).toBe(true);
    } finally {
      await rooted.close();
    }
  });
});

describe('who may call', () => {
  it('401 without a token, before the query or body is looked at', async () => {
    for (const [method, path, body] of [
      ['GET', '/objects/stat?key=argo/wf-o/p/data.bin', undefined],
      ['GET', '/objects/list?prefix=bad/../x', undefined],
      ['POST', '/objects/delete', 'not json'],
    ] as const) {
      const r = await c.api(method, path, { body });
      expect(r.status, path).toBe(401);
      expect(r.body.error.code).toBe('Unauthorized');
    }
  });

  it("another workflow's pod: 403 with the same body whether or not the key exists, and nothing deleted", async () => {
    const other = await c.podToken('wf-other');
    await putObject(c.oss, 'argo/wf-o/private/exists.txt', 'mine');
    const existing = await stat('argo/wf-o/private/exists.txt', other);
    const absent = await stat('argo/wf-o/private/absent.txt', other);
    expect(existing.status).toBe(403);
    expect(absent.status).toBe(403);
    expect(existing.body.error.message.replace('exists', 'X')).toBe(absent.body.error.message.replace('absent', 'X'));
    expect((await list('prefix=argo/wf-o/private/', other)).status).toBe(403);
    expect((await del({ key: 'argo/wf-o/private/exists.txt' }, other)).status).toBe(403);
    expect(await objectExists(c.oss, 'argo/wf-o/private/exists.txt')).toBe(true);
  });
});
