// Local OSS server, single-object operations, through the real ali-oss client over HTTP in both
// V1 and V4 signing modes: put/get/range/head/conditions, metadata, tagging, digests, errors,
// batch delete and listing.
import { createHash, randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc64 } from '../shared/crc64';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

// ali-oss typings lack sldEnable/headers-on-everything; the tests use the runtime API.
type Client = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const md5b64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');
const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex').toUpperCase();

async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

let t: TestOssServer;
beforeAll(async () => {
  t = await startTestOssServer();
});
afterAll(async () => {
  await t.close();
});

describe.each([false, true])('objects (authorizationV4=%s)', (v4) => {
  let client: Client;
  const p = (k: string) => `${v4 ? 'v4' : 'v1'}/${k}`;
  beforeAll(() => {
    client = new OSS(t.clientOptions(v4) as any);
  });

  it('puts and gets with ETag, CRC-64 and the common headers', async () => {
    const body = Buffer.from('hello, local oss!');
    const put = await client.put(p('hello.txt'), body);
    expect(put.res.status).toBe(200);
    expect(put.res.headers.etag).toBe(`"${md5hex(body)}"`);
    expect(put.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());
    expect(put.res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect(put.res.headers.server).toBe('AliyunOSS');
    expect(put.res.headers.date).toBeTruthy();

    const got = await client.get(p('hello.txt'));
    expect(got.content.equals(body)).toBe(true);
    const h = got.res.headers;
    expect(h.etag).toBe(`"${md5hex(body)}"`);
    expect(h['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());
    expect(h['content-length']).toBe(String(body.length));
    expect(h['x-oss-object-type']).toBe('Normal');
    expect(h['x-oss-storage-class']).toBe('Standard');
    expect(h['accept-ranges']).toBe('bytes');
    expect(new Date(h['last-modified']).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(h['content-type']).toBe('text/plain'); // ali-oss derives it from the extension
  });

  it('hashes large bodies (MD5 on a worker thread) and still checks Content-MD5', async () => {
    const body = randomBytes(6 * 1024 * 1024 + 123);
    const put = await client.put(p('large.bin'), body, { headers: { 'Content-MD5': md5b64(body) } });
    expect(put.res.headers.etag).toBe(`"${md5hex(body)}"`);
    expect(put.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());
    expect((await client.get(p('large.bin'))).content.equals(body)).toBe(true);
    const wrong = await failure(client.put(p('large-bad.bin'), body, { headers: { 'Content-MD5': md5b64('nope') } }));
    expect(wrong.code).toBe('InvalidDigest');
    expect((await failure(client.head(p('large-bad.bin')))).status).toBe(404);
  });

  it('serves ranges per OSS rules (legacy and standard behaviour)', async () => {
    const body = Buffer.from('0123456789');
    await client.put(p('range.bin'), body);
    const whole = crc64(body).toString();

    const r1 = await client.get(p('range.bin'), { headers: { Range: 'bytes=2-5' } });
    expect(r1.res.status).toBe(206);
    expect(r1.content.toString()).toBe('2345');
    expect(r1.res.headers['content-range']).toBe('bytes 2-5/10');
    expect(r1.res.headers['x-oss-hash-crc64ecma']).toBe(whole); // whole object's CRC on a ranged GET

    const suffix = await client.get(p('range.bin'), { headers: { Range: 'bytes=-3' } });
    expect(suffix.res.status).toBe(206);
    expect(suffix.content.toString()).toBe('789');

    const open = await client.get(p('range.bin'), { headers: { Range: 'bytes=7-' } });
    expect(open.content.toString()).toBe('789');

    // Out of range or invalid: ignored, full body with 200.
    for (const range of ['bytes=5-20', 'bytes=20-30', 'bytes=5-2', 'items=0-1']) {
      const r = await client.get(p('range.bin'), { headers: { Range: range } });
      expect(r.res.status, range).toBe(200);
      expect(r.content.equals(body)).toBe(true);
    }

    // Standard behaviour: end clamped, start past EOF is 416.
    const clamped = await client.get(p('range.bin'), { headers: { Range: 'bytes=5-20', 'x-oss-range-behavior': 'standard' } });
    expect(clamped.res.status).toBe(206);
    expect(clamped.content.toString()).toBe('56789');
    expect(clamped.res.headers['content-range']).toBe('bytes 5-9/10');
    const err = await failure(client.get(p('range.bin'), { headers: { Range: 'bytes=20-30', 'x-oss-range-behavior': 'standard' } }));
    expect(err.status).toBe(416);
    expect(err.code).toBe('InvalidRange');
  });

  it('streams a ranged read with getStream', async () => {
    const body = Buffer.alloc(300_000, 7);
    body.write('marker', 150_000);
    await client.put(p('stream.bin'), body);
    const r = await client.getStream(p('stream.bin'), { headers: { Range: 'bytes=150000-150005' } });
    const chunks: Buffer[] = [];
    for await (const c of r.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('marker');
  });

  it('answers HEAD and GetObjectMeta', async () => {
    const body = Buffer.from('head me');
    await client.put(p('head.txt'), body, { meta: { owner: 'argo', step: '7' } });
    const h = await client.head(p('head.txt'));
    expect(h.status).toBe(200);
    expect(h.meta).toEqual({ owner: 'argo', step: '7' });
    expect(h.res.headers['content-length']).toBe(String(body.length));
    expect(h.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());

    const m = await client.getObjectMeta(p('head.txt'));
    expect(m.status).toBe(200);
    expect(m.res.headers.etag).toBe(`"${md5hex(body)}"`);
    expect(m.res.headers['content-length']).toBe(String(body.length));

    const missing = await failure(client.head(p('no-such-head.txt')));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('NoSuchKey');
  });

  it('evaluates conditional headers (304 / 412)', async () => {
    const body = Buffer.from('conditional');
    const put = await client.put(p('cond.txt'), body);
    const etag = put.res.headers.etag;
    const nm = await client.get(p('cond.txt'), { headers: { 'If-None-Match': etag } });
    expect(nm.res.status).toBe(304);
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(Date.now() - 3600_000).toUTCString();
    expect((await client.get(p('cond.txt'), { headers: { 'If-Modified-Since': future } })).res.status).toBe(304);
    expect((await client.get(p('cond.txt'), { headers: { 'If-Modified-Since': past } })).res.status).toBe(200);
    expect((await client.get(p('cond.txt'), { headers: { 'If-Match': etag } })).res.status).toBe(200);
    const e1 = await failure(client.get(p('cond.txt'), { headers: { 'If-Match': '"0000"' } }));
    expect(e1.status).toBe(412);
    expect(e1.code).toBe('PreconditionFailed');
    const e2 = await failure(client.get(p('cond.txt'), { headers: { 'If-Unmodified-Since': past } }));
    expect(e2.status).toBe(412);
    const e3 = await failure(client.head(p('cond.txt'), { headers: { 'If-Match': '"0000"' } }));
    expect(e3.status).toBe(412);
  });

  it('applies response-* overrides', async () => {
    await client.put(p('override.bin'), Buffer.from('x'));
    const r = await client.get(p('override.bin'), {
      subres: { 'response-content-type': 'text/csv', 'response-content-disposition': 'attachment; filename="a.csv"' },
    });
    expect(r.res.headers['content-type']).toBe('text/csv');
    expect(r.res.headers['content-disposition']).toBe('attachment; filename="a.csv"');
  });

  it('stores x-oss-meta-*, x-oss-tagging, storage class and representation headers', async () => {
    await client.put(p('meta.bin'), Buffer.from('m'), {
      mime: 'application/x-custom',
      meta: { a: '1' },
      headers: {
        'x-oss-tagging': 'gc=true&team=data%20eng',
        'x-oss-storage-class': 'IA',
        'Cache-Control': 'no-store',
        'Content-Disposition': 'inline',
      },
    });
    const h = await client.head(p('meta.bin'));
    expect(h.meta).toEqual({ a: '1' });
    expect(h.res.headers['content-type']).toBe('application/x-custom');
    expect(h.res.headers['x-oss-storage-class']).toBe('IA');
    expect(h.res.headers['cache-control']).toBe('no-store');
    expect(h.res.headers['content-disposition']).toBe('inline');
    expect(h.res.headers['x-oss-tagging-count']).toBe('2');
    const tags = await client.getObjectTagging(p('meta.bin'));
    expect(tags.tag).toEqual({ gc: 'true', team: 'data eng' });
  });

  it('puts, gets and deletes object tagging, validating limits', async () => {
    await client.put(p('tags.bin'), Buffer.from('t'));
    expect((await client.getObjectTagging(p('tags.bin'))).tag).toEqual({});
    await client.putObjectTagging(p('tags.bin'), { gc: 'true', 'k:1': 'v/2' });
    expect((await client.getObjectTagging(p('tags.bin'))).tag).toEqual({ gc: 'true', 'k:1': 'v/2' });
    await client.deleteObjectTagging(p('tags.bin'));
    expect((await client.getObjectTagging(p('tags.bin'))).tag).toEqual({});
    // ali-oss checks the limits itself, so send the documents raw to see the server's checks.
    const putTags = async (tags: [string, string][]) => {
      const xml = `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
      const url: string = await client.signatureUrlV4('PUT', 600, { queries: { tagging: null } }, p('tags.bin'));
      const res = await fetch(url, { method: 'PUT', body: Buffer.from(xml) });
      return [res.status, await res.text()] as const;
    };
    expect((await putTags([['ok', 'yes']]))[0]).toBe(200);
    const eleven = await putTags(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'] as [string, string]));
    expect(eleven[0]).toBe(400);
    expect(eleven[1]).toContain('<Code>InvalidTag</Code>');
    expect((await putTags([['x'.repeat(129), 'v']]))[0]).toBe(400);
    expect((await putTags([['k', 'v'.repeat(257)]]))[0]).toBe(400);
    expect((await putTags([['bad#key', 'v']]))[0]).toBe(400);
    expect((await client.getObjectTagging(p('tags.bin'))).tag).toEqual({ ok: 'yes' });
    const missing = await failure(client.getObjectTagging(p('no-tags.bin')));
    expect(missing.code).toBe('NoSuchKey');
  });

  it('copies objects (metadata COPY and REPLACE) without the source changing', async () => {
    const body = Buffer.from('copy me');
    await client.put(p('copy/src.txt'), body, { meta: { origin: 'src' } });
    const c1 = await client.copy(p('copy/dst1.txt'), p('copy/src.txt'));
    expect(c1.res.status).toBe(200);
    expect(c1.data.etag).toBe(`"${md5hex(body)}"`);
    const h1 = await client.head(p('copy/dst1.txt'));
    expect(h1.meta).toEqual({ origin: 'src' });
    expect(h1.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(body).toString());
    await client.copy(p('copy/dst2.txt'), p('copy/src.txt'), { meta: { origin: 'replaced' } });
    expect((await client.head(p('copy/dst2.txt'))).meta).toEqual({ origin: 'replaced' });
    await client.delete(p('copy/src.txt'));
    expect((await client.get(p('copy/dst1.txt'))).content.equals(body)).toBe(true);
    const missing = await failure(client.copy(p('copy/dst3.txt'), p('copy/nope.txt')));
    expect(missing.code).toBe('NoSuchKey');
  });

  it('honours x-oss-forbid-overwrite', async () => {
    await client.put(p('once.bin'), Buffer.from('1'));
    const err = await failure(client.put(p('once.bin'), Buffer.from('2'), { headers: { 'x-oss-forbid-overwrite': 'true' } }));
    expect(err.status).toBe(409);
    expect(err.code).toBe('FileAlreadyExists');
    expect((await client.get(p('once.bin'))).content.toString()).toBe('1');
  });

  it('rejects wrong and malformed Content-MD5 with InvalidDigest and stores nothing', async () => {
    const wrong = await failure(client.put(p('digest.bin'), Buffer.from('abc'), { headers: { 'Content-MD5': md5b64('xyz') } }));
    expect(wrong.status).toBe(400);
    expect(wrong.code).toBe('InvalidDigest');
    const bad = await failure(client.put(p('digest.bin'), Buffer.from('abc'), { headers: { 'Content-MD5': 'not-base64!' } }));
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('InvalidDigest');
    expect((await failure(client.head(p('digest.bin')))).status).toBe(404);
    const ok = await client.put(p('digest.bin'), Buffer.from('abc'), { headers: { 'Content-MD5': md5b64('abc') } });
    expect(ok.res.status).toBe(200);
  });

  it('returns NoSuchKey and NoSuchBucket', async () => {
    const e1 = await failure(client.get(p('does/not/exist')));
    expect(e1.status).toBe(404);
    expect(e1.code).toBe('NoSuchKey');
    const other = new OSS({ ...t.clientOptions(v4), bucket: 'no-such-bucket' } as any) as Client;
    const e2 = await failure(other.get('x'));
    expect(e2.status).toBe(404);
    expect(e2.code).toBe('NoSuchBucket');
    const e3 = await failure(other.put('x', Buffer.from('x')));
    expect(e3.code).toBe('NoSuchBucket');
  });

  it('deletes with 204 whether or not the key exists', async () => {
    await client.put(p('del.bin'), Buffer.from('d'));
    expect((await client.delete(p('del.bin'))).res.status).toBe(204);
    expect((await client.delete(p('del.bin'))).res.status).toBe(204);
    expect((await failure(client.get(p('del.bin')))).code).toBe('NoSuchKey');
  });

  it('round-trips keys with unusual characters', async () => {
    const keys = [
      p('dots/.../..hidden'),
      p('double//slash'),
      p('trailing/'),
      p('unicode/数据/ä ö ü.txt'),
      p('emoji/😀.bin'),
      p('sym/a+b&c=d?e#f%g'),
      p('xml/<tag> & "quotes" \'apos\''),
    ];
    for (const k of keys) await client.put(k, Buffer.from(k));
    for (const k of keys) expect((await client.get(k)).content.toString()).toBe(k);
    const listed = await client.listV2({ prefix: p(''), 'max-keys': 1000 });
    const names = listed.objects.map((o: any) => o.name);
    for (const k of keys) expect(names).toContain(k);

    // Clients collapse "/../" in URLs themselves; sent escaped, it is just part of the key.
    const key = p('dots/../up');
    const url = new URL(await client.signatureUrlV4('PUT', 600, {}, key));
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: t.server.port, method: 'PUT', path: `/${t.bucket}/${key.replace('/../', '/%2E%2E/')}${url.search}`, headers: { 'content-length': 2 } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end('up');
    });
    expect(status).toBe(200);
    const all = await client.listV2({ prefix: p('dots/') });
    expect(all.objects.map((o: any) => o.name)).toContain(key);
  });

  it('batch-deletes (verbose and quiet, XML-special keys, encoding-type=url, >1000 rejected)', async () => {
    const keys = [p('batch/a&b.bin'), p('batch/<c>.bin'), p('batch/"d".bin'), p('batch/plain.bin')];
    for (const k of keys) await client.put(k, Buffer.from('x'));
    const verbose = await client.deleteMulti(keys.slice(0, 2), { quiet: false });
    expect(verbose.deleted.map((d: any) => d.Key).sort()).toEqual(keys.slice(0, 2).sort());
    const quiet = await client.deleteMulti([...keys.slice(2), p('batch/missing.bin')], { quiet: true });
    expect(quiet.deleted).toEqual([]);
    const left = await client.listV2({ prefix: p('batch/') });
    expect(left.objects ?? []).toEqual([]);

    if (v4) {
      // ali-oss can only pass encoding-type as a sub-resource, which V1 would sign (OSS does not).
      await client.put(p('batch/x y.bin'), Buffer.from('x'));
      const enc = await client.deleteMulti([p('batch/x y.bin')], { quiet: false, subres: { 'encoding-type': 'url' } });
      expect(enc.deleted[0].Key).toBe(encodeURIComponent(p('batch/x y.bin')));
    }

    const tooMany = Array.from({ length: 1001 }, (_, i) => p(`batch/many-${i}`));
    const err = await failure(client.deleteMulti(tooMany));
    expect(err.status).toBe(400);
    expect(err.code).toBe('MalformedXML');
  });

  it('lists V1 with prefix, delimiter, marker and NextMarker', async () => {
    const base = p('list1/');
    const keys = ['a/1', 'a/2', 'b', 'c/1', 'd', 'e'].map((k) => base + k);
    for (const k of keys) await client.put(k, Buffer.from('x'));
    // Common prefixes count toward max-keys.
    const page1 = await client.list({ prefix: base, delimiter: '/', 'max-keys': 3 });
    expect(page1.prefixes).toEqual([`${base}a/`, `${base}c/`]);
    expect(page1.objects.map((o: any) => o.name)).toEqual([`${base}b`]);
    expect(page1.isTruncated).toBe(true);
    expect(page1.nextMarker).toBe(`${base}c/`);
    expect(page1.objects[0].etag).toBe(`"${md5hex('x')}"`);
    expect(page1.objects[0].size).toBe(1);
    expect(page1.objects[0].storageClass).toBe('Standard');
    expect(page1.objects[0].type).toBe('Normal');
    const page2 = await client.list({ prefix: base, delimiter: '/', 'max-keys': 3, marker: page1.nextMarker });
    expect(page2.objects.map((o: any) => o.name)).toEqual([`${base}d`, `${base}e`]);
    expect(page2.prefixes ?? []).toEqual([]);
    expect(page2.isTruncated).toBe(false);
    const all = await client.list({ prefix: base });
    expect(all.objects.map((o: any) => o.name)).toEqual(keys);
  });

  it('lists V2 with continuation tokens, start-after, fetch-owner and encoding-type=url', async () => {
    const base = p('list2/');
    const keys = Array.from({ length: 7 }, (_, i) => `${base}k${i}`).concat([`${base}dir/x`, `${base}dir/y`]);
    for (const k of keys) await client.put(k, Buffer.from('x'));
    const seen: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.listV2({ prefix: base, delimiter: '/', 'max-keys': 3, ...(token ? { 'continuation-token': token } : {}) });
      pages++;
      expect(page.keyCount).toBe(page.objects.length + (page.prefixes?.length ?? 0));
      seen.push(...page.objects.map((o: any) => o.name));
      prefixes.push(...(page.prefixes ?? []));
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(prefixes).toEqual([`${base}dir/`]);
    expect(seen).toEqual(keys.slice(0, 7));

    const after = await client.listV2({ prefix: base, 'start-after': `${base}k4` });
    expect(after.objects.map((o: any) => o.name)).toEqual([`${base}k5`, `${base}k6`]);

    const owned = await client.listV2({ prefix: base, 'max-keys': 1, 'fetch-owner': true });
    expect(owned.objects[0].owner).toBeTruthy();
    const unowned = await client.listV2({ prefix: base, 'max-keys': 1 });
    expect(unowned.objects[0].owner).toBeFalsy();

    await client.put(`${base}sp ace`, Buffer.from('x'));
    const enc = await client.listV2({ prefix: `${base}sp`, 'encoding-type': 'url' });
    expect(enc.objects[0].name).toBe(encodeURIComponent(`${base}sp ace`));

    const err = await failure(client.listV2({ 'max-keys': 1001 }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('InvalidArgument');
  });

  it('rejects a wrong secret, an expired URL and a skewed clock', async () => {
    const bad = new OSS({ ...t.clientOptions(v4), accessKeySecret: 'wrong' } as any) as Client;
    const e1 = await failure(bad.get(p('hello.txt')));
    expect(e1.status).toBe(403);
    expect(e1.code).toBe('SignatureDoesNotMatch');
    const unknown = new OSS({ ...t.clientOptions(v4), accessKeyId: 'nobody' } as any) as Client;
    const e2 = await failure(unknown.get(p('hello.txt')));
    expect(e2.status).toBe(403);
    expect(e2.code).toBe('InvalidAccessKeyId');
    const skewed = new OSS({ ...t.clientOptions(v4), amendTimeSkewed: -3600_000 } as any) as Client;
    const e3 = await failure(skewed.get(p('hello.txt')));
    expect(e3.status).toBe(403);
    expect(e3.code).toBe('RequestTimeTooSkewed');
  });
});

describe('presigned URLs, raw responses and error XML', () => {
  let client: Client;
  beforeAll(async () => {
    client = new OSS(t.clientOptions(true) as any);
    await client.put('raw/file.txt', Buffer.from('raw body'));
  });

  it('serves a V4-presigned GET and rejects a tampered signature', async () => {
    const url: string = await client.signatureUrlV4('GET', 600, {}, 'raw/file.txt');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('raw body');
    const u = new URL(url);
    const sig = u.searchParams.get('x-oss-signature')!;
    u.searchParams.set('x-oss-signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    const bad = await fetch(u);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('rejects an expired V4-presigned URL', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3600_000);
    const url: string = await client.signatureUrlV4('GET', 60, {}, 'raw/file.txt');
    vi.useRealTimers();
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*expired/i);
  });

  it('writes the exact error envelope with x-oss-request-id', async () => {
    const url: string = await client.signatureUrlV4('GET', 600, {}, 'raw/missing.txt');
    const res = await fetch(url);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const id = res.headers.get('x-oss-request-id')!;
    expect(id).toMatch(/^[0-9A-F]{24}$/);
    const text = await res.text();
    expect(text).toMatch(
      new RegExp(
        '^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<Error>\\n  <Code>NoSuchKey</Code>\\n  <Message>[^<]+</Message>\\n' +
          `  <RequestId>${id}</RequestId>\\n  <HostId>[^<]+</HostId>\\n  <Key>raw/missing.txt</Key>\\n  <EC>[0-9]{4}-[0-9]{8}</EC>\\n</Error>\\n?$`,
      ),
    );
  });

  it('puts an x-oss-err header on HEAD errors instead of a body', async () => {
    const url: string = await client.signatureUrlV4('HEAD', 600, {}, 'raw/missing.txt');
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(404);
    const xml = Buffer.from(res.headers.get('x-oss-err')!, 'base64').toString();
    expect(xml).toContain('<Code>NoSuchKey</Code>');
    expect(res.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
  });

  it('rejects unsigned requests and answers unsupported operations with 501', async () => {
    const anon = await fetch(`${t.server.url}/${t.bucket}/raw/file.txt`);
    expect(anon.status).toBe(403);
    expect(anon.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
    const url: string = await client.signatureUrlV4('GET', 600, { queries: { cors: null } }, '');
    const res = await fetch(url);
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('<Code>NotImplemented</Code>');
  });

  it('requires Content-MD5 for DeleteMultipleObjects', async () => {
    const body = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>true</Quiet><Object><Key>raw/file.txt</Key></Object></Delete>');
    const url: string = await client.signatureUrlV4('POST', 600, { queries: { delete: null } }, '');
    const res = await fetch(url, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidDigest</Code>');
    expect((await client.head('raw/file.txt')).status).toBe(200);
  });

  it('addresses virtual-hosted and ali-oss IP-mode requests', async () => {
    // IP endpoint: ali-oss sends "Host: <bucket>.oss-cn-hangzhou.aliyuncs.com" and no bucket in the path.
    const ipClient = new OSS({ ...t.clientOptions(true), endpoint: `http://127.0.0.1:${t.server.port}`, sldEnable: false } as any) as Client;
    await ipClient.put('raw/ip-mode.txt', Buffer.from('ip'));
    expect((await client.get('raw/ip-mode.txt')).content.toString()).toBe('ip');
    const ipV1 = new OSS({ ...t.clientOptions(false), endpoint: `http://127.0.0.1:${t.server.port}`, sldEnable: false } as any) as Client;
    expect((await ipV1.get('raw/ip-mode.txt')).content.toString()).toBe('ip');

    // <bucket>.localhost: the signed canonical resource is /bucket/key whatever the addressing.
    const url = new URL(await client.signatureUrlV4('GET', 600, {}, 'raw/file.txt'));
    const path = url.pathname.replace(`/${t.bucket}`, '') + url.search;
    const http = await import('node:http');
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: t.server.port, path, headers: { host: `${t.bucket}.localhost:${t.server.port}` } }, (res) => {
          let s = '';
          res.on('data', (c) => (s += c));
          res.on('end', () => resolve(`${res.statusCode} ${s}`));
        })
        .on('error', reject);
    });
    expect(text).toBe('200 raw body');
  });
});
