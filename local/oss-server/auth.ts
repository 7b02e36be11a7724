// Request authentication for the OSS-compatible server: picks the signature form
// (V1/V4, header/URL) and delegates; independent of ali-oss's signing code.
import { firstParam, parseRawQuery } from './auth-query';
import {
  DEFAULT_MAX_SKEW_MS,
  accessDenied,
  firstHeader,
  invalidArgument,
  lowerCaseHeaders,
  type AuthContext,
  type AuthOutcome,
  type AuthRequest,
  type Credential,
} from './auth-shared';
import { verifyV1Header, verifyV1Query } from './auth-v1';
import { V4_ALGORITHM, verifyV4Header, verifyV4Query } from './auth-v4';

export interface AuthOptions {
  now: Date;
  /** Server region, "cn-hangzhou" or "oss-cn-hangzhou"; V4 scopes must name it. */
  region: string;
  maxSkewMs?: number; // default 15 min
}

export function authenticate(
  req: AuthRequest,
  lookup: (accessKeyId: string) => Credential | undefined,
  opts: AuthOptions,
): AuthOutcome {
  const params = parseRawQuery(req.rawQuery);
  const headers = lowerCaseHeaders(req.headers);
  const ctx: AuthContext = {
    req,
    headers,
    params,
    lookup,
    now: opts.now,
    region: opts.region.replace(/^oss-/, ''),
    maxSkewMs: opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS,
  };

  const authorization = firstHeader(headers, 'authorization');
  const has = (name: string) => firstParam(params, name) !== undefined;
  const v1Url = has('OSSAccessKeyId') || has('Signature');
  const v4Url = has('x-oss-signature-version') || has('x-oss-credential') || has('x-oss-signature');
  const forms = [authorization !== undefined, v1Url, v4Url].filter(Boolean).length;
  if (forms > 1) {
    return invalidArgument(
      'Only one authentication mechanism is allowed: the Authorization header, a V1 presigned URL or a V4 presigned URL.',
    );
  }

  if (authorization !== undefined) {
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return verifyV4Header(ctx, authorization);
    if (authorization.startsWith('OSS ')) return verifyV1Header(ctx, authorization);
    return invalidArgument('Authorization header is invalid.', { Authorization: authorization });
  }
  if (v1Url) return verifyV1Query(ctx);
  if (v4Url) return verifyV4Query(ctx);

  // Every bucket is private, so anonymous requests never get through.
  return accessDenied(
    req.key !== undefined
      ? 'You have no right to access this object because of bucket acl.'
      : 'Anonymous access is forbidden for this operation.',
  );
}

export { DEFAULT_MAX_SKEW_MS, type AuthOutcome, type AuthRequest, type Credential } from './auth-shared';
export { parseRawQuery, uriEncode, type QueryParam } from './auth-query';
export {
  V1_SUB_RESOURCES,
  v1CanonicalizedOSSHeaders,
  v1CanonicalizedResource,
  v1Signature,
  v1StringToSign,
  type V1StringToSignParts,
} from './auth-v1';
export {
  parseV4Authorization,
  parseV4DateTime,
  v4CanonicalHeaders,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4CanonicalUri,
  v4NormalizeAdditionalHeaders,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
  type V4CanonicalRequestInput,
} from './auth-v4';
