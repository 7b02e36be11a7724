// Integration: the OSS layer driving the real ali-oss client over real HTTP against the local
// OSS-compatible server (V4 signatures verified by the server, bytes checksummed). No SDK mocks.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config';
import { crc64, crc64Combine, parseCrc64 } from '../shared/crc64';
import {
  OssArgumentError,
  OssClient,
  OssError,
  abortMultipartUpload,
  applyLifecycleRules,
  completeMultipartUpload,
  createOssClientFromConfig,
  deleteObject,
  deleteObjectTags,
  deleteObjects,
  deletePrefix,
  getJson,
  getLifecycleRules,
  getObject,
  getObjectStream,
  getObjectTags,
  headObject,
  initiateMultipartUpload,
  iterateObjectPages,
  listAllParts,
  listMultipartUploadsPage,
  listObjectsPage,
  listPartsPage,
  mapLimit,
  objectExists,
  presignGetObject,
  presignUploadPart,
  putJson,
  putLifecycleRules,
  putObject,
  putObjectTags,
  uploadPart,
  type LifecycleRule,
  type OssClientOptions,
} from '../shared/oss';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

let srv: TestOssServer;
let client: OssClient;
const extra: OssClient[] = [];

function options(overrides: Partial<OssClientOptions> = {}): OssClientOptions {
  const o = srv.clientOptions(true);
  return {
    bucket: o.bucket,
    region: o.region,
    endpoint: o.endpoint,
    credentials: { accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret },
    ...overrides,
  };
}

function another(overrides: Partial<OssClientOptions> = {}): OssClient {
  const c = new OssClient(options(overrides));
  extra.push(c);
  return c;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

async function expectOssError(p: Promise<unknown>, match: Partial<Pick<OssError, 'kind' | 'code' | 'status'>>): Promise<OssError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OssError);
    expect(err).toMatchObject(match);
    return err as OssError;
  }
  throw new Error(`expected an OssError ${JSON.stringify(match)}`);
}

const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();

beforeAll(async () => {
  srv = await startTestOssServer({ minPartSize: 1024 });
  client = new OssClient(options());
});

afterAll(async () => {
  client?.close();
  for (const c of extra) c.close();
  await srv?.close();
});

describe('objects: put / get / range / head', () => {
  const body = Buffer.from('0123456789abcdefghij');

  it('puts and heads with size, ETag, CRC-64, meta and type', async () => {
    const put = await putObject(client, 'obj/hello.txt', body, { contentType: 'text/plain', meta: { owner: 'wf-1' } });
    expect(put.crc64).toBe(crc64(body));
    expect(put.etag).toBe(`"${md5hex(body)}"`);
    const info = await headObject(client, 'obj/hello.txt');
    expect(info).toMatchObject({ key: 'obj/hello.txt', size: 20, etag: put.etag, crc64: crc64(body), contentType: 'text/plain', meta: { owner: 'wf-1' }, objectType: 'Normal' });
    expect(info.lastModified).toBeInstanceOf(Date);
    expect(await objectExists(client, 'obj/hello.txt')).toBe(true);
    expect(await objectExists(client, 'obj/missing.txt')).toBe(false);
  });

  it('gets whole objects and ranges, with the whole-object CRC on ranged reads', async () => {
    expect((await getObject(client, 'obj/hello.txt')).body).toEqual(body);

    const r = await getObjectStream(client, 'obj/hello.txt', { range: { start: 2, end: 5 } });
    expect(r.status).toBe(206);
    expect(r.contentRange).toEqual({ start: 2, end: 5, size: 20 });
    expect(r.size).toBe(20);
    expect(r.contentLength).toBe(4);
    expect(r.crc64).toBe(crc64(body));
    expect(await readAll(r.stream)).toEqual(body.subarray(2, 6));

    const tail = await getObjectStream(client, 'obj/hello.txt', { range: { suffix: 3 } });
    expect(await readAll(tail.stream)).toEqual(Buffer.from('hij'));

    const clamped = await getObjectStream(client, 'obj/hello.txt', { range: { start: 15, end: 1000 } });
    expect(clamped.status).toBe(206);
    expect(await readAll(clamped.stream)).toEqual(body.subarray(15));

    await expectOssError(getObjectStream(client, 'obj/hello.txt', { range: { start: 20 } }), { kind: 'InvalidRange', status: 416 });
    // Without x-oss-range-behavior: standard, OSS ignores an unsatisfiable range and sends everything.
    const legacy = await getObjectStream(client, 'obj/hello.txt', { range: { start: 20 }, standardRange: false });
    expect(legacy.status).toBe(200);
    expect(await readAll(legacy.stream)).toEqual(body);
  });

  it('honours conditional headers', async () => {
    const { etag } = await headObject(client, 'obj/hello.txt');
    const notModified = await getObjectStream(client, 'obj/hello.txt', { ifNoneMatch: etag });
    expect(notModified.status).toBe(304);
    await expectOssError(getObjectStream(client, 'obj/hello.txt', { ifMatch: '"00000000000000000000000000000000"' }), { kind: 'PreconditionFailed', status: 412 });
  });

  it('maps missing keys to NotFound for head, stream and get', async () => {
    await expectOssError(headObject(client, 'obj/nope'), { kind: 'NotFound', status: 404 });
    const e = await expectOssError(getObjectStream(client, 'obj/nope'), { kind: 'NotFound', code: 'NoSuchKey' });
    expect(e).toMatchObject({ operation: 'getObjectStream', bucket: srv.bucket, key: 'obj/nope' });
    await expectOssError(getObject(client, 'obj/nope'), { kind: 'NotFound' });
  });

  it('JSON documents with a size cap and validation', async () => {
    const doc = { uploadId: 'u-1', parts: [{ n: 1, crc: '123' }] };
    await putJson(client, '.argo-oss/manifests/m1.json', doc);
    const got = await getJson(client, '.argo-oss/manifests/m1.json', {
      validate: (v) => {
        if (typeof v !== 'object' || v === null || !('uploadId' in v)) throw new Error('not a manifest');
        return v as typeof doc;
      },
    });
    expect(got.value).toEqual(doc);
    expect(got.etag).toMatch(/^"[0-9A-F]{32}"$/);
    expect((await headObject(client, '.argo-oss/manifests/m1.json')).contentType).toBe('application/json');
    await expectOssError(getJson(client, '.argo-oss/manifests/m1.json', { maxBytes: 10 }), { kind: 'TooLarge' });
    await expectOssError(putJson(client, 'x.json', { big: 'y'.repeat(100) }, { maxBytes: 50 }), { kind: 'TooLarge' });
    await expectOssError(getJson(client, 'obj/hello.txt'), { kind: 'Integrity', code: 'InvalidJson' });
    await expectOssError(getJson(client, '.argo-oss/manifests/m1.json', { validate: () => { throw new Error('nope'); } }), { code: 'InvalidDocument' });
  });

  it('forbidOverwrite refuses to replace an existing key', async () => {
    await putJson(client, '.argo-oss/ledger/once.json', { n: 1 }, { forbidOverwrite: true });
    await expectOssError(putJson(client, '.argo-oss/ledger/once.json', { n: 2 }, { forbidOverwrite: true }), { kind: 'PreconditionFailed' });
    expect((await getJson(client, '.argo-oss/ledger/once.json')).value).toEqual({ n: 1 });
  });

  it('works through a loopback IP endpoint (rewritten to localhost)', async () => {
    const viaIp = another({ endpoint: srv.server.url });
    expect(viaIp.endpoint.rewrittenFrom).toBe(srv.server.url);
    expect((await getObject(viaIp, 'obj/hello.txt')).body).toEqual(body);
  });

  it('survives destroyed streams (separate non-keep-alive agent, ali-oss #40)', async () => {
    const big = randomBytes(512 * 1024);
    await putObject(client, 'obj/big.bin', big);
    for (let i = 0; i < 5; i++) {
      const s = await getObjectStream(client, 'obj/big.bin');
      await new Promise<void>((resolve) => s.stream.once('data', () => resolve()));
      s.stream.destroy();
    }
    // The keep-alive client is unaffected and stream reads still work.
    expect((await headObject(client, 'obj/big.bin')).size).toBe(big.length);
    const again = await getObjectStream(client, 'obj/big.bin');
    expect(crc64(await readAll(again.stream))).toBe(crc64(big));
  });

  it('deleteObject is idempotent', async () => {
    await putObject(client, 'obj/tmp', 'x');
    await deleteObject(client, 'obj/tmp');
    await deleteObject(client, 'obj/tmp');
    expect(await objectExists(client, 'obj/tmp')).toBe(false);
  });
});

describe('multipart with V4 presigned part URLs', () => {
  const key = 'mp/artifact.bin';
  const sizes = [4096, 3000, 2048, 5000, 777];
  const parts = sizes.map((n) => randomBytes(n));
  const whole = Buffer.concat(parts);
  let uploadId = '';
  const recorded: Array<{ partNumber: number; etag: string; crc64: bigint; size: number }> = [];

  it('initiates and uploads parts with plain fetch, sending exactly the returned headers', async () => {
    ({ uploadId } = await initiateMultipartUpload(client, key, { contentType: 'application/octet-stream', meta: { run: 'r1' } }));
    expect(uploadId).toBeTruthy();
    for (const [i, data] of parts.entries()) {
      const p = await presignUploadPart(client, { key, uploadId }, i + 1, { expiresSeconds: 300, contentMd5: md5b64(data) });
      expect(p.headers).toEqual({ 'Content-MD5': md5b64(data) });
      const res = await fetch(p.url, { method: p.method, headers: p.headers, body: data });
      expect(res.status, await res.clone().text()).toBe(200);
      const etag = res.headers.get('etag')!;
      expect(etag).toBe(`"${md5hex(data)}"`);
      const crc = parseCrc64(res.headers.get('x-oss-hash-crc64ecma')!);
      expect(crc).toBe(crc64(data));
      recorded.push({ partNumber: i + 1, etag, crc64: crc, size: data.length });
    }
  });

  it('rejects a corrupted body when Content-MD5 is bound (InvalidDigest)', async () => {
    const data = parts[0];
    const p = await presignUploadPart(client, { key, uploadId }, 9, { expiresSeconds: 300, contentMd5: md5b64(data) });
    const corrupted = Buffer.from(data);
    corrupted[10] ^= 0xff;
    const res = await fetch(p.url, { method: 'PUT', headers: p.headers, body: corrupted });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidDigest</Code>');
  });

  it('rejects requests that do not send the signed headers or tamper with the URL', async () => {
    const data = parts[0];
    const p = await presignUploadPart(client, { key, uploadId }, 9, { expiresSeconds: 300, contentMd5: md5b64(data), contentType: 'application/octet-stream' });
    const missing = await fetch(p.url, { method: 'PUT', headers: { 'Content-MD5': md5b64(data) }, body: data });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('SignatureDoesNotMatch');
    const otherPart = await fetch(p.url.replace('partNumber=9', 'partNumber=8'), { method: 'PUT', headers: p.headers, body: data });
    expect(otherPart.status).toBe(403);
  });

  it('binds the content length when asked', async () => {
    const data = Buffer.alloc(1500, 7);
    const p = await presignUploadPart(client, { key, uploadId }, 9, { expiresSeconds: 300, contentLength: data.length });
    expect(p.headers).toEqual({ 'Content-Length': '1500' });
    expect(new URL(p.url).searchParams.get('x-oss-additional-headers')).toBe('content-length');
    const ok = await fetch(p.url, { method: 'PUT', headers: p.headers, body: data });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const wrong = await fetch(p.url, { method: 'PUT', body: Buffer.alloc(1499) });
    expect(wrong.status).toBe(403);
  });

  it('lists all parts over several pages', async () => {
    const first = await listPartsPage(client, { key, uploadId }, { maxParts: 2 });
    expect(first.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(first.isTruncated).toBe(true);
    expect(first.nextPartNumberMarker).toBe(2);
    const all = await listAllParts(client, { key, uploadId }, { maxParts: 2 });
    // Part 9 (the content-length test) is there too; drop it from the completion list below.
    expect(all.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 9]);
    for (const r of recorded) {
      expect(all.find((p) => p.partNumber === r.partNumber)).toMatchObject({ etag: r.etag, size: r.size, crc64: r.crc64 });
    }
  });

  it('shows the upload in ListMultipartUploads', async () => {
    const page = await listMultipartUploadsPage(client, { prefix: 'mp/' });
    expect(page.uploads).toContainEqual(expect.objectContaining({ key, uploadId }));
  });

  it('completes; folded part CRC-64s equal the object CRC-64', async () => {
    const folded = recorded.slice(1).reduce((acc, p) => crc64Combine(acc, p.crc64, p.size), recorded[0].crc64);
    expect(folded).toBe(crc64(whole));
    const done = await completeMultipartUpload(client, { key, uploadId }, [...recorded].reverse());
    expect(done.crc64).toBe(folded);
    const info = await headObject(client, key);
    expect(info).toMatchObject({ size: whole.length, crc64: folded, objectType: 'Multipart', meta: { run: 'r1' } });
    expect((await getObject(client, key)).body.equals(whole)).toBe(true);
    await expectOssError(listPartsPage(client, { key, uploadId }), { kind: 'NoSuchUpload' });
  });

  it('refuses bad completion lists locally and maps OSS InvalidPart', async () => {
    const ref = await initiateMultipartUpload(client, 'mp/bad.bin');
    const up = await uploadPart(client, ref, 1, randomBytes(2000));
    expect(up.crc64).toBeTypeOf('bigint');
    await expect(completeMultipartUpload(client, ref, [{ partNumber: 1, etag: up.etag }, { partNumber: 1, etag: up.etag }])).rejects.toThrow(OssArgumentError);
    await expect(completeMultipartUpload(client, ref, [])).rejects.toThrow(OssArgumentError);
    await expectOssError(completeMultipartUpload(client, ref, [{ partNumber: 1, etag: '"0123456789ABCDEF0123456789ABCDEF"' }]), { kind: 'InvalidPart', code: 'InvalidPart' });
    await abortMultipartUpload(client, ref);
  });

  it('aborts; a second abort or a listing is NoSuchUpload', async () => {
    const ref = await initiateMultipartUpload(client, 'mp/aborted.bin');
    await uploadPart(client, ref, 1, randomBytes(1500));
    await abortMultipartUpload(client, ref);
    await expectOssError(listPartsPage(client, ref), { kind: 'NoSuchUpload', status: 404 });
    const e = await expectOssError(abortMultipartUpload(client, ref), { kind: 'NoSuchUpload', code: 'NoSuchUpload' });
    expect(e.uploadId).toBe(ref.uploadId);
    const page = await listMultipartUploadsPage(client, { prefix: 'mp/aborted' });
    expect(page.uploads).toEqual([]);
  });
});

describe('presigned GET', () => {
  it('serves the object with response-content-disposition and other overrides', async () => {
    const body = Buffer.from('report contents');
    await putObject(client, 'dl/report.txt', body, { contentType: 'text/plain' });
    const disposition = `attachment; filename="r port.txt"; filename*=UTF-8''r%C3%A9port.txt`;
    const p = await presignGetObject(client, 'dl/report.txt', { expiresSeconds: 120, response: { contentDisposition: disposition, contentType: 'application/x-report', cacheControl: 'no-store' } });
    const res = await fetch(p.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(disposition);
    expect(res.headers.get('content-type')).toBe('application/x-report');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);

    const tampered = new URL(p.url);
    tampered.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(tampered)).status).toBe(403);

    const range = await fetch(p.url, { headers: { Range: 'bytes=0-5' } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('report');
  });

  it('expires', async () => {
    await putObject(client, 'dl/short.txt', 'x');
    const p = await presignGetObject(client, 'dl/short.txt', { expiresSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const res = await fetch(p.url);
    expect(res.status).toBe(403);
  });
});

describe('batch and prefix delete', () => {
  it('deletes more than 1000 keys in chunks', async () => {
    const keys = Array.from({ length: 1234 }, (_, i) => `bulk/k-${String(i).padStart(4, '0')}`);
    await mapLimit(keys, 16, (k) => putObject(client, k, k));
    const r = await deleteObjects(client, keys, { concurrency: 2 });
    expect(r.failed).toEqual([]);
    expect(new Set(r.deleted)).toEqual(new Set(keys));
    const left = await listObjectsPage(client, { prefix: 'bulk/' });
    expect(left.objects).toEqual([]);
  });

  it('deletes a prefix across pages and leaves siblings', async () => {
    const inside = ['a/b/1', 'a/b/2', 'a/b/3', 'a/b/c/d', 'a/b/c/e'];
    const outside = ['a/b2', 'a/b2/x', 'a/bc', 'a/b', 'b/a/b/1'];
    await mapLimit([...inside, ...outside], 8, (k) => putObject(client, k, k));
    const pending = await initiateMultipartUpload(client, 'a/b/pending.bin');

    const dry = await deletePrefix(client, 'a/b/', { dryRun: true, pageSize: 2 });
    expect(dry).toMatchObject({ count: 5, listed: 5, complete: true, abortedUploads: 0 });
    expect(dry.keys).toEqual(inside);
    expect(await objectExists(client, 'a/b/1')).toBe(true);

    const filtered = await deletePrefix(client, 'a/b/', { filter: (o) => o.key.startsWith('a/b/c/'), pageSize: 2 });
    expect(filtered).toMatchObject({ count: 2, listed: 5 });

    const seen: string[] = [];
    const r = await deletePrefix(client, 'a/b/', { pageSize: 2, concurrency: 2, abortUploads: true, onDeleted: (k) => void seen.push(...k) });
    expect(r).toMatchObject({ count: 3, listed: 3, failed: [], complete: true, abortedUploads: 1 });
    expect(seen.sort()).toEqual(['a/b/1', 'a/b/2', 'a/b/3']);
    await expectOssError(listPartsPage(client, pending), { kind: 'NoSuchUpload' });

    const remaining: string[] = [];
    for await (const page of iterateObjectPages(client, { prefix: 'a/', maxKeys: 2 })) remaining.push(...page.objects.map((o) => o.key));
    expect(remaining.sort()).toEqual(['a/b', 'a/b2', 'a/b2/x', 'a/bc']);
    expect(await objectExists(client, 'b/a/b/1')).toBe(true);
  });
});

describe('lifecycle read-merge-write', () => {
  const foreign: LifecycleRule = { id: 'ops-cold', prefix: 'archive/', status: 'Enabled', transition: { days: 30, storageClass: 'IA' } };
  const foreign2: LifecycleRule = { id: 'ops-tmp', prefix: 'tmp/', status: 'Enabled', expiration: { days: 7 }, abortMultipartUpload: { days: 2 } };

  it('reads an absent configuration as no rules', async () => {
    expect(await getLifecycleRules(client)).toEqual([]);
  });

  it('preserves foreign rules and replaces ours', async () => {
    // An operator's rules, written by another tool (plain ali-oss).
    await client.sdk.putBucketLifecycle(srv.bucket, [{ ...foreign }, { ...foreign2 }]);
    const desired: LifecycleRule[] = [
      { id: 'argo-oss-abort-uploads', prefix: 'uploads/', status: 'Enabled', abortMultipartUpload: { days: 3 } },
      { id: 'argo-oss-gc-tagged', prefix: '', status: 'Enabled', tag: { key: 'argo-oss-gc', value: 'true' }, expiration: { days: 1 } },
    ];
    const first = await applyLifecycleRules(client, desired);
    expect(first).toMatchObject({ written: true, added: ['argo-oss-abort-uploads', 'argo-oss-gc-tagged'], foreign: 2 });
    let rules = await getLifecycleRules(client);
    expect(rules.map((r) => r.id)).toEqual(['ops-cold', 'ops-tmp', 'argo-oss-abort-uploads', 'argo-oss-gc-tagged']);
    expect(rules[0]).toMatchObject({ prefix: 'archive/', status: 'Enabled', transition: { days: '30', storageClass: 'IA' } });
    expect(rules[1]).toMatchObject({ expiration: { days: '7' }, abortMultipartUpload: { days: '2' } });

    const again = await applyLifecycleRules(client, desired);
    expect(again).toMatchObject({ written: false, changed: false, unchanged: ['argo-oss-abort-uploads', 'argo-oss-gc-tagged'] });

    // A rule OSS would refuse next to a foreign one is caught before anything is written.
    await expect(applyLifecycleRules(client, [{ id: 'argo-oss-all', prefix: '', status: 'Enabled', abortMultipartUpload: { days: 1 } }])).rejects.toThrow(
      /ops-tmp and argo-oss-all have overlapping prefixes/,
    );

    const next = await applyLifecycleRules(client, [{ id: 'argo-oss-abort-uploads', prefix: 'uploads/', status: 'Enabled', abortMultipartUpload: { days: 5 } }]);
    expect(next).toMatchObject({ written: true, updated: ['argo-oss-abort-uploads'], removed: ['argo-oss-gc-tagged'] });
    rules = await getLifecycleRules(client);
    expect(rules.map((r) => r.id)).toEqual(['ops-cold', 'ops-tmp', 'argo-oss-abort-uploads']);
    expect(rules[2].abortMultipartUpload).toEqual({ days: '5' });

    await applyLifecycleRules(client, []);
    rules = await getLifecycleRules(client);
    expect(rules.map((r) => r.id)).toEqual(['ops-cold', 'ops-tmp']);
  });

  it('round-trips rules ali-oss cannot write itself (several transitions, escaped text)', async () => {
    const multi: LifecycleRule = {
      id: 'ops-tiers&co',
      prefix: 'logs/',
      status: 'Enabled',
      transition: [
        { days: 30, storageClass: 'IA' },
        { days: 90, storageClass: 'Archive' },
      ],
    };
    await putLifecycleRules(client, [multi]);
    await applyLifecycleRules(client, [{ id: 'argo-oss-x', prefix: 'x/', status: 'Enabled', expiration: { days: 1 } }]);
    const rules = await getLifecycleRules(client);
    expect(rules[0]).toMatchObject({ id: 'ops-tiers&co', prefix: 'logs/' });
    expect(rules[0].transition).toEqual([
      { days: '30', storageClass: 'IA' },
      { days: '90', storageClass: 'Archive' },
    ]);
    await putLifecycleRules(client, []);
    expect(await getLifecycleRules(client)).toEqual([]);
  });
});

describe('tagging', () => {
  it('puts, gets and deletes tags; tags can be set at upload', async () => {
    await putObject(client, 'tags/a.txt', 'a', { tags: { workflow: 'wf-1', 'argo-oss-gc': 'true' } });
    expect(await getObjectTags(client, 'tags/a.txt')).toEqual({ workflow: 'wf-1', 'argo-oss-gc': 'true' });
    await putObjectTags(client, 'tags/a.txt', { phase: 'Succeeded', empty: '' });
    expect(await getObjectTags(client, 'tags/a.txt')).toEqual({ phase: 'Succeeded', empty: '' });
    await deleteObjectTags(client, 'tags/a.txt');
    expect(await getObjectTags(client, 'tags/a.txt')).toEqual({});
    await expect(putObjectTags(client, 'tags/a.txt', { 'bad<': 'x' })).rejects.toThrow(OssArgumentError);
    await expectOssError(getObjectTags(client, 'tags/missing.txt'), { kind: 'NotFound' });
  });
});

describe('faults: timeouts, idle sockets, 5xx, cut streams', () => {
  afterAll(async () => {
    await srv.admin('DELETE', '/faults');
  });

  it('a slow response longer than the idle-socket timeout is not cut off', async () => {
    const c = another({ freeSocketTimeoutMs: 100 });
    await headObject(c, 'obj/hello.txt'); // warm a pooled socket
    await srv.admin('POST', '/faults', { match: { operation: 'HeadObject', key: 'obj/hello.txt' }, latencyMs: 400 });
    expect((await headObject(c, 'obj/hello.txt')).size).toBe(20);
    await new Promise((r) => setTimeout(r, 250)); // pooled socket expires
    expect((await headObject(c, 'obj/hello.txt')).size).toBe(20);
  });

  it('a per-call timeout gives a retryable Timeout', async () => {
    await srv.admin('POST', '/faults', { match: { operation: 'GetObject', key: 'obj/hello.txt' }, latencyMs: 800 });
    const e = await expectOssError(getObjectStream(client, 'obj/hello.txt', { timeoutMs: 200 }), { kind: 'Timeout' });
    expect(e.retryable).toBe(true);
    expect((await getObject(client, 'obj/hello.txt')).body.length).toBe(20);
  });

  it('5xx is a retryable ServerError with the OSS code', async () => {
    await srv.admin('POST', '/faults', { match: { operation: 'PutObject', key: 'obj/5xx' }, status: 503, code: 'ServiceUnavailable' });
    const e = await expectOssError(putObject(client, 'obj/5xx', 'x'), { kind: 'ServerError', status: 503, code: 'ServiceUnavailable' });
    expect(e.retryable).toBe(true);
  });

  it('a response cut mid-body fails getObject instead of returning a short body', async () => {
    const data = randomBytes(256 * 1024);
    await putObject(client, 'obj/cut.bin', data);
    await srv.admin('POST', '/faults', { match: { operation: 'GetObject', key: 'obj/cut.bin' }, resetAfterBytes: 1000, direction: 'response' });
    const e = await expectOssError(getObject(client, 'obj/cut.bin', { maxBytes: 1024 * 1024 }), {});
    expect(['Network', 'Integrity']).toContain(e.kind);
    expect((await getObject(client, 'obj/cut.bin', { maxBytes: 1024 * 1024 })).body.equals(data)).toBe(true);
  });
});

describe('typed errors and configuration', () => {
  it('wrong secret -> AccessDenied / SignatureDoesNotMatch', async () => {
    const bad = another({ credentials: { accessKeyId: srv.credentials.accessKeyId, accessKeySecret: 'wrong-secret' } });
    const e = await expectOssError(headObject(bad, 'obj/hello.txt'), { kind: 'AccessDenied', status: 403 });
    expect(['SignatureDoesNotMatch', 'AccessDenied']).toContain(e.code);
    // Streamed GETs lose the XML body inside ali-oss; the kind still comes from the status.
    await expectOssError(getObject(bad, 'obj/hello.txt'), { kind: 'AccessDenied', status: 403 });
    await expectOssError(putObject(bad, 'obj/x', 'x'), { kind: 'AccessDenied', code: 'SignatureDoesNotMatch' });
    await expectOssError(listObjectsPage(bad), { kind: 'AccessDenied', code: 'SignatureDoesNotMatch' });
    const e2 = await expectOssError(putObject(another({ credentials: { accessKeyId: 'nobody', accessKeySecret: 'x' } }), 'obj/x', 'x'), { kind: 'AccessDenied' });
    expect(e2.code).toBe('InvalidAccessKeyId');
    expect(e2.requestId).toBeTruthy();
  });

  it('a missing bucket is NoSuchBucket (where OSS returns a body)', async () => {
    const missing = another({ bucket: 'no-such-bucket' });
    await expectOssError(putObject(missing, 'k', 'x'), { kind: 'NoSuchBucket', status: 404 });
    await expectOssError(listObjectsPage(missing), { kind: 'NoSuchBucket', code: 'NoSuchBucket' });
    // HEAD and streamed GET: ali-oss reports every bodiless 404 as NoSuchKey.
    await expectOssError(headObject(missing, 'k'), { kind: 'NotFound', status: 404 });
  });

  it('a refused connection is a retryable Network error', async () => {
    const dead = another({ endpoint: 'http://localhost:1', timeouts: { connectMs: 2000 } });
    const e = await expectOssError(headObject(dead, 'k'), { kind: 'Network', status: -1 });
    expect(e.retryable).toBe(true);
  });

  it('config from the environment drives a working client', async () => {
    const o = srv.clientOptions(true);
    const config = loadConfig({
      OSS_ENDPOINT: srv.server.url,
      OSS_REGION: o.region,
      OSS_BUCKET: o.bucket,
      OSS_ACCESS_KEY_ID: o.accessKeyId,
      OSS_ACCESS_KEY_SECRET: o.accessKeySecret,
    });
    const c = createOssClientFromConfig(config);
    extra.push(c);
    expect(c.credentialSource).toBe('oss-env');
    expect((await getObject(c, 'obj/hello.txt')).body.toString()).toBe('0123456789abcdefghij');
    expect(() => loadConfig({ OSS_ENDPOINT: 'localhost:9100', OSS_BUCKET: 'UPPER' })).toThrow(/OSS_ENDPOINT[\s\S]*OSS_BUCKET|OSS_BUCKET[\s\S]*OSS_ENDPOINT/);
  });
});
