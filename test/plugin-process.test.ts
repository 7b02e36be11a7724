// `argo-oss plugin SOCKET` as its own process, the way Argo runs it: the socket's directory missing,
// extra arguments after the socket, a stale socket, SIGTERM (exit 0, a call in flight finishes),
// SIGKILL in the middle of a Save and a Save again (it resumes), 10% of part PUTs failing, and a
// token that expires in the middle of an upload while the kubelet rotates the file.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { headObject, listAllParts } from '../shared/oss';
import { artifact, artifactClient, pluginConfiguration, startPluginProcess } from './helpers/artifact-plugin';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';

const KiB = 1024;
const WORKFLOW_PREFIX = '{{workflow.namespace}}/{{workflow.name}}/';

let c: TestCoordinator;
let dir: string;
let config: string;

beforeAll(async () => {
  // No cache of successful token checks: an expired token is refused at once.
  c = await startTestCoordinator({ env: { ARGO_OSS_WORKFLOW_KEY_PREFIX: WORKFLOW_PREFIX, ARGO_OSS_AUTH_CACHE_SECONDS: '0' } });
  dir = await mkdtemp(join(tmpdir(), 'plugin-process-'));
  config = pluginConfiguration({ coordinator: c.url, bucket: c.ossServer.bucket, endpoint: c.env.OSS_ENDPOINT, partSize: '100KB', concurrency: 2 });
});

afterAll(async () => {
  await c?.close();
  await rm(dir, { recursive: true, force: true });
});

const until = async (what: string, check: () => Promise<boolean>) => {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

async function tokenFile(name: string, workflow = 'wf-p'): Promise<string> {
  const path = join(dir, `${name}.token`);
  await writeFile(path, await c.podToken(workflow));
  return path;
}

async function randomFile(name: string, bytes: number): Promise<{ path: string; data: Buffer }> {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, data };
}

/** At least n parts of the upload in progress for `key` are in OSS. */
async function partsInOss(key: string, n: number): Promise<boolean> {
  const u = (await c.listUploads()).find((x) => x.key === key);
  return u !== undefined && (await listAllParts(c.oss, { key, uploadId: u.uploadId })).length >= n;
}

async function expectObject(key: string, data: Buffer): Promise<void> {
  const head = await headObject(c.oss, key);
  expect(head.size).toBe(data.length);
  expect(head.crc64).toBe(crc64(data));
}

describe('lifecycle', () => {
  it('creates a missing socket directory, ignores extra arguments, and exits 0 on SIGTERM', async () => {
    const socket = join(dir, 'lifecycle', 'artifact-plugins', 'argo-oss', 'socket');
    const p = await startPluginProcess(socket, { ARGO_OSS_TOKEN_FILE: await tokenFile('life') }, ['--kubeconfig=/tmp/kubeconfig', '--loglevel', 'debug']);
    expect((await stat(socket)).isSocket()).toBe(true);
    const client = artifactClient(socket);
    expect(await client.call('GetCapabilities', {})).toEqual({ supports_save_stream: true });
    client.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(p.output()).toMatch(/SIGTERM: shutting down/);
  });

  it('replaces a stale socket left by an earlier run', async () => {
    const socket = join(dir, 'stale', 'socket');
    await mkdir(join(dir, 'stale'), { recursive: true });
    // A socket file nobody listens on any more: its process was killed.
    const old = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => old.stdout!.once('data', () => r()));
    old.kill('SIGKILL');
    await new Promise((r) => old.once('close', r));
    expect((await stat(socket)).isSocket()).toBe(true);
    await writeFile(join(dir, 'stale', 'keep'), 'x'); // the directory's other files are left alone
    const p = await startPluginProcess(socket, { ARGO_OSS_TOKEN_FILE: await tokenFile('stale') });
    const client = artifactClient(socket);
    expect(await client.call('GetCapabilities', {})).toEqual({ supports_save_stream: true });
    client.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect((await stat(join(dir, 'stale', 'keep'))).isFile()).toBe(true);
  });

  it('SIGTERM while a Save is in flight: the Save finishes, then the plugin exits 0', async () => {
    const socket = join(dir, 'term', 'socket');
    const p = await startPluginProcess(socket, { ARGO_OSS_TOKEN_FILE: await tokenFile('term') });
    const { path, data } = await randomFile('term.bin', 3 * 100 * KiB);
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', keyPrefix: 'argo/wf-p/term/' }, count: -1, latencyMs: 700 });
    const client = artifactClient(socket);
    try {
      const saving = client.call('Save', { path, output_artifact: artifact('argo/wf-p/term/a.bin', config) });
      await until('the upload to start', async () => (await c.listUploads()).some((u) => u.key === 'argo/wf-p/term/a.bin'));
      p.child.kill('SIGTERM');
      expect(await saving).toEqual({ success: true, error: '' });
      expect(await p.exit).toBe(0);
      await expectObject('argo/wf-p/term/a.bin', data);
    } finally {
      client.close();
      await c.ossServer.admin('DELETE', `/faults/${fault.id}`);
    }
  });
});

describe('faults', () => {
  it('a plugin killed in the middle of a Save: the next Save of the same file resumes the upload', async () => {
    const key = 'argo/wf-p/kill/big.bin';
    const { path, data } = await randomFile('kill.bin', 30 * 100 * KiB);
    const token = await tokenFile('kill');
    // Every 5th part PUT hangs: with 2 in flight, both workers are soon stuck, 8 parts in OSS.
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', key }, count: -1, every: 5, latencyMs: 30_000 });
    const first = await startPluginProcess(join(dir, 'kill1', 'socket'), { ARGO_OSS_TOKEN_FILE: token });
    const client1 = artifactClient(join(dir, 'kill1', 'socket'));
    const abandoned = client1.call('Save', { path, output_artifact: artifact(key, config) }).catch((err: Error) => err);
    await until('8 parts in OSS', () => partsInOss(key, 8));
    first.child.kill('SIGKILL');
    await first.exit;
    expect(await abandoned).toBeInstanceOf(Error); // the connection went away with the process
    client1.close();
    await c.ossServer.admin('DELETE', `/faults/${fault.id}`);

    const second = await startPluginProcess(join(dir, 'kill2', 'socket'), { ARGO_OSS_TOKEN_FILE: token });
    const client2 = artifactClient(join(dir, 'kill2', 'socket'));
    try {
      expect(await client2.call('Save', { path, output_artifact: artifact(key, config) })).toEqual({ success: true, error: '' });
      await expectObject(key, data);
      const resumed = Number(/big\.bin: 2\.93 MiB, (\d+) parts resumed/.exec(second.output())?.[1]);
      expect(resumed).toBeGreaterThanOrEqual(8);
      expect(await c.listUploads()).toEqual([]);
    } finally {
      client2.close();
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
    }
  });

  it('10% of part uploads failing: every part is retried and the object verifies', async () => {
    const key = 'argo/wf-p/flaky/data.bin';
    const { path, data } = await randomFile('flaky.bin', 50 * 100 * KiB);
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', key }, count: -1, every: 10, status: 500, code: 'InternalError' });
    const p = await startPluginProcess(join(dir, 'flaky', 'socket'), { ARGO_OSS_TOKEN_FILE: await tokenFile('flaky') });
    const client = artifactClient(join(dir, 'flaky', 'socket'));
    try {
      expect(await client.call('Save', { path, output_artifact: artifact(key, config) })).toEqual({ success: true, error: '' });
      await expectObject(key, data);
      const { faults } = await c.ossServer.admin<{ faults: Array<{ id: string; hits: number; seen: number }> }>('GET', '/faults');
      const f = faults.find((x) => x.id === fault.id)!;
      expect(f.hits).toBeGreaterThanOrEqual(5); // 50 parts + their retries: at least 5 of them failed
      expect(f.hits).toBe(Math.floor(f.seen / 10));
      // And a Load of it through the same flaky server (GETs fail too, every 10th).
      await c.ossServer.admin('POST', '/faults', { match: { operation: 'GetObject', key }, count: -1, every: 10, status: 503, code: 'ServiceUnavailable' });
      const dest = join(dir, 'flaky-in', 'data.bin.tmp');
      expect(await client.call('Load', { input_artifact: artifact(key, config), path: dest })).toEqual({ success: true, error: '' });
    } finally {
      client.close();
      await c.ossServer.admin('DELETE', '/faults');
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    }
  });

  it('a token that expires in the middle of an upload: the rotated file is read and the upload finishes', async () => {
    const key = 'argo/wf-p/rotate/data.bin';
    const { path, data } = await randomFile('rotate.bin', 30 * 100 * KiB);
    const first = await c.podToken('wf-p');
    const second = await c.podToken('wf-p');
    const file = join(dir, 'rotate.token');
    await writeFile(file, first);
    // Parts are slow, so the upload (and its URL signing) outlives the first token.
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', key }, count: -1, latencyMs: 300 });
    const p = await startPluginProcess(join(dir, 'rotate', 'socket'), { ARGO_OSS_TOKEN_FILE: file });
    const client = artifactClient(join(dir, 'rotate', 'socket'));
    try {
      const saving = client.call('Save', { path, output_artifact: artifact(key, config) });
      await until('2 parts in OSS', () => partsInOss(key, 2));
      // The kubelet's rotation (a new file with a new token), then the old token expires.
      await rm(file);
      await writeFile(file, second);
      await c.expireToken(first);
      expect((await c.api('GET', `/objects/stat?key=${key}`, { token: first })).status).toBe(401);
      expect(await saving).toEqual({ success: true, error: '' });
      await expectObject(key, data);
    } finally {
      client.close();
      await c.ossServer.admin('DELETE', `/faults/${fault.id}`);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    }
  });

  it('a token that expires and is not replaced: the Save fails saying so, and a later Save resumes', async () => {
    const key = 'argo/wf-p/expire/data.bin';
    const { path, data } = await randomFile('expire.bin', 20 * 100 * KiB);
    const file = join(dir, 'expire.token');
    const token = await c.podToken('wf-p');
    await writeFile(file, token);
    const fault = await c.ossServer.admin<{ id: string }>('POST', '/faults', { match: { operation: 'UploadPart', key }, count: -1, latencyMs: 300 });
    const p = await startPluginProcess(join(dir, 'expire', 'socket'), { ARGO_OSS_TOKEN_FILE: file });
    const client = artifactClient(join(dir, 'expire', 'socket'));
    try {
      const saving = client.call('Save', { path, output_artifact: artifact(key, config) });
      await until('2 parts in OSS', () => partsInOss(key, 2));
      await c.expireToken(token);
      const r = await saving;
      expect(r.success).toBe(false);
      expect(r.error).toMatch(/401 Unauthorized: the token was not accepted/);
      await c.ossServer.admin('DELETE', `/faults/${fault.id}`);
      await writeFile(file, await c.podToken('wf-p'));
      expect(await client.call('Save', { path, output_artifact: artifact(key, config) })).toEqual({ success: true, error: '' });
      expect(Number(/data\.bin: 1\.95 MiB, (\d+) parts resumed/.exec(p.output())?.[1])).toBeGreaterThanOrEqual(2);
      await expectObject(key, data);
    } finally {
      client.close();
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    }
  });
});
