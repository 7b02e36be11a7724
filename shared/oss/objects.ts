// Single-object operations: head, ranged streaming GET, small put/get, JSON documents, delete.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { crc64 } from '../crc64';
import type { CallOptions, OssClient } from './client';
import { OssArgumentError, OssError, ossCall, toOssError, type OssErrorContext } from './errors';
import { crc64Header, dateHeader, header, intHeader, parseContentRange, requestIdOf, userMeta } from './headers';
import { validateKey, validateTags } from './validate';

export type ObjectType = 'Normal' | 'Multipart' | 'Appendable';

export interface ObjectInfo {
  key: string;
  size: number;
  /** As OSS returns it, quotes included. Opaque for multipart objects (not an MD5). */
  etag: string;
  lastModified?: Date;
  /** Whole-object CRC-64/XZ; absent for some copied objects. */
  crc64?: bigint;
  contentType?: string;
  meta: Record<string, string>;
  storageClass?: string;
  objectType?: ObjectType | string;
  versionId?: string;
  headers: IncomingHttpHeaders;
}

function ctx(client: OssClient, operation: string, key?: string): OssErrorContext {
  return { operation, bucket: client.bucket, ...(key !== undefined ? { key } : {}) };
}

/** HeadObject; a missing key throws OssError kind 'NotFound'. */
export async function headObject(client: OssClient, key: string, options: CallOptions & { versionId?: string } = {}): Promise<ObjectInfo> {
  validateKey(key);
  const c = ctx(client, 'headObject', key);
  const r = await ossCall(c, () =>
    client.sdk.head(key, { timeout: client.timeoutFor(options), ...(options.versionId ? { versionId: options.versionId } : {}) }),
  );
  const h = r.res.headers;
  return {
    key,
    size: intHeader(h, 'content-length') ?? 0,
    etag: header(h, 'etag') ?? '',
    lastModified: dateHeader(h, 'last-modified'),
    crc64: crc64Header(h, c),
    contentType: header(h, 'content-type'),
    meta: userMeta(h),
    storageClass: header(h, 'x-oss-storage-class'),
    objectType: header(h, 'x-oss-object-type'),
    versionId: header(h, 'x-oss-version-id'),
    headers: h,
  };
}

/** True if the key exists (HEAD 200), false on NotFound; other failures throw. */
export async function objectExists(client: OssClient, key: string, options: CallOptions = {}): Promise<boolean> {
  try {
    await headObject(client, key, options);
    return true;
  } catch (err) {
    if (err instanceof OssError && err.kind === 'NotFound') return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming GET

/** One byte range: `{start, end?}` (inclusive end) or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export function rangeHeader(range: ByteRange): string {
  const int = (n: unknown, name: string) => {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new OssArgumentError(`range.${name}`, 'must be a non-negative integer');
    return n;
  };
  if ('suffix' in range) {
    if (int(range.suffix, 'suffix') === 0) throw new OssArgumentError('range.suffix', 'must be at least 1');
    return `bytes=-${range.suffix}`;
  }
  const start = int(range.start, 'start');
  if (range.end === undefined) return `bytes=${start}-`;
  if (int(range.end, 'end') < start) throw new OssArgumentError('range.end', 'must be >= range.start');
  return `bytes=${start}-${range.end}`;
}

export interface GetStreamOptions extends CallOptions {
  range?: ByteRange;
  /**
   * Send `x-oss-range-behavior: standard` with a range (default true): a start past EOF gives 416
   * InvalidRange and an end past EOF is clamped, instead of OSS silently returning the whole object.
   */
  standardRange?: boolean;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
  versionId?: string;
}

export interface ObjectStream {
  /** The response body. Consume it or destroy it; it runs on a non-keep-alive socket. */
  stream: IncomingMessage;
  status: 200 | 206 | 304;
  headers: IncomingHttpHeaders;
  /** Bytes in this response body. */
  contentLength?: number;
  /** Served range on 206. */
  contentRange?: { start: number; end: number; size: number | undefined };
  /** Whole-object size (from Content-Range on 206, Content-Length on 200). */
  size?: number;
  etag?: string;
  /** Whole-object CRC-64, also on ranged responses. */
  crc64?: bigint;
  lastModified?: Date;
  contentType?: string;
}

/** GetObject as a stream (ranges, conditionals). Errors: NotFound, InvalidRange, PreconditionFailed... */
export async function getObjectStream(client: OssClient, key: string, options: GetStreamOptions = {}): Promise<ObjectStream> {
  validateKey(key);
  const headers: Record<string, string> = {};
  if (options.range) {
    headers.Range = rangeHeader(options.range);
    if (options.standardRange !== false) headers['x-oss-range-behavior'] = 'standard';
  }
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  if (options.ifNoneMatch) headers['If-None-Match'] = options.ifNoneMatch;
  if (options.ifModifiedSince) headers['If-Modified-Since'] = options.ifModifiedSince.toUTCString();
  if (options.ifUnmodifiedSince) headers['If-Unmodified-Since'] = options.ifUnmodifiedSince.toUTCString();
  const c = ctx(client, 'getObjectStream', key);
  const r = await ossCall(c, () =>
    client.streamSdk.getStream(key, {
      headers,
      timeout: client.timeoutFor(options),
      ...(options.versionId ? { subres: { versionId: options.versionId } } : {}),
    }),
  );
  const h = r.res.headers;
  const status = r.res.status as 200 | 206 | 304;
  if (status === 304) r.stream.resume(); // no body; let the socket close
  const contentLength = intHeader(h, 'content-length');
  const contentRange = status === 206 ? parseContentRange(header(h, 'content-range')) : undefined;
  return {
    stream: r.stream,
    status,
    headers: h,
    contentLength,
    contentRange,
    size: status === 206 ? contentRange?.size : status === 200 ? contentLength : undefined,
    etag: header(h, 'etag'),
    crc64: crc64Header(h, c),
    lastModified: dateHeader(h, 'last-modified'),
    contentType: header(h, 'content-type'),
  };
}

// ---------------------------------------------------------------------------------------------
// Small objects (manifests, ledgers): whole-body put/get with a size cap and CRC-64 check

export const DEFAULT_MAX_SMALL_OBJECT_BYTES = 16 * 1024 * 1024;

export interface PutObjectOptions extends CallOptions {
  contentType?: string;
  meta?: Record<string, string>;
  /** x-oss-forbid-overwrite: fail with PreconditionFailed (FileAlreadyExists) if the key exists. */
  forbidOverwrite?: boolean;
  /** Tags set atomically with the object (x-oss-tagging). */
  tags?: Record<string, string>;
  cacheControl?: string;
  contentDisposition?: string;
  /** Refuse bodies over this size (default 16 MiB): this is not the path for artifacts. */
  maxBytes?: number;
}

export interface PutObjectResult {
  key: string;
  etag: string;
  crc64?: bigint;
  requestId?: string;
}

function integrity(c: OssErrorContext, code: string, message: string): OssError {
  return new OssError({ ...c, kind: 'Integrity', code, status: 0, message });
}

function tooLarge(c: OssErrorContext, size: number, max: number): OssError {
  return new OssError({ ...c, kind: 'TooLarge', code: 'ObjectTooLarge', status: 0, message: `${size} bytes exceeds the ${max}-byte limit` });
}

/** PutObject of an in-memory body; verifies the CRC-64 OSS computed against ours. */
export async function putObject(client: OssClient, key: string, body: Buffer | Uint8Array | string, options: PutObjectOptions = {}): Promise<PutObjectResult> {
  validateKey(key);
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const c = ctx(client, 'putObject', key);
  const max = options.maxBytes ?? DEFAULT_MAX_SMALL_OBJECT_BYTES;
  if (buf.length > max) throw tooLarge(c, buf.length, max);
  const headers: Record<string, string> = {};
  if (options.forbidOverwrite) headers['x-oss-forbid-overwrite'] = 'true';
  if (options.tags && Object.keys(options.tags).length > 0) {
    headers['x-oss-tagging'] = Object.entries(validateTags(options.tags))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
  }
  if (options.cacheControl) headers['Cache-Control'] = options.cacheControl;
  if (options.contentDisposition) headers['Content-Disposition'] = options.contentDisposition;
  if (options.contentType) headers['Content-Type'] = options.contentType;
  const r = await ossCall(c, () =>
    client.sdk.put(key, buf, { headers, timeout: client.timeoutFor(options, buf.length), ...(options.meta ? { meta: options.meta } : {}) }),
  );
  const h = r.res.headers;
  const remote = crc64Header(h, c);
  if (remote !== undefined && remote !== crc64(buf)) throw integrity(c, 'Crc64Mismatch', `stored CRC-64 ${remote} differs from the sent body's ${crc64(buf)}`);
  return { key, etag: header(h, 'etag') ?? '', crc64: remote, requestId: requestIdOf(h) };
}

export interface GetObjectOptions extends Omit<GetStreamOptions, 'range'> {
  /** Refuse bodies over this size (default 16 MiB). */
  maxBytes?: number;
}

export interface GetObjectResult {
  body: Buffer;
  etag?: string;
  crc64?: bigint;
  contentType?: string;
  lastModified?: Date;
  meta: Record<string, string>;
}

/** GetObject into memory, capped at maxBytes, CRC-64 verified when OSS reports one. */
export async function getObject(client: OssClient, key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
  const max = options.maxBytes ?? DEFAULT_MAX_SMALL_OBJECT_BYTES;
  const c = ctx(client, 'getObject', key);
  const s = await getObjectStream(client, key, options);
  if (s.status === 304) throw new OssError({ ...c, kind: 'PreconditionFailed', code: 'NotModified', status: 304, message: 'not modified' });
  if (s.contentLength !== undefined && s.contentLength > max) {
    s.stream.destroy();
    throw tooLarge(c, s.contentLength, max);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of s.stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) {
        s.stream.destroy();
        throw tooLarge(c, total, max);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw toOssError(err, c);
  }
  const body = Buffer.concat(chunks, total);
  if (s.contentLength !== undefined && s.contentLength !== total) {
    throw integrity(c, 'IncompleteBody', `received ${total} of ${s.contentLength} bytes`);
  }
  if (s.crc64 !== undefined && crc64(body) !== s.crc64) throw integrity(c, 'Crc64Mismatch', `body CRC-64 ${crc64(body)} differs from header ${s.crc64}`);
  return { body, etag: s.etag, crc64: s.crc64, contentType: s.contentType, lastModified: s.lastModified, meta: userMeta(s.headers) };
}

export type PutJsonOptions = Omit<PutObjectOptions, 'contentType'>;

/** Stores `value` as JSON (application/json), within the size cap. */
export async function putJson(client: OssClient, key: string, value: unknown, options: PutJsonOptions = {}): Promise<PutObjectResult> {
  const text = JSON.stringify(value);
  if (text === undefined) throw new OssArgumentError('value', 'is not JSON-serialisable');
  return putObject(client, key, text, { ...options, contentType: 'application/json' });
}

export interface GetJsonOptions<T> extends GetObjectOptions {
  /** Checks the parsed value and narrows its type; throw to reject. Without it the value is `unknown`. */
  validate?: (value: unknown) => T;
}

export interface JsonDocument<T> {
  value: T;
  etag?: string;
  crc64?: bigint;
}

/** Reads a JSON document (size-capped); bad JSON or a failed validate() is an Integrity error. */
export async function getJson<T = unknown>(client: OssClient, key: string, options: GetJsonOptions<T> = {}): Promise<JsonDocument<T>> {
  const r = await getObject(client, key, options);
  const c = ctx(client, 'getJson', key);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body.toString('utf8'));
  } catch (err) {
    throw new OssError({ ...c, kind: 'Integrity', code: 'InvalidJson', status: 0, message: (err as Error).message, cause: err });
  }
  let value: T;
  try {
    value = options.validate ? options.validate(parsed) : (parsed as T);
  } catch (err) {
    throw new OssError({ ...c, kind: 'Integrity', code: 'InvalidDocument', status: 0, message: (err as Error).message, cause: err });
  }
  return { value, etag: r.etag, crc64: r.crc64 };
}

/** DeleteObject; succeeds whether or not the key existed. */
export async function deleteObject(client: OssClient, key: string, options: CallOptions = {}): Promise<void> {
  validateKey(key);
  await ossCall(ctx(client, 'deleteObject', key), () => client.sdk.delete(key, { timeout: client.timeoutFor(options) }));
}
