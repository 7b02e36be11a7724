// functions/upload-coordinator driven the way FC 3.0 calls it: a Buffer of the HTTP trigger's JSON
// event plus a context carrying the function role's credentials.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { getObject } from '../shared/oss';
import type { SignedPart } from '../shared/upload/protocol';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean }>;

function event(method: string, rawPath: string, o: { token?: string; body?: unknown; query?: Record<string, string> } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath,
      headers: { 'Content-Type': 'application/json', ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}) },
      queryParameters: o.query ?? {},
      body: o.body === undefined ? '' : Buffer.from(JSON.stringify(o.body)).toString('base64'),
      isBase64Encoded: true,
      requestContext: {
        accountId: '1234567890',
        domainName: 'abc.cn-hangzhou.fcapp.run',
        http: { method, path: decodeURIComponent(rawPath), protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
        requestId: '1-abc',
        time: new Date().toISOString(),
      },
    }),
  );
}

describe('functions/upload-coordinator (FC 3.0 HTTP trigger)', () => {
  let c: TestCoordinator;
  let handler: Handler;
  let context: { requestId: string; credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string } };
  const saved = { ...process.env };

  beforeAll(async () => {
    c = await startTestCoordinator();
    for (const k of Object.keys(process.env)) if (/^(OSS|ALIBABA_CLOUD|ARGO_OSS|FC)_|^KUBECONFIG$/.test(k)) delete process.env[k];
    handler = (await import('../functions/upload-coordinator/index')).handler as Handler;
    context = { requestId: 'r', credentials: { accessKeyId: c.ossServer.credentials.accessKeyId, accessKeySecret: c.ossServer.credentials.accessKeySecret, securityToken: '' } };
  });
  afterAll(async () => {
    process.env = saved;
    await c?.close();
  });

  it('answers a clear 500 ConfigError while the cluster is not configured (and loads without env)', async () => {
    const r = await handler(event('POST', '/uploads', { token: c.adminToken, body: { key: 'k', size: 1 } }), context);
    expect(r.statusCode).toBe(500);
    const body = JSON.parse(r.body);
    expect(body.error.code).toBe('ConfigError');
    expect(body.error.message).toContain('ARGO_OSS_KUBE_SERVER');
  });

  it('runs a whole upload through FC events with the context credentials', async () => {
    Object.assign(process.env, {
      OSS_ENDPOINT: c.env.OSS_ENDPOINT,
      OSS_BUCKET: c.env.OSS_BUCKET,
      OSS_REGION: c.env.OSS_REGION,
      ARGO_OSS_KUBE_SERVER: c.kube.api.url,
      ARGO_OSS_KUBE_TOKEN: c.adminToken,
    });
    const key = 'fc/obj.bin';
    const data = randomBytes(150 * 1024);
    const start = await handler(event('POST', '/uploads', { token: c.adminToken, body: { key, size: data.length, partSize: 100 * 1024 } }), context);
    expect(start.statusCode).toBe(201);
    expect(start.headers['content-type']).toMatch(/^application\/json/);
    const plan = JSON.parse(start.body);
    const signed = await handler(event('POST', `/uploads/${plan.uploadId}/sign`, { token: c.adminToken, body: { key, parts: [{ partNumber: 1 }, { partNumber: 2 }] } }), context);
    expect(signed.statusCode).toBe(200);
    for (const p of JSON.parse(signed.body).parts as SignedPart[]) {
      const res = await fetch(p.url, { method: 'PUT', headers: p.headers, body: data.subarray((p.partNumber - 1) * 102400, p.partNumber * 102400) });
      expect(res.status).toBe(200);
    }
    const state = await handler(event('GET', `/uploads/${plan.uploadId}`, { token: c.adminToken, query: { key } }), context);
    expect(JSON.parse(state.body).parts).toHaveLength(2);
    const done = await handler(event('POST', `/uploads/${plan.uploadId}/complete`, { token: c.adminToken, body: { key, crc64: crc64(data).toString() } }), context);
    expect(done.statusCode).toBe(200);
    expect(JSON.parse(done.body)).toMatchObject({ key, size: data.length, alreadyCompleted: false });
    expect((await getObject(c.oss, key)).body.equals(data)).toBe(true);
    const gone = await handler(event('DELETE', `/uploads/${plan.uploadId}`, { token: c.adminToken, query: { key } }), context);
    expect(gone.statusCode).toBe(409);
  });

  it('swaps in each invocation\'s credentials: refused ones surface as 502 UpstreamAccessDenied', async () => {
    const bad = { ...context, credentials: { accessKeyId: 'STS.expired', accessKeySecret: 'nope', securityToken: 'x' } };
    const r = await handler(event('POST', '/uploads', { token: c.adminToken, body: { key: 'fc/x', size: 1 } }), bad);
    expect(r.statusCode).toBe(502);
    expect(JSON.parse(r.body).error.code).toBe('UpstreamAccessDenied');
    const ok = await handler(event('POST', '/uploads', { token: c.adminToken, body: { key: 'fc/x', size: 1 } }), context);
    expect(ok.statusCode).toBe(201);
  });

  it('answers 401 / 404 / 400 events as JSON', async () => {
    expect((await handler(event('POST', '/uploads', { body: { key: 'k', size: 1 } }), context)).statusCode).toBe(401);
    expect((await handler(event('GET', '/nope', { token: c.adminToken }), context)).statusCode).toBe(404);
    const timer = await handler(Buffer.from('{"action":"reconcile"}'), context);
    expect(timer.statusCode).toBe(400);
  });
});
