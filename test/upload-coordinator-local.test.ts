// The local stack serves the coordinator at /uploads out of the box, wired to its own OSS server and
// Kubernetes API: what `argo-oss upload … --coordinator http://127.0.0.1:9000 --token $ADMIN` talks to.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { createOssClient, getObject, type OssClient } from '../shared/oss';
import { startLocalStack, type LocalStack } from '../local/stack';
import { LOCAL_DEFAULT_CREDENTIALS } from '../local/defaults';

describe('local stack: upload coordinator mount', () => {
  let dir: string;
  let stack: LocalStack;
  let oss: OssClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argo-oss-stack-'));
    stack = await startLocalStack({
      dataDir: dir,
      ports: { gateway: 0, oss: 0, cluster: 0 },
      credential: { ...LOCAL_DEFAULT_CREDENTIALS },
      region: 'cn-hangzhou',
      bucket: 'argo-artifacts',
      adminToken: 'local-admin',
      // Stray cloud settings in the environment must not leak into the local coordinator's wiring.
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'cloud', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'cloud', ARGO_OSS_PART_URL_TTL: '60' },
    });
    oss = createOssClient({ bucket: 'argo-artifacts', region: 'cn-hangzhou', endpoint: stack.env.OSS_ENDPOINT, credentials: { ...LOCAL_DEFAULT_CREDENTIALS } });
  });
  afterAll(async () => {
    oss?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the coordinator on the gateway and uploads with the admin token', async () => {
    const info = (await (await fetch(stack.gateway.url)).json()) as { functions: Array<{ name: string; prefix: string }> };
    expect(info.functions).toContainEqual(expect.objectContaining({ name: 'upload-coordinator', prefix: '/uploads' }));

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${stack.gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.env.ARGO_OSS_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const data = randomBytes(1000);
    const s = await call('POST', '/uploads', { key: 'local/k', size: data.length });
    expect(s.status).toBe(201);
    const signed = await call('POST', `/uploads/${s.body.uploadId}/sign`, { key: 'local/k', parts: [{ partNumber: 1 }] });
    const part = signed.body.parts[0];
    expect(part.url.startsWith(`${stack.env.OSS_ENDPOINT}/argo-artifacts/local/k?`)).toBe(true);
    expect(Date.parse(part.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    expect((await fetch(part.url, { method: 'PUT', headers: part.headers, body: data })).status).toBe(200);
    const done = await call('POST', `/uploads/${s.body.uploadId}/complete`, { key: 'local/k', crc64: crc64(data).toString() });
    expect(done.status).toBe(200);
    expect((await getObject(oss, 'local/k')).body.equals(data)).toBe(true);
    expect((await call('POST', '/uploads', { key: 'x', size: 1 }).then((r) => r.status))).toBe(201);
    const anon = await fetch(`${stack.gateway.url}/uploads`, { method: 'POST', body: '{}' });
    expect(anon.status).toBe(401);
  });

  it('can be left out', async () => {
    const d = await mkdtemp(join(tmpdir(), 'argo-oss-stack-'));
    const bare = await startLocalStack({ dataDir: d, ports: { gateway: 0, oss: 0, cluster: 0 }, credential: { ...LOCAL_DEFAULT_CREDENTIALS }, region: 'cn-hangzhou', bucket: 'argo-artifacts', uploadCoordinator: false });
    try {
      expect((await fetch(`${bare.gateway.url}/uploads`, { method: 'POST' })).status).toBe(404);
    } finally {
      await bare.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});
