// Addressing and operation detection: which bucket and key a request names (path style,
// virtual-hosted, or ali-oss "IP mode" where only the Host header carries the bucket), and which
// OSS operation the method plus sub-resources select.
import { OssError, errors } from './errors';
import { isValidBucketName } from './store';

export const ADMIN_PREFIX = '/_argo-oss';

export type Operation =
  | 'ListBuckets'
  | 'PutBucket'
  | 'DeleteBucket'
  | 'GetBucketInfo'
  | 'GetBucketLocation'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'PutBucketLifecycle'
  | 'GetBucketLifecycle'
  | 'DeleteBucketLifecycle'
  | 'DeleteMultipleObjects'
  | 'ListMultipartUploads'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectMeta'
  | 'DeleteObject'
  | 'PutObjectTagging'
  | 'GetObjectTagging'
  | 'DeleteObjectTagging'
  | 'RestoreObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Unsupported';

export interface Route {
  /** Service (no bucket), bucket or object request. */
  level: 'service' | 'bucket' | 'object';
  bucket?: string;
  key?: string;
  style: 'path' | 'virtual';
  path: string;
  /** Raw query string after '?', undecoded ('' when none). */
  rawQuery: string;
  /** Decoded parameters; the first occurrence of a repeated name wins (as in OSS). */
  query: Map<string, string>;
  operation: Operation;
  /** For Unsupported: the sub-resource or method that is not implemented. */
  unsupported?: string;
}

export interface AdminRoute {
  admin: true;
  /** Path below /_argo-oss, e.g. "/faults". */
  path: string;
  query: Map<string, string>;
}

function decodeComponent(raw: string, plusIsSpace: boolean): string {
  const text = plusIsSpace ? raw.replace(/\+/g, ' ') : raw;
  return decodeURIComponent(text);
}

/** Parses a raw query string. '+' means space (form encoding, as the Go SDK sends it). */
export function parseQuery(rawQuery: string): Map<string, string> {
  const query = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeComponent(eq < 0 ? part : part.slice(0, eq), true);
      value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1), true);
    } catch {
      throw new OssError('InvalidURI', 'Could not parse the specified URI.', { URI: rawQuery });
    }
    if (!query.has(name)) query.set(name, value);
  }
  return query;
}

/** Bucket named by a virtual-hosted Host header, if the host has that form. */
export function bucketFromHost(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '');
  let label: string | undefined;
  if (host.endsWith('.localhost')) {
    const rest = host.slice(0, -'.localhost'.length);
    if (!rest.includes('.')) label = rest;
  } else {
    // <bucket>.oss-<region>[-internal].aliyuncs.com (ali-oss IP mode sends this Host to an IP).
    const m = /^([^.]+)\.oss(?:-[a-z0-9-]+)?\.(?:aliyuncs\.com|aliyun-inc\.com)$/.exec(host);
    if (m) label = m[1];
  }
  return label !== undefined && isValidBucketName(label) ? label : undefined;
}

const MAX_KEY_BYTES = 1023;

function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new OssError('InvalidObjectName', 'The length of the object name must be less than 1024 bytes.', { ObjectName: key.slice(0, 64) });
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new OssError('InvalidObjectName', 'The object name cannot start with "/" or "\\".', { ObjectName: key });
  }
}

/** Sub-resources OSS has that this server does not implement (answered with 501). */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'cors', 'website', 'logging', 'referer', 'policy', 'versioning', 'versions', 'encryption',
  'replication', 'inventory', 'worm', 'qos', 'stat', 'cname', 'symlink', 'append', 'requestPayment',
  'transferAcceleration', 'resourceGroup', 'style', 'accessPoint', 'x-oss-process', 'objectInfo', 'tagging',
  'bucketInfo', 'location', 'lifecycle', 'delete', 'uploads', 'uploadId', 'restore', 'objectMeta',
];

function firstUnsupported(q: Map<string, string>): string | undefined {
  return UNSUPPORTED_SUBRESOURCES.find((s) => q.has(s));
}

function detectOperation(method: string, level: Route['level'], q: Map<string, string>, headers: Record<string, unknown>): [Operation, string?] {
  const has = (name: string) => q.has(name);
  if (level === 'service') {
    if (method === 'GET' && !firstUnsupported(q)) return ['ListBuckets'];
    return ['Unsupported', `${method} /`];
  }
  if (level === 'bucket') {
    switch (method) {
      case 'GET':
        if (has('lifecycle')) return ['GetBucketLifecycle'];
        if (has('uploads')) return ['ListMultipartUploads'];
        if (has('bucketInfo')) return ['GetBucketInfo'];
        if (has('location')) return ['GetBucketLocation'];
        if (firstUnsupported(q)) break;
        return q.get('list-type') === '2' ? ['ListObjectsV2'] : ['ListObjects'];
      case 'PUT':
        if (has('lifecycle')) return ['PutBucketLifecycle'];
        if (firstUnsupported(q)) break;
        return ['PutBucket'];
      case 'DELETE':
        if (has('lifecycle')) return ['DeleteBucketLifecycle'];
        if (firstUnsupported(q)) break;
        return ['DeleteBucket'];
      case 'POST':
        if (has('delete')) return ['DeleteMultipleObjects'];
        break;
      case 'HEAD':
        break;
    }
    return ['Unsupported', `${method} bucket ?${firstUnsupported(q) ?? ''}`];
  }
  const copy = headers['x-oss-copy-source'] !== undefined;
  switch (method) {
    case 'PUT':
      if (has('tagging')) return ['PutObjectTagging'];
      if (has('partNumber') || has('uploadId')) return copy ? ['UploadPartCopy'] : ['UploadPart'];
      if (firstUnsupported(q)) break;
      return copy ? ['CopyObject'] : ['PutObject'];
    case 'GET':
      if (has('tagging')) return ['GetObjectTagging'];
      if (has('uploadId')) return ['ListParts'];
      if (firstUnsupported(q)) break;
      return ['GetObject'];
    case 'HEAD':
      if (has('objectMeta')) return ['GetObjectMeta'];
      if (firstUnsupported(q)) break;
      return ['HeadObject'];
    case 'DELETE':
      if (has('tagging')) return ['DeleteObjectTagging'];
      if (has('uploadId')) return ['AbortMultipartUpload'];
      if (firstUnsupported(q)) break;
      return ['DeleteObject'];
    case 'POST':
      if (has('uploads')) return ['InitiateMultipartUpload'];
      if (has('uploadId')) return ['CompleteMultipartUpload'];
      if (has('restore')) return ['RestoreObject'];
      break;
  }
  return ['Unsupported', `${method} object ?${firstUnsupported(q) ?? ''}`];
}

/** Splits a request target into path and raw query (absolute-form targets are accepted too). */
export function splitTarget(url: string): { path: string; rawQuery: string } {
  let target = url;
  if (/^https?:\/\//i.test(target)) {
    const slash = target.indexOf('/', target.indexOf('//') + 2);
    target = slash < 0 ? '/' : target.slice(slash);
  }
  const q = target.indexOf('?');
  return q < 0 ? { path: target, rawQuery: '' } : { path: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

export function isAdminPath(path: string, hostHeader: string | undefined): boolean {
  if (bucketFromHost(hostHeader)) return false; // virtual-hosted: "/_argo-oss/x" is just a key
  return path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);
}

export function routeAdmin(url: string): AdminRoute {
  const { path, rawQuery } = splitTarget(url);
  return { admin: true, path: path.slice(ADMIN_PREFIX.length) || '/', query: parseQuery(rawQuery) };
}

/** Resolves an OSS request. Throws OssError for malformed names. */
export function route(method: string, url: string, headers: Record<string, string | string[] | undefined>): Route {
  const { path, rawQuery } = splitTarget(url);
  const query = parseQuery(rawQuery);
  const hostHeader = typeof headers.host === 'string' ? headers.host : undefined;
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    throw new OssError('InvalidURI', 'Could not parse the specified URI.', { URI: path });
  }
  if (!decodedPath.startsWith('/')) decodedPath = `/${decodedPath}`;

  let bucket: string | undefined;
  let key: string | undefined;
  let style: Route['style'];
  const hostBucket = bucketFromHost(hostHeader);
  if (hostBucket) {
    style = 'virtual';
    bucket = hostBucket;
    const rest = decodedPath.slice(1);
    key = rest === '' ? undefined : rest;
  } else {
    style = 'path';
    const rest = decodedPath.slice(1);
    if (rest !== '') {
      const slash = rest.indexOf('/');
      bucket = slash < 0 ? rest : rest.slice(0, slash);
      const k = slash < 0 ? '' : rest.slice(slash + 1);
      key = k === '' ? undefined : k;
      if (!isValidBucketName(bucket)) {
        throw new OssError('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
      }
    }
  }
  if (key !== undefined) checkKey(key);
  const level: Route['level'] = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
  const [operation, unsupported] = detectOperation(method, level, query, headers);
  return { level, bucket, key, style, path, rawQuery, query, operation, unsupported };
}

/** Throws NotImplemented for routes this server does not serve. */
export function assertSupported(r: Route): void {
  if (r.operation === 'Unsupported') throw errors.notImplemented(r.unsupported ?? 'This operation');
}
