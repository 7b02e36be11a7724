// Object attributes in and out: what PutObject / InitiateMultipartUpload / CopyObject store from
// request headers, and the metadata headers GET/HEAD return for a stored object.
import type { IncomingMessage } from 'node:http';
import { OssError, errors } from './errors';
import { header, httpDate } from './context';
import { STORAGE_CLASSES, type BucketState, type ObjectRecord, type StorageClass } from './store';
import { parseTaggingHeader, type Tags } from './tagging';

/** Representation headers OSS stores with an object and returns on GET/HEAD. */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

const MAX_USER_META_BYTES = 8 * 1024;

export interface UploadAttributes {
  contentType: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
  tags: Tags;
  storageClass: StorageClass;
  forbidOverwrite: boolean;
}

export function parseStorageClass(value: string | undefined, fallback: StorageClass): StorageClass {
  if (value === undefined || value === '') return fallback;
  const found = STORAGE_CLASSES.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!found) throw errors.invalidArgument(`Invalid storage class: ${value}`, 'x-oss-storage-class', value);
  return found;
}

export function userMeta(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-oss-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    meta[name] = v;
    bytes += name.length - 'x-oss-meta-'.length + v.length;
  }
  if (bytes > MAX_USER_META_BYTES) {
    throw new OssError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size (8 KB).', {}, 400);
  }
  return meta;
}

export function storedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = header(req, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export function uploadAttributes(req: IncomingMessage, bucket: BucketState): UploadAttributes {
  return {
    contentType: header(req, 'content-type') || 'application/octet-stream',
    headers: storedHeaders(req),
    meta: userMeta(req),
    tags: parseTaggingHeader(header(req, 'x-oss-tagging')),
    storageClass: parseStorageClass(header(req, 'x-oss-storage-class'), bucket.record.storageClass),
    forbidOverwrite: (header(req, 'x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true',
  };
}

export const quoteEtag = (etag: string): string => `"${etag}"`;

export function md5ToEtag(md5: Buffer): string {
  return md5.toString('hex').toUpperCase();
}

/** Headers describing a stored object (GET, HEAD, 304 responses). */
export function objectHeaders(rec: ObjectRecord, now = Date.now()): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': rec.contentType,
    ETag: quoteEtag(rec.etag),
    'Last-Modified': httpDate(rec.lastModified),
    'x-oss-object-type': rec.type,
    'x-oss-storage-class': rec.storageClass,
    'Accept-Ranges': 'bytes',
  };
  if (rec.crc64) h['x-oss-hash-crc64ecma'] = rec.crc64;
  if (rec.type === 'Normal' && /^[0-9A-F]{32}$/.test(rec.etag)) {
    h['Content-MD5'] = Buffer.from(rec.etag, 'hex').toString('base64');
  }
  for (const name of STORED_HEADERS) if (rec.headers[name] !== undefined) h[name] = rec.headers[name];
  for (const [name, value] of Object.entries(rec.meta)) h[name] = value;
  if (rec.tags.length) h['x-oss-tagging-count'] = String(rec.tags.length);
  if (rec.restoredUntil !== undefined) {
    h['x-oss-restore'] =
      rec.restoredUntil > now
        ? `ongoing-request="false", expiry-date="${httpDate(rec.restoredUntil)}"`
        : 'ongoing-request="false"';
  }
  return h;
}

/** Cold classes must be restored before their data can be read. */
export function isCold(rec: ObjectRecord): boolean {
  return rec.storageClass === 'Archive' || rec.storageClass === 'ColdArchive' || rec.storageClass === 'DeepColdArchive';
}

/** Compares an If-Match / If-None-Match list with an ETag ("*", quotes, W/ and case ignored). */
export function etagListMatches(list: string, etag: string): boolean {
  const target = etag.toUpperCase();
  return list.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
    return t === '*' || t === target;
  });
}
