// Reading an object through a presigned GET URL (from the coordinator's /objects/stat):
//   downloadToFile  ranged GETs in parallel, each written at its offset of a temp file next to the
//                   destination, CRC-64 per range folded into the whole object's and compared with
//                   OSS's, then renamed into place; a failure leaves nothing behind.
//   openObjectStream one GET as a Readable (OpenStream), pinned to the stat's ETag.
// Every request carries If-Match: the ETag, so an object replaced meanwhile fails (412) instead of
// mixing versions. An expired URL (403) is replaced by a fresh stat; transient failures are retried.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Crc64, parseCrc64 } from '../../shared/crc64';
import { createAgents, type Agents } from '../upload/part-upload';
import { backoffDelay, sleep } from '../../shared/backoff';
import { AsyncQueue, runPool } from '../upload/scheduler';
import { foldCrc64 } from '../../shared/crc64';
import { Code, PluginError } from './context';

const MiB = 1024 * 1024;
/** Below this an object is fetched with one plain GET. */
export const DEFAULT_RANGE_SIZE = 16 * MiB;
const ATTEMPTS = 6;
const IDLE_TIMEOUT_MS = 120_000;

/** What /objects/stat says about the object (a fresh one comes from `refresh`). */
export interface ObjectTarget {
  key: string;
  url: string;
  etag: string;
  size: number;
  crc64?: string;
}

export interface DownloadOptions {
  /** Ranges in flight (default 8). */
  concurrency?: number;
  /** Bytes per range (default 16 MiB). */
  rangeSize?: number;
  agents?: Agents;
  signal?: AbortSignal;
  /** A fresh URL for the same object (the first expired); must reject if the object changed. */
  refresh: () => Promise<ObjectTarget>;
  log?: (line: string) => void;
}

/** One HTTP answer: the response, or a failure that says whether trying again may help. */
type Answer = { ok: true; res: IncomingMessage } | { ok: false; status: number; message: string; expired: boolean; changed: boolean; retry: boolean };

function get(url: string, headers: Record<string, string>, agents: Agents | undefined, signal: AbortSignal | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const req = (isHttps ? httpsRequest : httpRequest)(u, { method: 'GET', headers, agent: isHttps ? agents?.https : agents?.http, signal });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason);
      resolve({ ok: false, status: 0, message: `${err.code ?? 'network error'}: ${err.message}`, expired: false, changed: false, retry: true });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) return resolve({ ok: true, res });
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on('error', () => undefined);
      res.on('end', () => {
        const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '';
        const msg = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '';
        const message = `${status}${code ? ` ${code}` : ''}${msg ? `: ${msg}` : ''}`;
        resolve({
          ok: false,
          status,
          message,
          expired: status === 403,
          changed: status === 412 || status === 404,
          retry: status >= 500 || status === 429,
        });
      });
    });
    req.end();
  });
}

/** Bytes gathered from the socket before one write to the file (fewer, larger writes; no copy: writev). */
const WRITE_BATCH = 1024 * 1024;

/** Reads the response into the file at `offset`, hashing it; checks it carried exactly `length` bytes. */
async function writeBody(res: IncomingMessage, fh: Awaited<ReturnType<typeof open>>, offset: number, length: number, signal?: AbortSignal): Promise<bigint> {
  const hasher = new Crc64();
  let position = offset;
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async () => {
    let buffers = batch;
    let left = batched;
    batch = [];
    batched = 0;
    while (left > 0) {
      const { bytesWritten } = await fh.writev(buffers, position);
      position += bytesWritten;
      left -= bytesWritten;
      if (left > 0) {
        // A short write: drop what was written and go on with the rest.
        let skip = bytesWritten;
        while (skip >= buffers[0].length) skip -= buffers.shift()!.length;
        if (skip > 0) buffers = [buffers[0].subarray(skip), ...buffers.slice(1)];
      }
    }
  };
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw signal.reason;
      if (hasher.bytes + chunk.length > length) throw new Error(`the server sent more than the ${length} bytes asked for`);
      hasher.update(chunk);
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= WRITE_BATCH) await flush();
    }
    await flush();
  } finally {
    res.destroy();
  }
  if (hasher.bytes !== length) throw new Error(`the body ended after ${hasher.bytes} of ${length} bytes`);
  return hasher.digest();
}

/**
 * Downloads the object into `path` (parent directories created). Resolves with its size and CRC-64
 * once the whole file is verified and renamed into place; on failure the temp file is removed and
 * `path` is untouched.
 */
export async function downloadToFile(first: ObjectTarget, path: string, options: DownloadOptions): Promise<{ size: number; crc64: string }> {
  const concurrency = options.concurrency ?? 8;
  const rangeSize = Math.max(MiB, options.rangeSize ?? DEFAULT_RANGE_SIZE);
  const ownAgents = !options.agents;
  const agents = options.agents ?? createAgents(concurrency);
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.argo-oss-${randomBytes(4).toString('hex')}.partial`);
  const fh = await open(temp, 'wx', 0o644);
  let target = first;
  let refreshing: Promise<ObjectTarget> | undefined;
  /** One shared refresh for every range that met the expired URL. */
  const fresh = async (expiredUrl: string): Promise<ObjectTarget> => {
    if (target.url !== expiredUrl) return target;
    refreshing ??= options.refresh().then(
      (t) => {
        if (t.etag !== first.etag || t.size !== first.size) throw new PluginError(`${first.key} changed while it was being loaded`, Code.ABORTED);
        target = t;
        refreshing = undefined;
        return t;
      },
      (err) => {
        refreshing = undefined;
        throw err;
      },
    );
    return refreshing;
  };

  /** GETs [start, end) into the file with retries; returns its CRC-64. */
  const fetchRange = async (start: number, end: number, whole: boolean, signal: AbortSignal): Promise<bigint> => {
    let transient = 0;
    let expiries = 0;
    for (;;) {
      const url = target.url;
      const headers: Record<string, string> = { 'if-match': first.etag };
      if (!whole) headers.range = `bytes=${start}-${end - 1}`;
      const answer = await get(url, headers, agents, signal);
      let failure: string;
      if (answer.ok) {
        const res = answer.res;
        const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
        const rightRange = whole ? res.statusCode === 200 : res.statusCode === 206 && cr !== null && Number(cr[1]) === start && Number(cr[2]) === end - 1 && Number(cr[3]) === first.size;
        if (!rightRange) {
          res.destroy();
          throw new PluginError(`${first.key}: the server did not answer the range ${start}-${end - 1} (status ${res.statusCode}, Content-Range ${res.headers['content-range'] ?? 'none'})`, Code.INTERNAL);
        }
        try {
          return await writeBody(res, fh, start, end - start, signal);
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          failure = (err as Error).message;
        }
      } else {
        if (answer.changed) throw new PluginError(`${first.key} changed or disappeared while it was being loaded (${answer.message})`, Code.ABORTED);
        if (answer.expired && expiries++ < 3) {
          options.log?.(`load ${first.key}: ${answer.message}; asking the coordinator for a fresh URL`);
          await fresh(url);
          continue;
        }
        if (!answer.retry) throw new PluginError(`${first.key}: OSS answered ${answer.message}`, answer.status === 403 ? Code.PERMISSION_DENIED : Code.INTERNAL);
        failure = answer.message;
      }
      if (++transient >= ATTEMPTS) throw new PluginError(`${first.key}: bytes ${start}-${end - 1}: ${failure} (gave up after ${transient} attempts)`, Code.UNAVAILABLE);
      const delay = backoffDelay(transient, 200, 10_000);
      options.log?.(`load ${first.key}: bytes ${start}-${end - 1}: ${failure}; retry ${transient} in ${delay} ms`);
      await sleep(delay, signal);
    }
  };

  try {
    const ranges: Array<{ index: number; start: number; end: number }> = [];
    for (let start = 0, index = 0; start < first.size; start += rangeSize, index++) ranges.push({ index, start, end: Math.min(first.size, start + rangeSize) });
    const crcs = new Array<{ crc64: bigint; size: number }>(ranges.length);
    const whole = ranges.length === 1;
    if (ranges.length > 0) {
      const queue = new AsyncQueue<(typeof ranges)[number]>();
      for (const r of ranges) queue.push(r);
      queue.close();
      await runPool(
        queue,
        Math.min(concurrency, ranges.length),
        async (r, signal) => {
          crcs[r.index] = { crc64: await fetchRange(r.start, r.end, whole, signal), size: r.end - r.start };
        },
        options.signal,
      );
    }
    const crc = foldCrc64(crcs);
    if (first.crc64 !== undefined && crc !== parseCrc64(first.crc64)) {
      throw new PluginError(`${first.key}: the bytes read have CRC-64 ${crc}, OSS says ${first.crc64}; nothing was written`, Code.INTERNAL);
    }
    // No fsync: the file lives in the pod's emptyDir, which does not outlive a crash of the node.
    await fh.close();
    await rename(temp, path);
    return { size: first.size, crc64: crc.toString() };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  } finally {
    if (ownAgents) {
      agents.http.destroy();
      agents.https.destroy();
    }
  }
}

/**
 * The object as one GET response body (OpenStream): the caller consumes it with backpressure and
 * checks the length; no retry (Argo's driver contract: OpenStream does not retry internally).
 */
export async function openObjectStream(target: ObjectTarget, signal?: AbortSignal): Promise<IncomingMessage> {
  const answer = await get(target.url, { 'if-match': target.etag }, undefined, signal);
  if (answer.ok) return answer.res;
  throw new PluginError(
    answer.changed ? `${target.key} changed or disappeared before it could be read (${answer.message})` : `${target.key}: OSS answered ${answer.message}`,
    answer.changed ? Code.NOT_FOUND : answer.status === 403 ? Code.PERMISSION_DENIED : Code.UNAVAILABLE,
  );
}
