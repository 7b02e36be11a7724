// Multipart upload primitives: initiate, upload part (server-side use), list parts, complete, abort,
// list uploads. Pods upload parts through presigned URLs (presign.ts), not through this module.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { crc64 } from '../crc64';
import type { CallOptions, OssClient } from './client';
import { OssArgumentError, OssError, ossCall, type OssErrorContext } from './errors';
import { crc64Header, header, requestIdOf } from './headers';
import {
  MAX_LIST_PAGE,
  validateContentMd5,
  validateKey,
  validatePageSize,
  validatePartNumber,
  validateTags,
  validateUploadId,
} from './validate';

function ctx(client: OssClient, operation: string, key?: string, uploadId?: string): OssErrorContext {
  return { operation, bucket: client.bucket, ...(key !== undefined ? { key } : {}), ...(uploadId ? { uploadId } : {}) };
}

export interface InitiateMultipartOptions extends CallOptions {
  contentType?: string;
  contentDisposition?: string;
  cacheControl?: string;
  meta?: Record<string, string>;
  /** x-oss-forbid-overwrite: Complete fails if the key exists by then. */
  forbidOverwrite?: boolean;
  storageClass?: 'Standard' | 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive';
  tags?: Record<string, string>;
}

export interface MultipartUploadRef {
  key: string;
  uploadId: string;
}

export async function initiateMultipartUpload(client: OssClient, key: string, options: InitiateMultipartOptions = {}): Promise<MultipartUploadRef> {
  validateKey(key);
  const headers: Record<string, string> = {};
  if (options.contentType) headers['Content-Type'] = options.contentType;
  if (options.contentDisposition) headers['Content-Disposition'] = options.contentDisposition;
  if (options.cacheControl) headers['Cache-Control'] = options.cacheControl;
  if (options.forbidOverwrite) headers['x-oss-forbid-overwrite'] = 'true';
  if (options.storageClass) headers['x-oss-storage-class'] = options.storageClass;
  if (options.tags && Object.keys(options.tags).length > 0) {
    headers['x-oss-tagging'] = Object.entries(validateTags(options.tags))
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
  }
  const r = await ossCall(ctx(client, 'initiateMultipartUpload', key), () =>
    client.sdk.initMultipartUpload(key, { headers, timeout: client.timeoutFor(options), ...(options.meta ? { meta: options.meta } : {}) }),
  );
  if (!r.uploadId) {
    throw new OssError({ ...ctx(client, 'initiateMultipartUpload', key), kind: 'Other', code: 'MissingUploadId', status: r.res.status, message: 'no UploadId in response' });
  }
  return { key, uploadId: r.uploadId };
}

export interface UploadPartOptions extends CallOptions {
  /** Base64 MD5 of the part; OSS rejects a mismatching body with InvalidDigest. Computed for Buffers. */
  contentMd5?: string;
  /** Body length, required for streams. */
  size?: number;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  crc64?: bigint;
}

/**
 * UploadPart from this process (CLI/tests). Buffers get Content-MD5 and a CRC-64 check; for streams
 * pass `size` (and ideally `contentMd5`) and compare the returned crc64 yourself. The response timer
 * covers sending the whole body, so the timeout scales with `size` unless timeoutMs is given.
 */
export async function uploadPart(
  client: OssClient,
  ref: MultipartUploadRef,
  partNumber: number,
  body: Buffer | Readable,
  options: UploadPartOptions = {},
): Promise<UploadedPart> {
  validateKey(ref.key);
  validateUploadId(ref.uploadId);
  validatePartNumber(partNumber);
  const isBuf = Buffer.isBuffer(body);
  const size = isBuf ? body.length : options.size;
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) throw new OssArgumentError('size', 'is required (a byte count) for stream bodies');
  const md5 = options.contentMd5 ?? (isBuf ? createHash('md5').update(body).digest('base64') : undefined);
  const headers: Record<string, string> = md5 ? { 'Content-MD5': validateContentMd5(md5) } : {};
  const c = ctx(client, 'uploadPart', ref.key, ref.uploadId);
  const r = await ossCall(c, () =>
    client.sdk.uploadPart(ref.key, ref.uploadId, partNumber, body, 0, size, { headers, timeout: client.timeoutFor(options, size) }),
  );
  const remote = crc64Header(r.res.headers, c);
  if (isBuf && remote !== undefined && remote !== crc64(body)) {
    throw new OssError({ ...c, kind: 'Integrity', code: 'Crc64Mismatch', status: 0, message: `part ${partNumber}: OSS CRC-64 ${remote} differs from ours` });
  }
  return { partNumber, etag: r.etag, size, crc64: remote };
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified?: Date;
  crc64?: bigint;
}

export interface ListPartsOptions extends CallOptions {
  /** 1..1000, default 1000. */
  maxParts?: number;
  /** List parts after this part number. */
  partNumberMarker?: number;
}

export interface ListPartsPage {
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker?: number;
}

function parseCrc(v: string | undefined, c: OssErrorContext): bigint | undefined {
  return v === undefined || v === '' ? undefined : crc64Header({ 'x-oss-hash-crc64ecma': v }, c);
}

export async function listPartsPage(client: OssClient, ref: MultipartUploadRef, options: ListPartsOptions = {}): Promise<ListPartsPage> {
  validateKey(ref.key);
  validateUploadId(ref.uploadId);
  const maxParts = validatePageSize(options.maxParts ?? MAX_LIST_PAGE, 'maxParts');
  const c = ctx(client, 'listParts', ref.key, ref.uploadId);
  const query = {
    'max-parts': maxParts,
    ...(options.partNumberMarker !== undefined ? { 'part-number-marker': options.partNumberMarker } : {}),
  };
  const r = await ossCall(c, () => client.sdk.listParts(ref.key, ref.uploadId, query, { timeout: client.timeoutFor(options) }));
  // xml2js yields a lone object for a one-part page and strings for every leaf.
  const raw = r.parts === undefined ? [] : Array.isArray(r.parts) ? r.parts : [r.parts];
  const parts = raw.map((p) => ({
    partNumber: Number(p.PartNumber),
    etag: p.ETag,
    size: Number(p.Size),
    ...(p.LastModified ? { lastModified: new Date(p.LastModified) } : {}),
    ...(p.HashCrc64ecma ? { crc64: parseCrc(p.HashCrc64ecma, c) } : {}),
  }));
  const isTruncated = r.isTruncated === true || r.isTruncated === 'true';
  const next = r.nextPartNumberMarker !== undefined && r.nextPartNumberMarker !== '' ? Number(r.nextPartNumberMarker) : undefined;
  return { parts, isTruncated, ...(isTruncated && next !== undefined ? { nextPartNumberMarker: next } : {}) };
}

/** Every uploaded part, ascending (at most 10,000, so an array is fine). */
export async function listAllParts(client: OssClient, ref: MultipartUploadRef, options: Omit<ListPartsOptions, 'partNumberMarker'> = {}): Promise<PartInfo[]> {
  const all: PartInfo[] = [];
  let marker: number | undefined;
  for (;;) {
    const page = await listPartsPage(client, ref, { ...options, ...(marker !== undefined ? { partNumberMarker: marker } : {}) });
    all.push(...page.parts);
    if (!page.isTruncated) break;
    const next = page.nextPartNumberMarker;
    if (next === undefined || (marker !== undefined && next <= marker)) {
      throw new OssError({ ...ctx(client, 'listParts', ref.key, ref.uploadId), kind: 'Other', code: 'BadPartNumberMarker', status: 200, message: 'truncated ListParts page without an advancing NextPartNumberMarker' });
    }
    marker = next;
  }
  return all;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface CompleteResult {
  key: string;
  etag: string;
  /** Whole-object CRC-64 (present only if every part had one). */
  crc64?: bigint;
  requestId?: string;
}

/** Completing thousands of parts can take OSS a while; never less than this unless timeoutMs says so. */
const COMPLETE_MIN_TIMEOUT_MS = 300_000;

/**
 * CompleteMultipartUpload with exactly these parts. Duplicated part numbers are refused (ali-oss would
 * silently keep the first); parts are sent in ascending order as OSS requires.
 */
export async function completeMultipartUpload(
  client: OssClient,
  ref: MultipartUploadRef,
  parts: readonly CompletedPart[],
  options: CallOptions = {},
): Promise<CompleteResult> {
  validateKey(ref.key);
  validateUploadId(ref.uploadId);
  if (parts.length === 0) throw new OssArgumentError('parts', 'at least one part is required');
  const seen = new Set<number>();
  for (const [i, p] of parts.entries()) {
    validatePartNumber(p.partNumber, `parts[${i}].partNumber`);
    if (typeof p.etag !== 'string' || !/^[^<>&]+$/.test(p.etag)) throw new OssArgumentError(`parts[${i}].etag`, 'must be a non-empty ETag');
    if (seen.has(p.partNumber)) throw new OssArgumentError(`parts[${i}].partNumber`, `part ${p.partNumber} is listed twice`);
    seen.add(p.partNumber);
  }
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ number: p.partNumber, etag: p.etag }));
  const [connect, response] = client.timeoutFor(options);
  const timeout: [number, number] = options.timeoutMs !== undefined ? [connect, response] : [connect, Math.max(response, COMPLETE_MIN_TIMEOUT_MS)];
  const c = ctx(client, 'completeMultipartUpload', ref.key, ref.uploadId);
  const r = await ossCall(c, () => client.sdk.completeMultipartUpload(ref.key, ref.uploadId, sorted, { timeout }));
  const h = r.res.headers;
  return { key: ref.key, etag: r.etag ?? header(h, 'etag') ?? '', crc64: crc64Header(h, c), requestId: requestIdOf(h) };
}

/** AbortMultipartUpload; an unknown/finished upload throws kind 'NoSuchUpload'. */
export async function abortMultipartUpload(client: OssClient, ref: MultipartUploadRef, options: CallOptions = {}): Promise<void> {
  validateKey(ref.key);
  validateUploadId(ref.uploadId);
  await ossCall(ctx(client, 'abortMultipartUpload', ref.key, ref.uploadId), () =>
    client.sdk.abortMultipartUpload(ref.key, ref.uploadId, { timeout: client.timeoutFor(options) }),
  );
}

export interface MultipartUploadSummary {
  key: string;
  uploadId: string;
  initiated?: Date;
}

export interface ListUploadsOptions extends CallOptions {
  prefix?: string;
  /** 1..1000, default 1000. */
  maxUploads?: number;
  keyMarker?: string;
  uploadIdMarker?: string;
}

export interface ListUploadsPage {
  uploads: MultipartUploadSummary[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

export async function listMultipartUploadsPage(client: OssClient, options: ListUploadsOptions = {}): Promise<ListUploadsPage> {
  const maxUploads = validatePageSize(options.maxUploads ?? MAX_LIST_PAGE, 'maxUploads');
  const query = {
    'max-uploads': maxUploads,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.keyMarker ? { 'key-marker': options.keyMarker } : {}),
    ...(options.uploadIdMarker ? { 'upload-id-marker': options.uploadIdMarker } : {}),
  };
  const r = await ossCall(ctx(client, 'listMultipartUploads', options.prefix), () =>
    client.sdk.listUploads(query, { timeout: client.timeoutFor(options) }),
  );
  const uploads = r.uploads.map((u) => {
    const initiated = u.initiated ? new Date(u.initiated) : undefined;
    return { key: u.name, uploadId: u.uploadId, ...(initiated && !Number.isNaN(initiated.getTime()) ? { initiated } : {}) };
  });
  return {
    uploads,
    isTruncated: r.isTruncated,
    ...(r.isTruncated && r.nextKeyMarker ? { nextKeyMarker: r.nextKeyMarker } : {}),
    ...(r.isTruncated && r.nextUploadIdMarker ? { nextUploadIdMarker: r.nextUploadIdMarker } : {}),
  };
}

/** Yields pages of in-progress uploads (e.g. under a prefix) until the listing ends. */
export async function* iterateMultipartUploads(
  client: OssClient,
  options: Omit<ListUploadsOptions, 'keyMarker' | 'uploadIdMarker'> = {},
): AsyncGenerator<ListUploadsPage> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await listMultipartUploadsPage(client, { ...options, keyMarker, uploadIdMarker });
    yield page;
    if (!page.isTruncated) return;
    if (!page.nextKeyMarker) {
      throw new OssError({ ...ctx(client, 'listMultipartUploads', options.prefix), kind: 'Other', code: 'MissingMarker', status: 200, message: 'truncated page without NextKeyMarker' });
    }
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}
