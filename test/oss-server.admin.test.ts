// Local OSS server: buckets, lifecycle (stored/validated and applied via the admin endpoint),
// fault injection, persistence across restarts and client aborts mid-upload.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOssServer } from '../local/oss-server';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

type Client = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY = 86_400_000;
const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64');

async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestOssServer;
beforeAll(async () => {
  t = await startTestOssServer({ minPartSize: 1024 });
});
afterAll(async () => {
  await t.close();
});

describe.each([false, true])('buckets and lifecycle configuration (authorizationV4=%s)', (v4) => {
  let client: Client;
  const bucket = v4 ? 'lc-v4' : 'lc-v1';
  beforeAll(async () => {
    client = new OSS({ ...t.clientOptions(v4), bucket } as any);
    await client.putBucket(bucket);
  });

  it('creates, describes, lists and deletes buckets', async () => {
    const names = (await client.listBuckets()).buckets.map((b: any) => b.name);
    expect(names).toContain(bucket);
    expect(names).toContain(t.bucket);
    const info = await client.getBucketInfo(bucket);
    expect(info.bucket.Name).toBe(bucket);
    expect((await failure(client.putBucket(bucket))).code).toBe('BucketAlreadyExists');
    await client.put('x', Buffer.from('x'));
    const e = await failure(client.deleteBucket(bucket));
    expect(e.status).toBe(409);
    expect(e.code).toBe('BucketNotEmpty');
    await client.delete('x');
    const tmp = v4 ? 'tmp-bucket-v4' : 'tmp-bucket-v1';
    await client.putBucket(tmp);
    expect((await client.deleteBucket(tmp)).res.status).toBe(204);
  });

  it('puts, gets and deletes lifecycle rules', async () => {
    expect((await failure(client.getBucketLifecycle(bucket))).code).toBe('NoSuchLifecycle');
    await client.putBucketLifecycle(bucket, [
      { id: 'gc-tmp', prefix: 'tmp/', status: 'Enabled', expiration: { days: 7 }, abortMultipartUpload: { days: 2 } },
      { id: 'cold', prefix: 'artifacts/', status: 'Enabled', transition: { days: 30, storageClass: 'IA' } },
      { id: 'tagged', prefix: '', status: 'Enabled', tag: [{ key: 'gc', value: 'true' }], expiration: { days: 1 } },
      { id: 'dated', prefix: 'old/', status: 'Disabled', expiration: { createdBeforeDate: '2020-01-01T00:00:00.000Z' } },
    ]);
    const got = await client.getBucketLifecycle(bucket);
    const byId = Object.fromEntries(got.rules.map((r: any) => [r.id, r]));
    expect(byId['gc-tmp'].prefix).toBe('tmp/');
    expect(byId['gc-tmp'].expiration.days).toBe('7');
    expect(byId['gc-tmp'].abortMultipartUpload.days).toBe('2');
    expect(byId.cold.transition.storageClass).toBe('IA');
    expect(byId.tagged.tag).toEqual([{ key: 'gc', value: 'true' }]);
    expect(byId.dated.status).toBe('Disabled');
    expect(byId.dated.expiration.createdBeforeDate).toBe('2020-01-01T00:00:00.000Z');
    expect((await client.deleteBucketLifecycle(bucket)).res.status).toBe(204);
    expect((await failure(client.getBucketLifecycle(bucket))).status).toBe(404);
  });
});

describe('lifecycle validation (raw documents)', () => {
  let client: Client;
  const bucket = 'lc-raw';
  beforeAll(async () => {
    client = new OSS({ ...t.clientOptions(true), bucket } as any);
    await client.putBucket(bucket);
  });

  async function putRaw(xml: string): Promise<[number, string]> {
    const url: string = await client.signatureUrlV4('PUT', 600, { queries: { lifecycle: null } }, '');
    const res = await fetch(url, { method: 'PUT', body: Buffer.from(xml) });
    return [res.status, await res.text()];
  }
  const doc = (...rules: string[]) => `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration>${rules.join('')}</LifecycleConfiguration>`;

  it('accepts any element order', async () => {
    const [status] = await putRaw(doc('<Rule><Expiration><Days>3</Days></Expiration><Status>Enabled</Status><ID>last</ID><Prefix>a/</Prefix></Rule>'));
    expect(status).toBe(200);
    expect((await client.getBucketLifecycle(bucket)).rules[0].id).toBe('last');
  });

  it.each([
    ['Tag with AbortMultipartUpload', doc('<Rule><ID>r</ID><Prefix>a/</Prefix><Status>Enabled</Status><Tag><Key>k</Key><Value>v</Value></Tag><AbortMultipartUpload><Days>1</Days></AbortMultipartUpload></Rule>'), 'InvalidArgument'],
    ['the same prefix twice', doc('<Rule><ID>a</ID><Prefix>x/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>', '<Rule><ID>b</ID><Prefix>x/</Prefix><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition></Rule>'), 'InvalidArgument'],
    ['overlapping prefixes both expiring', doc('<Rule><ID>a</ID><Prefix>test</Prefix><Status>Enabled</Status><Expiration><Days>200</Days></Expiration></Rule>', '<Rule><ID>b</ID><Prefix>test/log</Prefix><Status>Enabled</Status><Expiration><Days>100</Days></Expiration></Rule>'), 'InvalidArgument'],
    ['expiry before transition (overlapping)', doc('<Rule><ID>a</ID><Prefix>test</Prefix><Status>Enabled</Status><Transition><Days>120</Days><StorageClass>IA</StorageClass></Transition></Rule>', '<Rule><ID>b</ID><Prefix>test/log</Prefix><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>'), 'InvalidArgument'],
    ['a bad storage class', doc('<Rule><ID>a</ID><Prefix>p/</Prefix><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>Glacier</StorageClass></Transition></Rule>'), 'InvalidArgument'],
    ['a non-midnight date', doc('<Rule><ID>a</ID><Prefix>p/</Prefix><Status>Enabled</Status><Expiration><CreatedBeforeDate>2020-01-01T10:00:00.000Z</CreatedBeforeDate></Expiration></Rule>'), 'InvalidArgument'],
    ['a bad status', doc('<Rule><ID>a</ID><Prefix>p/</Prefix><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>'), 'MalformedXML'],
    ['broken XML', '<LifecycleConfiguration><Rule>', 'MalformedXML'],
    ['no rules', doc(), 'MalformedXML'],
  ])('rejects %s', async (_name, xml, code) => {
    const [status, text] = await putRaw(xml);
    expect(status).toBe(400);
    expect(text).toContain(`<Code>${code}</Code>`);
  });

  it('accepts overlapping prefixes with compatible actions', async () => {
    const [status] = await putRaw(
      doc(
        '<Rule><ID>a</ID><Prefix>test</Prefix><Status>Enabled</Status><Expiration><Days>200</Days></Expiration></Rule>',
        '<Rule><ID>b</ID><Prefix>test/log</Prefix><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition></Rule>',
      ),
    );
    expect(status).toBe(200);
  });
});

describe('lifecycle apply (admin endpoint)', () => {
  let client: Client;
  const bucket = 'lc-apply';
  beforeAll(async () => {
    client = new OSS({ ...t.clientOptions(true), bucket } as any);
    await client.putBucket(bucket);
  });

  it('expires, transitions and aborts as of a given time', async () => {
    await client.putBucketLifecycle(bucket, [
      { id: 'tmp', prefix: 'tmp/', status: 'Enabled', expiration: { days: 1 }, abortMultipartUpload: { days: 1 } },
      { id: 'cold', prefix: 'cold/', status: 'Enabled', transition: { days: 1, storageClass: 'IA' } },
      { id: 'colder', prefix: 'cold/deep/', status: 'Enabled', transition: { days: 3, storageClass: 'Archive' } },
      { id: 'tagged', prefix: 'tagged/', status: 'Enabled', tag: { key: 'gc', value: 'true' }, expiration: { days: 1 } },
      { id: 'off', prefix: 'off/', status: 'Disabled', expiration: { days: 1 } },
    ]);
    for (const k of ['tmp/a', 'cold/deep/b', 'keep/c', 'tagged/e', 'off/f']) await client.put(k, Buffer.from(k));
    await client.put('tagged/d', Buffer.from('d'), { headers: { 'x-oss-tagging': 'gc=true' } });
    const { uploadId } = await client.initMultipartUpload('tmp/upload');
    const { uploadId: keptUpload } = await client.initMultipartUpload('keep/upload');

    const early = await t.admin<any>('POST', '/lifecycle/apply', { bucket, now: new Date(Date.now() + DAY / 2).toISOString() });
    expect(early).toEqual({ expired: [], transitioned: [], aborted: [] });

    const report = await t.admin<any>('POST', '/lifecycle/apply', { bucket, now: new Date(Date.now() + 2 * DAY).toISOString() });
    expect(report.expired.map((e: any) => `${e.key}:${e.rule}`).sort()).toEqual(['tagged/d:tagged', 'tmp/a:tmp']);
    expect(report.transitioned).toEqual([{ bucket, key: 'cold/deep/b', storageClass: 'IA', rule: 'cold' }]);
    expect(report.aborted).toEqual([{ bucket, key: 'tmp/upload', uploadId, rule: 'tmp' }]);

    expect((await failure(client.head('tmp/a'))).status).toBe(404);
    expect((await client.head('tagged/e')).status).toBe(200);
    expect((await client.head('off/f')).status).toBe(200);
    expect((await client.head('cold/deep/b')).res.headers['x-oss-storage-class']).toBe('IA');
    const listed = await client.listV2({ prefix: 'cold/' });
    expect(listed.objects[0].storageClass).toBe('IA');
    expect((await failure(client.listParts('tmp/upload', uploadId))).code).toBe('NoSuchUpload');
    expect((await client.listParts('keep/upload', keptUpload)).uploadId).toBe(keptUpload);

    const later = await t.admin<any>('POST', '/lifecycle/apply', { bucket, now: new Date(Date.now() + 4 * DAY).toISOString() });
    expect(later.transitioned).toEqual([{ bucket, key: 'cold/deep/b', storageClass: 'Archive', rule: 'colder' }]);
    // Archive objects must be restored before they can be read.
    const cold = await failure(client.get('cold/deep/b'));
    expect(cold.status).toBe(403);
    expect(cold.code).toBe('InvalidObjectState');
    expect((await client.restore('cold/deep/b')).res.status).toBe(202);
    expect((await client.get('cold/deep/b')).content.toString()).toBe('cold/deep/b');
  });

  it('validates the admin request', async () => {
    await expect(t.admin('POST', '/lifecycle/apply', { now: 'yesterday' })).rejects.toThrow(/400/);
    await expect(t.admin('POST', '/lifecycle/apply', { bucket: 'nope-nope' })).rejects.toThrow(/404/);
  });
});

describe('fault injection', () => {
  let client: Client;
  beforeAll(() => {
    client = new OSS(t.clientOptions(true) as any);
  });

  it('fails an UploadPart with 503 once, then lets it through', async () => {
    const key = 'faults/part.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const { id } = await t.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', key }, status: 503 });
    expect(id).toBeTruthy();
    expect((await t.admin<any>('GET', '/faults')).faults.map((f: any) => f.id)).toEqual([id]);
    const data = randomBytes(100);
    const opts = { headers: { 'Content-MD5': md5b64(data) } };
    const err = await failure(client.uploadPart(key, uploadId, 1, data, 0, data.length, opts));
    expect(err.status).toBe(503);
    expect(err.code).toBe('ServiceUnavailable');
    expect((await t.admin<any>('GET', '/faults')).faults).toEqual([]);
    const ok = await client.uploadPart(key, uploadId, 1, data, 0, data.length, opts);
    expect(ok.res.status).toBe(200);
  });

  it('every: N applies to every Nth matching request only, and those are all it counts', async () => {
    await client.put('faults/every.txt', Buffer.from('x'));
    const { id } = await t.admin<{ id: string }>('POST', '/faults', { match: { operation: 'GetObject', key: 'faults/every.txt' }, every: 3, count: 2, status: 500 });
    const outcomes: number[] = [];
    for (let i = 0; i < 9; i++) outcomes.push(await client.get('faults/every.txt').then((r: any) => r.res.status, (e: any) => e.status));
    // The 3rd and 6th fail; then the fault is used up (count 2) and the 9th passes.
    expect(outcomes).toEqual([200, 200, 500, 200, 200, 500, 200, 200, 200]);
    expect((await t.admin<any>('GET', '/faults')).faults.map((f: any) => f.id)).not.toContain(id);
    await expect(t.admin('POST', '/faults', { every: 0, status: 500 })).rejects.toThrow(/every/);
  });

  it('cuts a GetObject response after K bytes', async () => {
    await client.put('faults/get.bin', randomBytes(256 * 1024));
    await t.admin('POST', '/faults', { match: { operation: 'GetObject', key: 'faults/get.bin' }, resetAfterBytes: 1000 });
    const r = await client.getStream('faults/get.bin');
    let got = 0;
    const err = await failure(
      (async () => {
        for await (const c of r.stream) got += (c as Buffer).length;
      })(),
    );
    expect(err).toBeTruthy();
    expect(got).toBe(1000);
    expect((await client.get('faults/get.bin')).content.length).toBe(256 * 1024); // one-shot
  });

  it('cuts a PutObject request after K bytes and keeps nothing', async () => {
    await t.admin('POST', '/faults', { match: { operation: 'PutObject', keyPrefix: 'faults/cut' }, resetAfterBytes: 4096, direction: 'request' });
    const err = await failure(client.put('faults/cut.bin', randomBytes(512 * 1024)));
    expect(err.status).toBe(-1);
    await sleep(50);
    expect((await failure(client.head('faults/cut.bin'))).status).toBe(404);
    expect(await readdir(join(t.dataDir, 'tmp'))).toEqual([]);
  });

  it('delays requests, with a custom error code, count and clearing', async () => {
    await client.put('faults/slow.bin', Buffer.from('s'));
    await t.admin('POST', '/faults', { match: { operation: 'HeadObject' }, latencyMs: 300 });
    const start = Date.now();
    await client.head('faults/slow.bin');
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);

    await t.admin('POST', '/faults', { match: { method: 'GET', keyPrefix: 'faults/' }, code: 'SlowDown', status: 503, count: 2 });
    for (let i = 0; i < 2; i++) expect((await failure(client.get('faults/slow.bin'))).code).toBe('SlowDown');
    expect((await client.get('faults/slow.bin')).content.toString()).toBe('s');

    await t.admin('POST', '/faults', { match: { operation: 'DeleteObject' }, status: 500, count: -1 });
    expect((await t.admin<any>('DELETE', '/faults')).cleared).toBe(1);
    expect((await client.delete('faults/slow.bin')).res.status).toBe(204);

    await expect(t.admin('POST', '/faults', { status: 200 })).rejects.toThrow(/400/);
    await expect(t.admin('POST', '/faults', { match: { nope: 1 } })).rejects.toThrow(/400/);
  });

  it('loads faults from ARGO_OSS_FAULTS at start', async () => {
    process.env.ARGO_OSS_FAULTS = JSON.stringify([{ match: { operation: 'PutObject' }, status: 500, code: 'InternalError' }]);
    let s: TestOssServer | undefined;
    try {
      s = await startTestOssServer();
    } finally {
      delete process.env.ARGO_OSS_FAULTS;
    }
    const c = new OSS(s.clientOptions(false) as any) as Client;
    expect((await failure(c.put('a', Buffer.from('a')))).status).toBe(500);
    expect((await c.put('a', Buffer.from('a'))).res.status).toBe(200);
    await s.close();
  });
});

describe('robustness', () => {
  it('removes the temp file when a client aborts mid-upload; nothing becomes visible', async () => {
    const client = new OSS(t.clientOptions(true) as any) as Client;
    const url = new URL(await client.signatureUrlV4('PUT', 600, {}, 'abort/half.bin'));
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: t.server.port, method: 'PUT', path: url.pathname + url.search, headers: { 'content-length': 1024 * 1024 } });
      req.on('error', () => resolve());
      req.write(randomBytes(200 * 1024), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    await sleep(100);
    expect((await failure(client.head('abort/half.bin'))).status).toBe(404);
    expect(await readdir(join(t.dataDir, 'tmp'))).toEqual([]);
  });

  it('serialises concurrent writers of one key and keeps no orphan data', async () => {
    const client = new OSS(t.clientOptions(false) as any) as Client;
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(`writer-${i}-`.repeat(1000)));
    await Promise.all(bodies.map((b) => client.put('race/key.bin', b)));
    const got = await client.get('race/key.bin');
    const winner = bodies.find((b) => b.equals(got.content));
    expect(winner).toBeTruthy();
    expect(got.res.headers.etag).toBe(`"${createHash('md5').update(winner!).digest('hex').toUpperCase()}"`);
    await sleep(50);
    const blobs = await readdir(join(t.dataDir, 'buckets', t.bucket, 'blobs'));
    const listed = await client.listV2({ 'max-keys': 1000 });
    expect(blobs.length).toBeLessThanOrEqual(listed.objects.length); // every blob belongs to a live object
  });

  it('keeps serving the old bytes to a reader while the object is overwritten', async () => {
    const client = new OSS(t.clientOptions(true) as any) as Client;
    const first = randomBytes(3 * 1024 * 1024);
    await client.put('race/reader.bin', first);
    const r = await client.getStream('race/reader.bin');
    const chunks: Buffer[] = [];
    let replaced = false;
    for await (const c of r.stream) {
      chunks.push(c as Buffer);
      if (!replaced) {
        replaced = true;
        await client.put('race/reader.bin', randomBytes(1000));
        await client.delete('race/reader.bin');
      }
    }
    expect(Buffer.concat(chunks).equals(first)).toBe(true);
  });

  it('sweeps temp files and unreferenced blobs at start', async () => {
    const s1 = await startTestOssServer();
    const c = new OSS(s1.clientOptions(true) as any) as Client;
    await c.put('keep.bin', Buffer.from('keep'));
    await s1.server.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(s1.dataDir, 'tmp', 'half-upload'), 'partial');
    await writeFile(join(s1.dataDir, 'buckets', s1.bucket, 'blobs', 'orphan-blob'), 'orphan');
    const s2 = await startOssServer({ dataDir: s1.dataDir, port: 0 });
    try {
      expect(await readdir(join(s1.dataDir, 'tmp'))).toEqual([]);
      const blobs = await readdir(join(s1.dataDir, 'buckets', s1.bucket, 'blobs'));
      expect(blobs).not.toContain('orphan-blob');
      expect(blobs.length).toBe(1);
      const c2 = new OSS({ ...s1.clientOptions(true), endpoint: `http://localhost:${s2.port}` } as any) as Client;
      expect((await c2.get('keep.bin')).content.toString()).toBe('keep');
    } finally {
      await s2.close();
      await s1.close();
    }
  });

  it('answers admin health with a request id', async () => {
    const res = await fetch(`${t.server.url}/_argo-oss/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
    expect(((await res.json()) as { buckets: string[] }).buckets).toContain(t.bucket);
  });

  it('persists objects, tags, uploads and lifecycle across a restart', async () => {
    const s1 = await startTestOssServer({ minPartSize: 1024 });
    const dataDir = s1.dataDir;
    let c = new OSS(s1.clientOptions(false) as any) as Client;
    await c.put('p/obj.txt', Buffer.from('persist'), { meta: { m: '1' }, headers: { 'x-oss-tagging': 'a=b' } });
    const { uploadId } = await c.initMultipartUpload('p/big.bin');
    const part1 = randomBytes(2048);
    const r1 = await c.uploadPart('p/big.bin', uploadId, 1, part1, 0, part1.length);
    await c.putBucketLifecycle(s1.bucket, [{ id: 'r', prefix: 'p/', status: 'Enabled', expiration: { days: 9 } }]);
    await s1.server.close(); // keep the data directory

    const s2 = await startOssServer({ dataDir, port: 0, minPartSize: 1024 });
    try {
      c = new OSS({ ...s1.clientOptions(false), endpoint: `http://localhost:${s2.port}` } as any);
      const got = await c.get('p/obj.txt');
      expect(got.content.toString()).toBe('persist');
      expect(got.res.headers['x-oss-meta-m']).toBe('1');
      expect((await c.getObjectTagging('p/obj.txt')).tag).toEqual({ a: 'b' });
      expect((await c.getBucketLifecycle(s1.bucket)).rules[0].id).toBe('r');
      const parts = await c.listParts('p/big.bin', uploadId);
      expect(parts.parts.ETag).toBe(r1.etag); // one part: xml2js gives an object, not an array
      const part2 = randomBytes(10);
      const r2 = await c.uploadPart('p/big.bin', uploadId, 2, part2, 0, part2.length);
      await c.completeMultipartUpload('p/big.bin', uploadId, [
        { number: 1, etag: r1.etag },
        { number: 2, etag: r2.etag },
      ]);
      expect((await c.get('p/big.bin')).content.equals(Buffer.concat([part1, part2]))).toBe(true);
    } finally {
      await s2.close();
      await s1.close();
    }
  });
});
