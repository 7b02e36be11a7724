// The coordinator client (shared/upload/client.ts): the real coordinator for the API round trip and
// its typed errors; a scripted HTTP server for the retry policy (5xx, 429 + Retry-After, network
// errors, non-idempotent start).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { backoffDelay } from '../shared/backoff';
import { CoordinatorClient, CoordinatorError } from '../shared/upload/client';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';

let c: TestCoordinator;
beforeAll(async () => {
  c = await startTestCoordinator();
});
afterAll(async () => {
  await c?.close();
});

describe('CoordinatorClient against the coordinator', () => {
  it('starts, signs, lists, completes, and resumes by fingerprint', async () => {
    const client = new CoordinatorClient({ url: c.url, token: c.adminToken });
    const data = randomBytes(250 * 1024);
    const start = await client.start({ key: 'client/a.bin', size: data.length, partSize: 100 * 1024, fingerprint: 'fp-1' });
    expect(start).toMatchObject({ key: 'client/a.bin', size: data.length, partSize: 102400, partCount: 3, resumed: false });
    const again = await client.start({ key: 'client/a.bin', size: data.length, partSize: 100 * 1024, fingerprint: 'fp-1' });
    expect(again).toMatchObject({ uploadId: start.uploadId, resumed: true });

    const signed = await client.sign(start.uploadId, { key: 'client/a.bin', parts: [{ partNumber: 1 }, { partNumber: 2 }, { partNumber: 3 }] });
    expect(signed.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const p of signed.parts) {
      const body = data.subarray((p.partNumber - 1) * 102400, p.partNumber * 102400);
      const res = await fetch(p.url, { method: 'PUT', headers: p.headers, body });
      expect(res.status).toBe(200);
    }
    const state = await client.state(start.uploadId, 'client/a.bin');
    expect(state.parts.map((p) => [p.partNumber, p.size])).toEqual([[1, 102400], [2, 102400], [3, data.length - 204800]]);
    const done = await client.complete(start.uploadId, { key: 'client/a.bin', crc64: crc64(data).toString() });
    expect(done).toMatchObject({ size: data.length, crc64: crc64(data).toString(), alreadyCompleted: false });
    // idempotent: a retried complete answers success after verifying the object
    expect(await client.complete(start.uploadId, { key: 'client/a.bin' })).toMatchObject({ alreadyCompleted: true });
  });

  it('aborts', async () => {
    const client = new CoordinatorClient({ url: c.url, token: c.adminToken });
    const start = await client.start({ key: 'client/b.bin', size: 10, fingerprint: 'fp-2' });
    await client.abort(start.uploadId, 'client/b.bin');
    expect((await c.listUploads()).filter((u) => u.uploadId === start.uploadId)).toEqual([]);
  });

  it('turns JSON errors into typed CoordinatorErrors with the field', async () => {
    const client = new CoordinatorClient({ url: c.url, token: c.adminToken });
    const bad = await client.start({ key: 'client/c.bin', size: -1 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CoordinatorError);
    expect(bad).toMatchObject({ status: 400, field: 'size', operation: 'POST /uploads', retryable: false });

    const anonymous = new CoordinatorClient({ url: c.url });
    expect(await anonymous.start({ key: 'client/c.bin', size: 1 }).catch((e: unknown) => e)).toMatchObject({ status: 401 });

    const unknown = await client.state('0123456789ABCDEF0123456789ABCDEF', 'client/c.bin').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, operation: 'GET /uploads/{id}' });
    expect((unknown as CoordinatorError).code).toMatch(/\w+/);
  });

  it('keeps a path prefix of the coordinator URL', async () => {
    // The gateway serves only /uploads, so a prefix must reach it verbatim: /x/uploads → 404 from the gateway.
    const client = new CoordinatorClient({ url: `${c.url}/x/`, token: c.adminToken, attempts: 1 });
    expect(await client.start({ key: 'k', size: 1 }).catch((e: unknown) => e)).toMatchObject({ status: 404 });
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function scripted(handlers: Handler[]): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server = createServer((req, res) => {
    const h = handlers[Math.min(calls++, handlers.length - 1)];
    req.resume();
    req.on('end', () => h(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const state = { uploadId: 'u', key: 'k', size: 1, partSize: 1, partCount: 1, writers: [], createdAt: '', parts: [] };

describe('CoordinatorClient retries', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 5 };

  it('retries 5xx and 429 (honouring Retry-After) on idempotent calls', async () => {
    const s = await scripted([
      json(503, { error: { code: 'ServiceUnavailable', message: 'busy' } }),
      json(429, { error: { code: 'TooManyRequests', message: 'slow down' } }, { 'retry-after': '0' }),
      json(500, 'not even an error object'),
      json(200, state),
    ]);
    try {
      const retries: string[] = [];
      const client = new CoordinatorClient({ url: s.url, token: 't', ...fast, onRetry: (r) => retries.push(`${r.error.status} ${r.error.code}`) });
      expect(await client.state('u', 'k')).toMatchObject({ uploadId: 'u' });
      expect(s.calls()).toBe(4);
      expect(retries).toEqual(['503 ServiceUnavailable', '429 TooManyRequests', '500 Http500']);
    } finally {
      await s.close();
    }
  });

  it('gives up after `attempts` and reports the last error', async () => {
    const s = await scripted([json(502, { error: { code: 'BadGateway', message: 'upstream' } })]);
    try {
      const client = new CoordinatorClient({ url: s.url, attempts: 3, ...fast });
      expect(await client.state('u', 'k').catch((e: unknown) => e)).toMatchObject({ status: 502, code: 'BadGateway', message: 'upstream', retryable: true });
      expect(s.calls()).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('does not retry 4xx, nor a start without a fingerprint', async () => {
    const s = await scripted([json(400, { error: { code: 'InvalidArgument', message: 'no', field: 'key' } })]);
    try {
      const client = new CoordinatorClient({ url: s.url, ...fast });
      expect(await client.state('u', 'k').catch((e: unknown) => e)).toMatchObject({ status: 400, field: 'key' });
      expect(s.calls()).toBe(1);
    } finally {
      await s.close();
    }
    const t = await scripted([json(503, { error: { code: 'ServiceUnavailable', message: 'busy' } }), json(201, { ...state, resumed: false })]);
    try {
      const client = new CoordinatorClient({ url: t.url, ...fast });
      expect(await client.start({ key: 'k', size: 1 }).catch((e: unknown) => e)).toMatchObject({ status: 503 });
      expect(t.calls()).toBe(1); // a retry could open a second upload
      expect(await client.start({ key: 'k', size: 1, fingerprint: 'f' })).toMatchObject({ resumed: false });
      expect(t.calls()).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('retries network errors and reports them as status 0', async () => {
    const s = await scripted([(req) => req.socket.destroy(), json(200, state)]);
    try {
      const client = new CoordinatorClient({ url: s.url, ...fast });
      expect(await client.state('u', 'k')).toMatchObject({ uploadId: 'u' });
      expect(s.calls()).toBe(2);
    } finally {
      await s.close();
    }
    const closed = new CoordinatorClient({ url: s.url, attempts: 2, ...fast });
    expect(await closed.state('u', 'k').catch((e: unknown) => e)).toMatchObject({ status: 0, code: 'NetworkError', retryable: true });
  });

  it('times out a request that never answers', async () => {
    const s = await scripted([() => undefined]);
    try {
      const client = new CoordinatorClient({ url: s.url, attempts: 1, timeoutMs: 200 });
      expect(await client.state('u', 'k').catch((e: unknown) => e)).toMatchObject({ status: 0, code: 'Timeout' });
    } finally {
      await s.close();
    }
  });

  it('rejects a sign answer that misses a requested part', async () => {
    const s = await scripted([json(200, { uploadId: 'u', parts: [] })]);
    try {
      const client = new CoordinatorClient({ url: s.url });
      expect(await client.sign('u', { key: 'k', parts: [{ partNumber: 1 }] }).catch((e: unknown) => e)).toMatchObject({ code: 'MalformedResponse' });
    } finally {
      await s.close();
    }
  });

  it('uses full-jitter capped exponential backoff', () => {
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 1000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(10, 100, 1000, () => 0)).toBe(0);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new CoordinatorClient({ url: 'ftp://x' })).toThrow(/http/);
    expect(() => new CoordinatorClient({ url: 'nope' })).toThrow(/not a URL/);
  });
});
