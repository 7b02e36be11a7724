// The pod uploader end to end: `argo-oss upload` (a child process, as in a pod) against the local
// stack — the coordinator on a gateway, the local OSS server with fault injection, the local
// Kubernetes API — real HTTP, real V4 signatures, real bytes, CRC-64 checked against the file.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { getObject, getObjectStream, headObject, listAllParts } from '../shared/oss';
import { uploadFile, UploadError } from '../cli/upload';
import { MAX_WRITERS } from '../shared/upload/plan';
import { ARGO_OSS_BIN, runCli } from './helpers/cli';
import { startTestCoordinator, type TestCoordinator } from './helpers/coordinator';
import { extractTgz } from './helpers/uploader';

const KiB = 1024;
let c: TestCoordinator;
let dir: string;

beforeAll(async () => {
  c = await startTestCoordinator();
  dir = await mkdtemp(join(tmpdir(), 'uploader-test-'));
});
afterAll(async () => {
  await c?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await c.ossServer.admin('DELETE', '/faults');
});

async function makeFile(name: string, bytes: number): Promise<{ path: string; data: Buffer }> {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, data };
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ARGO_OSS_COORDINATOR: c.url, ARGO_OSS_TOKEN: c.adminToken, ARGO_OSS_TOKEN_FILE: '', ...extra };
}

async function expectObject(key: string, data: Buffer): Promise<void> {
  const head = await headObject(c.oss, key);
  expect(head.size).toBe(data.length);
  expect(head.crc64).toBe(crc64(data));
  const got = await getObject(c.oss, key);
  expect(Buffer.compare(got.body, data)).toBe(0);
}

function summaryOf(stdout: string) {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // --json prints exactly one line
  return JSON.parse(lines[0]);
}

async function uploadIdOf(key: string): Promise<string> {
  const u = (await c.listUploads()).find((x) => x.key === key);
  if (!u) throw new Error(`no upload in progress for ${key}`);
  return u.uploadId;
}

describe('argo-oss upload', () => {
  it('uploads a file in parallel parts, verified; --json prints the summary', async () => {
    const { path, data } = await makeFile('happy.bin', 3 * 1024 * KiB + 17);
    const r = await runCli(['upload', path, '--key', 'up/happy.bin', '--part-size', '100KB', '--concurrency', '4', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    // stderr: progress only (not a TTY: plain lines, the last one at 100%)
    expect(r.stderr).toMatch(/^(upload up\/happy\.bin: [^\n]*\n)*upload up\/happy\.bin: 100\.0% 3\.00 MiB of 3\.00 MiB, [^\n]*, parts 31\/31\n$/);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({
      key: 'up/happy.bin',
      size: data.length,
      crc64: crc64(data).toString(),
      parts: 31,
      partsUploaded: 31,
      partsReused: 0,
      bytesSent: data.length,
      verified: true,
      uploadId: expect.any(String),
    });
    expect(Object.keys(s).slice(0, 9)).toEqual(['key', 'size', 'crc64', 'parts', 'partsUploaded', 'partsReused', 'bytesSent', 'seconds', 'uploadId']);
    expect(s.seconds).toBeGreaterThan(0);
    await expectObject('up/happy.bin', data);
    expect((await c.listUploads()).filter((u) => u.key === 'up/happy.bin')).toEqual([]);
  });

  it('completes through 10% of UploadPart requests failing with 503 or a reset connection', async () => {
    const { path, data } = await makeFile('faults.bin', 40 * 100 * KiB);
    await c.ossServer.admin('POST', '/faults', { match: { operation: 'UploadPart' }, count: 2, status: 503 });
    await c.ossServer.admin('POST', '/faults', { match: { operation: 'UploadPart' }, count: 2, resetAfterBytes: 30_000, direction: 'request' });
    const r = await runCli(['upload', path, '--key', 'up/faults.bin', '--part-size', '100KB', '--concurrency', '4', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({ parts: 40, partsUploaded: 40, crc64: crc64(data).toString(), verified: true });
    expect(s.retries).toBe(4);
    expect(s.bytesSent).toBeGreaterThan(data.length); // the failed attempts were sent (partly) too
    expect(r.stderr).toMatch(/part \d+: 503 ServiceUnavailable.*retry 1/);
    await expectObject('up/faults.bin', data);
    const faults = await c.ossServer.admin<{ faults: unknown[] }>('GET', '/faults');
    expect(faults.faults).toEqual([]); // every injected fault was hit
  });

  it('resumes after kill -9: re-sends only the parts that were not in OSS, byte-identical result', async () => {
    const { path, data } = await makeFile('killed.bin', 40 * 100 * KiB);
    const key = 'up/killed.bin';
    // Slow every part down so the process is surely killed midway.
    await c.ossServer.admin('POST', '/faults', { match: { operation: 'UploadPart' }, count: -1, latencyMs: 250 });
    const child = spawn(process.execPath, [ARGO_OSS_BIN, 'upload', path, '--key', key, '--part-size', '100KB', '--concurrency', '3', '--json'], {
      env: { ...process.env, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code, sig) => resolve(sig ? -1 : code)));
    try {
      let inOss = 0;
      for (let i = 0; i < 300 && inOss < 10; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const id = await uploadIdOf(key).catch(() => undefined);
        if (id) inOss = (await listAllParts(c.oss, { key, uploadId: id })).length;
      }
      expect(inOss).toBeGreaterThanOrEqual(10);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe(-1);
    await c.ossServer.admin('DELETE', '/faults');
    await new Promise((r) => setTimeout(r, 500)); // let requests the server was still handling settle
    const uploadId = await uploadIdOf(key);
    const before = await listAllParts(c.oss, { key, uploadId });
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(40);

    const r = await runCli(['upload', path, '--key', key, '--part-size', '100KB', '--concurrency', '3', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({ uploadId, resumed: true, parts: 40, partsReused: before.length, partsUploaded: 40 - before.length, verified: true });
    expect(s.bytesSent).toBe(data.length - before.reduce((n, p) => n + p.size, 0));
    expect(s.bytesVerified).toBe(before.reduce((n, p) => n + p.size, 0));
    expect(r.stderr).toMatch(new RegExp(`resuming upload ${uploadId}: ${before.length} of 40 parts already in OSS and verified`));
    await expectObject(key, data);
  });

  it('refuses a key of another workflow with a clear message and a non-zero exit', async () => {
    const { path } = await makeFile('foreign.bin', 200 * KiB);
    const token = await c.podToken('wf-a');
    const r = await runCli(['upload', path, '--key', 'argo/wf-b/out.bin', '--token', token, '--json'], env({ ARGO_OSS_TOKEN: '' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/argo-oss upload: could not start the upload: the coordinator answered 403 \w+: .*may only write keys under argo\/wf-a\/ \(field key\)/);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: 'argo/wf-b/out.bin', error: { code: expect.any(String), message: expect.stringContaining('403') } });
    // and its own key works with the same token
    const ok = await runCli(['upload', path, '--key', 'argo/wf-a/out.bin', '--token', token, '--quiet'], env({ ARGO_OSS_TOKEN: '' }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^uploaded argo\/wf-a\/out.bin: 200 KiB in 1 part, CRC-64 \d+ verified/);
  });

  it('uploads a directory as a tgz stream in Argo’s layout', async () => {
    const root = join(dir, 'outputs');
    await mkdir(join(root, 'nested'), { recursive: true });
    const files: Record<string, Buffer> = { 'result.json': Buffer.from('{"ok":true}\n'), 'nested/model.bin': randomBytes(900 * KiB), 'nested/empty.txt': Buffer.alloc(0) };
    for (const [name, body] of Object.entries(files)) await writeFile(join(root, name), body);
    await symlink('result.json', join(root, 'latest.json'));
    const r = await runCli(['upload', root, '--key', 'up/outputs.tgz', '--archive', 'tgz', '--part-size', '100KB', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.parts).toBeGreaterThan(5); // random bytes do not compress: several parts of unknown total
    expect(s).toMatchObject({ key: 'up/outputs.tgz', verified: true, partsReused: 0 });
    const head = await headObject(c.oss, 'up/outputs.tgz');
    expect(head.size).toBe(s.size);
    expect(head.crc64?.toString()).toBe(s.crc64);
    const { stream } = await getObjectStream(c.oss, 'up/outputs.tgz');
    const entries = await extractTgz(stream);
    expect(entries.map((e) => e.name)).toEqual(['outputs/', 'outputs/latest.json', 'outputs/nested/', 'outputs/nested/empty.txt', 'outputs/nested/model.bin', 'outputs/result.json']);
    for (const [name, body] of Object.entries(files)) expect(entries.find((e) => e.name === `outputs/${name}`)!.data.equals(body), name).toBe(true);
    expect(entries.find((e) => e.name === 'outputs/latest.json')).toMatchObject({ type: 'symlink', linkname: 'result.json' });
    expect((await c.listUploads()).filter((u) => u.key === 'up/outputs.tgz')).toEqual([]);
  });

  it('fans out: two writers upload their shards in parallel; the last one completes', async () => {
    const { path, data } = await makeFile('fanout.bin', 20 * 100 * KiB + 5);
    const args = (w: number) => ['upload', path, '--key', 'up/fanout.bin', '--part-size', '100KB', '--writers', '2', '--writer', String(w), '--fingerprint', 'wf-uid-123:fanout', '--json'];
    const [a, b] = await Promise.all([runCli(args(1), env()), runCli(args(2), env())]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const sa = summaryOf(a.stdout);
    const sb = summaryOf(b.stdout);
    expect(sa.uploadId).toBe(sb.uploadId);
    expect(sa.partsUploaded + sb.partsUploaded).toBe(21);
    // at least one of them completed (both may, if they finished together: complete is idempotent)
    const done = [sa, sb].filter((s) => s.completed);
    expect(done.length).toBeGreaterThanOrEqual(1);
    for (const s of done) expect(s).toMatchObject({ size: data.length, crc64: crc64(data).toString(), verified: true });
    await expectObject('up/fanout.bin', data);
  });
});

describe('argo-oss upload: bad usage exits 2 naming the flag', () => {
  it.each([
    [['upload'], /PATH is required/],
    [['upload', 'x.bin'], /--key is required/],
    [['upload', '@file', '--key', 'k', '--concurrency', '0'], /--concurrency must be an integer from 1 to 256/],
    [['upload', '@file', '--key', 'k', '--concurrency', 'lots'], /--concurrency/],
    [['upload', '@file', '--key', 'k', '--part-size', '12 parsecs'], /--part-size: not a size/],
    [['upload', '@file', '--key', 'k', '--part-size', '99KB'], /--part-size must be from 100KB/],
    [['upload', '@file', '--key', 'k', '--part-size', '6GiB'], /--part-size must be from 100KB/],
    [['upload', '@file', '--key', 'k', '--archive', 'zip'], /--archive must be tgz or none/],
    [['upload', '@file', '--key', 'k', '--coordinator', 'ftp://x'], /--coordinator must be an http\(s\) URL/],
    [['upload', '@file', '--key', 'k', '--token', 't', '--token-file', 'f'], /--token and --token-file are exclusive/],
    [['upload', '@file', '--key', 'k', '--token-file', '/nonexistent/token'], /--token-file: cannot read a token/],
    [['upload', '@file', '--key', 'k', '--writers', '2'], /--writers needs --writer/],
    [['upload', '@file', '--key', 'k', '--writers', '2', '--writer', '3'], /--writer must be from 1 to --writers/],
    // The CLI's limits are the coordinator's (shared/upload/plan.ts): refused before any request.
    [['upload', '@file', '--key', 'k', '--writers', String(MAX_WRITERS + 1), '--writer', '1'], new RegExp(`--writers must be an integer from 1 to ${MAX_WRITERS}`)],
    [['upload', '@file', '--key', 'k', '--upload-id', 'u', '--writer', String(MAX_WRITERS + 1)], new RegExp(`--writer must be an integer from 1 to ${MAX_WRITERS}`)],
    [['upload', '@file', '--key', 'k', '--tag', 'novalue'], /--tag must be KEY=VALUE/],
    [['upload', '@file', '--key', 'k', '--bogus'], /--bogus/],
    [['upload', '@dir', '--key', 'k'], /is a directory: add --archive tgz/],
    [['upload', '/nonexistent/file', '--key', 'k'], /no such file/],
    [['upload', '@file', '--key', '/abs'], /--key must be relative/],
  ])('%j', async (args, message) => {
    const file = join(dir, 'usage.bin');
    await writeFile(file, 'x');
    const argv = args.map((a) => (a === '@file' ? file : a === '@dir' ? dir : a));
    const r = await runCli(argv, env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('needs a coordinator', async () => {
    const r = await runCli(['upload', join(dir, 'usage.bin'), '--key', 'k'], { ARGO_OSS_COORDINATOR: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--coordinator is required \(or set ARGO_OSS_COORDINATOR\)/);
  });
});

describe('uploadFile (library): resume re-verifies parts against the file', () => {
  it('detects a part whose bytes changed since they were uploaded and re-sends it', async () => {
    const { path, data } = await makeFile('changed.bin', 12 * 100 * KiB);
    const key = 'up/changed.bin';
    // First run: stopped (not killed) once a few parts are in OSS.
    await c.ossServer.admin('POST', '/faults', { match: { operation: 'UploadPart' }, count: -1, latencyMs: 150 });
    const controller = new AbortController();
    const first = uploadFile({ coordinator: c.url, token: c.adminToken, key, path, partSize: 100 * KiB, concurrency: 2, progress: 'none', signal: controller.signal });
    for (let parts = 0; parts < 4; ) {
      await new Promise((r) => setTimeout(r, 50));
      const id = await uploadIdOf(key).catch(() => undefined);
      if (id) parts = (await listAllParts(c.oss, { key, uploadId: id })).length;
    }
    controller.abort(new Error('stop'));
    await expect(first).rejects.toThrow('stop');
    await c.ossServer.admin('DELETE', '/faults');
    await new Promise((r) => setTimeout(r, 300));

    // Damage part 2's range in place, keeping size, inode and mtime (same fingerprint → resume).
    const st = await stat(path);
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from([data[150 * KiB] ^ 0xff]), 0, 1, 150 * KiB);
    await fh.close();
    await utimes(path, st.atime, (Math.trunc(st.mtimeMs) + 0.5) / 1000); // mid-millisecond: survives float rounding
    data[150 * KiB] ^= 0xff;

    const lines: string[] = [];

    const s = await uploadFile({ coordinator: c.url, token: c.adminToken, key, path, partSize: 100 * KiB, concurrency: 2, progress: 'none', log: (l) => lines.push(l) });
    expect(s.resumed).toBe(true);
    expect(s.partsReused).toBeGreaterThanOrEqual(3);
    expect(s.partsReused + s.partsUploaded).toBe(12);
    expect(lines.join('\n')).toMatch(/re-sending \d+: .*part 2 \(CRC-64 \d+ in OSS, \d+ locally \(the bytes changed\)\)/);
    expect(s.crc64).toBe(crc64(data).toString());
    await expectObject(key, data);
  });

  it('rejects with an UploadError naming the field when the coordinator refuses the request', async () => {
    const { path } = await makeFile('tiny-parts.bin', 10);
    const err = await uploadFile({ coordinator: c.url, token: c.adminToken, key: 'up/bad..key/../x', path, progress: 'none' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).message).toMatch(/could not start the upload: the coordinator answered 400 .*\(field key\)/);
  });
});
