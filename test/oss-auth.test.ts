// Signature verification for the local OSS server, checked against documented
// vectors and against requests signed by ali-oss itself (no network: a fake
// urllib captures what ali-oss would send).
import { createHash } from 'node:crypto';
import OSS from 'ali-oss';
import { describe, expect, it } from 'vitest';
import {
  authenticate,
  parseRawQuery,
  parseV4DateTime,
  uriEncode,
  v1CanonicalizedOSSHeaders,
  v1CanonicalizedResource,
  v1Signature,
  v1StringToSign,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4CanonicalUri,
  v4Signature,
  v4StringToSign,
  type AuthOutcome,
  type AuthRequest,
  type Credential,
} from '../local/oss-server/auth';

const ENDPOINT = 'http://localhost:9000';
const BUCKET = 'mybucket';
const REGION = 'cn-hangzhou';
const AK: Credential = { accessKeyId: 'LTAIlocal', accessKeySecret: 'local-secret' };
const STS: Credential = { accessKeyId: 'STS.local', accessKeySecret: 'sts-secret', securityToken: 'CAIS+tok/en==' };
const CREDS = new Map([AK, STS].map((c) => [c.accessKeyId, c]));
const lookup = (id: string) => CREDS.get(id);
const MIN = 60_000;

/** ali-oss methods missing from @types/ali-oss. */
type Untyped = OSS & { putObjectTagging(name: string, tags: Record<string, string>): Promise<unknown> };

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
}

function client(opts: { v4?: boolean; sts?: boolean; secret?: string; headerEncoding?: string } = {}) {
  const cred = opts.sts ? STS : AK;
  const sent: Sent[] = [];
  // Stands in for urllib: records the request ali-oss built, then fails it like a network error.
  const urllib = {
    request: async (url: string, params: { method: string; headers: Record<string, unknown> }) => {
      const headers: Record<string, string> = { host: 'localhost:9000' };
      for (const [k, v] of Object.entries(params.headers)) if (v !== undefined) headers[k.toLowerCase()] = String(v);
      sent.push({ method: params.method, url, headers });
      throw Object.assign(new Error('captured'), { status: -1 });
    },
  };
  const c = new OSS({
    accessKeyId: cred.accessKeyId,
    accessKeySecret: opts.secret ?? cred.accessKeySecret,
    ...(cred.securityToken ? { stsToken: cred.securityToken, refreshSTSTokenInterval: 3_600_000 } : {}),
    bucket: BUCKET,
    endpoint: ENDPOINT,
    region: `oss-${REGION}`,
    authorizationV4: opts.v4 ?? false,
    sldEnable: true,
    urllib,
    ...(opts.headerEncoding ? { headerEncoding: opts.headerEncoding } : {}),
  } as OSS.Options);
  /** Runs one ali-oss call and returns the request it tried to send. */
  const capture = async (call: (c: OSS) => Promise<unknown>): Promise<AuthRequest> => {
    await call(c).catch((e: Error) => {
      if (e.message !== 'captured') throw e;
    });
    const last = sent.pop();
    if (!last) throw new Error('ali-oss sent nothing');
    return toAuthRequest(last.method, last.url, last.headers);
  };
  return { c, capture };
}

/** What the server hands to authenticate() for a path-style URL. */
function toAuthRequest(method: string, url: string, headers: Record<string, string> = {}): AuthRequest {
  const rest = url.replace(/^https?:\/\/[^/]+/, '');
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const [, bucket = '', ...keyParts] = path.split('/');
  const key = keyParts.join('/');
  return {
    method: method.toUpperCase(),
    bucket: bucket === '' ? undefined : decodeURIComponent(bucket),
    key: key === '' ? undefined : decodeURIComponent(key),
    rawQuery: q < 0 ? '' : rest.slice(q + 1),
    headers: { host: 'localhost:9000', ...headers },
  };
}

const auth = (req: AuthRequest, now = new Date(), region = REGION) => authenticate(req, lookup, { now, region });

function expectOk(outcome: AuthOutcome, method?: string): void {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.code}: ${outcome.message}\n${JSON.stringify(outcome.details, null, 1)}`);
  if (method) expect(outcome.method).toBe(method);
}

function expectFail(outcome: AuthOutcome, status: number, code: string): Extract<AuthOutcome, { ok: false }> {
  if (outcome.ok) throw new Error(`expected ${code}, got success`);
  expect({ status: outcome.status, code: outcome.code }).toEqual({ status, code });
  return outcome;
}

const withHeaders = (req: AuthRequest, headers: Record<string, string | undefined>): AuthRequest => ({
  ...req,
  headers: { ...req.headers, ...headers },
});

const KEYS = ['plain.txt', 'dir/a b.bin', 'c+d=e&f.txt', 'pct%20literal%', 'ünïcødé/文件.txt', "q'(x)*!~.json", 'a//b/'];

describe('documented vectors', () => {
  it('V1: the OSS documentation example', () => {
    const sts = v1StringToSign({
      method: 'PUT',
      contentMd5: 'ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=',
      contentType: 'text/html',
      date: 'Thu, 17 Nov 2005 18:49:58 GMT',
      canonicalizedOSSHeaders: v1CanonicalizedOSSHeaders({
        'x-oss-meta-author': 'foo@bar.com',
        'x-oss-magic': ' abracadabra ',
      }),
      canonicalizedResource: v1CanonicalizedResource('oss-example', 'nelson', []),
    });
    expect(sts).toBe(
      'PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\n' +
        'x-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson',
    );
    expect(v1Signature('OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV', sts)).toBe('26NBxoKdsyly4EDv6inkoDft/yA=');
  });

  it('V1 URL: the string to sign ali-oss produces for a presigned UploadPart', () => {
    const resource = v1CanonicalizedResource(
      'examplebucket',
      'big/file.bin',
      parseRawQuery('uploadId=0004B9894A22E5B1888A1E29F823****&partNumber=7&OSSAccessKeyId=x&Expires=1&Signature=s'),
    );
    expect(
      v1StringToSign({
        method: 'PUT',
        contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
        contentType: 'application/octet-stream',
        date: '1700000000',
        canonicalizedOSSHeaders: '',
        canonicalizedResource: resource,
      }),
    ).toBe(
      'PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\napplication/octet-stream\n1700000000\n' +
        '/examplebucket/big/file.bin?partNumber=7&uploadId=0004B9894A22E5B1888A1E29F823****',
    );
  });

  it('V4: the worked example (AKID/SK, cn-hangzhou, 20231203T121212Z)', () => {
    const canonical = v4CanonicalRequest({
      method: 'PUT',
      bucket: 'examplebucket',
      key: 'big/file.bin',
      query: parseRawQuery('uploadId=UPID&partNumber=7'),
      headers: {
        'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
        'content-type': 'application/octet-stream',
        'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-oss-date': '20231203T121212Z',
        'user-agent': 'not signed',
      },
      additionalHeaders: [],
    });
    expect(canonical).toBe(
      'PUT\n/examplebucket/big/file.bin\npartNumber=7&uploadId=UPID\n' +
        'content-md5:1B2M2Y8AsgTpgAmY7PhCfg==\ncontent-type:application/octet-stream\n' +
        'x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231203T121212Z\n\n\nUNSIGNED-PAYLOAD',
    );
    expect(createHash('sha256').update(canonical).digest('hex')).toBe(
      '065cf9dc7237e5026d3115309589a2e617966d53552e00d12fed782dc1c77e80',
    );
    const sts = v4StringToSign('20231203T121212Z', 'cn-hangzhou', canonical);
    expect(sts.split('\n').slice(0, 3)).toEqual(['OSS4-HMAC-SHA256', '20231203T121212Z', '20231203/cn-hangzhou/oss/aliyun_v4_request']);
    expect(v4Signature('SK', '20231203', 'cn-hangzhou', sts)).toBe(
      'fc75b92d834f4a94cba0e7c70c6e4d0ac3db576587d17b626dee6563042647cc',
    );

    // The same request through authenticate(), at the moment it was signed.
    const req: AuthRequest = {
      method: 'PUT',
      bucket: 'examplebucket',
      key: 'big/file.bin',
      rawQuery: 'partNumber=7&uploadId=UPID',
      headers: {
        'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
        'content-type': 'application/octet-stream',
        'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-oss-date': '20231203T121212Z',
        authorization:
          'OSS4-HMAC-SHA256 Credential=AKID/20231203/cn-hangzhou/oss/aliyun_v4_request,' +
          'Signature=fc75b92d834f4a94cba0e7c70c6e4d0ac3db576587d17b626dee6563042647cc',
      },
    };
    const keys = (id: string) => (id === 'AKID' ? { accessKeyId: 'AKID', accessKeySecret: 'SK' } : undefined);
    const now = new Date('2023-12-03T12:12:12Z');
    expectOk(authenticate(req, keys, { now, region: 'oss-cn-hangzhou' }), 'v4-header');
  });
});

describe('canonicalisation', () => {
  it('V1 resource: whitelisted sub-resources only, sorted, bare when empty, first occurrence wins', () => {
    const q = parseRawQuery('prefix=a&uploads=&max-keys=5&acl&versionId=v%2B1&versionId=v2&x-oss-process=image%2Fresize');
    expect(v1CanonicalizedResource('b', 'k', q)).toBe('/b/k?acl&uploads&versionId=v+1&x-oss-process=image/resize');
    expect(v1CanonicalizedResource('b', undefined, parseRawQuery('list-type=2&continuation-token=t%2Bx'))).toBe(
      '/b/?continuation-token=t+x',
    );
    expect(v1CanonicalizedResource(undefined, undefined, parseRawQuery('prefix=x'))).toBe('/');
  });

  it("V1 resource: the Go SDK's '??objectMeta' is the unsigned name '?objectMeta', not a sub-resource", () => {
    expect(parseRawQuery('?objectMeta').map((x) => x.name)).toEqual(['?objectMeta']);
    expect(v1CanonicalizedResource('b', 'k', parseRawQuery('?objectMeta'))).toBe('/b/k');
  });

  it('V1 headers: names lower-cased (by authenticate), values trimmed, repeats joined with ","', () => {
    expect(v1CanonicalizedOSSHeaders({ 'x-oss-meta-b': ['1', ' 2 '], 'x-oss-meta-a': '  x ', 'content-type': 'y' })).toBe(
      'x-oss-meta-a:x\nx-oss-meta-b:1,2\n',
    );
  });

  it("query parsing keeps '+' literal and decodes percent-escapes", () => {
    const [p] = parseRawQuery('k=a+b%2Bc%20d');
    expect(p!.value).toBe('a+b+c d');
    expect(parseRawQuery('a&b=&c=1').map((x) => [x.name, x.value])).toEqual([['a', ''], ['b', ''], ['c', '1']]);
  });

  it('V4 query and URI use RFC 3986 encoding', () => {
    expect(v4CanonicalQuery(parseRawQuery("z=1&uploads=&a=x+y%20z&b=!'()*&e=%E2%82%AC"))).toBe(
      'a=x%2By%20z&b=%21%27%28%29%2A&e=%E2%82%AC&uploads&z=1',
    );
    expect(v4CanonicalUri('b', 'dir/a b+c%~.txt')).toBe('/b/dir/a%20b%2Bc%25~.txt');
    expect(v4CanonicalUri('b', undefined)).toBe('/b/');
    expect(v4CanonicalUri(undefined, undefined)).toBe('/');
    expect(uriEncode('ü/x', true)).toBe('%C3%BC/x');
  });

  it('V4 dates must be real yyyymmddTHHMMSSZ timestamps', () => {
    expect(parseV4DateTime('20231203T121212Z')?.toISOString()).toBe('2023-12-03T12:12:12.000Z');
    for (const bad of ['20231340T000000Z', '20230230T000000Z', '20231203T126012Z', '20231203T121260Z', '2023-12-03T12:12:12Z']) {
      expect(parseV4DateTime(bad)).toBeUndefined();
    }
  });
});

for (const v4 of [false, true]) {
  const scheme = v4 ? 'V4' : 'V1';
  const headerMethod = v4 ? 'v4-header' : 'v1-header';

  describe(`${scheme} header signatures from ali-oss`, () => {
    for (const sts of [false, true]) {
      it(`accepts common operations${sts ? ' with an STS token' : ''}`, async () => {
        const { capture } = client({ v4, sts });
        const calls: Array<(c: OSS) => Promise<unknown>> = [
          (c) => c.put('dir/obj.json', Buffer.from('{"a":1}'), { meta: { owner: 'me' } as never }),
          (c) => c.listV2({ prefix: 'dir/', delimiter: '/', 'max-keys': '10', 'continuation-token': 'tok+en/=' }),
          (c) => c.initMultipartUpload('big.bin'),
          (c) => c.uploadPart('big.bin', 'UP+ID', 3, Buffer.from('part'), 0, 4),
          (c) => c.completeMultipartUpload('big.bin', 'UP+ID', [{ number: 1, etag: '"e"' }]),
          (c) => c.listParts('big.bin', 'UP+ID', { 'max-parts': 5 } as never),
          (c) => c.abortMultipartUpload('big.bin', 'UP+ID'),
          (c) => c.head('obj', { versionId: 'v1' } as never),
          (c) => c.deleteMulti(['a', 'b c']),
          (c) => (c as Untyped).putObjectTagging('obj', { gc: 'true' }),
          (c) => c.getBucketLifecycle(BUCKET),
          (c) => c.listBuckets({}),
        ];
        for (const call of calls) {
          const req = await capture(call);
          expectOk(auth(req), headerMethod);
          if (sts) expect(req.headers['x-oss-security-token']).toBe(STS.securityToken);
        }
      });
    }

    it('accepts keys with spaces, +, %, unicode, quotes and double slashes', async () => {
      const { capture } = client({ v4 });
      for (const key of KEYS) {
        const req = await capture((c) => c.put(key, Buffer.from('x')));
        expect(req.key).toBe(key);
        expectOk(auth(req), headerMethod);
      }
    });

    it('accepts non-ASCII metadata sent as UTF-8 bytes (headerEncoding latin1)', async () => {
      const { capture } = client({ v4, headerEncoding: 'latin1' });
      const req = await capture((c) => c.put('ü.txt', Buffer.from('x'), { meta: { note: 'grüße €' } as never }));
      expectOk(auth(req), headerMethod);
    });

    it('accepts latin-1 metadata with the default headerEncoding (sent as raw bytes, signed as UTF-8)', async () => {
      const req = await client({ v4 }).capture((c) => c.put('k', Buffer.from('x'), { meta: { note: 'grüße' } as never }));
      expectOk(auth(req), headerMethod);
    });

    it('rejects a wrong secret with SignatureDoesNotMatch and shows the StringToSign', async () => {
      const req = await client({ v4, secret: 'wrong' }).capture((c) => c.put('dir/k', Buffer.from('x')));
      const f = expectFail(auth(req), 403, 'SignatureDoesNotMatch');
      expect(f.details?.StringToSign).toContain(v4 ? '/cn-hangzhou/oss/aliyun_v4_request' : '/mybucket/dir/k');
      if (v4) expect(f.details?.CanonicalRequest).toContain('/mybucket/dir/k');
      expect(f.details?.OSSAccessKeyId).toBe(AK.accessKeyId);
    });

    it('rejects an unknown access key', async () => {
      const req = await client({ v4 }).capture((c) => c.put('k', Buffer.from('x')));
      const f = expectFail(authenticate(req, () => undefined, { now: new Date(), region: REGION }), 403, 'InvalidAccessKeyId');
      expect(f.details?.OSSAccessKeyId).toBe(AK.accessKeyId);
    });

    it('rejects a request date more than 15 minutes off, either way', async () => {
      const req = await client({ v4 }).capture((c) => c.put('k', Buffer.from('x')));
      expectOk(auth(req, new Date(Date.now() + 14 * MIN)));
      expectOk(auth(req, new Date(Date.now() - 14 * MIN)));
      expectFail(auth(req, new Date(Date.now() + 16 * MIN)), 403, 'RequestTimeTooSkewed');
      expectFail(auth(req, new Date(Date.now() - 16 * MIN)), 403, 'RequestTimeTooSkewed');
    });

    it('rejects tampering with the key, method, sub-resource, query or signed headers', async () => {
      const { capture } = client({ v4 });
      const part = await capture((c) => c.uploadPart('big.bin', 'UPID', 3, Buffer.from('part'), 0, 4));
      expectOk(auth(part));
      expectFail(auth({ ...part, key: 'other.bin' }), 403, 'SignatureDoesNotMatch');
      expectFail(auth({ ...part, method: 'POST' }), 403, 'SignatureDoesNotMatch');
      expectFail(auth({ ...part, rawQuery: part.rawQuery.replace('partNumber=3', 'partNumber=4') }), 403, 'SignatureDoesNotMatch');
      expectFail(auth({ ...part, rawQuery: `${part.rawQuery}&acl` }), 403, 'SignatureDoesNotMatch');

      const put = await capture((c) => c.put('k', Buffer.from('x'), { meta: { a: '1' } as never }));
      expectFail(auth(withHeaders(put, { 'x-oss-meta-a': '2' })), 403, 'SignatureDoesNotMatch');
      expectFail(auth(withHeaders(put, { 'x-oss-meta-extra': '1' })), 403, 'SignatureDoesNotMatch');
      expectFail(auth(withHeaders(put, { 'content-type': 'text/html' })), 403, 'SignatureDoesNotMatch');
      expectFail(auth(withHeaders(put, { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' })), 403, 'SignatureDoesNotMatch');
      // Unsigned headers may change freely.
      expectOk(auth(withHeaders(put, { 'user-agent': 'curl', range: 'bytes=0-1' })));
    });

    it(v4 ? 'signs every query parameter' : 'does not sign ordinary (non sub-resource) query parameters', async () => {
      const req = await client({ v4 }).capture((c) => c.listV2({ prefix: 'a/', 'max-keys': '10' }));
      const changed = { ...req, rawQuery: req.rawQuery.replace('max-keys=10', 'max-keys=11') };
      if (v4) expectFail(auth(changed), 403, 'SignatureDoesNotMatch');
      else expectOk(auth(changed));
    });

    it('enforces STS tokens: required for STS keys, must match, refused for long-term keys', async () => {
      const stsReq = await client({ v4, sts: true }).capture((c) => c.put('k', Buffer.from('x')));
      expectOk(auth(stsReq));
      expectFail(auth(withHeaders(stsReq, { 'x-oss-security-token': undefined })), 403, 'InvalidAccessKeyId');
      expectFail(auth(withHeaders(stsReq, { 'x-oss-security-token': 'other' })), 403, 'InvalidSecurityToken');

      const plain = await client({ v4 }).capture((c) => c.put('k', Buffer.from('x')));
      expectFail(auth(withHeaders(plain, { 'x-oss-security-token': 'tok' })), 403, 'InvalidAccessKeyId');
    });
  });
}

describe('V4 header specifics', () => {
  it('checks region, credential date and x-oss-content-sha256', async () => {
    const req = await client({ v4: true }).capture((c) => c.put('k', Buffer.from('x')));
    expectOk(auth(req, new Date(), 'oss-cn-hangzhou'));
    expectFail(auth(req, new Date(), 'cn-beijing'), 400, 'InvalidArgument');
    const authz = String(req.headers.authorization);
    const otherDay = authz.replace(/\/(\d{8})\//, (_, d: string) => `/${String(Number(d) - 1)}/`);
    expectFail(auth(withHeaders(req, { authorization: otherDay })), 400, 'InvalidArgument');
    expectFail(auth(withHeaders(req, { 'x-oss-content-sha256': undefined })), 400, 'InvalidArgument');
    expectFail(auth(withHeaders(req, { 'x-oss-date': undefined })), 403, 'AccessDenied');
  });

  it('accepts spaces after commas and additional headers', () => {
    const datetime = '20240101T000000Z';
    const headers = { 'x-oss-date': datetime, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', host: 'h', range: 'bytes=0-1' };
    const canonical = v4CanonicalRequest({
      method: 'GET',
      bucket: 'b',
      key: 'k',
      query: [],
      headers,
      additionalHeaders: ['host', 'range'],
    });
    const sig = v4Signature(AK.accessKeySecret, '20240101', REGION, v4StringToSign(datetime, REGION, canonical));
    const req: AuthRequest = {
      method: 'GET',
      bucket: 'b',
      key: 'k',
      rawQuery: '',
      headers: {
        ...headers,
        authorization: `OSS4-HMAC-SHA256 Credential=${AK.accessKeyId}/20240101/${REGION}/oss/aliyun_v4_request, AdditionalHeaders=range;HOST, Signature=${sig}`,
      },
    };
    const now = new Date('2024-01-01T00:00:00Z');
    expectOk(auth(req, now), 'v4-header');
    expectFail(auth(withHeaders(req, { range: 'bytes=0-2' }), now), 403, 'SignatureDoesNotMatch');
  });

  it('documents an ali-oss quirk: an empty-string query value is signed as "k=", OSS canonicalises it as "k"', async () => {
    const req = await client({ v4: true }).capture((c) => c.listV2({ prefix: '' }));
    expect(req.rawQuery).toContain('prefix=');
    expectFail(auth(req), 403, 'SignatureDoesNotMatch');
  });
});

describe('V1 presigned URLs from ali-oss signatureUrl', () => {
  for (const sts of [false, true]) {
    it(`accepts GET/PUT URLs${sts ? ' with security-token' : ''}`, () => {
      const { c } = client({ sts });
      for (const key of KEYS) {
        const url = c.signatureUrl(key, { expires: 600 });
        if (sts) expect(url).toContain('security-token=');
        const res = auth(toAuthRequest('GET', url));
        expectOk(res, 'v1-query');
        if (res.ok) expect(Math.abs(res.expiresAt!.getTime() - (Date.now() + 600_000))).toBeLessThan(5_000);
      }
      const put = c.signatureUrl('dir/a b.bin', { method: 'PUT', expires: 600 });
      expectOk(auth(toAuthRequest('PUT', put)));
      expectFail(auth(toAuthRequest('GET', put)), 403, 'SignatureDoesNotMatch');
    });
  }

  it('signs sub-resources, response overrides and process', () => {
    const { c } = client();
    const url = c.signatureUrl('img.png', {
      expires: 600,
      process: 'image/resize,w_100',
      response: { 'content-disposition': 'attachment; filename="a b+c.png"' },
      subResource: { versionId: 'v+1' },
    } as never);
    const req = toAuthRequest('GET', url);
    expectOk(auth(req));
    expectFail(auth({ ...req, rawQuery: req.rawQuery.replace('w_100', 'w_200') }), 403, 'SignatureDoesNotMatch');
    expectFail(auth({ ...req, rawQuery: `${req.rawQuery}&acl` }), 403, 'SignatureDoesNotMatch');
    expectOk(auth({ ...req, rawQuery: `${req.rawQuery}&unsigned=1` }));
  });

  it('requires exactly the signed Content-MD5 and Content-Type', () => {
    const { c } = client();
    const md5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
    const url = c.signatureUrl('big/file.bin', {
      method: 'PUT',
      expires: 600,
      subResource: { partNumber: 7, uploadId: 'UPID' },
      'Content-MD5': md5,
      'Content-Type': 'application/octet-stream',
    } as never);
    const req = toAuthRequest('PUT', url);
    expectOk(auth(withHeaders(req, { 'content-md5': md5, 'content-type': 'application/octet-stream' })));
    expectFail(auth(req), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders(req, { 'content-md5': md5, 'content-type': 'text/plain' })), 403, 'SignatureDoesNotMatch');
    expectFail(
      auth(withHeaders(req, { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==', 'content-type': 'application/octet-stream' })),
      403,
      'SignatureDoesNotMatch',
    );

    // Nothing signed: a client-added Content-Type breaks the URL.
    const bare = toAuthRequest('PUT', c.signatureUrl('k', { method: 'PUT', expires: 600 }));
    expectOk(auth(bare));
    expectFail(auth(withHeaders(bare, { 'content-type': 'application/octet-stream' })), 403, 'SignatureDoesNotMatch');
  });

  it('checks expiry before the signature, and the first of repeated parameters counts', () => {
    const { c } = client();
    const req = toAuthRequest('GET', c.signatureUrl('k', { expires: 60 }));
    const late = new Date(Date.now() + 2 * MIN);
    const f = expectFail(auth(req, late), 403, 'AccessDenied');
    expect(f.message).toBe('Request has expired.');
    expectFail(auth({ ...req, rawQuery: req.rawQuery.replace(/Signature=[^&]*/, 'Signature=bogus') }, late), 403, 'AccessDenied');

    expectOk(auth({ ...req, rawQuery: `${req.rawQuery}&Signature=bogus&Expires=1` }));
    expectFail(auth({ ...req, rawQuery: `Signature=bogus&${req.rawQuery}` }), 403, 'SignatureDoesNotMatch');
  });

  it('rejects wrong secrets, unknown keys and token mix-ups', () => {
    const wrong = toAuthRequest('GET', client({ secret: 'nope' }).c.signatureUrl('k', { expires: 600 }));
    const f = expectFail(auth(wrong), 403, 'SignatureDoesNotMatch');
    expect(f.details?.StringToSign).toMatch(/^GET\n\n\n\d+\n\/mybucket\/k$/);
    expectFail(authenticate(wrong, () => undefined, { now: new Date(), region: REGION }), 403, 'InvalidAccessKeyId');

    const sts = toAuthRequest('GET', client({ sts: true }).c.signatureUrl('k', { expires: 600 }));
    expectFail(auth({ ...sts, rawQuery: sts.rawQuery.replace(/&?security-token=[^&]*/, '') }), 403, 'InvalidAccessKeyId');
    expectFail(auth({ ...sts, rawQuery: sts.rawQuery.replace(/security-token=[^&]*/, 'security-token=x') }), 403, 'InvalidSecurityToken');
  });
});

describe('V4 presigned URLs from ali-oss signatureUrlV4', () => {
  for (const sts of [false, true]) {
    it(`accepts GET/PUT URLs${sts ? ' with x-oss-security-token' : ''}`, async () => {
      const { c } = client({ sts });
      for (const key of KEYS) {
        const url = await c.signatureUrlV4('GET', 600, undefined, key);
        if (sts) expect(url).toContain('x-oss-security-token=');
        const res = auth(toAuthRequest('GET', url));
        expectOk(res, 'v4-query');
        if (res.ok) expect(Math.abs(res.expiresAt!.getTime() - (Date.now() + 600_000))).toBeLessThan(5_000);
      }
    });
  }

  it('signs queries and headers; the uploader must send the signed headers', async () => {
    const { c } = client();
    const md5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
    const signed = { 'Content-MD5': md5, 'Content-Type': 'application/octet-stream' };
    const url = await c.signatureUrlV4('PUT', 600, { headers: signed, queries: { partNumber: 7, uploadId: 'UP+ID' } }, 'big/file.bin');
    const req = toAuthRequest('PUT', url);
    const sent = { 'content-md5': md5, 'content-type': 'application/octet-stream' };
    expectOk(auth(withHeaders(req, sent)), 'v4-query');
    expectFail(auth(req), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders(req, { ...sent, 'content-type': 'text/plain' })), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders(req, { ...sent, 'x-oss-meta-a': '1' })), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders({ ...req, rawQuery: req.rawQuery.replace('partNumber=7', 'partNumber=8') }, sent)), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders({ ...req, rawQuery: `${req.rawQuery}&extra=1` }, sent)), 403, 'SignatureDoesNotMatch');
    expectFail(auth(withHeaders({ ...req, key: 'big/file.bin2' }, sent)), 403, 'SignatureDoesNotMatch');
  });

  it('supports x-oss-additional-headers (host)', async () => {
    const { c } = client();
    const url = await c.signatureUrlV4('GET', 600, { headers: { host: 'localhost:9000' } }, 'k', ['host']);
    expect(url).toContain('x-oss-additional-headers=host');
    const req = toAuthRequest('GET', url);
    expectOk(auth(req));
    expectFail(auth(withHeaders(req, { host: 'evil:9000' })), 403, 'SignatureDoesNotMatch');
  });

  it('enforces expiry, not-yet-valid dates, the 7-day limit and the region', async () => {
    const { c } = client();
    const req = toAuthRequest('GET', await c.signatureUrlV4('GET', 60, undefined, 'k'));
    const f = expectFail(auth(req, new Date(Date.now() + 2 * MIN)), 403, 'AccessDenied');
    expect(f.message).toBe('Request has expired.');
    expectFail(auth(req, new Date(Date.now() - 16 * MIN)), 403, 'AccessDenied');
    expectOk(auth(req, new Date(Date.now() - 14 * MIN)));
    expectFail(auth(req, new Date(), 'cn-shanghai'), 400, 'InvalidArgument');

    const tooLong = toAuthRequest('GET', await c.signatureUrlV4('GET', 604801, undefined, 'k'));
    expectFail(auth(tooLong), 400, 'InvalidArgument');
    expectOk(auth(toAuthRequest('GET', await c.signatureUrlV4('GET', 604800, undefined, 'k'))));
  });

  it('rejects wrong secrets, unknown keys and token mix-ups', async () => {
    const wrong = toAuthRequest('GET', await client({ secret: 'nope' }).c.signatureUrlV4('GET', 600, undefined, 'k'));
    const f = expectFail(auth(wrong), 403, 'SignatureDoesNotMatch');
    expect(f.details?.CanonicalRequest).toMatch(/^GET\n\/mybucket\/k\nx-oss-credential=/);
    expectFail(authenticate(wrong, () => undefined, { now: new Date(), region: REGION }), 403, 'InvalidAccessKeyId');

    const sts = toAuthRequest('GET', await client({ sts: true }).c.signatureUrlV4('GET', 600, undefined, 'k'));
    expectFail(auth({ ...sts, rawQuery: sts.rawQuery.replace(/&?x-oss-security-token=[^&]*/, '') }), 403, 'InvalidAccessKeyId');
    expectFail(
      auth({ ...sts, rawQuery: sts.rawQuery.replace(/x-oss-security-token=[^&]*/, 'x-oss-security-token=x') }),
      403,
      'InvalidSecurityToken',
    );
  });
});

describe('dispatch', () => {
  const anon = (key?: string): AuthRequest => ({ method: 'GET', bucket: 'b', key, rawQuery: '', headers: {} });

  it('refuses anonymous requests', () => {
    expectFail(auth(anon('k')), 403, 'AccessDenied');
    expectFail(auth(anon()), 403, 'AccessDenied');
    expectFail(auth({ ...anon(), rawQuery: 'Expires=99999999999' }), 403, 'AccessDenied');
  });

  it('refuses two signatures at once', async () => {
    const header = await client().capture((c) => c.put('k', Buffer.from('x')));
    const url = toAuthRequest('GET', client().c.signatureUrl('k', { expires: 600 }));
    expectFail(auth({ ...header, rawQuery: url.rawQuery }), 400, 'InvalidArgument');
    const v4url = toAuthRequest('GET', await client().c.signatureUrlV4('GET', 600, undefined, 'k'));
    expectFail(auth({ ...url, rawQuery: `${url.rawQuery}&${v4url.rawQuery}` }), 400, 'InvalidArgument');
  });

  it('refuses malformed Authorization headers and presign parameters', () => {
    const bad = ['', 'OSS', 'OSS nocolon', 'OSS :sig', 'Bearer x', 'AWS a:b', 'OSS4-HMAC-SHA256 Signature=00',
      'OSS4-HMAC-SHA256 Credential=a/20240101/cn-hangzhou/s3/aliyun_v4_request,Signature=00',
      'OSS4-HMAC-SHA256 Credential=a/20240101/cn-hangzhou/oss/aliyun_v4_request,Signature=00,Foo=1'];
    for (const authorization of bad) {
      expectFail(auth({ ...anon('k'), headers: { authorization } }), 400, 'InvalidArgument');
    }
    expectFail(auth({ ...anon('k'), rawQuery: 'OSSAccessKeyId=a&Signature=b' }), 400, 'InvalidArgument');
    expectFail(auth({ ...anon('k'), rawQuery: 'OSSAccessKeyId=a&Signature=b&Expires=soon' }), 400, 'InvalidArgument');
    expectFail(auth({ ...anon('k'), rawQuery: 'x-oss-signature-version=OSS2&x-oss-signature=a' }), 400, 'InvalidArgument');
  });

  it('joins repeated x-oss headers with "," (headersDistinct) and accepts mixed-case names', () => {
    const date = new Date().toUTCString();
    const sts = v1StringToSign({
      method: 'GET',
      date,
      canonicalizedOSSHeaders: 'x-oss-meta-a:1,2\n',
      canonicalizedResource: '/b/k',
    });
    const req: AuthRequest = {
      method: 'GET',
      bucket: 'b',
      key: 'k',
      rawQuery: '',
      headers: {
        Date: date,
        'x-oss-meta-a': ['1', '2'],
        Authorization: `OSS ${AK.accessKeyId}:${v1Signature(AK.accessKeySecret, sts)}`,
      },
    };
    expectOk(auth(req), 'v1-header');
  });
});
