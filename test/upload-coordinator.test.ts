// The upload coordinator over real HTTP: gateway mount → coordinator → local OSS server (real ali-oss,
// V4 signatures) and local Kubernetes API (real client-node). Parts go to the presigned URLs with fetch.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64, foldCrc64 } from '../shared/crc64';
import { completeMultipartUpload, getObject, getObjectTags, headObject, listAllParts, listObjectsPage, uploadPart } from '../shared/oss';
import { readManifest, writeManifest } from '../shared/upload/manifest';
import type { SignedPart, StartUploadResponse } from '../shared/upload/protocol';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';

const KB100 = 100 * 1024;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const slice = (data: Buffer, n: number, partSize: number) => data.subarray((n - 1) * partSize, Math.min(n * partSize, data.length));

async function put(part: SignedPart, body: Buffer): Promise<Response> {
  return fetch(part.url, { method: part.method, headers: part.headers, body });
}

/** Signs and PUTs parts of `data`, checking each part's CRC-64 from OSS. */
async function uploadParts(c: TestCoordinator, token: string, key: string, plan: StartUploadResponse, data: Buffer, numbers: number[]): Promise<void> {
  const signed = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${plan.uploadId}/sign`, {
    token,
    body: { key, parts: numbers.map((n) => ({ partNumber: n, md5: md5(slice(data, n, plan.partSize)) })) },
  });
  expect(signed.status).toBe(200);
  await Promise.all(
    signed.body.parts.map(async (p) => {
      const body = slice(data, p.partNumber, plan.partSize);
      const res = await put(p, body);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('x-oss-hash-crc64ecma')).toBe(crc64(body).toString());
    }),
  );
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('upload coordinator', () => {
  let c: TestCoordinator;
  let admin: string;

  beforeAll(async () => {
    c = await startTestCoordinator();
    admin = c.adminToken;
  });
  afterAll(() => c?.close());

  const start = (body: Record<string, unknown>, token = admin) => c.api<StartUploadResponse>('POST', '/uploads', { token, body });

  it('start → sign → PUT → state → complete: the object is verified, with content type, tags and meta', async () => {
    const key = 'wf-x/main/result.bin';
    const data = randomBytes(3 * KB100 + 1234);
    const s = await start({ key, size: data.length, partSize: KB100, contentType: 'application/x-test', tags: { team: 'ml', stage: 'a b' }, meta: { Origin: 'test' }, fingerprint: 'f1' });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ key, size: data.length, partSize: KB100, partCount: 4, resumed: false, fingerprint: 'f1' });
    expect(s.body.writers).toEqual([{ writer: 1, firstPart: 1, lastPart: 4, start: 0, end: data.length }]);

    await uploadParts(c, admin, key, s.body, data, [1, 2, 3, 4]);
    const st = await c.api('GET', `/uploads/${s.body.uploadId}?key=${encodeURIComponent(key)}`, { token: admin });
    expect(st.status).toBe(200);
    expect(st.body.state).toBe('uploading');
    expect(st.body.parts.map((p: { partNumber: number; size: number; crc64: string }) => [p.partNumber, p.size, p.crc64])).toEqual(
      [1, 2, 3, 4].map((n) => [n, slice(data, n, KB100).length, crc64(slice(data, n, KB100)).toString()]),
    );

    const done = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: crc64(data).toString() } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ key, size: data.length, crc64: crc64(data).toString(), partCount: 4, alreadyCompleted: false });

    const obj = await getObject(c.oss, key);
    expect(obj.body.equals(data)).toBe(true);
    expect(obj.contentType).toBe('application/x-test');
    expect(obj.meta).toEqual({ origin: 'test' });
    expect(await getObjectTags(c.oss, key)).toEqual({ team: 'ml', stage: 'a b' });
    expect(await c.listUploads()).toEqual([]);

    // Retried complete: verified again, not redone.
    const again = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyCompleted: true, size: data.length, crc64: crc64(data).toString(), etag: done.body.etag });
    const state = await c.api('GET', `/uploads/${s.body.uploadId}?key=${key}`, { token: admin });
    expect(state.body).toMatchObject({ state: 'completed', parts: [] });
    const sign = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: [{ partNumber: 1 }] } });
    expect(sign.status).toBe(409);
    expect(sign.body.error.code).toBe('UploadCompleted');
  });

  it('resumes the same key+size+fingerprint (200, same uploadId); another fingerprint starts afresh', async () => {
    const key = 'wf-x/resume.bin';
    const first = await start({ key, size: 5 * KB100, partSize: KB100, fingerprint: 'v1' });
    const again = await start({ key, size: 5 * KB100, partSize: KB100, fingerprint: 'v1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.resumed).toBe(true);
    expect(again.body.uploadId).toBe(first.body.uploadId);
    expect(again.body.createdAt).toBe(first.body.createdAt);
    const other = await start({ key, size: 5 * KB100, partSize: KB100, fingerprint: 'v2' });
    expect(other.status).toBe(201);
    expect(other.body.uploadId).not.toBe(first.body.uploadId);
    const bigger = await start({ key, size: 6 * KB100, partSize: KB100, fingerprint: 'v1' });
    expect(bigger.body.uploadId).not.toBe(first.body.uploadId);
    // An aborted upload is not resumed.
    expect((await c.api('DELETE', `/uploads/${first.body.uploadId}?key=${key}`, { token: admin })).status).toBe(204);
    const fresh = await start({ key, size: 5 * KB100, partSize: KB100, fingerprint: 'v1' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.uploadId).not.toBe(first.body.uploadId);
    for (const id of [other.body.uploadId, bigger.body.uploadId, fresh.body.uploadId]) await c.api('DELETE', `/uploads/${id}?key=${key}`, { token: admin });
  });

  it('concurrent starts of one upload (N writer pods) converge on one upload', async () => {
    const key = 'wf-x/race.bin';
    const body = { key, size: 10 * KB100, partSize: KB100, writers: 3, fingerprint: 'same' };
    const results = await Promise.all(range(1, 6).map(() => start(body)));
    const ids = new Set(results.map((r) => r.body.uploadId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect((await c.listUploads()).filter((u) => u.key === key)).toHaveLength(1);
    await c.api('DELETE', `/uploads/${[...ids][0]}?key=${key}`, { token: admin });
  });

  it('binds Content-MD5 and the part length: OSS itself rejects a corrupted or resized part', async () => {
    const key = 'wf-x/md5.bin';
    const data = randomBytes(2 * KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    const part1 = slice(data, 1, KB100);
    const signed = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: [{ partNumber: 1, md5: md5(part1) }, { partNumber: 2 }] } });
    const [p1, p2] = signed.body.parts;
    expect(p1.headers).toEqual({ 'Content-MD5': md5(part1), 'Content-Length': String(KB100) });
    expect(p2.headers).toEqual({ 'Content-Length': String(KB100) });
    expect(Date.parse(p1.expiresAt) - Date.now()).toBeGreaterThan(800_000);
    expect(Date.parse(p1.expiresAt) - Date.now()).toBeLessThanOrEqual(900_000);

    const corrupted = Buffer.from(part1);
    corrupted[500] ^= 0xff;
    const bad = await put(p1, corrupted);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('InvalidDigest');
    // The URL was made for part 1 with its MD5: tampering the signed header breaks the signature.
    const forged = await fetch(p1.url, { method: 'PUT', headers: { ...p1.headers, 'Content-MD5': md5(corrupted) }, body: corrupted });
    expect(forged.status).toBe(403);
    const short = await fetch(p2.url, { method: 'PUT', body: slice(data, 2, KB100).subarray(1) });
    expect(short.status).toBe(403);
    expect((await put(p1, part1)).status).toBe(200);
    expect((await listAllParts(c.oss, { key, uploadId: s.body.uploadId })).map((p) => p.partNumber)).toEqual([1]);
    await c.api('DELETE', `/uploads/${s.body.uploadId}?key=${key}`, { token: admin });
  });

  it('complete with a missing part → 409 MissingParts naming it; the upload stays open', async () => {
    const key = 'wf-x/missing.bin';
    const data = randomBytes(4 * KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1, 2, 4]);
    const r = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('MissingParts');
    expect(r.body.error.details).toEqual({ missing: [3], missingCount: 1 });
    await uploadParts(c, admin, key, s.body, data, [3]);
    const ok = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: crc64(data).toString() } });
    expect(ok.status).toBe(200);
    expect((await getObject(c.oss, key)).body.equals(data)).toBe(true);
  });

  it("a wrong client crc64 → 409 ChecksumMismatch before completing; nothing is stored under the key", async () => {
    const key = 'wf-x/crc.bin';
    const data = randomBytes(2 * KB100 + 5);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1, 2, 3]);
    const wrong = (crc64(data) ^ 1n).toString();
    const r = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: wrong } });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'ChecksumMismatch', details: { clientCrc64: wrong, partsCrc64: crc64(data).toString(), completed: false } });
    await expect(headObject(c.oss, key)).rejects.toMatchObject({ kind: 'NotFound' });
    const ok = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: crc64(data).toString() } });
    expect(ok.status).toBe(200);
  });

  it('complete with the client part list: an unknown ETag → 409 InvalidPart; the right list completes', async () => {
    const key = 'wf-x/list.bin';
    const data = randomBytes(2 * KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1, 2]);
    const listed = await listAllParts(c.oss, { key, uploadId: s.body.uploadId });
    const parts = listed.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    const bad = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, parts: [parts[0], { partNumber: 2, etag: '"00000000000000000000000000000000"' }] } });
    expect(bad.status).toBe(409);
    expect(bad.body.error).toMatchObject({ code: 'InvalidPart', details: { parts: [2] } });
    const partial = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, parts: [parts[0]] } });
    expect(partial.body.error.code).toBe('MissingParts');
    const ok = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, parts: [...parts].reverse(), crc64: crc64(data).toString() } });
    expect(ok.status).toBe(200);
  });

  it('a part of the wrong size (uploaded around the coordinator) → 409 PartSizeMismatch', async () => {
    const key = 'wf-x/size.bin';
    const data = randomBytes(2 * KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadPart(c.oss, { key, uploadId: s.body.uploadId }, 1, data.subarray(0, KB100 + 1));
    await uploadParts(c, admin, key, s.body, data, [2]);
    const r = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key } });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'PartSizeMismatch', details: { parts: [{ partNumber: 1, expected: KB100, actual: KB100 + 1 }] } });
    await c.api('DELETE', `/uploads/${s.body.uploadId}?key=${key}`, { token: admin });
  });

  it('abort → 204; later calls of every endpoint → 404 NoSuchUpload; nothing left in OSS', async () => {
    const key = 'wf-x/abort.bin';
    const data = randomBytes(KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1]);
    const id = s.body.uploadId;
    expect((await c.api('DELETE', `/uploads/${id}?key=${key}`, { token: admin })).status).toBe(204);
    for (const [method, path, body] of [
      ['DELETE', `/uploads/${id}?key=${key}`, undefined],
      ['GET', `/uploads/${id}?key=${key}`, undefined],
      ['POST', `/uploads/${id}/sign`, { key, parts: [{ partNumber: 1 }] }],
      ['POST', `/uploads/${id}/complete`, { key }],
    ] as const) {
      const r = await c.api(method, path, { token: admin, body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('NoSuchUpload');
    }
    expect((await c.listUploads()).filter((u) => u.uploadId === id)).toEqual([]);
    expect(await readManifest(c.oss, id)).toBeUndefined();
  });

  it('writers=3: three pods of the workflow each upload their shard, complete needs all of them', async () => {
    const key = 'argo/wf-fan/out/big.bin';
    const data = randomBytes(10 * KB100 + 777);
    const pods = await Promise.all([1, 2, 3].map(() => c.podToken('wf-fan')));
    // Each pod starts with the same description and gets the same upload and plan.
    const starts = await Promise.all(pods.map((t) => start({ key, size: data.length, partSize: KB100, writers: 3, fingerprint: 'run-42' }, t)));
    const plan = starts[0].body;
    expect(new Set(starts.map((s) => s.body.uploadId)).size).toBe(1);
    expect(plan.writers.map((w) => [w.firstPart, w.lastPart])).toEqual([
      [1, 4],
      [5, 8],
      [9, 11],
    ]);
    await uploadParts(c, pods[0], key, plan, data, range(1, 4));
    await uploadParts(c, pods[2], key, plan, data, range(9, 11));
    const early = await c.api('POST', `/uploads/${plan.uploadId}/complete`, { token: pods[0], body: { key } });
    expect(early.status).toBe(409);
    expect(early.body.error.details.missing).toEqual([5, 6, 7, 8]);
    await uploadParts(c, pods[1], key, plan, data, range(5, 8));
    const done = await c.api('POST', `/uploads/${plan.uploadId}/complete`, { token: pods[2], body: { key, crc64: crc64(data).toString() } });
    expect(done.status).toBe(200);
    expect(done.body.partCount).toBe(11);
    expect((await getObject(c.oss, key)).body.equals(data)).toBe(true);
  });

  it('a stream of unknown size: parts of partSize, the last shorter; size is what arrived', async () => {
    const key = 'wf-x/stream.tgz';
    const data = randomBytes(2 * KB100 + 99);
    const s = await start({ key, partSize: KB100, contentType: 'application/gzip' });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ size: null, partCount: null, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1, 2, 3]);
    const done = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: crc64(data).toString() } });
    expect(done.status).toBe(200);
    expect(done.body.size).toBe(data.length);
    const gap = await start({ key: 'wf-x/gap.tgz', partSize: KB100 });
    await uploadParts(c, admin, 'wf-x/gap.tgz', gap.body, data, [1, 3]);
    const r = await c.api('POST', `/uploads/${gap.body.uploadId}/complete`, { token: admin, body: { key: 'wf-x/gap.tgz' } });
    expect(r.body.error).toMatchObject({ code: 'MissingParts', details: { missing: [2] } });
    await c.api('DELETE', `/uploads/${gap.body.uploadId}?key=wf-x/gap.tgz`, { token: admin });
  });

  it('an empty object is one empty part', async () => {
    const key = 'wf-x/empty';
    const s = await start({ key, size: 0 });
    expect(s.body).toMatchObject({ partCount: 1, writers: [{ writer: 1, firstPart: 1, lastPart: 1, start: 0, end: 0 }] });
    await uploadParts(c, admin, key, s.body, Buffer.alloc(0), [1]);
    const done = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key, crc64: '0' } });
    expect(done.status).toBe(200);
    expect((await headObject(c.oss, key)).size).toBe(0);
  });

  it('a complete that went through but whose answer was lost is recognised (NoSuchUpload → HeadObject)', async () => {
    const key = 'wf-x/lost-answer.bin';
    const data = randomBytes(2 * KB100);
    const s = await start({ key, size: data.length, partSize: KB100 });
    await uploadParts(c, admin, key, s.body, data, [1, 2]);
    // What the coordinator does before Complete, then Complete itself, then a "crash".
    const parts = await listAllParts(c.oss, { key, uploadId: s.body.uploadId });
    const m = (await readManifest(c.oss, s.body.uploadId))!;
    m.completing = { size: data.length, crc64: foldCrc64(parts)!.toString(), partCount: 2, at: new Date().toISOString() };
    await writeManifest(c.oss, m);
    await completeMultipartUpload(c.oss, { key, uploadId: s.body.uploadId }, parts);
    const r = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: admin, body: { key } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ alreadyCompleted: true, size: data.length, crc64: crc64(data).toString() });
    expect((await readManifest(c.oss, s.body.uploadId))!.state).toBe('completed');
  });

  it('signs at most 1000 parts per call, only within the plan, each part once', async () => {
    const key = 'wf-x/sign.bin';
    const s = await start({ key, size: 1500 * KB100, partSize: KB100 });
    const ok = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: range(1, 1000).map((n) => ({ partNumber: n })) } });
    expect(ok.status).toBe(200);
    expect(ok.body.parts).toHaveLength(1000);
    const tooMany = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: range(1, 1001).map((n) => ({ partNumber: n })) } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.field).toBe('parts');
    const outside = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: [{ partNumber: 1501 }] } });
    expect(outside.body.error).toMatchObject({ code: 'InvalidArgument', field: 'parts[0].partNumber' });
    const twice = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: [{ partNumber: 2 }, { partNumber: 2 }] } });
    expect(twice.body.error.field).toBe('parts[1].partNumber');
    const badMd5 = await c.api('POST', `/uploads/${s.body.uploadId}/sign`, { token: admin, body: { key, parts: [{ partNumber: 2, md5: 'abc' }] } });
    expect(badMd5.body.error.field).toBe('parts[0].md5');
    await c.api('DELETE', `/uploads/${s.body.uploadId}?key=${key}`, { token: admin });
  });

  it('never acts on another key: a key that is not the upload\'s → 404', async () => {
    const key = 'wf-x/mine.bin';
    const s = await start({ key, size: KB100, partSize: KB100 });
    for (const [method, path, body] of [
      ['POST', `/uploads/${s.body.uploadId}/sign`, { key: 'wf-x/other.bin', parts: [{ partNumber: 1 }] }],
      ['GET', `/uploads/${s.body.uploadId}?key=wf-x/other.bin`, undefined],
      ['POST', `/uploads/${s.body.uploadId}/complete`, { key: 'wf-x/other.bin' }],
      ['DELETE', `/uploads/${s.body.uploadId}?key=wf-x/other.bin`, undefined],
    ] as const) {
      const r = await c.api(method, path, { token: admin, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    expect((await c.listUploads()).some((u) => u.uploadId === s.body.uploadId)).toBe(true);
    await c.api('DELETE', `/uploads/${s.body.uploadId}?key=${key}`, { token: admin });
  });
});

describe('upload coordinator: presigned URL expiry', () => {
  let c: TestCoordinator;
  beforeAll(async () => {
    c = await startTestCoordinator({ env: { ARGO_OSS_PART_URL_TTL: '1' } });
  });
  afterAll(() => c?.close());

  it('an expired part URL is refused by OSS; signing again works', async () => {
    const key = 'k/expiry.bin';
    const data = randomBytes(KB100);
    const s = await c.api<StartUploadResponse>('POST', '/uploads', { token: c.adminToken, body: { key, size: data.length } });
    const first = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${s.body.uploadId}/sign`, { token: c.adminToken, body: { key, parts: [{ partNumber: 1 }] } });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await put(first.body.parts[0], data);
    expect(expired.status).toBe(403);
    const again = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${s.body.uploadId}/sign`, { token: c.adminToken, body: { key, parts: [{ partNumber: 1 }] } });
    expect((await put(again.body.parts[0], data)).status).toBe(200);
    expect((await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token: c.adminToken, body: { key, crc64: crc64(data).toString() } })).status).toBe(200);
  });
});

describe('upload coordinator: auth', () => {
  let c: TestCoordinator;
  beforeAll(async () => {
    c = await startTestCoordinator();
  });
  afterAll(() => c?.close());

  const body = (key: string) => ({ key, size: KB100, partSize: KB100 });

  it('401 without a token, with a malformed header or an unknown token (JSON, WWW-Authenticate)', async () => {
    const none = await c.api('POST', '/uploads', { body: body('a/x') });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('Unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await c.api('POST', '/uploads', { body: body('a/x'), headers: { authorization: 'Basic dTpw' } })).status).toBe(401);
    expect((await c.api('POST', '/uploads', { body: body('a/x'), headers: { authorization: 'Bearer' } })).status).toBe(401);
    expect((await c.api('POST', '/uploads', { token: 'no-such-token', body: body('a/x') })).status).toBe(401);
    expect((await c.api('GET', '/uploads/ABC?key=a/x')).status).toBe(401);
    expect(await c.listUploads()).toEqual([]);
  });

  it('an admin may write any valid key; a pod of workflow A only keys under A/', async () => {
    const adminStart = await c.api('POST', '/uploads', { token: c.adminToken, body: body('anywhere/x') });
    expect(adminStart.status).toBe(201);
    const a = await c.podToken('wf-a');
    const own = await c.api('POST', '/uploads', { token: a, body: body('argo/wf-a/pod/out.bin') });
    expect(own.status).toBe(201);
    expect((await readManifest(c.oss, own.body.uploadId))!.owner).toMatchObject({ admin: false, workflow: 'wf-a', namespace: 'argo', username: 'system:serviceaccount:argo:default' });
    for (const key of ['argo/wf-b/pod/out.bin', 'argo/wf-ab/x', 'argo/wf-a', 'anywhere/x']) {
      const r = await c.api('POST', '/uploads', { token: a, body: body(key) });
      expect(r.status, key).toBe(403);
      expect(r.body.error).toMatchObject({ code: 'Forbidden', field: 'key', details: { allowedPrefix: 'argo/wf-a/' } });
    }
    expect((await c.listUploads()).map((u) => u.key).sort()).toEqual(['anywhere/x', 'argo/wf-a/pod/out.bin']);
  });

  it("a token of workflow A cannot touch workflow B's upload", async () => {
    const a = await c.podToken('wf-a');
    const b = await c.podToken('wf-b');
    const up = await c.api('POST', '/uploads', { token: b, body: body('argo/wf-b/secret.bin') });
    expect(up.status).toBe(201);
    const id = up.body.uploadId;
    // With B's key: forbidden by the prefix rule.
    expect((await c.api('POST', `/uploads/${id}/sign`, { token: a, body: { key: 'argo/wf-b/secret.bin', parts: [{ partNumber: 1 }] } })).status).toBe(403);
    expect((await c.api('GET', `/uploads/${id}?key=argo/wf-b/secret.bin`, { token: a })).status).toBe(403);
    expect((await c.api('DELETE', `/uploads/${id}?key=argo/wf-b/secret.bin`, { token: a })).status).toBe(403);
    expect((await c.api('POST', `/uploads/${id}/complete`, { token: a, body: { key: 'argo/wf-b/secret.bin' } })).status).toBe(403);
    // With its own key and B's uploadId: no such upload for that key.
    const r = await c.api('POST', `/uploads/${id}/sign`, { token: a, body: { key: 'argo/wf-a/x.bin', parts: [{ partNumber: 1 }] } });
    expect(r.status).toBe(404);
    expect((await c.api('GET', `/uploads/${id}?key=argo/wf-b/secret.bin`, { token: b })).status).toBe(200);
  });

  it('403 for a pod token whose uid is not the pod\'s, a pod outside any workflow, a plain user', async () => {
    const stale = await c.podToken('wf-a', { tokenPodUid: '00000000-0000-4000-8000-000000000000' });
    const r = await c.api('POST', '/uploads', { token: stale, body: body('argo/wf-a/x') });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('uid');

    await c.kube.writePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely', namespace: 'argo', uid: '11111111-0000-4000-8000-000000000000' }, spec: { serviceAccountName: 'default' } });
    const gone = await c.podToken('wf-a', { podName: 'ghost' });
    await c.kube.writeTokens([
      { token: 'lonely-token', serviceAccount: { namespace: 'argo', name: 'default' }, pod: { name: 'lonely', uid: '11111111-0000-4000-8000-000000000000' } },
      { token: 'ghost-token', serviceAccount: { namespace: 'argo', name: 'default' }, pod: { name: 'never-created', uid: '22222222-0000-4000-8000-000000000000' } },
      { token: 'bob-token', user: 'bob', groups: ['devs'] },
    ]);
    expect(gone).toBeTruthy();
    const lonely = await c.api('POST', '/uploads', { token: 'lonely-token', body: body('argo/wf-a/x') });
    expect(lonely.status).toBe(403);
    expect(lonely.body.error.message).toContain('ownerReference');
    expect((await c.api('POST', '/uploads', { token: 'ghost-token', body: body('argo/wf-a/x') })).status).toBe(403);
    expect((await c.api('POST', '/uploads', { token: 'bob-token', body: body('argo/wf-a/x') })).status).toBe(403);
    expect((await c.listUploads()).filter((u) => u.key === 'argo/wf-a/x')).toEqual([]);
  });

  it('503 AuthUnavailable (retryable) when the Kubernetes API cannot be reached', async () => {
    const token = await c.podToken('wf-a');
    await c.kube.api.close();
    const r = await c.api('POST', '/uploads', { token, body: body('argo/wf-a/x') });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('AuthUnavailable');
    expect(r.headers.get('retry-after')).toBeTruthy();
  });
});

describe('upload coordinator: bad input writes nothing', () => {
  let c: TestCoordinator;
  let id: string;
  beforeAll(async () => {
    c = await startTestCoordinator();
    const s = await c.api('POST', '/uploads', { token: c.adminToken, body: { key: 'ok/file', size: 3 * KB100, partSize: KB100 } });
    id = s.body.uploadId;
  });
  afterAll(() => c?.close());

  const TB = 1e12;
  it.each([
    [{ size: 10 }, 'key'],
    [{ key: '', size: 10 }, 'key'],
    [{ key: 'a/../b', size: 10 }, 'key'],
    [{ key: '/abs', size: 10 }, 'key'],
    [{ key: 'a//b', size: 10 }, 'key'],
    [{ key: '.argo-oss/uploads/x.json', size: 10 }, 'key'],
    [{ key: 'a\u0001b', size: 10 }, 'key'],
    [{ key: 42, size: 10 }, 'key'],
    [{ key: 'k', size: -1 }, 'size'],
    [{ key: 'k', size: 53.7 * TB }, 'size'], // just above 10,000 × 5 GiB = 53.687 TB ("48.8 TB" = TiB)
    [{ key: 'k', size: 1.5 }, 'size'],
    [{ key: 'k', size: '10' }, 'size'],
    [{ key: 'k', size: 10, partSize: 1024 }, 'partSize'],
    [{ key: 'k', size: 10, partSize: 6 * 1024 ** 3 }, 'partSize'],
    [{ key: 'k', size: 10_001 * KB100, partSize: KB100 }, 'partSize'],
    [{ key: 'k', size: 10, writers: 2 }, 'writers'],
    [{ key: 'k', size: 10, writers: 0 }, 'writers'],
    [{ key: 'k', size: 10, tags: { 'bad<tag>': 'x' } }, 'tags.bad<tag>'],
    [{ key: 'k', size: 10, tags: Object.fromEntries(range(1, 11).map((n) => [`t${n}`, 'v'])) }, 'tags'],
    [{ key: 'k', size: 10, tags: { a: 1 } }, 'tags.a'],
    [{ key: 'k', size: 10, meta: { 'bad name': 'x' } }, 'meta.bad name'],
    [{ key: 'k', size: 10, meta: { a: 'line\nbreak' } }, 'meta.a'],
    [{ key: 'k', size: 10, contentType: 'not a type' }, 'contentType'],
    [{ key: 'k', size: 10, fingerprint: 7 }, 'fingerprint'],
  ])('POST /uploads %j → 400 naming %s', async (b, field) => {
    const r = await c.api('POST', '/uploads', { token: c.adminToken, body: b });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'InvalidArgument', field });
    expect(typeof r.body.error.message).toBe('string');
  });

  it.each([
    ['invalid JSON', 'POST', '/uploads', 'not json', 'application/json', 400, 'InvalidJson'],
    ['a JSON array', 'POST', '/uploads', '[1,2]', 'application/json', 400, 'InvalidArgument'],
    ['a form body', 'POST', '/uploads', 'key=k', 'application/x-www-form-urlencoded', 415, 'UnsupportedMediaType'],
    ['a body over 1 MiB', 'POST', '/uploads', JSON.stringify({ key: 'k', pad: 'x'.repeat(1024 * 1024) }), 'application/json', 413, 'PayloadTooLarge'],
    ['PUT /uploads', 'PUT', '/uploads', '{}', 'application/json', 405, 'MethodNotAllowed'],
    ['an unknown path', 'GET', '/uploads/a/b/c', undefined, undefined, 404, 'NotFound'],
  ] as const)('%s', async (_name, method, path, raw, type, status, code) => {
    const r = await c.api(method, path, { token: c.adminToken, body: raw, headers: type ? { 'content-type': type } : {} });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
  });

  it('sign / state / complete / abort: missing fields, unknown uploadId, traversal, reserved prefix → 4xx naming the field', async () => {
    const cases: Array<[string, string, unknown, number, string | undefined]> = [
      ['POST', `/uploads/${id}/sign`, { parts: [{ partNumber: 1 }] }, 400, 'key'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/file' }, 400, 'parts'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/file', parts: [] }, 400, 'parts'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/file', parts: [{}] }, 400, 'parts[0].partNumber'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/file', parts: [{ partNumber: 0 }] }, 400, 'parts[0].partNumber'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/file', parts: [{ partNumber: 4 }] }, 400, 'parts[0].partNumber'],
      ['POST', `/uploads/${id}/sign`, { key: 'ok/../file', parts: [{ partNumber: 1 }] }, 400, 'key'],
      ['POST', `/uploads/${id}/sign`, { key: '.argo-oss/uploads/x', parts: [{ partNumber: 1 }] }, 400, 'key'],
      ['POST', '/uploads/NOSUCHUPLOAD/sign', { key: 'ok/file', parts: [{ partNumber: 1 }] }, 404, undefined],
      ['POST', '/uploads/..%2F..%2Fx/sign', { key: 'ok/file', parts: [{ partNumber: 1 }] }, 404, undefined],
      ['GET', `/uploads/${id}`, undefined, 400, 'key'],
      ['GET', `/uploads/${id}?key=%2Fabs`, undefined, 400, 'key'],
      ['GET', '/uploads/NOSUCHUPLOAD?key=ok/file', undefined, 404, undefined],
      ['POST', `/uploads/${id}/complete`, {}, 400, 'key'],
      ['POST', `/uploads/${id}/complete`, { key: 'ok/file', crc64: 'abc' }, 400, 'crc64'],
      ['POST', `/uploads/${id}/complete`, { key: 'ok/file', crc64: 123 }, 400, 'crc64'],
      ['POST', `/uploads/${id}/complete`, { key: 'ok/file', parts: [{ partNumber: 1 }] }, 400, 'parts[0].etag'],
      ['POST', `/uploads/${id}/complete`, { key: 'ok/file', parts: 'all' }, 400, 'parts'],
      ['POST', '/uploads/NOSUCHUPLOAD/complete', { key: 'ok/file' }, 404, undefined],
      ['DELETE', `/uploads/${id}`, undefined, 400, 'key'],
      ['DELETE', '/uploads/NOSUCHUPLOAD?key=ok/file', undefined, 404, undefined],
    ];
    for (const [method, path, body, status, field] of cases) {
      const r = await c.api(method, path, { token: c.adminToken, body });
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(r.body.error.code).toBeTruthy();
      if (field) expect(r.body.error.field, `${method} ${path}`).toBe(field);
    }
  });

  it('after all of that only the one valid upload exists, untouched', async () => {
    const uploads = await c.listUploads();
    expect(uploads.map((u) => [u.key, u.uploadId])).toEqual([['ok/file', id]]);
    expect(await listAllParts(c.oss, { key: 'ok/file', uploadId: id })).toEqual([]);
    const objects = (await listObjectsPage(c.oss, {})).objects.map((o) => o.key);
    expect(objects.filter((k) => !k.startsWith('.argo-oss/'))).toEqual([]);
    expect(objects.filter((k) => k.startsWith('.argo-oss/uploads/'))).toEqual([`.argo-oss/uploads/${id}.json`]);
  });
});
