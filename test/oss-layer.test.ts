// Unit tests of the OSS layer's pure logic: nothing here talks to a server.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config';
import {
  OssArgumentError,
  OssClient,
  OssError,
  canonicalRule,
  chunk,
  createOssClientFromConfig,
  deleteObjects,
  deletePrefix,
  lifecycleXml,
  mapLimit,
  mergeLifecycleRules,
  ossCall,
  planEndpoint,
  presignGetObject,
  presignUploadPart,
  rangeHeader,
  resolveCredentials,
  ruleCovers,
  toOssError,
  transferTimeout,
  validateExpires,
  validateKey,
  validateTags,
  DEFAULT_TIMEOUTS,
  type LifecycleRule,
} from '../shared/oss';

const CREDS = { accessKeyId: 'AKID', accessKeySecret: 'SECRET' };
const clients: OssClient[] = [];
function client(opts: Partial<ConstructorParameters<typeof OssClient>[0]> = {}): OssClient {
  const c = new OssClient({ bucket: 'test-bucket', region: 'cn-shanghai', endpoint: 'http://localhost:9', credentials: CREDS, ...opts });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('planEndpoint', () => {
  it('uses path style for localhost and *.localhost', () => {
    expect(planEndpoint('http://localhost:9100')).toEqual({ endpoint: 'http://localhost:9100', pathStyle: true, local: true });
    expect(planEndpoint('http://oss.localhost:9100').pathStyle).toBe(true);
  });

  it('rewrites loopback IPs to localhost (ali-oss cannot presign on IP endpoints)', () => {
    expect(planEndpoint('http://127.0.0.1:9100')).toEqual({
      endpoint: 'http://localhost:9100',
      pathStyle: true,
      local: true,
      rewrittenFrom: 'http://127.0.0.1:9100',
    });
    expect(planEndpoint('http://[::1]:9100').endpoint).toBe('http://localhost:9100');
  });

  it('refuses non-loopback IPs with an explanation', () => {
    expect(() => planEndpoint('http://10.1.2.3:9100')).toThrow(/IP address/);
  });

  it('uses virtual hosting for real endpoints, unless forced', () => {
    expect(planEndpoint('https://oss-cn-hangzhou.aliyuncs.com')).toEqual({
      endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
      pathStyle: false,
      local: false,
    });
    expect(planEndpoint('http://oss-emulator:9100', 'path').pathStyle).toBe(true);
    expect(planEndpoint('http://localhost:9100', 'virtual').pathStyle).toBe(false);
  });

  it('rejects malformed endpoints as argument errors', () => {
    expect(() => planEndpoint('localhost:9100')).toThrow(OssArgumentError);
    expect(() => planEndpoint('http://localhost:9100/path')).toThrow(OssArgumentError);
  });
});

describe('resolveCredentials precedence', () => {
  const config = {
    alibabaCloudAccessKeyId: 'env-ak',
    alibabaCloudAccessKeySecret: 'env-sk',
    alibabaCloudSecurityToken: 'env-tok',
    ossAccessKeyId: 'oss-ak',
    ossAccessKeySecret: 'oss-sk',
  };
  const fcContext = { credentials: { accessKeyId: 'STS.fc', accessKeySecret: 'fc-sk', securityToken: 'fc-tok' } };

  it('explicit > FC context > ALIBABA_CLOUD_* > OSS_*', () => {
    expect(resolveCredentials({ explicit: CREDS, fcContext, config })).toEqual({ credentials: CREDS, source: 'explicit' });
    expect(resolveCredentials({ fcContext, config })).toEqual({
      credentials: { accessKeyId: 'STS.fc', accessKeySecret: 'fc-sk', securityToken: 'fc-tok' },
      source: 'fc-context',
    });
    expect(resolveCredentials({ fcContext: { credentials: null }, config })).toEqual({
      credentials: { accessKeyId: 'env-ak', accessKeySecret: 'env-sk', securityToken: 'env-tok' },
      source: 'alibaba-cloud-env',
    });
    expect(resolveCredentials({ config: { ossAccessKeyId: 'oss-ak', ossAccessKeySecret: 'oss-sk' } })).toEqual({
      credentials: { accessKeyId: 'oss-ak', accessKeySecret: 'oss-sk' },
      source: 'oss-env',
    });
  });

  it('refuses half a key pair', () => {
    expect(() => resolveCredentials({ explicit: { accessKeyId: 'x' } })).toThrow(OssArgumentError);
  });

  it('explains where credentials come from when there are none', () => {
    try {
      resolveCredentials({});
      throw new Error('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0].variable).toBe('OSS_ACCESS_KEY_ID');
      expect((err as Error).message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
    }
  });

  it('createOssClientFromConfig wires config, precedence and endpoints', () => {
    const c = createOssClientFromConfig(
      {
        ossBucket: 'b-1',
        ossRegion: 'cn-beijing',
        ossEndpoint: 'https://oss-cn-beijing-internal.aliyuncs.com',
        ossPublicEndpoint: 'https://oss-cn-beijing.aliyuncs.com',
        ossAddressing: 'auto',
        ...config,
      },
      { fcContext },
    );
    clients.push(c);
    expect(c.credentialSource).toBe('fc-context');
    expect(c.endpoint.endpoint).toBe('https://oss-cn-beijing-internal.aliyuncs.com');
    expect(c.publicEndpoint.endpoint).toBe('https://oss-cn-beijing.aliyuncs.com');
  });
});

describe('client agents and timeouts', () => {
  it('uses keep-alive for requests and a separate non-keep-alive agent for streams', () => {
    const c = client();
    const internals = (sdk: unknown) => sdk as { agent: { keepAlive: boolean; maxSockets: number }; options: { authorizationV4: boolean; region: string; sldEnable: boolean } };
    expect(internals(c.sdk).agent.keepAlive).toBe(true);
    expect(internals(c.streamSdk).agent.keepAlive).toBe(false);
    expect(internals(c.sdk).agent.maxSockets).toBe(64);
    expect(internals(c.sdk).options.authorizationV4).toBe(true);
    expect(internals(c.sdk).options.region).toBe('oss-cn-shanghai');
    expect(internals(c.sdk).options.sldEnable).toBe(true);
  });

  it('scales the response timeout with the body size', () => {
    expect(transferTimeout(DEFAULT_TIMEOUTS)).toEqual([10_000, 60_000]);
    const fiveGiB = 5 * 1024 ** 3;
    expect(transferTimeout(DEFAULT_TIMEOUTS, fiveGiB)).toEqual([10_000, 60_000 + 5120_000]);
    expect(transferTimeout(DEFAULT_TIMEOUTS, fiveGiB, 5000)).toEqual([5000, 5000]);
    expect(() => transferTimeout(DEFAULT_TIMEOUTS, 0, -1)).toThrow(OssArgumentError);
    expect(client({ timeouts: { responseMs: 1000 } }).timeoutFor({ timeoutMs: 30_000 })).toEqual([10_000, 30_000]);
  });

  it('validates region and bucket', () => {
    expect(() => client({ region: 'nowhere' })).toThrow(OssArgumentError);
    expect(() => client({ bucket: 'Bad_Bucket' })).toThrow(OssArgumentError);
  });
});

describe('presigning (V4, offline)', () => {
  it('builds a path-style V4 UploadPart URL and returns the headers to send', async () => {
    const c = client({ endpoint: 'http://127.0.0.1:9100' });
    const md5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
    const p = await presignUploadPart(c, { key: 'a/b c.bin', uploadId: 'UP1' }, 7, { expiresSeconds: 600, contentMd5: md5, contentType: 'application/octet-stream' });
    const url = new URL(p.url);
    expect(url.origin).toBe('http://localhost:9100');
    expect(url.pathname).toBe('/test-bucket/a/b%20c.bin');
    expect(url.searchParams.get('partNumber')).toBe('7');
    expect(url.searchParams.get('uploadId')).toBe('UP1');
    expect(url.searchParams.get('x-oss-signature-version')).toBe('OSS4-HMAC-SHA256');
    expect(url.searchParams.get('x-oss-expires')).toBe('600');
    expect(url.searchParams.get('x-oss-credential')).toMatch(/^AKID\/\d{8}\/cn-shanghai\/oss\/aliyun_v4_request$/);
    expect(url.searchParams.get('x-oss-signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(p.method).toBe('PUT');
    expect(p.headers).toEqual({ 'Content-MD5': md5, 'Content-Type': 'application/octet-stream' });
    expect(p.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(p.expiresAt.getTime()).toBeGreaterThan(Date.now() + 598_000);
  });

  it('signs on the public endpoint, virtual-hosted, with the STS token', async () => {
    const c = client({
      endpoint: 'https://oss-cn-shanghai-internal.aliyuncs.com',
      publicEndpoint: 'https://oss-cn-shanghai.aliyuncs.com',
      credentials: { ...CREDS, securityToken: 'TOKEN' },
    });
    const p = await presignGetObject(c, 'wf/pod/out.tgz', {
      expiresSeconds: 60,
      response: { contentDisposition: `attachment; filename="out.tgz"; filename*=UTF-8''out%20.tgz`, contentType: 'application/gzip' },
    });
    const url = new URL(p.url);
    expect(url.host).toBe('test-bucket.oss-cn-shanghai.aliyuncs.com');
    expect(url.pathname).toBe('/wf/pod/out.tgz');
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="out.tgz"; filename*=UTF-8''out%20.tgz`);
    expect(url.searchParams.get('response-content-type')).toBe('application/gzip');
    expect(url.searchParams.get('x-oss-security-token')).toBe('TOKEN');
    expect(p.headers).toEqual({});
  });

  it('setCredentials swaps the signing key but keeps the client', async () => {
    const c = client();
    c.setCredentials({ accessKeyId: 'OTHER', accessKeySecret: 's2' });
    const p = await presignGetObject(c, 'k', { expiresSeconds: 5 });
    expect(new URL(p.url).searchParams.get('x-oss-credential')).toMatch(/^OTHER\//);
  });

  it.each([0, -1, 1.5, 604_801, Number.NaN, '60'])('rejects expiry %j', async (v) => {
    const c = client();
    await expect(presignGetObject(c, 'k', { expiresSeconds: v as number })).rejects.toThrow(OssArgumentError);
    await expect(presignUploadPart(c, { key: 'k', uploadId: 'u' }, 1, { expiresSeconds: v as number })).rejects.toThrow(/expiresSeconds/);
  });

  it('accepts the expiry bounds', async () => {
    expect(validateExpires(1)).toBe(1);
    expect(validateExpires(604_800)).toBe(604_800);
    const p = await presignGetObject(client(), 'k', { expiresSeconds: 604_800 });
    expect(new URL(p.url).searchParams.get('x-oss-expires')).toBe('604800');
  });

  it('validates part number, MD5 and header values', async () => {
    const c = client();
    const ref = { key: 'k', uploadId: 'u' };
    await expect(presignUploadPart(c, ref, 0, { expiresSeconds: 60 })).rejects.toThrow(/partNumber/);
    await expect(presignUploadPart(c, ref, 10_001, { expiresSeconds: 60 })).rejects.toThrow(/partNumber/);
    await expect(presignUploadPart(c, ref, 1, { expiresSeconds: 60, contentMd5: 'abc' })).rejects.toThrow(/contentMd5/);
    await expect(presignUploadPart(c, ref, 1, { expiresSeconds: 60, contentType: 'a\r\nX-Evil: 1' })).rejects.toThrow(/contentType/);
    await expect(presignUploadPart(c, { key: 'k', uploadId: '' }, 1, { expiresSeconds: 60 })).rejects.toThrow(/uploadId/);
  });
});

describe('error mapping', () => {
  const ctx = { operation: 'headObject', bucket: 'b', key: 'k' };
  const aliError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'boom')), fields);

  it('copies the OSS fields and context', () => {
    const e = toOssError(
      aliError({ name: 'NoSuchKeyError', code: 'NoSuchKey', status: 404, requestId: 'RID', hostId: 'b.oss-cn-hangzhou.aliyuncs.com', ecCode: '0026-00000001', message: 'The specified key does not exist.' }),
      ctx,
    );
    expect(e).toBeInstanceOf(OssError);
    expect(e).toMatchObject({ kind: 'NotFound', code: 'NoSuchKey', status: 404, requestId: 'RID', hostId: 'b.oss-cn-hangzhou.aliyuncs.com', ecCode: '0026-00000001', operation: 'headObject', bucket: 'b', key: 'k' });
    expect(e.message).toContain('headObject b/k: NoSuchKey (404)');
    expect(e.message).toContain('RID');
    expect(e.retryable).toBe(false);
  });

  it.each([
    [{ name: 'NoSuchUploadError', code: 'NoSuchUpload', status: 404 }, 'NoSuchUpload'],
    [{ name: 'NoSuchBucketError', code: 'NoSuchBucket', status: 404 }, 'NoSuchBucket'],
    [{ name: 'NoSuchKeyError', code: 'NoSuchKey', status: 404, message: 'Object not exists' }, 'NotFound'],
    [{ name: 'SignatureDoesNotMatchError', code: 'SignatureDoesNotMatch', status: 403 }, 'AccessDenied'],
    [{ name: 'AccessDeniedError', code: 'AccessDenied', status: 403 }, 'AccessDenied'],
    [{ name: 'InvalidAccessKeyIdError', code: 'InvalidAccessKeyId', status: 403 }, 'AccessDenied'],
    [{ name: 'PreconditionFailedError', code: 'PreconditionFailed', status: 412 }, 'PreconditionFailed'],
    [{ name: 'FileAlreadyExistsError', code: 'FileAlreadyExists', status: 409 }, 'PreconditionFailed'],
    [{ name: 'InvalidPartError', code: 'InvalidPart', status: 400 }, 'InvalidPart'],
    [{ name: 'InvalidPartOrderError', code: 'InvalidPartOrder', status: 400 }, 'InvalidPart'],
    [{ name: 'EntityTooSmallError', code: 'EntityTooSmall', status: 400 }, 'InvalidPart'],
    [{ name: 'InvalidDigestError', code: 'InvalidDigest', status: 400 }, 'InvalidDigest'],
    [{ name: 'UnknownError', status: 416 }, 'InvalidRange'],
    [{ name: 'InvalidRangeError', code: 'InvalidRange', status: 416 }, 'InvalidRange'],
    [{ name: 'ServiceUnavailableError', code: 'ServiceUnavailable', status: 503 }, 'ServerError'],
    [{ name: 'UnknownError', status: 500 }, 'ServerError'],
    [{ name: 'MalformedXMLError', code: 'MalformedXML', status: 400 }, 'Other'],
  ])('%j -> %s', (fields, kind) => {
    expect(toOssError(aliError(fields), ctx).kind).toBe(kind);
  });

  it('maps network errors (-1) and timeouts (-2 or no status) as retryable', () => {
    const net = toOssError(aliError({ name: 'RequestError', code: 'RequestError', status: -1, message: 'connect ECONNREFUSED 127.0.0.1:9' }), ctx);
    expect(net).toMatchObject({ kind: 'Network', status: -1 });
    expect(net.retryable).toBe(true);
    const ct = toOssError(aliError({ name: 'ConnectionTimeoutError', code: 'ConnectionTimeoutError', status: -2 }), ctx);
    expect(ct).toMatchObject({ kind: 'Timeout', status: -2 });
    const rt = toOssError(aliError({ name: 'ResponseTimeoutError', message: 'Response timeout for 60000ms, please increase the timeout' }), ctx);
    expect(rt).toMatchObject({ kind: 'Timeout', status: -2, code: 'ResponseTimeoutError' });
    expect(rt.retryable).toBe(true);
    const reset = toOssError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), ctx);
    expect(reset).toMatchObject({ kind: 'Network', status: -1, code: 'ECONNRESET' });
  });

  it('passes OssErrors through and tolerates non-errors', () => {
    const e = new OssError({ ...ctx, kind: 'Integrity', code: 'Crc64Mismatch', status: 0, message: 'x' });
    expect(toOssError(e, { operation: 'other' })).toBe(e);
    expect(toOssError('weird', ctx)).toMatchObject({ kind: 'Other', message: expect.stringContaining('weird') });
  });

  it('ossCall wraps SDK failures but not argument errors', async () => {
    await expect(ossCall(ctx, async () => Promise.reject(aliError({ name: 'NoSuchKeyError', code: 'NoSuchKey', status: 404 })))).rejects.toMatchObject({ kind: 'NotFound' });
    const arg = new OssArgumentError('key', 'bad');
    await expect(ossCall(ctx, async () => Promise.reject(arg))).rejects.toBe(arg);
  });
});

describe('validation helpers', () => {
  it('validateKey', () => {
    expect(validateKey('a/b')).toBe('a/b');
    for (const bad of ['', '/abs', '\\x', 'x'.repeat(1024), 42]) expect(() => validateKey(bad)).toThrow(OssArgumentError);
    expect(validateKey('é'.repeat(511))).toHaveLength(511);
    expect(() => validateKey('é'.repeat(512))).toThrow(/1023 bytes/);
  });

  it('validateTags', () => {
    expect(validateTags({ gc: 'true', 'a b+-=._:/': '' })).toBeTruthy();
    expect(() => validateTags({ k: 'a<b' })).toThrow(OssArgumentError);
    expect(() => validateTags({ '': 'x' })).toThrow(OssArgumentError);
    expect(() => validateTags(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])))).toThrow(/10 tags/);
  });

  it('chunk', () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);
    expect(chunk(keys, 1000).map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunk([], 1000)).toEqual([]);
    expect(() => chunk(keys, 0)).toThrow(OssArgumentError);
  });

  it('rangeHeader', () => {
    expect(rangeHeader({ start: 0, end: 99 })).toBe('bytes=0-99');
    expect(rangeHeader({ start: 100 })).toBe('bytes=100-');
    expect(rangeHeader({ suffix: 10 })).toBe('bytes=-10');
    expect(() => rangeHeader({ start: 5, end: 4 })).toThrow(OssArgumentError);
    expect(() => rangeHeader({ start: -1 })).toThrow(OssArgumentError);
    expect(() => rangeHeader({ suffix: 0 })).toThrow(OssArgumentError);
  });

  it('mapLimit bounds concurrency and keeps order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 2], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 20]);
    expect(peak).toBe(3);
  });
});

describe('batch delete logic (stubbed transport)', () => {
  type DeleteMulti = OssClient['sdk']['deleteMulti'];
  function stubbed(impl: (keys: string[]) => Promise<Awaited<ReturnType<DeleteMulti>>>) {
    const c = client();
    const calls: string[][] = [];
    let running = 0;
    let peak = 0;
    const fake = (async (keys: string[]) => {
      calls.push(keys);
      running++;
      peak = Math.max(peak, running);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await impl(keys);
      } finally {
        running--;
      }
    }) as DeleteMulti;
    Object.defineProperty(c.sdk, 'deleteMulti', { value: fake });
    return { c, calls, peak: () => peak };
  }
  const res = { status: 200, headers: {}, size: 0, rt: 0 };

  it('chunks to 1000 keys, bounds concurrency, reports failures per key', async () => {
    const { c, calls, peak } = stubbed(async (keys) => {
      if (keys.includes('k1500')) throw Object.assign(new Error('denied'), { name: 'AccessDeniedError', code: 'AccessDenied', status: 403 });
      return { deleted: keys.filter((k) => k !== 'k2400').map((Key) => ({ Key })), res };
    });
    const keys = Array.from({ length: 3500 }, (_, i) => `k${i}`);
    const r = await deleteObjects(c, [...keys, 'k0'], { concurrency: 2 });
    expect(calls.map((k) => k.length)).toEqual([1000, 1000, 1000, 500]);
    expect(peak()).toBe(2);
    expect(r.deleted).toHaveLength(3500 - 1000 - 1);
    expect(r.failed).toHaveLength(1001);
    expect(r.failed.find((f) => f.key === 'k1500')?.error.kind).toBe('AccessDenied');
    expect(r.failed.find((f) => f.key === 'k2400')?.error.code).toBe('NotDeleted');
  });

  it('validates every key before sending anything', async () => {
    const { c, calls } = stubbed(async (keys) => ({ deleted: keys.map((Key) => ({ Key })), res }));
    await expect(deleteObjects(c, ['ok', ''])).rejects.toThrow(/keys\[1\]/);
    await expect(deleteObjects(c, ['ok', '/abs'])).rejects.toThrow(OssArgumentError);
    expect(calls).toHaveLength(0);
    expect(await deleteObjects(c, [])).toEqual({ deleted: [], failed: [] });
  });

  it('refuses empty and sibling-matching prefixes', async () => {
    const c = client();
    await expect(deletePrefix(c, '')).rejects.toThrow(/empty prefix/);
    await expect(deletePrefix(c, 'a/b')).rejects.toThrow(/must end with '\/'/);
  });
});

describe('lifecycle merge (pure)', () => {
  const foreign: LifecycleRule = { id: 'ops-tmp', prefix: 'tmp/', status: 'Enabled', expiration: { days: '7' } };
  const foreignNoId: LifecycleRule = { prefix: 'logs/', status: 'Enabled', transition: [{ days: '30', storageClass: 'IA' }, { days: '90', storageClass: 'Archive' }] };
  const oursOld: LifecycleRule = { id: 'argo-oss-uploads', prefix: 'uploads/', status: 'Enabled', abortMultipartUpload: { days: '3' } };
  const oursStale: LifecycleRule = { id: 'argo-oss-old', prefix: 'old/', status: 'Enabled', expiration: { days: '1' } };

  it('keeps foreign rules verbatim and in place, replaces ours, adds and removes', () => {
    const desired: LifecycleRule[] = [
      { id: 'argo-oss-uploads', prefix: 'uploads/', status: 'Enabled', abortMultipartUpload: { days: 2 } },
      { id: 'argo-oss-tagged', prefix: '', status: 'Enabled', tag: { key: 'argo-oss-gc', value: 'true' }, expiration: { days: 1 } },
    ];
    const r = mergeLifecycleRules([foreign, oursOld, foreignNoId, oursStale], desired);
    expect(r.rules).toEqual([foreign, desired[0], foreignNoId, desired[1]]);
    expect(r.rules[0]).toBe(foreign);
    expect(r.rules[2]).toBe(foreignNoId);
    expect(r).toMatchObject({ changed: true, added: ['argo-oss-tagged'], updated: ['argo-oss-uploads'], removed: ['argo-oss-old'], unchanged: [], foreign: 2 });
  });

  it('reports no change when ours already match (numbers vs strings, tag object vs list)', () => {
    const stored: LifecycleRule = { id: 'argo-oss-t', prefix: '', status: 'Enabled', tag: [{ key: 'gc', value: 'true' }], expiration: { days: '1' } };
    const desired: LifecycleRule = { id: 'argo-oss-t', prefix: '', status: 'Enabled', expiration: { days: 1 }, tag: { key: 'gc', value: 'true' } };
    const r = mergeLifecycleRules([foreign, stored], [desired]);
    expect(r.changed).toBe(false);
    expect(r.unchanged).toEqual(['argo-oss-t']);
  });

  it('removes all of ours with an empty desired list, never a foreign rule', () => {
    const r = mergeLifecycleRules([foreign, oursOld, oursStale], []);
    expect(r.rules).toEqual([foreign]);
    expect(r.removed).toEqual(['argo-oss-uploads', 'argo-oss-old']);
  });

  it('rejects bad desired rules', () => {
    expect(() => mergeLifecycleRules([], [{ id: 'ops-x', prefix: 'x/', status: 'Enabled' }])).toThrow(/must start with/);
    expect(() => mergeLifecycleRules([], [{ prefix: 'x/', status: 'Enabled' }])).toThrow(OssArgumentError);
    const dup: LifecycleRule = { id: 'argo-oss-a', prefix: 'a/', status: 'Enabled' };
    expect(() => mergeLifecycleRules([], [dup, { ...dup, prefix: 'b/' }])).toThrow(/duplicate/);
    expect(() => mergeLifecycleRules([], [dup], '')).toThrow(/ownedPrefix/);
    expect(() => mergeLifecycleRules([], [{ ...dup, status: 'On' as 'Enabled' }])).toThrow(/status/);
  });

  it('refuses a rule on the same prefix as a foreign rule (OSS would reject the write)', () => {
    expect(() => mergeLifecycleRules([foreign], [{ id: 'argo-oss-tmp', prefix: 'tmp/', status: 'Enabled', expiration: { days: 1 } }])).toThrow(/both apply to prefix/);
    // Different tag scope on the same prefix is fine.
    expect(() => mergeLifecycleRules([foreign], [{ id: 'argo-oss-tmp', prefix: 'tmp/', status: 'Enabled', tag: { key: 'a', value: 'b' }, expiration: { days: 1 } }])).not.toThrow();
  });

  it('refuses overlapping prefixes with the same action, only when one rule is ours', () => {
    const all: LifecycleRule = { id: 'argo-oss-all', prefix: '', status: 'Enabled', expiration: { days: 30 } };
    expect(() => mergeLifecycleRules([foreign], [all])).toThrow(/ops-tmp and argo-oss-all have overlapping prefixes and both set expiration/);
    const cold: LifecycleRule = { id: 'argo-oss-cold', prefix: 'logs/x/', status: 'Enabled', transition: { days: 10, storageClass: 'IA' } };
    expect(() => mergeLifecycleRules([foreignNoId], [cold])).toThrow(/transition to IA/);
    expect(() => mergeLifecycleRules([foreign], [{ ...all, expiration: undefined, abortMultipartUpload: { days: 1 } }])).not.toThrow();
    // Two foreign rules that overlap are not ours to judge.
    expect(() => mergeLifecycleRules([foreign, { ...foreign, id: 'ops-2', prefix: 'tmp/a/' }], [])).not.toThrow();
  });

  it('supports another owner prefix', () => {
    const r = mergeLifecycleRules([oursOld], [{ id: 'team-x-1', prefix: 'x/', status: 'Enabled', expiration: { days: 3 } }], 'team-x-');
    expect(r.rules.map((x) => x.id)).toEqual(['argo-oss-uploads', 'team-x-1']);
    expect(r.foreign).toBe(1);
  });

  it('canonicalRule and ruleCovers', () => {
    expect(canonicalRule({ b: 1, a: [2], c: undefined })).toBe(canonicalRule({ a: ['2'], b: '1' }));
    expect(ruleCovers({ ...oursOld, filter: { x: '1' } }, oursOld)).toBe(true);
    expect(ruleCovers(oursOld, { ...oursOld, abortMultipartUpload: { days: 4 } })).toBe(false);
    expect(ruleCovers(undefined, oursOld)).toBe(false);
  });

  it('serialises XML with escaping, repeated elements and nested filters', () => {
    const xml = lifecycleXml([
      { id: 'ops&co', prefix: 'a<b>/', status: 'Enabled', transition: [{ days: '30', storageClass: 'IA' }, { days: 90, storageClass: 'Archive' }] },
      { id: 'argo-oss-x', prefix: '', status: 'Disabled', filter: { not: { prefix: 'keep/' } }, expiration: { days: 1 } },
    ]);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>' +
        '<Rule><ID>ops&amp;co</ID><Prefix>a&lt;b&gt;/</Prefix><Status>Enabled</Status>' +
        '<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>90</Days><StorageClass>Archive</StorageClass></Transition></Rule>' +
        '<Rule><ID>argo-oss-x</ID><Prefix></Prefix><Status>Disabled</Status><Filter><Not><Prefix>keep/</Prefix></Not></Filter><Expiration><Days>1</Days></Expiration></Rule>' +
        '</LifecycleConfiguration>',
    );
  });
});
