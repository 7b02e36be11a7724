// One part PUT (cli/upload/part-upload.ts) against the local OSS server with real V4-presigned
// UploadPart URLs (signed here with shared/oss, as the coordinator does), and fault injection.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { createOssClient, initiateMultipartUpload, listAllParts, presignUploadPart, type OssClient } from '../shared/oss';
import { BufferPool, createAgents, decide, putPart } from '../cli/upload';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';
import { startCorruptingProxy } from './helpers/uploader';

let oss: TestOssServer;
let client: OssClient;
let tmp: string;
const agents = createAgents(4);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'uploader-parts-'));
  oss = await startTestOssServer();
  const o = oss.clientOptions(true);
  client = createOssClient({
    bucket: oss.bucket,
    region: o.region,
    endpoint: o.endpoint,
    addressing: 'path',
    credentials: { accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret },
  });
});
afterAll(async () => {
  agents.http.destroy();
  client.close();
  await oss.close();
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await oss.admin('DELETE', '/faults');
});

async function signedPart(key: string, partNumber = 1, expiresSeconds = 300) {
  const ref = await initiateMultipartUpload(client, key);
  const signed = await presignUploadPart(client, ref, partNumber, { expiresSeconds });
  return { ref, signed };
}

function body(data: Buffer, chunk = 64 * 1024): () => Readable {
  return () => Readable.from((function* () {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  })());
}

describe('putPart', () => {
  it('uploads a part, computing its CRC-64 while sending and matching OSS’s', async () => {
    const data = randomBytes(300_000);
    const { ref, signed } = await signedPart('parts/ok.bin');
    let progressed = 0;
    const r = await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents, onBytes: (n) => (progressed += n) });
    expect(r).toMatchObject({ ok: true, crc64: crc64(data), serverCrc64: crc64(data), bytes: data.length });
    expect(progressed).toBe(data.length);
    const parts = await listAllParts(client, ref);
    expect(parts).toHaveLength(1);
    expect(r.ok && parts[0].etag).toBe(r.ok && r.etag);
  });

  it('sends a file range through pooled buffers, reusing them across parts', async () => {
    const data = randomBytes(2_500_000);
    const path = join(tmp, 'range.bin');
    await writeFile(path, data);
    const buffers = new BufferPool(256 * 1024);
    for (const [start, end] of [[0, 1_000_000], [1_000_000, 2_500_000]]) {
      const { signed } = await signedPart(`parts/range-${start}.bin`);
      const r = await putPart({ url: signed.url, headers: signed.headers, length: end - start, body: { path, start, end, buffers }, agents });
      expect(r).toMatchObject({ ok: true, crc64: crc64(data.subarray(start, end)), bytes: end - start });
    }
    expect((buffers as unknown as { free: Buffer[] }).free).toHaveLength(2); // two buffers, reused
    // a range past the end of the file: the file must have changed
    const { signed } = await signedPart('parts/range-short.bin');
    await expect(putPart({ url: signed.url, headers: signed.headers, length: 200_000, body: { path, start: 2_400_000, end: 2_600_000, buffers }, agents })).rejects.toThrow(/file change/);
    // a reset mid-body is a network error, and the buffers come back to the pool
    await oss.admin('POST', '/faults', { match: { operation: 'UploadPart' }, resetAfterBytes: 300_000, direction: 'request' });
    const { signed: s2 } = await signedPart('parts/range-reset.bin');
    expect(await putPart({ url: s2.url, headers: s2.headers, length: 1_000_000, body: { path, start: 0, end: 1_000_000, buffers }, agents })).toMatchObject({ ok: false, status: 0 });
    expect((buffers as unknown as { free: Buffer[] }).free).toHaveLength(2);
  });

  it('reports an injected 503 as retryable', async () => {
    const { signed } = await signedPart('parts/503.bin');
    await oss.admin('POST', '/faults', { match: { operation: 'UploadPart' }, status: 503 });
    const data = randomBytes(200_000);
    const r = await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents });
    expect(r).toMatchObject({ ok: false, status: 503, code: 'ServiceUnavailable' });
    expect(!r.ok && decide(r, signed.expiresAt, new Date(), 0).action).toBe('retry');
    // the socket of the failed request was not reused in a broken state: the same URL works now
    expect(await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents })).toMatchObject({ ok: true });
  });

  it('reports a connection reset mid-body as a network error', async () => {
    const { signed } = await signedPart('parts/reset.bin');
    await oss.admin('POST', '/faults', { match: { operation: 'UploadPart' }, resetAfterBytes: 50_000, direction: 'request' });
    const data = randomBytes(400_000);
    const r = await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents });
    expect(r).toMatchObject({ ok: false, status: 0 });
    expect(!r.ok && decide(r, signed.expiresAt, new Date(), 0).action).toBe('retry');
  });

  it('classifies an expired URL as re-sign', async () => {
    const { signed } = await signedPart('parts/expired.bin', 1, 1);
    await new Promise((r) => setTimeout(r, 2100));
    const data = randomBytes(120_000);
    const r = await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents });
    expect(r).toMatchObject({ ok: false, status: 403, code: 'AccessDenied' });
    expect(!r.ok && r.message).toMatch(/expired/i);
    expect(!r.ok && decide(r, signed.expiresAt, new Date(), 0).action).toBe('resign');
  });

  it('detects bytes corrupted on the way (OSS stored other bytes than were sent) as a re-send', async () => {
    // A forwarding proxy that flips one byte of the request body: OSS stores the damaged part and
    // answers with its CRC-64, which differs from the CRC of the bytes the uploader sent.
    const proxy = await startCorruptingProxy(oss.server.port);
    try {
      const data = randomBytes(150_000);
      const { ref, signed } = await signedPart('parts/corrupt.bin');
      const url = signed.url.replace(`localhost:${oss.server.port}`, `localhost:${proxy.port}`);
      const r = await putPart({ url, headers: signed.headers, length: data.length, body: body(data), agents });
      expect(r).toMatchObject({ ok: false, corrupted: true, code: 'Crc64Mismatch', crc64: crc64(data) });
      expect(proxy.corrupted()).toBe(1);
      expect(!r.ok && decide(r, signed.expiresAt, new Date(), 0).action).toBe('resend');
      // re-sent (here directly, not through the proxy) the part is overwritten with the right bytes
      expect(await putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents })).toMatchObject({ ok: true, crc64: crc64(data) });
      expect((await listAllParts(client, ref))[0].crc64).toBe(crc64(data));
    } finally {
      await proxy.close();
    }
  });

  it('refuses to send a part the source cannot fill', async () => {
    const data = randomBytes(150_000);
    const { signed } = await signedPart('parts/short.bin');
    await expect(putPart({ url: signed.url, headers: signed.headers, length: data.length + 10, body: body(data), agents })).rejects.toThrow(/file change/);
  });

  it('stops a PUT when aborted', async () => {
    const { signed } = await signedPart('parts/abort.bin');
    await oss.admin('POST', '/faults', { match: { operation: 'UploadPart' }, latencyMs: 5000 });
    const controller = new AbortController();
    const data = randomBytes(100_000);
    const p = putPart({ url: signed.url, headers: signed.headers, length: data.length, body: body(data), agents, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 100);
    await expect(p).rejects.toThrow('stop');
  });
});

