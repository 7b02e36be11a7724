// OSS signature V1 (HMAC-SHA1): `Authorization: OSS ak:sig` and
// `?OSSAccessKeyId=&Expires=&Signature=` presigned URLs.
import { createHmac } from 'node:crypto';
import { firstParam, type QueryParam } from './auth-query';
import {
  accessDenied,
  checkSecurityToken,
  expired,
  firstHeader,
  headerValue,
  invalidAccessKeyId,
  invalidArgument,
  ossHeaderNames,
  safeEqual,
  signatureMismatch,
  tooSkewed,
  type AuthContext,
  type AuthOutcome,
  type Headers,
} from './auth-shared';

/**
 * Query parameters that are part of the V1 CanonicalizedResource; anything else
 * (prefix, marker, max-keys, list-type, …) is not signed. This is OSS's whitelist
 * as shipped by its SDKs (oss2 `_subresource_key_set`, newest version).
 */
export const V1_SUB_RESOURCES: ReadonlySet<string> = new Set([
  'acl', 'uploadId', 'uploads', 'partNumber', 'group', 'link', 'delete', 'website', 'location',
  'objectInfo', 'objectMeta', 'logging',
  'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding',
  'cors', 'lifecycle', 'restore', 'qos', 'referer', 'stat', 'bucketInfo', 'append', 'position',
  'security-token', 'live', 'comp', 'status', 'vod', 'startTime', 'endTime', 'x-oss-process',
  'symlink', 'callback', 'callback-var', 'tagging', 'encryption', 'versions', 'versioning', 'versionId',
  'policy', 'requestPayment', 'x-oss-traffic-limit', 'qosInfo', 'asyncFetch', 'x-oss-request-payer',
  'sequential', 'inventory', 'inventoryId', 'continuation-token', 'worm', 'wormId', 'wormExtend',
  'replication', 'replicationLocation', 'replicationProgress', 'transferAcceleration', 'cname',
  'metaQuery', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id', 'x-oss-ac-forward-allow',
  'resourceGroup', 'style', 'styleName', 'x-oss-async-process', 'regionList', 'cloudboxes',
]);

export interface V1StringToSignParts {
  method: string;
  contentMd5?: string;
  contentType?: string;
  /** Date header, x-oss-date (ali-oss) or, for URLs, the Expires value. */
  date: string;
  /** Output of v1CanonicalizedOSSHeaders: "name:value\n" per header. */
  canonicalizedOSSHeaders: string;
  canonicalizedResource: string;
}

export function v1StringToSign(p: V1StringToSignParts): string {
  return (
    `${p.method}\n${p.contentMd5 ?? ''}\n${p.contentType ?? ''}\n${p.date}\n` +
    p.canonicalizedOSSHeaders +
    p.canonicalizedResource
  );
}

export function v1Signature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}

/** Every x-oss-* header as "name:trimmed value\n", sorted; repeats joined with ','. */
export function v1CanonicalizedOSSHeaders(headers: Headers): string {
  return ossHeaderNames(headers)
    .map((name) => `${name}:${(headerValue(headers, name) ?? '').trim()}\n`)
    .join('');
}

/**
 * "/" (service), "/bucket/" (bucket) or "/bucket/key" with the DECODED key, then
 * "?" + whitelisted sub-resources sorted by name ("k" alone when the value is empty).
 */
export function v1CanonicalizedResource(
  bucket: string | undefined,
  key: string | undefined,
  params: readonly QueryParam[],
): string {
  const path = bucket === undefined ? '/' : `/${bucket}/${key ?? ''}`;
  const seen = new Map<string, string>();
  for (const p of params) {
    if (V1_SUB_RESOURCES.has(p.name) && !seen.has(p.name)) seen.set(p.name, p.value);
  }
  if (seen.size === 0) return path;
  const names = [...seen.keys()].sort();
  return `${path}?${names.map((n) => (seen.get(n) === '' ? n : `${n}=${seen.get(n)}`)).join('&')}`;
}

function stringToSignFor(ctx: AuthContext, date: string): string {
  const { req, headers, params } = ctx;
  return v1StringToSign({
    method: req.method.toUpperCase(),
    contentMd5: firstHeader(headers, 'content-md5'),
    contentType: firstHeader(headers, 'content-type'),
    date,
    canonicalizedOSSHeaders: v1CanonicalizedOSSHeaders(headers),
    canonicalizedResource: v1CanonicalizedResource(req.bucket, req.bucket === undefined ? undefined : req.key, params),
  });
}

function compare(
  ctx: AuthContext,
  accessKeyId: string,
  secret: string,
  provided: string,
  date: string,
): AuthOutcome | undefined {
  const stringToSign = stringToSignFor(ctx, date);
  if (safeEqual(v1Signature(secret, stringToSign), provided)) return undefined;
  return signatureMismatch({ StringToSign: stringToSign, SignatureProvided: provided, OSSAccessKeyId: accessKeyId });
}

/** `Authorization: OSS <ak>:<signature>`. */
export function verifyV1Header(ctx: AuthContext, authorization: string): AuthOutcome {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) return invalidArgument('Authorization header is invalid.', { Authorization: authorization });
  const accessKeyId = m[1]!;
  const provided = m[2]!;

  // ali-oss sends no Date header, only x-oss-date, and puts that in the Date slot.
  const date = firstHeader(ctx.headers, 'date') ?? firstHeader(ctx.headers, 'x-oss-date');
  const requestTime = date === undefined ? NaN : Date.parse(date);
  if (date === undefined || Number.isNaN(requestTime)) {
    return accessDenied('OSS authentication requires a valid Date.');
  }

  const cred = ctx.lookup(accessKeyId);
  if (!cred) return invalidAccessKeyId(accessKeyId);
  const tokenError = checkSecurityToken(cred, firstHeader(ctx.headers, 'x-oss-security-token'));
  if (tokenError) return tokenError;

  const skew = tooSkewed(new Date(requestTime), ctx);
  if (skew) return skew;

  return compare(ctx, accessKeyId, cred.accessKeySecret, provided, date) ?? {
    ok: true,
    accessKeyId,
    method: 'v1-header',
  };
}

/** `?OSSAccessKeyId=&Expires=&Signature=[&security-token=]`; the first of repeated params counts. */
export function verifyV1Query(ctx: AuthContext): AuthOutcome {
  const accessKeyId = firstParam(ctx.params, 'OSSAccessKeyId')?.value;
  const provided = firstParam(ctx.params, 'Signature')?.value;
  const expires = firstParam(ctx.params, 'Expires')?.value;
  if (!accessKeyId || !provided || expires === undefined) {
    return invalidArgument('Presigned URL requires the OSSAccessKeyId, Expires and Signature parameters.');
  }
  if (!/^\d{1,15}$/.test(expires)) return invalidArgument('Expires is invalid.', { Expires: expires });

  // Expiry is checked before anything else about the signature, as OSS does.
  const expiresAt = new Date(Number(expires) * 1000);
  if (ctx.now.getTime() > expiresAt.getTime()) return expired(expiresAt, ctx.now);

  const cred = ctx.lookup(accessKeyId);
  if (!cred) return invalidAccessKeyId(accessKeyId);
  const tokenError = checkSecurityToken(cred, firstParam(ctx.params, 'security-token')?.value);
  if (tokenError) return tokenError;

  return compare(ctx, accessKeyId, cred.accessKeySecret, provided, expires) ?? {
    ok: true,
    accessKeyId,
    method: 'v1-query',
    expiresAt,
  };
}
