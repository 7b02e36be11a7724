// The deployable shapes of the download function: the FC web function's server in-process (the
// bundle run by plain node is in test/bundles.test.ts), its FC-only behaviours (per-request
// role credentials from x-fc-* headers, chunked bodies), and the routes mounted on `argo-oss local`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDownloadServer } from '../functions/artifact-download/index';
import { LOCAL_DEFAULT_REGION } from '../local/defaults';
import { startLocalStack } from '../local/stack';
import { createOssClient, putObject } from '../shared/oss';
import { artifact, httpCall, workflow } from './helpers/download';
import { startTestKubeApi, type TestKubeApi } from './helpers/kube-api';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

let ossServer: TestOssServer;
let kube: TestKubeApi;
let env: Record<string, string>;
const PATH = '/artifacts/argo/fn-wf/fn-wf-1/out';
const BODY = 'served by the web function\n';

beforeAll(async () => {
  ossServer = await startTestOssServer();
  kube = await startTestKubeApi({ tokens: [{ token: 'reader', user: 'reader', rules: [{ namespaces: ['argo'], resources: ['workflows'], verbs: ['get'] }] }] });
  await kube.writeWorkflow(workflow('fn-wf', { 'fn-wf-1': { outputs: [artifact('out', 'argo/fn-wf/out.txt')] } }));
  const oss = createOssClient({ bucket: ossServer.bucket, region: LOCAL_DEFAULT_REGION, endpoint: `http://localhost:${ossServer.server.port}`, credentials: ossServer.credentials });
  await putObject(oss, 'argo/fn-wf/out.txt', BODY);
  oss.close();
  env = {
    OSS_ENDPOINT: `http://localhost:${ossServer.server.port}`,
    OSS_REGION: LOCAL_DEFAULT_REGION,
    OSS_BUCKET: ossServer.bucket,
    OSS_ACCESS_KEY_ID: ossServer.credentials.accessKeyId,
    OSS_ACCESS_KEY_SECRET: ossServer.credentials.accessKeySecret,
    KUBECONFIG: kube.api.kubeconfigPath,
    FC_SERVER_PORT: '0',
  };
}, 30_000);

afterAll(async () => {
  await Promise.allSettled([kube?.close(), ossServer?.close()]);
});

describe('startDownloadServer', () => {
  it('serves artifacts with the caller token, from configuration alone', async () => {
    const s = await startDownloadServer({ env, host: '127.0.0.1', log: () => undefined });
    try {
      const r = await httpCall(s.url, PATH, { token: 'reader' });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(BODY);
      expect(r.headers['content-length']).toBe(String(BODY.length));
      expect((await httpCall(s.url, PATH)).status).toBe(401);
      expect((await httpCall(s.url, '/other')).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('inside FC: role credentials come per request in x-fc-* headers, and bodies are chunked', async () => {
    // An OSS server that, like OSS with a function role, only accepts the key pair with its STS token.
    const sts = { accessKeyId: 'STS.role-key', accessKeySecret: 'role-secret', securityToken: 'sts-token-1' };
    const roleOss = await startTestOssServer({ credentials: [sts] });
    const seed = createOssClient({ bucket: roleOss.bucket, region: LOCAL_DEFAULT_REGION, endpoint: `http://localhost:${roleOss.server.port}`, credentials: sts });
    await putObject(seed, 'argo/fn-wf/out.txt', BODY);
    seed.close();
    const fcEnv = { ...env, OSS_ENDPOINT: `http://localhost:${roleOss.server.port}`, FC_REGION: LOCAL_DEFAULT_REGION, OSS_ACCESS_KEY_ID: '', OSS_ACCESS_KEY_SECRET: '' };
    const s = await startDownloadServer({ env: fcEnv, host: '127.0.0.1', log: () => undefined });
    try {
      const fcHeaders = { 'x-fc-access-key-id': sts.accessKeyId, 'x-fc-access-key-secret': sts.accessKeySecret, 'x-fc-security-token': sts.securityToken };
      const withRole = await httpCall(s.url, PATH, { token: 'reader', headers: fcHeaders });
      expect(withRole.status).toBe(200);
      expect(withRole.body.toString()).toBe(BODY);
      expect(withRole.headers['content-length']).toBeUndefined();
      expect(withRole.headers['transfer-encoding']).toBe('chunked');
      // Later requests keep the last credentials FC sent.
      expect((await httpCall(s.url, PATH, { token: 'reader' })).status).toBe(200);
    } finally {
      await s.close();
    }
    // Without any credentials in FC, OSS refuses the placeholder keys: a clear 502, not a crash.
    const bare = await startDownloadServer({ env: fcEnv, host: '127.0.0.1', log: () => undefined });
    try {
      const r = await httpCall(bare.url, PATH, { token: 'reader' });
      expect(r.status).toBe(502);
      expect(JSON.parse(r.body.toString()).error.code).toBe('StorageMisconfigured');
    } finally {
      await bare.close();
      await roleOss.close();
    }
  }, 30_000);

  it('listens on FC_CUSTOM_LISTEN_PORT (FC 3.0) before FC_SERVER_PORT (the fc3 emulator); 0 stays a free port, also with a broken configuration', async () => {
    // FC_SERVER_PORT names a port that is taken: using it would fail with EADDRINUSE.
    const taken = String(ossServer.server.port);
    for (const extra of [{}, { ARGO_OSS_SHARE_SECRET: 'too-short-secret-value' }]) {
      const s = await startDownloadServer({ env: { ...env, ...extra, FC_CUSTOM_LISTEN_PORT: '0', FC_SERVER_PORT: taken }, host: '127.0.0.1', log: () => undefined });
      try {
        expect(s.port).not.toBe(Number(taken));
        expect(s.port).not.toBe(9000);
        expect((await httpCall(s.url, PATH, { token: 'reader' })).status).toBe('ARGO_OSS_SHARE_SECRET' in extra ? 500 : 200);
      } finally {
        await s.close();
      }
    }
  });

  it('a broken configuration answers 500 naming the variable (never its value)', async () => {
    const s = await startDownloadServer({ env: { ...env, ARGO_OSS_SHARE_SECRET: 'too-short-secret-value' }, host: '127.0.0.1', log: () => undefined });
    try {
      expect(s.port).not.toBe(9000); // FC_SERVER_PORT=0 stays 0 on the error path too
      const r = await httpCall(s.url, PATH, { token: 'reader' });
      expect(r.status).toBe(500);
      const text = r.body.toString();
      expect(text).toContain('ARGO_OSS_SHARE_SECRET');
      expect(text).not.toContain('too-short-secret-value');
    } finally {
      await s.close();
    }
  });
});

describe('argo-oss local', () => {
  it('mounts the download routes on the gateway, over the stack\'s OSS server and cluster', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'argo-oss-local-download-'));
    const stack = await startLocalStack({
      dataDir,
      ports: { gateway: 0, oss: 0, cluster: 0 },
      credential: ossServer.credentials,
      region: LOCAL_DEFAULT_REGION,
      bucket: 'argo-artifacts',
      adminToken: 'stack-admin',
      env: {},
    });
    try {
      const index = JSON.parse((await httpCall(stack.gateway.url, '/')).body.toString()) as { functions: Array<{ name: string; prefix: string }> };
      const prefixes = index.functions.filter((f) => f.name === 'artifact-download').map((f) => f.prefix).sort();
      expect(prefixes).toEqual(['/artifact-files', '/artifacts', '/input-artifacts', '/share']);
      // A user drops a Workflow manifest into the cluster directory and opens its artifact.
      await writeFile(join(dataDir, 'cluster', 'workflows', 'argo.dropped.json'), JSON.stringify(workflow('dropped', { 'dropped-1': { outputs: [artifact('out', 'argo/dropped/out.txt')] } })));
      const oss = createOssClient({ bucket: 'argo-artifacts', region: LOCAL_DEFAULT_REGION, endpoint: stack.env.OSS_ENDPOINT, credentials: ossServer.credentials });
      await putObject(oss, 'argo/dropped/out.txt', 'dropped in');
      oss.close();
      const r = await httpCall(stack.gateway.url, '/artifact-files/argo/workflows/dropped/dropped-1/outputs/out', { headers: { cookie: 'authorization=Bearer stack-admin' } });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('dropped in');
    } finally {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
