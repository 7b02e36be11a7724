// The new-user path: `argo-oss local` started as a process, then used with the real clients through
// the environment it writes (local.env), and stopped with Ctrl-C (SIGINT). No wall-clock deadline on
// the start (see helpers/cli.ts): under CPU load it takes many times its quiet-machine time.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config';
import { createOssClientFromConfig, getObject, putObject, type OssClient } from '../shared/oss';
import { startCli } from './helpers/cli';
import { localSettingsFromEnv } from '../local/env';
import { startLocalStack } from '../local/stack';

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return env;
}

describe('argo-oss local', () => {
  let dataDir: string;
  let stack: Awaited<ReturnType<typeof startCli>>;
  let env: Record<string, string>;
  let oss: OssClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'argo-oss-local-'));
    stack = await startCli(
      ['local', '--port', '0', '--oss-port', '0', '--cluster-port', '0', '--data-dir', dataDir, '--quiet'],
      { ARGO_OSS_LOCAL_TOKEN: 'stack-admin-token', OSS_BUCKET: 'team-artifacts', OSS_ACCESS_KEY_ID: '', OSS_ACCESS_KEY_SECRET: '' },
      'Press Ctrl-C to stop.',
    );
    env = parseEnvFile(await readFile(join(dataDir, 'local.env'), 'utf8'));
    oss = createOssClientFromConfig(loadConfig(env));
  });

  afterAll(async () => {
    oss?.close();
    if (stack && stack.child.exitCode === null) stack.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the endpoints, the credentials and the admin token', () => {
    const out = stack.output();
    expect(out).toContain(env.OSS_ENDPOINT);
    expect(out).toContain('argo-oss-local / argo-oss-local-secret');
    expect(out).toContain('admin token stack-admin-token');
    expect(env.ARGO_OSS_TOKEN).toBe('stack-admin-token');
    expect(env.OSS_BUCKET).toBe('team-artifacts');
    expect(env.ARGO_OSS_COORDINATOR).toBe(env.ARGO_OSS_GATEWAY);
  });

  it('serves the configured bucket to the OSS layer with V4 signatures', async () => {
    await putObject(oss, 'hello/world.txt', 'hello from the local stack');
    const { body } = await getObject(oss, 'hello/world.txt');
    expect(body.toString('utf8')).toBe('hello from the local stack');
    // Large enough for the server to hash MD5 on a worker thread: that must not keep the process
    // alive after Ctrl-C (checked below).
    const big = Buffer.alloc(8 << 20, 7);
    await putObject(oss, 'hello/big.bin', big);
    expect((await getObject(oss, 'hello/big.bin')).body.equals(big)).toBe(true);
  });

  it('serves Workflows from the cluster directory to @kubernetes/client-node', async () => {
    await writeFile(
      join(dataDir, 'cluster', 'workflows', 'wf-1.yaml'),
      'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: wf-1\n  namespace: argo\nstatus:\n  phase: Succeeded\n',
    );
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG);
    const api = kc.makeApiClient(CustomObjectsApi);
    const wf = (await api.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argo', plural: 'workflows', name: 'wf-1' })) as { status: { phase: string } };
    expect(wf.status.phase).toBe('Succeeded');
  });

  it('describes itself on the gateway', async () => {
    const res = await fetch(env.ARGO_OSS_GATEWAY);
    expect(res.status).toBe(200);
    const info = (await res.json()) as { oss: string; bucket: string; functions: unknown[] };
    expect(info.oss).toBe(env.OSS_ENDPOINT);
    expect(info.bucket).toBe('team-artifacts');
    const missing = await fetch(`${env.ARGO_OSS_GATEWAY}/no-such-function`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NotFound');
  });

  it('stops cleanly on Ctrl-C and keeps its data', async () => {
    stack.child.kill('SIGINT');
    expect(await stack.exit).toBe(0);
    await expect(fetch(env.ARGO_OSS_GATEWAY)).rejects.toThrow();

    // Started again on the same data directory (in-process: the CLI start itself was covered above and
    // costs seconds of CPU), the object and the admin token (tokens.yaml) are still there.
    const again = await startLocalStack({ dataDir, ports: { gateway: 0, oss: 0, cluster: 0 }, ...localSettingsFromEnv({ OSS_BUCKET: 'team-artifacts' }) });
    try {
      const env2 = parseEnvFile(await readFile(join(dataDir, 'local.env'), 'utf8'));
      expect(env2.ARGO_OSS_TOKEN).toBe('stack-admin-token'); // kept in tokens.yaml
      const client = createOssClientFromConfig(loadConfig(env2));
      const { body } = await getObject(client, 'hello/world.txt');
      expect(body.toString('utf8')).toBe('hello from the local stack');
      client.close();
    } finally {
      await again.close();
    }
  });
});
