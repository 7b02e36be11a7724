// The batch signer's derived URLs are exactly the URLs ali-oss would sign (same second), for every
// header shape, key encoding, addressing style and with STS tokens.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOssClient, presignUploadPart, type OssClient } from '../shared/oss';
import { PartUrlSigner } from '../shared/upload/part-urls';

const MD5 = 'XrY7u+Ae7tCTyyK7j1rNww==';

describe('PartUrlSigner', () => {
  const clients: OssClient[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-04T05:06:07.500Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
    for (const c of clients.splice(0)) c.close();
  });

  const client = (o: { endpoint?: string; securityToken?: string } = {}) => {
    const c = createOssClient({
      bucket: 'argo-artifacts',
      region: 'cn-shanghai',
      endpoint: o.endpoint ?? 'http://localhost:9100',
      credentials: { accessKeyId: 'AKID', accessKeySecret: 'secret/with+chars', ...(o.securityToken ? { securityToken: o.securityToken } : {}) },
    });
    clients.push(c);
    return c;
  };

  it.each([
    ['path style, MD5 + length', {}, 'wf/a/b.bin', true, true],
    ['path style, length only', {}, 'wf/a/b.bin', false, true],
    ['no bound headers', {}, 'wf/a/b.bin', false, false],
    ['MD5 only', {}, 'wf/a/b.bin', true, false],
    ['awkward key', {}, "wf/a b/ü(1)!*'~+%.bin", true, true],
    ['virtual host + STS token', { endpoint: 'https://oss-cn-shanghai.aliyuncs.com', securityToken: 'CAIS/token+==' }, 'wf/x', true, true],
  ] as const)('%s: identical to ali-oss', async (_n, opts, key, md5, length) => {
    const c = client(opts);
    const signer = new PartUrlSigner(c);
    const parts = [1, 2, 17, 9999, 10000].map((n) => ({ partNumber: n, ...(md5 ? { contentMd5: MD5 } : {}), ...(length ? { contentLength: 1000 + n } : {}) }));
    const ours = await signer.sign(key, 'UPLOAD0123', parts, 900);
    expect(signer.fastPathDisabled).toBe(false);
    for (const [i, p] of parts.entries()) {
      const theirs = await presignUploadPart(c, { key, uploadId: 'UPLOAD0123' }, p.partNumber, { expiresSeconds: 900, ...(md5 ? { contentMd5: MD5 } : {}), ...(length ? { contentLength: p.contentLength } : {}) });
      expect(ours[i].url).toBe(theirs.url);
      expect(ours[i].headers).toEqual(theirs.headers);
      expect(ours[i].expiresAt.getTime()).toBe(theirs.expiresAt.getTime());
    }
  });

  it('falls back to ali-oss for every part when its check disagrees', async () => {
    const c = client();
    const signer = new PartUrlSigner(c);
    // Simulate drift between our canonical form and the SDK's.
    const spy = vi.spyOn(signer as unknown as { signatureFor: () => () => string }, 'signatureFor').mockReturnValue(() => 'bogus');
    const ours = await signer.sign('k', 'U', [{ partNumber: 1 }, { partNumber: 2 }], 60);
    expect(signer.fastPathDisabled).toBe(true);
    const theirs = await presignUploadPart(c, { key: 'k', uploadId: 'U' }, 2, { expiresSeconds: 60 });
    expect(ours[1].url).toBe(theirs.url);
    spy.mockRestore();
  });
});
