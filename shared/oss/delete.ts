// Batch delete (DeleteMultipleObjects, <=1000 keys a request) and prefix delete (ListObjectsV2 pages
// fed to batch deletes), both with bounded concurrency and bounded memory.
import type { CallOptions, OssClient } from './client';
import { OssArgumentError, OssError, toOssError } from './errors';
import { iterateObjectPages, type ObjectSummary } from './list';
import { abortMultipartUpload, iterateMultipartUploads } from './multipart';
import { MAX_DELETE_KEYS, chunk, validateKey, validatePageSize, validatePositiveInt } from './validate';

export interface DeleteFailure {
  key: string;
  error: OssError;
}

export interface BatchDeleteResult {
  deleted: string[];
  failed: DeleteFailure[];
}

export interface BatchDeleteOptions extends CallOptions {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Keys per request, 1..1000 (default 1000). */
  batchSize?: number;
}

/** One DeleteMultipleObjects request; never rejects, failures are reported per key. */
async function deleteBatch(client: OssClient, keys: string[], options: CallOptions): Promise<BatchDeleteResult> {
  try {
    // Verbose mode: OSS lists every deleted key (missing keys count as deleted), so anything it
    // does not list is a failure we can name.
    const r = await client.sdk.deleteMulti(keys, { quiet: false, timeout: client.timeoutFor(options) });
    const done = new Set(r.deleted.map((d) => d.Key));
    const deleted: string[] = [];
    const failed: DeleteFailure[] = [];
    for (const key of keys) {
      if (done.has(key)) deleted.push(key);
      else {
        failed.push({
          key,
          error: new OssError({ operation: 'deleteObjects', bucket: client.bucket, key, kind: 'Other', code: 'NotDeleted', status: r.res.status, message: 'not reported as deleted' }),
        });
      }
    }
    return { deleted, failed };
  } catch (err) {
    const error = toOssError(err, { operation: 'deleteObjects', bucket: client.bucket });
    return { deleted: [], failed: keys.map((key) => ({ key, error })) };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, preserving result order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  validatePositiveInt(limit, 'concurrency');
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Deletes `keys` in batches of at most 1000 with bounded concurrency. Keys are validated up front
 * (nothing is sent if one is invalid) and de-duplicated. Returns what was deleted and what failed.
 */
export async function deleteObjects(client: OssClient, keys: readonly string[], options: BatchDeleteOptions = {}): Promise<BatchDeleteResult> {
  keys.forEach((k, i) => validateKey(k, `keys[${i}]`));
  const batchSize = validatePageSize(options.batchSize ?? MAX_DELETE_KEYS, 'batchSize', MAX_DELETE_KEYS);
  const unique = [...new Set(keys)];
  const results = await mapLimit(chunk(unique, batchSize), options.concurrency ?? 4, (batch) => deleteBatch(client, batch, options));
  return { deleted: results.flatMap((r) => r.deleted), failed: results.flatMap((r) => r.failed) };
}

export interface PrefixDeleteOptions extends CallOptions {
  /** List only; report what would be deleted. */
  dryRun?: boolean;
  /** Keep an object by returning false (e.g. only objects older than a cutoff). */
  filter?: (object: ObjectSummary) => boolean;
  /** Delete requests in flight at once (default 4). */
  concurrency?: number;
  /** Keys per list page and delete request, 1..1000 (default 1000). */
  pageSize?: number;
  /**
   * A prefix must end with '/' so `a/b/` cannot take `a/b2` with it (the sibling-matching bug of
   * Argo's OSS driver). Set to allow a raw key prefix.
   */
  allowPartialSegment?: boolean;
  /** Also abort every in-progress multipart upload under the prefix (the filter does not apply). */
  abortUploads?: boolean;
  /** Called after each successful batch (audit logs); keeps memory bounded for huge prefixes. */
  onDeleted?: (keys: string[]) => void | Promise<void>;
}

export interface PrefixDeleteResult {
  /** Objects deleted (or that would be, in a dry run). */
  count: number;
  /** Objects listed under the prefix (before the filter). */
  listed: number;
  failed: DeleteFailure[];
  /** Keys that would be deleted (dry run only). */
  keys?: string[];
  /** Multipart uploads aborted (abortUploads). */
  abortedUploads: number;
  /** False when a batch failed as a whole and listing stopped early. */
  complete: boolean;
}

export async function deletePrefix(client: OssClient, prefix: string, options: PrefixDeleteOptions = {}): Promise<PrefixDeleteResult> {
  if (typeof prefix !== 'string' || prefix === '') throw new OssArgumentError('prefix', 'refusing to delete with an empty prefix (the whole bucket)');
  validateKey(prefix, 'prefix');
  if (!prefix.endsWith('/') && !options.allowPartialSegment) {
    throw new OssArgumentError('prefix', `must end with '/' (got ${JSON.stringify(prefix)}), or it also matches sibling keys; set allowPartialSegment to mean it`);
  }
  const pageSize = validatePageSize(options.pageSize ?? MAX_DELETE_KEYS, 'pageSize', MAX_DELETE_KEYS);
  const concurrency = validatePositiveInt(options.concurrency ?? 4, 'concurrency');
  const result: PrefixDeleteResult = { count: 0, listed: 0, failed: [], abortedUploads: 0, complete: true, ...(options.dryRun ? { keys: [] } : {}) };
  const inflight = new Set<Promise<void>>();
  let stop = false;
  let callbackError: unknown;

  for await (const page of iterateObjectPages(client, { prefix, maxKeys: pageSize, timeoutMs: options.timeoutMs })) {
    result.listed += page.objects.length;
    const keys = page.objects.filter((o) => !options.filter || options.filter(o)).map((o) => o.key);
    if (keys.length === 0) continue;
    if (options.dryRun) {
      result.count += keys.length;
      result.keys!.push(...keys);
      continue;
    }
    const job = deleteBatch(client, keys, options).then(async (r) => {
      result.count += r.deleted.length;
      result.failed.push(...r.failed);
      if (r.deleted.length === 0 && r.failed.length > 0) stop = true; // whole request failed: likely systemic
      try {
        if (r.deleted.length > 0 && options.onDeleted) await options.onDeleted(r.deleted);
      } catch (err) {
        callbackError ??= err;
        stop = true;
      }
    });
    const tracked = job.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    if (inflight.size >= concurrency) await Promise.race(inflight);
    if (stop) break;
  }
  await Promise.all(inflight);
  if (callbackError !== undefined) throw callbackError;
  if (stop) result.complete = false;

  if (options.abortUploads && !options.dryRun && !stop) {
    for await (const page of iterateMultipartUploads(client, { prefix, timeoutMs: options.timeoutMs })) {
      for (const u of page.uploads) {
        try {
          await abortMultipartUpload(client, u, options);
          result.abortedUploads++;
        } catch (err) {
          if (!(err instanceof OssError && err.kind === 'NoSuchUpload')) throw err; // finished meanwhile: fine
        }
      }
    }
  }
  return result;
}
