// Local OSS server, multipart uploads, through the real ali-oss client (V1 and V4) and through
// V4-presigned part URLs uploaded with plain fetch: ETags, CRC-64 combination, ListParts and
// ListMultipartUploads paging, Complete's checks, Abort, x-oss-complete-all.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

type Client = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MIN = 1024; // lowered minimum part size for the small-data tests
const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();

async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** uploadPart streams in Node, so Content-MD5 must be passed explicitly (as the docs say). */
async function uploadPart(client: Client, key: string, uploadId: string, n: number, data: Buffer) {
  return client.uploadPart(key, uploadId, n, data, 0, data.length, { headers: { 'Content-MD5': md5b64(data) } });
}

function completeXml(parts: { number: number; etag: string }[]): Buffer {
  const body = parts.map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('');
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${body}</CompleteMultipartUpload>`);
}

let t: TestOssServer;
beforeAll(async () => {
  t = await startTestOssServer({ minPartSize: MIN });
});
afterAll(async () => {
  await t.close();
});

describe.each([false, true])('multipart (authorizationV4=%s)', (v4) => {
  let client: Client;
  const p = (k: string) => `${v4 ? 'v4' : 'v1'}/${k}`;
  beforeAll(() => {
    client = new OSS(t.clientOptions(v4) as any);
  });

  it('uploads parts, completes with the combined CRC-64 and keeps initiate-time attributes', async () => {
    const key = p('mp/object.bin');
    const parts = [randomBytes(MIN + 17), randomBytes(MIN * 2), randomBytes(333)];
    const whole = Buffer.concat(parts);
    const init = await client.initMultipartUpload(key, {
      mime: 'application/x-tar',
      meta: { workflow: 'wf-1' },
      headers: { 'x-oss-tagging': 'gc=true', 'x-oss-storage-class': 'IA' },
    });
    expect(init.uploadId).toMatch(/^[0-9A-F]{32}$/);
    const done: { number: number; etag: string }[] = [];
    for (let i = 0; i < parts.length; i++) {
      const r = await uploadPart(client, key, init.uploadId, i + 1, parts[i]);
      expect(r.etag).toBe(`"${md5hex(parts[i])}"`);
      expect(r.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(parts[i]).toString());
      done.push({ number: i + 1, etag: r.etag });
    }
    const c = await client.completeMultipartUpload(key, init.uploadId, done);
    expect(c.res.status).toBe(200);
    expect(c.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(whole).toString());
    expect(c.etag).toMatch(/^"[0-9A-F]{32}-3"$/);
    expect(c.bucket).toBe(t.bucket);
    expect(c.name).toBe(key);

    const got = await client.get(key);
    expect(got.content.equals(whole)).toBe(true);
    expect(got.res.headers['x-oss-object-type']).toBe('Multipart');
    expect(got.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(whole).toString());
    expect(got.res.headers['content-type']).toBe('application/x-tar');
    expect(got.res.headers['x-oss-meta-workflow']).toBe('wf-1');
    expect(got.res.headers['x-oss-storage-class']).toBe('IA');
    expect((await client.getObjectTagging(key)).tag).toEqual({ gc: 'true' });

    // A range spanning the part boundaries, read across segment files.
    const from = MIN + 10;
    const to = MIN * 3 + 40;
    const ranged = await client.get(key, { headers: { Range: `bytes=${from}-${to}` } });
    expect(ranged.content.equals(whole.subarray(from, to + 1))).toBe(true);

    // The upload id is spent.
    const again = await failure(client.completeMultipartUpload(key, init.uploadId, done));
    expect(again.status).toBe(404);
    expect(again.code).toBe('NoSuchUpload');
  });

  it('re-uploading a part number replaces it; ListParts pages', async () => {
    const key = p('mp/paged.bin');
    const { uploadId } = await client.initMultipartUpload(key);
    const data = Array.from({ length: 5 }, () => randomBytes(MIN));
    for (let i = 0; i < 5; i++) await uploadPart(client, key, uploadId, i + 1, randomBytes(MIN)); // replaced below
    for (let i = 0; i < 5; i++) await uploadPart(client, key, uploadId, i + 1, data[i]);
    const page1 = await client.listParts(key, uploadId, { 'max-parts': 2 });
    expect(page1.parts.map((x: any) => Number(x.PartNumber))).toEqual([1, 2]);
    expect(page1.isTruncated).toBe('true');
    expect(page1.nextPartNumberMarker).toBe('2');
    expect(page1.parts[0].ETag).toBe(`"${md5hex(data[0])}"`);
    expect(page1.parts[0].HashCrc64ecma).toBe(crc64(data[0]).toString());
    expect(page1.parts[0].Size).toBe(String(MIN));
    const page2 = await client.listParts(key, uploadId, { 'max-parts': 2, 'part-number-marker': page1.nextPartNumberMarker });
    expect(page2.parts.map((x: any) => Number(x.PartNumber))).toEqual([3, 4]);
    const page3 = await client.listParts(key, uploadId, { 'max-parts': 2, 'part-number-marker': page2.nextPartNumberMarker });
    const last = Array.isArray(page3.parts) ? page3.parts : [page3.parts];
    expect(last.map((x: any) => Number(x.PartNumber))).toEqual([5]);
    expect(page3.isTruncated).toBe('false');
    const c = await client.completeMultipartUpload(
      key,
      uploadId,
      data.map((d, i) => ({ number: i + 1, etag: `"${md5hex(d)}"` })),
    );
    expect(c.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(Buffer.concat(data)).toString());
    expect((await client.get(key)).content.equals(Buffer.concat(data))).toBe(true);
  });

  it('builds parts from existing objects with UploadPartCopy', async () => {
    const src = randomBytes(3 * MIN);
    await client.put(p('mp/copy-src.bin'), src);
    const key = p('mp/copied.bin');
    const { uploadId } = await client.initMultipartUpload(key);
    const sourceData = { sourceKey: p('mp/copy-src.bin'), sourceBucketName: t.bucket };
    const a = await client.uploadPartCopy(key, uploadId, 1, `0-${MIN * 2 - 1}`, sourceData);
    const b = await client.uploadPartCopy(key, uploadId, 2, `${MIN * 2}-${MIN * 3 - 1}`, sourceData);
    expect(a.etag).toBe(`"${md5hex(src.subarray(0, MIN * 2))}"`);
    const c = await client.completeMultipartUpload(key, uploadId, [
      { number: 1, etag: a.etag },
      { number: 2, etag: b.etag },
    ]);
    expect(c.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(src).toString());
    expect((await client.get(key)).content.equals(src)).toBe(true);
  });

  it('rejects bad part numbers and wrong part digests', async () => {
    const key = p('mp/bad-part.bin');
    const { uploadId } = await client.initMultipartUpload(key);
    for (const n of [0, 10001]) {
      const err = await failure(uploadPart(client, key, uploadId, n, Buffer.from('x')));
      expect(err.status).toBe(400);
      expect(err.code).toBe('InvalidArgument');
    }
    const data = randomBytes(100);
    const err = await failure(client.uploadPart(key, uploadId, 1, data, 0, data.length, { headers: { 'Content-MD5': md5b64(randomBytes(5)) } }));
    expect(err.code).toBe('InvalidDigest');
    expect((await client.listParts(key, uploadId)).parts).toEqual([]);
    await client.abortMultipartUpload(key, uploadId);
  });

  it('Complete rejects an unknown part or ETag mismatch, and small non-last parts', async () => {
    const key = p('mp/invalid.bin');
    const { uploadId } = await client.initMultipartUpload(key);
    const a = await uploadPart(client, key, uploadId, 1, randomBytes(10)); // too small unless last
    const b = await uploadPart(client, key, uploadId, 2, randomBytes(MIN));
    const e1 = await failure(client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: a.etag }, { number: 3, etag: b.etag }]));
    expect(e1.status).toBe(400);
    expect(e1.code).toBe('InvalidPart');
    const e2 = await failure(client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: '"00000000000000000000000000000000"' }]));
    expect(e2.code).toBe('InvalidPart');
    const e3 = await failure(client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: a.etag }, { number: 2, etag: b.etag }]));
    expect(e3.status).toBe(400);
    expect(e3.code).toBe('EntityTooSmall');
    // A small part is fine as the last one; the failed attempts left the upload intact.
    const ok = await client.completeMultipartUpload(key, uploadId, [{ number: 2, etag: b.etag }]);
    expect(ok.res.status).toBe(200);
  });

  it('aborts: 204, then NoSuchUpload for every use of the id', async () => {
    const key = p('mp/aborted.bin');
    const { uploadId } = await client.initMultipartUpload(key);
    await uploadPart(client, key, uploadId, 1, randomBytes(50));
    const r = await client.abortMultipartUpload(key, uploadId);
    expect(r.res.status).toBe(204);
    for (const call of [
      () => client.abortMultipartUpload(key, uploadId),
      () => client.listParts(key, uploadId),
      () => uploadPart(client, key, uploadId, 2, randomBytes(5)),
      () => client.completeMultipartUpload(key, uploadId, [{ number: 1, etag: '"X"' }]),
    ]) {
      const err = await failure(call());
      expect(err.status).toBe(404);
      expect(err.code).toBe('NoSuchUpload');
    }
  });

  it('keeps several uploads per key apart and lists uploads with paging', async () => {
    const key = p('mpl/same.bin');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.initMultipartUpload(key)).uploadId);
    const other = (await client.initMultipartUpload(p('mpl/dir/other.bin'))).uploadId;
    const part = await uploadPart(client, key, ids[1], 1, randomBytes(20));
    await client.completeMultipartUpload(key, ids[1], [{ number: 1, etag: part.etag }]);
    await client.abortMultipartUpload(key, ids[2]);

    const listed = await client.listUploads({ prefix: p('mpl/') });
    expect(listed.uploads.map((u: any) => [u.name, u.uploadId])).toEqual([
      [p('mpl/dir/other.bin'), other],
      [key, ids[0]],
    ]);
    const withDelimiter = await client.listUploads({ prefix: p('mpl/'), delimiter: '/' });
    expect(withDelimiter.uploads.map((u: any) => u.uploadId)).toEqual([ids[0]]);

    const extra = (await client.initMultipartUpload(key)).uploadId;
    const pg1 = await client.listUploads({ prefix: p('mpl/'), 'max-uploads': 2 });
    expect(pg1.isTruncated).toBe(true);
    expect(pg1.uploads.map((u: any) => u.uploadId)).toEqual([other, ids[0]]);
    const pg2 = await client.listUploads({
      prefix: p('mpl/'),
      'max-uploads': 2,
      'key-marker': pg1.nextKeyMarker,
      'upload-id-marker': pg1.nextUploadIdMarker,
    });
    expect(pg2.uploads.map((u: any) => u.uploadId)).toEqual([extra]);
    expect(pg2.isTruncated).toBe(false);
    for (const id of [ids[0], extra]) await client.abortMultipartUpload(key, id);
    await client.abortMultipartUpload(p('mpl/dir/other.bin'), other);
  });
});

describe('multipart with V4-presigned part URLs and raw Complete bodies', () => {
  let client: Client;
  beforeAll(() => {
    client = new OSS(t.clientOptions(true) as any);
  });

  async function presignedPut(key: string, uploadId: string, n: number, data: Buffer): Promise<Response> {
    const md5 = md5b64(data);
    const url: string = await client.signatureUrlV4('PUT', 600, { headers: { 'Content-MD5': md5 }, queries: { partNumber: n, uploadId } }, key);
    return fetch(url, { method: 'PUT', headers: { 'Content-MD5': md5 }, body: data });
  }

  async function presignedComplete(key: string, uploadId: string, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    const url: string = await client.signatureUrlV4('POST', 600, { headers, queries: { uploadId } }, key);
    return fetch(url, { method: 'POST', headers, body });
  }

  it('uploads parts with plain fetch and enforces Content-MD5 and part order', async () => {
    const key = 'presigned/file.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const parts = [randomBytes(MIN), randomBytes(MIN + 1), randomBytes(7)];
    const etags: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const res = await presignedPut(key, uploadId, i + 1, parts[i]);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(`"${md5hex(parts[i])}"`);
      expect(res.headers.get('x-oss-hash-crc64ecma')).toBe(crc64(parts[i]).toString());
      etags.push(res.headers.get('etag')!);
    }
    // The signed Content-MD5 is checked against the body.
    const md5 = md5b64(parts[0]);
    const url: string = await client.signatureUrlV4('PUT', 600, { headers: { 'Content-MD5': md5 }, queries: { partNumber: 9, uploadId } }, key);
    const tampered = await fetch(url, { method: 'PUT', headers: { 'Content-MD5': md5 }, body: randomBytes(MIN) });
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('<Code>InvalidDigest</Code>');

    const unordered = await presignedComplete(key, uploadId, completeXml([{ number: 2, etag: etags[1] }, { number: 1, etag: etags[0] }]));
    expect(unordered.status).toBe(400);
    expect(await unordered.text()).toContain('<Code>InvalidPartOrder</Code>');
    const malformed = await presignedComplete(key, uploadId, Buffer.from('<CompleteMultipartUpload><Part>'));
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('<Code>MalformedXML</Code>');

    const ok = await presignedComplete(key, uploadId, completeXml(etags.map((etag, i) => ({ number: i + 1, etag }))));
    expect(ok.status).toBe(200);
    const xml = await ok.text();
    expect(xml).toContain('<CompleteMultipartUploadResult>');
    expect(xml).toContain(`<Key>${key}</Key>`);
    expect(xml).toContain(`<Bucket>${t.bucket}</Bucket>`);
    expect(ok.headers.get('x-oss-hash-crc64ecma')).toBe(crc64(Buffer.concat(parts)).toString());
  });

  it('completes with x-oss-complete-all: yes', async () => {
    const key = 'presigned/all.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    const parts = [randomBytes(MIN), randomBytes(11)];
    await presignedPut(key, uploadId, 2, parts[1]);
    await presignedPut(key, uploadId, 1, parts[0]);
    const res = await presignedComplete(key, uploadId, Buffer.alloc(0), { 'x-oss-complete-all': 'yes' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-oss-hash-crc64ecma')).toBe(crc64(Buffer.concat(parts)).toString());
    expect((await client.get(key)).content.equals(Buffer.concat(parts))).toBe(true);
  });
});

describe('multipart with the real 100 KB minimum part size', () => {
  let big: TestOssServer;
  let client: Client;
  beforeAll(async () => {
    big = await startTestOssServer();
    client = new OSS(big.clientOptions(true) as any);
  });
  afterAll(async () => {
    await big.close();
  });

  it('runs ali-oss multipartUpload (parallel parts) and rejects 50 KB non-last parts', async () => {
    const data = randomBytes(350 * 1024);
    const r = await client.multipartUpload('real/min.bin', data, { partSize: 100 * 1024, parallel: 3 });
    expect(r.res.status).toBe(200);
    const head = await client.head('real/min.bin');
    expect(head.res.headers['content-length']).toBe(String(data.length));
    expect(head.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(data).toString());
    expect(head.res.headers.etag).toMatch(/-4"$/);

    const { uploadId } = await client.initMultipartUpload('real/small.bin');
    const a = await uploadPart(client, 'real/small.bin', uploadId, 1, randomBytes(50 * 1024));
    const b = await uploadPart(client, 'real/small.bin', uploadId, 2, randomBytes(10));
    const err = await failure(client.completeMultipartUpload('real/small.bin', uploadId, [{ number: 1, etag: a.etag }, { number: 2, etag: b.etag }]));
    expect(err.code).toBe('EntityTooSmall');
  });

  it('streams a part from a Readable without a Content-Length mismatch', async () => {
    const { uploadId } = await client.initMultipartUpload('real/stream.bin');
    const data = randomBytes(200 * 1024);
    const stream = Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]);
    const r = await client.uploadPart('real/stream.bin', uploadId, 1, stream, 0, data.length, { headers: { 'Content-MD5': md5b64(data) } });
    expect(r.etag).toBe(`"${md5hex(data)}"`);
    await client.completeMultipartUpload('real/stream.bin', uploadId, [{ number: 1, etag: r.etag }]);
    expect((await client.get('real/stream.bin')).content.equals(data)).toBe(true);
  });
});
