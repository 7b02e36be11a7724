// OSS signature V4 (OSS4-HMAC-SHA256): Authorization header and
// `?x-oss-signature-version=OSS4-HMAC-SHA256&…` presigned URLs.
import { createHash, createHmac } from 'node:crypto';
import { firstParam, uriEncode, type QueryParam } from './auth-query';
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
  type AuthFailure,
  type Headers,
} from './auth-shared';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
export const V4_TERMINATOR = 'aliyun_v4_request';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Longest lifetime OSS accepts for a V4 presigned URL (7 days). */
export const V4_MAX_EXPIRES_SECONDS = 604800;

/** URI-encode "/bucket/key" keeping '/'; the key is the decoded key. Path-style even for virtual hosts. */
export function v4CanonicalUri(bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return '/';
  return uriEncode(`/${bucket}/${key ?? ''}`, true);
}

/** ALL parameters (caller drops x-oss-signature), RFC 3986-encoded, sorted; bare "k" when empty. */
export function v4CanonicalQuery(params: readonly QueryParam[]): string {
  return params
    .map((p) => [uriEncode(p.nameBytes), uriEncode(p.valueBytes)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => (v === '' ? n : `${n}=${v}`))
    .join('&');
}

/** Lower-case, de-duplicated, sorted list, as used on the AdditionalHeaders line. */
export function v4NormalizeAdditionalHeaders(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))].sort();
}

/** content-type, content-md5, every x-oss-* header and the additional headers: "name:trimmed\n", sorted. */
export function v4CanonicalHeaders(headers: Headers, additionalHeaders: readonly string[]): string {
  const names = new Set(ossHeaderNames(headers));
  for (const n of ['content-type', 'content-md5']) if (headers[n] !== undefined) names.add(n);
  for (const n of additionalHeaders) names.add(n);
  return [...names]
    .sort()
    .map((n) => `${n}:${(headerValue(headers, n) ?? '').trim()}\n`)
    .join('');
}

export interface V4CanonicalRequestInput {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  /** Query parameters to sign (everything except x-oss-signature). */
  query: readonly QueryParam[];
  /** Headers with lower-case names. */
  headers: Headers;
  /** Already normalised (v4NormalizeAdditionalHeaders). */
  additionalHeaders: readonly string[];
}

export function v4CanonicalRequest(r: V4CanonicalRequestInput): string {
  return [
    r.method.toUpperCase(),
    v4CanonicalUri(r.bucket, r.key),
    v4CanonicalQuery(r.query),
    v4CanonicalHeaders(r.headers, r.additionalHeaders),
    r.additionalHeaders.join(';'),
    UNSIGNED_PAYLOAD,
  ].join('\n');
}

export function v4Scope(date: string, region: string): string {
  return `${date}/${region}/oss/${V4_TERMINATOR}`;
}

/** `datetime` is yyyymmddTHHMMSSZ; the scope date is its first 8 characters. */
export function v4StringToSign(datetime: string, region: string, canonicalRequest: string): string {
  const hash = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return `${V4_ALGORITHM}\n${datetime}\n${v4Scope(datetime.slice(0, 8), region)}\n${hash}`;
}

export function v4SigningKey(accessKeySecret: string, date: string, region: string): Buffer {
  let key: Buffer = createHmac('sha256', `aliyun_v4${accessKeySecret}`).update(date).digest();
  for (const part of [region, 'oss', V4_TERMINATOR]) key = createHmac('sha256', key).update(part).digest();
  return key;
}

/** hex(HMAC-SHA256(signingKey(secret, yyyymmdd, region), stringToSign)). */
export function v4Signature(accessKeySecret: string, date: string, region: string, stringToSign: string): string {
  return createHmac('sha256', v4SigningKey(accessKeySecret, date, region)).update(stringToSign, 'utf8').digest('hex');
}

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
}

/** "<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request". */
function parseCredential(credential: string): Scope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, product, terminator] = parts as [string, string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(date) || !region || product !== 'oss' || terminator !== V4_TERMINATOR) {
    return undefined;
  }
  return { accessKeyId, date, region };
}

/** yyyymmddTHHMMSSZ → Date, or undefined when malformed. */
export function parseV4DateTime(value: string | undefined): Date | undefined {
  const m = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject impossible values (Date.UTC would silently roll 20231340 over into 2024).
  const back = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  return back.every((v, i) => v === [y, mo, d, h, mi, s][i]) ? t : undefined;
}

/** Checks shared by header and URL: scope date matches x-oss-date, region matches the server. */
function checkScope(ctx: AuthContext, scope: Scope, datetime: string, where: string): AuthFailure | undefined {
  if (scope.date !== datetime.slice(0, 8)) {
    return invalidArgument(`Invalid signing date in ${where}.`, { SignDate: scope.date, RequestDate: datetime });
  }
  if (scope.region !== ctx.region) {
    return invalidArgument(`Invalid signing region in ${where}.`, { Region: scope.region, ExpectedRegion: ctx.region });
  }
  return undefined;
}

function compare(
  ctx: AuthContext,
  scope: Scope,
  secret: string,
  datetime: string,
  provided: string,
  query: readonly QueryParam[],
  additionalHeaders: readonly string[],
): AuthFailure | undefined {
  const canonicalRequest = v4CanonicalRequest({
    method: ctx.req.method,
    bucket: ctx.req.bucket,
    key: ctx.req.bucket === undefined ? undefined : ctx.req.key,
    query,
    headers: ctx.headers,
    additionalHeaders,
  });
  const stringToSign = v4StringToSign(datetime, scope.region, canonicalRequest);
  const expected = v4Signature(secret, scope.date, scope.region, stringToSign);
  if (safeEqual(expected, provided.toLowerCase())) return undefined;
  return signatureMismatch({
    StringToSign: stringToSign,
    CanonicalRequest: canonicalRequest,
    SignatureProvided: provided,
    OSSAccessKeyId: scope.accessKeyId,
  });
}

/** Parses "OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…" (spaces after commas allowed). */
export function parseV4Authorization(
  authorization: string,
): { credential: string; additionalHeaders: string[]; signature: string } | undefined {
  const prefix = `${V4_ALGORITHM} `;
  if (!authorization.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const item of authorization.slice(prefix.length).split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) return undefined;
    const name = item.slice(0, eq).trim();
    if (!['Credential', 'AdditionalHeaders', 'Signature'].includes(name) || fields.has(name)) return undefined;
    fields.set(name, item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature) return undefined;
  const additional = fields.get('AdditionalHeaders');
  return {
    credential,
    signature,
    additionalHeaders: additional ? v4NormalizeAdditionalHeaders(additional.split(';')) : [],
  };
}

export function verifyV4Header(ctx: AuthContext, authorization: string): AuthOutcome {
  const auth = parseV4Authorization(authorization.trim());
  const scope = auth && parseCredential(auth.credential);
  if (!auth || !scope) return invalidArgument('Authorization header is invalid.', { Authorization: authorization });

  const datetime = firstHeader(ctx.headers, 'x-oss-date');
  const requestTime = parseV4DateTime(datetime);
  if (datetime === undefined || !requestTime) {
    return accessDenied('OSS V4 authentication requires a valid x-oss-date header (yyyymmddTHHMMSSZ).');
  }
  const scopeError = checkScope(ctx, scope, datetime, 'Authorization header');
  if (scopeError) return scopeError;
  const payload = firstHeader(ctx.headers, 'x-oss-content-sha256');
  if (payload !== UNSIGNED_PAYLOAD) {
    return invalidArgument('x-oss-content-sha256 must be UNSIGNED-PAYLOAD.', { 'x-oss-content-sha256': payload ?? '' });
  }

  const cred = ctx.lookup(scope.accessKeyId);
  if (!cred) return invalidAccessKeyId(scope.accessKeyId);
  const tokenError = checkSecurityToken(cred, firstHeader(ctx.headers, 'x-oss-security-token'));
  if (tokenError) return tokenError;

  const skew = tooSkewed(requestTime, ctx);
  if (skew) return skew;

  return compare(ctx, scope, cred.accessKeySecret, datetime, auth.signature, ctx.params, auth.additionalHeaders) ?? {
    ok: true,
    accessKeyId: scope.accessKeyId,
    method: 'v4-header',
  };
}

export function verifyV4Query(ctx: AuthContext): AuthOutcome {
  const get = (name: string) => firstParam(ctx.params, name)?.value;
  const version = get('x-oss-signature-version');
  const credential = get('x-oss-credential');
  const datetime = get('x-oss-date');
  const expires = get('x-oss-expires');
  const provided = get('x-oss-signature');
  if (version !== V4_ALGORITHM) {
    return invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, { 'x-oss-signature-version': version ?? '' });
  }
  if (!credential || !datetime || !expires || !provided) {
    return invalidArgument(
      'Presigned URL requires x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters.',
    );
  }
  const scope = parseCredential(credential);
  if (!scope) return invalidArgument('x-oss-credential is invalid.', { 'x-oss-credential': credential });
  const requestTime = parseV4DateTime(datetime);
  if (!requestTime) return invalidArgument('x-oss-date is invalid.', { 'x-oss-date': datetime });
  const scopeError = checkScope(ctx, scope, datetime, 'x-oss-credential');
  if (scopeError) return scopeError;
  const seconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(seconds >= 1 && seconds <= V4_MAX_EXPIRES_SECONDS)) {
    return invalidArgument(`x-oss-expires must be between 1 and ${V4_MAX_EXPIRES_SECONDS}.`, { 'x-oss-expires': expires });
  }

  // Time window before the signature, as for V1 URLs.
  const expiresAt = new Date(requestTime.getTime() + seconds * 1000);
  if (ctx.now.getTime() > expiresAt.getTime()) return expired(expiresAt, ctx.now);
  if (requestTime.getTime() - ctx.now.getTime() > ctx.maxSkewMs) {
    return accessDenied('Request is not valid yet.', { RequestTime: requestTime.toISOString(), ServerTime: ctx.now.toISOString() });
  }

  const additionalHeaders = v4NormalizeAdditionalHeaders((get('x-oss-additional-headers') ?? '').split(';'));
  const cred = ctx.lookup(scope.accessKeyId);
  if (!cred) return invalidAccessKeyId(scope.accessKeyId);
  const tokenError = checkSecurityToken(cred, get('x-oss-security-token'));
  if (tokenError) return tokenError;

  const signed = ctx.params.filter((p) => p.name !== 'x-oss-signature');
  return compare(ctx, scope, cred.accessKeySecret, datetime, provided, signed, additionalHeaders) ?? {
    ok: true,
    accessKeyId: scope.accessKeyId,
    method: 'v4-query',
    expiresAt,
  };
}
