// argo-oss doctor against the local stack: everything passes, then each failure a user meets — a wrong
// token, a wrong bucket, an RBAC rule taken from the functions' identity, the Kubernetes API stopped —
// fails its check and names the fix. The command itself (exit code, --json) runs as a process.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkClock, checkPlugin, clockSkewSeconds, runDoctor, type CheckResult, type DoctorTargets } from '../cli/doctor/checks';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { startLocalStack, type LocalStack } from '../local/stack';
import { createOssClient, type OssClient } from '../shared/oss';
import { runCli } from './helpers/cli';

const ADMIN = 'doctor-admin-token';
const FUNCTIONS = 'doctor-functions-token';
let work: string;
let stack: LocalStack;
const clients: OssClient[] = [];

function kubeConfigFor(token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: stack.kube.url, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'local', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

function oss(bucket = LOCAL_DEFAULT_BUCKET): OssClient {
  const c = createOssClient({ bucket, region: LOCAL_DEFAULT_REGION, endpoint: stack.env.OSS_ENDPOINT, credentials: { ...LOCAL_DEFAULT_CREDENTIALS } });
  clients.push(c);
  return c;
}

function targets(over: Partial<DoctorTargets> = {}): DoctorTargets {
  return { coordinatorUrl: stack.gateway.url, downloadUrl: stack.gateway.url, gcUrl: stack.gateway.url, token: ADMIN, namespace: 'argo', kubeConfig: kubeConfigFor(ADMIN), oss: oss(), ...over };
}

const byName = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.name, r]));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'doctor-'));
  const clusterDir = join(work, 'cluster');
  await mkdir(clusterDir, { recursive: true });
  // The functions' own identity: everything of examples/rbac.yaml except patching workflows.
  await writeFile(
    join(clusterDir, 'tokens.yaml'),
    stringify({
      tokens: [
        { token: ADMIN, user: 'admin', groups: ['system:masters'], admin: true },
        {
          token: FUNCTIONS,
          serviceAccount: { namespace: 'argo-oss', name: 'argo-oss-functions' },
          rules: [
            { apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get', 'list'] },
            { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
            { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
          ],
        },
      ],
    }),
  );
  stack = await startLocalStack({
    dataDir: join(work, 'data'),
    clusterDir,
    ports: { gateway: 0, oss: 0, cluster: 0 },
    credential: { ...LOCAL_DEFAULT_CREDENTIALS },
    region: LOCAL_DEFAULT_REGION,
    bucket: LOCAL_DEFAULT_BUCKET,
    adminToken: ADMIN,
    // No cached token reviews: a stopped API server shows at once.
    env: { ARGO_OSS_AUTH_CACHE_SECONDS: '0' },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('argo-oss doctor', () => {
  it('passes every check against a healthy local stack', async () => {
    const r = byName(await runDoctor(targets()));
    for (const name of ['coordinator', 'download', 'gc', 'cluster', 'bucket', 'clock']) expect(r[name], `${name}: ${r[name].detail}`).toMatchObject({ status: 'pass' });
    expect(r.plugin.status).toBe('skip');
    expect(r.bucket.detail).toMatch(/\.argo-oss\/doctor\/.* written, read back and deleted/);
  });

  it('as a command: a table (or --json) and exit 0 only when nothing failed', async () => {
    const env = { ...stack.env, OSS_ACCESS_KEY_ID: LOCAL_DEFAULT_CREDENTIALS.accessKeyId, OSS_ACCESS_KEY_SECRET: LOCAL_DEFAULT_CREDENTIALS.accessKeySecret };
    const ok = await runCli(['doctor', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['coordinator', 'download', 'gc', 'cluster', 'bucket', 'clock', 'plugin']);
    const bad = await runCli(['doctor', '--token', 'not-a-token'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^coordinator\s+FAIL\s+the token was not accepted/m);
    expect(bad.stdout).toMatch(/check\(s\) failed\. To fix:\n {2}coordinator: pass --token/);
  });

  it('a wrong token: the coordinator and download checks fail and say which token to pass', async () => {
    const r = byName(await runDoctor(targets({ token: 'not-a-token' })));
    expect(r.coordinator).toMatchObject({ status: 'fail', fix: expect.stringContaining('--audience argo-oss') });
    expect(r.download).toMatchObject({ status: 'fail', fix: expect.stringContaining('may get workflows') });
    expect(r.bucket.status).toBe('pass');
  });

  it('a wrong bucket: the bucket check fails naming it', async () => {
    const r = byName(await runDoctor(targets({ oss: oss('no-such-bucket') })));
    expect(r.bucket).toMatchObject({ status: 'fail', detail: expect.stringContaining('NoSuchBucket'), fix: expect.stringContaining('OSS_BUCKET (no-such-bucket)') });
    expect(r.coordinator.status).toBe('pass');
  });

  it('an RBAC rule missing from the functions\' identity: the cluster check names it and the ClusterRole to apply', async () => {
    const r = byName(await runDoctor(targets({ kubeConfig: kubeConfigFor(FUNCTIONS) })));
    expect(r.cluster).toMatchObject({ status: 'fail', fix: expect.stringContaining('examples/rbac.yaml') });
    expect(r.cluster.detail).toBe('not allowed: patch workflows.argoproj.io (artifact-gc (mark artifacts deleted))');
  });

  it('the plugin socket: passes when something listens, fails naming the path otherwise', async () => {
    const path = join(work, 'plugin.sock');
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(await checkPlugin({ namespace: 'argo', pluginSocket: path })).toMatchObject({ status: 'pass' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await checkPlugin({ namespace: 'argo', pluginSocket: path })).toMatchObject({ status: 'fail', detail: expect.stringContaining(path) });
  });

  it('the clock: the skew is read from the servers\' Date headers', () => {
    const at = Date.parse('2030-01-01T00:00:00Z');
    const sample = (serverOffsetMs: number) => ({ date: new Date(at + serverOffsetMs).toUTCString(), sentAt: at - 100, receivedAt: at + 100 });
    expect(clockSkewSeconds([sample(0), sample(0)])).toBe(1); // Date has 1 s resolution: +0.5 s on average
    expect(clockSkewSeconds([sample(-300_000)])).toBe(-299);
    expect(checkClock({ namespace: 'argo' }, [sample(-300_000)])).toMatchObject({ status: 'fail', detail: expect.stringContaining('ahead of') });
    expect(checkClock({ namespace: 'argo' }, [sample(20_000)])).toMatchObject({ status: 'pass' });
  });

  it('the Kubernetes API stopped: every check that needs it fails and says how to reach it', async () => {
    await stack.kube.close();
    const r = byName(await runDoctor(targets()));
    expect(r.cluster).toMatchObject({ status: 'fail', detail: expect.stringContaining('cannot be reached') });
    for (const name of ['coordinator', 'download']) expect(r[name], `${name}: ${r[name].detail}`).toMatchObject({ status: 'fail', fix: expect.stringContaining('ARGO_OSS_VPC_ID') });
    expect(r.gc.status).toBe('fail');
    expect(r.bucket.status).toBe('pass');
  });
});
