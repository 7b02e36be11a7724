// Pure logic of the pod uploader: sizes, the retry policy, part ranges, CRC folding, the URL broker's
// batching, the worker pool, resume verification, the tgz stream and the spooler.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64, foldCrc64 } from '../shared/crc64';
import type { CoordinatorClient } from '../shared/upload/client';
import type { SignPartsRequest, SignPartsResponse, UploadPlan } from '../shared/upload/protocol';
import {
  AsyncQueue,
  Progress,
  UrlBroker,
  createTgzStream,
  decide,
  formatBytes,
  parseSize,
  planRanges,
  runPool,
  startSpooler,
  verifyUploadedParts,
} from '../cli/upload';
import { extractTgz } from './helpers/uploader';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uploader-units-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sizes', () => {
  it('parses binary and plain sizes', () => {
    expect(parseSize('64MiB')).toBe(64 * 1024 ** 2);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('100KB')).toBe(102_400);
    expect(parseSize('1.5MiB')).toBe(1.5 * 1024 ** 2);
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('8m')).toBe(8 * 1024 ** 2);
    for (const bad of ['', 'MiB', '-1', '1.3B', '12 parsecs', '1e3']) expect(() => parseSize(bad), bad).toThrow(RangeError);
  });
  it('formats', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GiB');
  });
});

describe('retry policy', () => {
  const future = new Date(Date.now() + 60_000);
  const now = new Date();
  it('retries network errors, 5xx, 429 and throttling', () => {
    expect(decide({ status: 0, code: 'ECONNRESET' }, future, now, 0).action).toBe('retry');
    expect(decide({ status: 503, code: 'ServiceUnavailable' }, future, now, 0).action).toBe('retry');
    expect(decide({ status: 500 }, future, now, 0).action).toBe('retry');
    expect(decide({ status: 429 }, future, now, 0).action).toBe('retry');
    expect(decide({ status: 503, code: 'UploadTrafficRateLimitExceeded', qosDelayMs: 700 }, future, now, 0)).toMatchObject({ action: 'retry', minDelayMs: 700 });
  });
  it('re-signs an expired URL, however it is reported', () => {
    expect(decide({ status: 403, code: 'AccessDenied', message: 'Request has expired.' }, future, now, 5).action).toBe('resign');
    expect(decide({ status: 403, code: 'SecurityTokenExpired' }, future, now, 5).action).toBe('resign');
    expect(decide({ status: 403, code: 'SignatureDoesNotMatch' }, new Date(now.getTime() - 1), now, 5).action).toBe('resign');
  });
  it('re-signs another 403 once, then stops', () => {
    expect(decide({ status: 403, code: 'SignatureDoesNotMatch' }, future, now, 0).action).toBe('resign');
    expect(decide({ status: 403, code: 'SignatureDoesNotMatch' }, future, now, 1).action).toBe('fatal');
    expect(decide({ status: 403, code: 'RequestTimeTooSkewed' }, future, now, 0)).toMatchObject({ action: 'fatal', reason: expect.stringContaining('clock') });
  });
  it('re-sends corrupted parts and stops on other 4xx', () => {
    expect(decide({ status: 200, corrupted: true }, future, now, 0).action).toBe('resend');
    expect(decide({ status: 400, code: 'InvalidDigest' }, future, now, 0).action).toBe('resend');
    expect(decide({ status: 404, code: 'NoSuchUpload' }, future, now, 0)).toMatchObject({ action: 'fatal', reason: expect.stringContaining('aborted') });
    expect(decide({ status: 400, code: 'InvalidArgument', message: 'nope' }, future, now, 0)).toMatchObject({ action: 'fatal', reason: '400 InvalidArgument: nope' });
  });
});

describe('plan ranges and CRC folding', () => {
  const plan = (size: number, partSize: number, partCount: number): UploadPlan => ({ uploadId: 'u', key: 'k', size, partSize, partCount, writers: [], createdAt: '' });
  it('covers the file exactly', () => {
    const r = planRanges(plan(1000, 300, 4), 1000);
    expect(r.map((x) => [x.start, x.end])).toEqual([[0, 300], [300, 600], [600, 900], [900, 1000]]);
    expect(planRanges(plan(0, 300, 1), 0)).toEqual([{ partNumber: 1, start: 0, end: 0 }]);
  });
  it('rejects a plan for other bytes', () => {
    expect(() => planRanges(plan(1000, 300, 4), 999)).toThrow(/1000 bytes/);
    expect(() => planRanges(plan(1000, 300, 3), 1000)).toThrow(/3 parts/);
  });
  it('folds part CRCs into the whole-object CRC', () => {
    const data = randomBytes(1_000_003);
    const parts = [];
    for (let start = 0; start < data.length; start += 262_144) {
      const piece = data.subarray(start, start + 262_144);
      parts.push({ crc64: crc64(piece), size: piece.length });
    }
    expect(foldCrc64(parts)).toBe(crc64(data));
    expect(foldCrc64([])).toBe(0n);
  });
});

function fakeSigner(ttlMs = 600_000) {
  const requests: number[][] = [];
  const client = {
    async sign(uploadId: string, req: SignPartsRequest): Promise<SignPartsResponse> {
      requests.push(req.parts.map((p) => p.partNumber));
      await new Promise((r) => setTimeout(r, 5));
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      return { uploadId, parts: req.parts.map((p) => ({ partNumber: p.partNumber, method: 'PUT', url: `http://x/${p.partNumber}?n=${requests.length}`, headers: {}, expiresAt })) };
    },
  } as unknown as CoordinatorClient;
  return { client, requests };
}

describe('URL broker', () => {
  it('signs in batches on demand, ahead of the workers, never all up front', async () => {
    const { client, requests } = fakeSigner();
    const queue = new AsyncQueue<{ partNumber: number }>();
    for (let n = 1; n <= 100; n++) queue.push({ partNumber: n });
    queue.close();
    const broker = new UrlBroker({ client, uploadId: 'u', key: 'k', batchSize: 8, lowWater: 4, upcoming: (n) => queue.peek(n).map((p) => p.partNumber) });
    let maxAhead = 0;
    await runPool(queue, 4, async ({ partNumber }) => {
      const url = await broker.get(partNumber);
      expect(url.partNumber).toBe(partNumber);
      maxAhead = Math.max(maxAhead, broker.urlsSigned - partNumber);
      await new Promise((r) => setTimeout(r, 2));
    });
    const signed = requests.flat();
    expect(new Set(signed).size).toBe(100);
    expect(signed.length).toBeLessThan(110); // hardly any part signed twice
    expect(Math.max(...requests.map((r) => r.length))).toBeLessThanOrEqual(8);
    expect(requests.length).toBeGreaterThanOrEqual(100 / 8);
    expect(maxAhead).toBeLessThanOrEqual(20);
  });

  it('hands out a fresh URL after one was used (re-sign) and never a nearly expired one', async () => {
    const { client, requests } = fakeSigner(1000);
    let now = Date.now();
    const broker = new UrlBroker({ client, uploadId: 'u', key: 'k', batchSize: 4, lowWater: 2, upcoming: () => [2, 3], now: () => now });
    const first = await broker.get(1);
    const again = await broker.get(1);
    expect(again.url).not.toBe(first.url);
    now += 900; // the cached URLs for 2 and 3 have < 1/4 of their life left
    await broker.get(2);
    expect(requests.at(-1)).toContain(2);
  });
});

describe('worker pool', () => {
  it('bounds concurrency and stops everyone at the first error', async () => {
    const queue = new AsyncQueue<number>();
    for (let i = 0; i < 50; i++) queue.push(i);
    queue.close();
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    await expect(
      runPool(queue, 3, async (i, signal) => {
        active++;
        peak = Math.max(peak, active);
        seen.push(i);
        await new Promise((r) => setTimeout(r, 3));
        active--;
        if (i === 10) throw new Error('boom');
        expect(signal.aborted).toBe(false);
      }),
    ).rejects.toThrow('boom');
    expect(peak).toBe(3);
    expect(seen.length).toBeLessThan(20);
  });
});

describe('resume verification', () => {
  it('accepts parts whose size and CRC match the file, rejects the others', async () => {
    const data = randomBytes(1000);
    const path = join(dir, 'resume.bin');
    await writeFile(path, data);
    const ranges = [0, 1, 2, 3].map((i) => ({ partNumber: i + 1, start: i * 300, end: Math.min(1000, (i + 1) * 300) }));
    const crc = (a: number, b: number) => crc64(data.subarray(a, b)).toString();
    const check = await verifyUploadedParts(path, ranges, [
      { partNumber: 1, size: 300, etag: '"a"', crc64: crc(0, 300), lastModified: '' },
      { partNumber: 2, size: 300, etag: '"b"', crc64: crc(0, 300), lastModified: '' }, // wrong bytes
      { partNumber: 3, size: 299, etag: '"c"', crc64: crc(600, 899), lastModified: '' }, // wrong size
      { partNumber: 4, size: 100, etag: '"d"', lastModified: '' }, // no CRC
      { partNumber: 9, size: 100, etag: '"e"', crc64: '1', lastModified: '' }, // not ours
    ]);
    expect(check.reused.map((p) => p.partNumber)).toEqual([1]);
    expect(check.reused[0]).toMatchObject({ etag: '"a"', size: 300, crc64: crc64(data.subarray(0, 300)) });
    expect(check.rejected.map((p) => p.partNumber)).toEqual([2, 3, 4]);
    expect(check.rejected[0].reason).toMatch(/CRC-64/);
    expect(check.bytesRead).toBe(600);
  });
});

describe('tgz and spooling', () => {
  it('streams a directory in Argo’s layout and spools it into verified parts on disk', async () => {
    const src = join(dir, 'artifact');
    await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('hello\n'),
      'empty': Buffer.alloc(0),
      'sub/big.bin': randomBytes(700_000),
      'sub/deeper/ünïcödé name with a rather long path segment that needs pax headers to be stored.txt': Buffer.from('x'),
    };
    for (const [name, body] of Object.entries(files)) await writeFile(join(src, name), body);
    await symlink('a.txt', join(src, 'link'));

    const spoolDir = join(dir, 'spool');
    await mkdir(spoolDir);
    const spooler = await startSpooler(createTgzStream(src), { partSize: 100 * 1024, maxSpooled: 2, dir: spoolDir });
    const chunks: Buffer[] = [];
    let maxOnDisk = 0;
    for (;;) {
      const part = await spooler.parts.take();
      if (!part) break;
      const [inner] = await readdir(spoolDir);
      maxOnDisk = Math.max(maxOnDisk, (await readdir(join(spoolDir, inner))).length);
      const bytes = await readFile(part.path);
      expect(crc64(bytes)).toBe(part.crc64);
      expect(part.size).toBe(bytes.length);
      chunks.push(bytes);
      await part.release();
    }
    const totals = await spooler.done;
    await spooler.cleanup();
    expect(await readdir(spoolDir)).toEqual([]);
    expect(maxOnDisk).toBeLessThanOrEqual(2);
    const tgz = Buffer.concat(chunks);
    expect(totals).toEqual({ bytes: tgz.length, parts: chunks.length });
    expect(chunks.slice(0, -1).every((c) => c.length === 100 * 1024)).toBe(true);

    const entries = await extractTgz(tgz);
    expect(entries.map((e) => e.name)).toEqual([
      'artifact/',
      'artifact/a.txt',
      'artifact/empty',
      'artifact/link',
      'artifact/sub/',
      'artifact/sub/big.bin',
      'artifact/sub/deeper/',
      `artifact/sub/deeper/${Object.keys(files)[3].split('/')[2]}`,
    ]);
    for (const [name, body] of Object.entries(files)) expect(entries.find((e) => e.name === `artifact/${name}`)!.data.equals(body), name).toBe(true);
    expect(entries.find((e) => e.name === 'artifact/link')).toMatchObject({ type: 'symlink', linkname: 'a.txt' });
  });

  it('fails the spool when the source fails', async () => {
    const source = new Readable({ read() {} });
    const spooler = await startSpooler(source, { partSize: 100 * 1024, maxSpooled: 2, dir });
    source.push(Buffer.alloc(10));
    source.destroy(new Error('disk on fire'));
    await expect(spooler.done).rejects.toThrow('disk on fire');
    await spooler.cleanup();
  });
});

describe('progress', () => {
  it('prints plain lines with percent, rate and ETA', () => {
    let t = 0;
    let out = '';
    const p = new Progress({ label: 'upload k', total: 1000, mode: 'lines', out: { write: (s: string) => ((out += s), true) } as never, now: () => t });
    p.partsTotal = 4;
    p.partReused(250);
    t = 1000;
    p.bytesWritten(250);
    p.partUploaded(250, 250);
    p.stop();
    expect(out).toMatch(/^upload k: 50\.0% 500 B of 1000 B, .*\/s, ETA \d+s, parts 2\/4\n$/);
  });
});
