// `argo-oss local --plugin`: the stack starts the artifact-driver plugin as the sidecar of a pod of
// the local cluster (with that pod's token) and prints its socket and a configuration; a gRPC client
// that shares no code with the plugin (the executor harness's) drives every RPC over the socket; the
// pod's identity bounds what it may write; Ctrl-C stops both and forgets the pod and its token.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactPluginClient, PluginCallError, type ArtifactMessage } from '../local/argo-executor';
import { startCli } from './helpers/cli';

describe('argo-oss local --plugin', () => {
  let dataDir: string;
  let stack: Awaited<ReturnType<typeof startCli>>;
  let socket: string;
  let configuration: string;
  let prefix: string;
  let client: ArtifactPluginClient;
  const artifact = (key: string): ArtifactMessage => ({ name: 'out', plugin: { name: 'argo-oss', configuration, key } });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'argo-oss-local-plugin-'));
    stack = await startCli(
      ['local', '--plugin', '--port', '0', '--oss-port', '0', '--cluster-port', '0', '--data-dir', dataDir, '--quiet'],
      { ARGO_OSS_LOCAL_TOKEN: 'stack-admin-token' },
      'Press Ctrl-C to stop.',
    );
    const out = stack.output();
    socket = /plugin\s+unix:\/\/(\S+)/.exec(out)![1];
    configuration = /configuration (\{.*\})/.exec(out)![1];
    prefix = /writes keys under (\S+),/.exec(out)![1];
    client = new ArtifactPluginClient(socket);
    await client.waitForReady(10_000);
  }, 150_000);

  afterAll(async () => {
    client?.close();
    if (stack && stack.child.exitCode === null) stack.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the socket under the data dir, a configuration for this stack, and the pod\'s key prefix', () => {
    expect(socket).toBe(join(dataDir, 'artifact-plugins', 'argo-oss', 'socket'));
    expect(JSON.parse(configuration)).toMatchObject({ bucket: 'argo-artifacts', coordinator: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(prefix).toBe('argo/argo-oss-local/');
    expect(stack.output()).toContain('the sidecar of pod argo/argo-oss-local-plugin');
  });

  it('serves every RPC over the socket within the pod\'s identity', async () => {
    const dir = join(dataDir, 'scratch');
    await mkdir(dir, { recursive: true });
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'argo');
    await writeFile(join(dir, 'out.bin'), body);
    const key = `${prefix}pod/out.bin`;
    await client.save(join(dir, 'out.bin'), artifact(key));
    expect(await client.isDirectory(artifact(key))).toBe(false);
    expect(await client.listObjects(artifact(key))).toEqual([key]);
    await client.load(artifact(key), join(dir, 'back.bin'));
    expect(createHash('sha256').update(await readFile(join(dir, 'back.bin'))).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    const frames: Buffer[] = [];
    for await (const f of client.openStream(artifact(key))) frames.push(f);
    expect(Buffer.concat(frames).equals(body)).toBe(true);
    expect(await client.supportsSaveStream()).toBe(true);
    await client.delete(artifact(key));
    expect(await client.listObjects(artifact(`${prefix}pod`))).toEqual([]);
    // Another workflow's keys: refused by the coordinator, nothing written.
    const refused = await client.save(join(dir, 'out.bin'), artifact('argo/someone-else/out.bin')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PluginCallError);
    expect(String((refused as Error).message)).toMatch(/403/);
  }, 60_000);

  it('stops on Ctrl-C with the stack, removing the pod and its token from the cluster', async () => {
    const podFile = join(dataDir, 'cluster', 'pods', 'argo.argo-oss-local-plugin.yaml');
    expect(existsSync(podFile)).toBe(true);
    const tokenLine = (await readFile(join(dataDir, 'artifact-plugins', 'argo-oss', 'token'), 'utf8')).trim();
    expect(await readFile(join(dataDir, 'cluster', 'tokens.yaml'), 'utf8')).toContain(tokenLine);
    stack.child.kill('SIGINT');
    expect(await stack.exit).toBe(0);
    expect(existsSync(podFile)).toBe(false);
    expect(await readFile(join(dataDir, 'cluster', 'tokens.yaml'), 'utf8')).not.toContain(tokenLine);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);
});
