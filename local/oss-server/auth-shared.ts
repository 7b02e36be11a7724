// What the dispatcher (auth.ts) and the V1 and V4 verifiers share: the request, credential and
// outcome types, header access, error outcomes, STS token rules and constant-time comparison.
// A leaf: the verifiers and the dispatcher import it, it imports none of them.
import { timingSafeEqual } from 'node:crypto';
import type { QueryParam } from './auth-query';

export interface Credential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface AuthRequest {
  method: string; // upper-case HTTP verb
  bucket: string | undefined; // undefined for service-level requests (GET /)
  key: string | undefined; // decoded object key; undefined for bucket-level requests
  rawQuery: string; // raw query string after '?', not decoded ('' when none)
  headers: Record<string, string | string[] | undefined>; // node IncomingHttpHeaders, lower-case names
}

export type AuthOutcome =
  | { ok: true; accessKeyId: string; method: 'v1-header' | 'v1-query' | 'v4-header' | 'v4-query'; expiresAt?: Date }
  | { ok: false; status: number; code: string; message: string; details?: Record<string, string> };

export type Headers = AuthRequest['headers'];
export type AuthFailure = Extract<AuthOutcome, { ok: false }>;

/** Everything a verifier needs, resolved once by the dispatcher. */
export interface AuthContext {
  req: AuthRequest;
  /** req.headers with lower-cased names. */
  headers: Headers;
  params: QueryParam[];
  lookup: (accessKeyId: string) => Credential | undefined;
  now: Date;
  /** Standard region id without the "oss-" prefix, e.g. "cn-hangzhou". */
  region: string;
  maxSkewMs: number;
}

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

export function fail(status: number, code: string, message: string, details?: Record<string, string>): AuthFailure {
  return details ? { ok: false, status, code, message, details } : { ok: false, status, code, message };
}

export const invalidArgument = (message: string, details?: Record<string, string>): AuthFailure =>
  fail(400, 'InvalidArgument', message, details);

export const accessDenied = (message: string, details?: Record<string, string>): AuthFailure =>
  fail(403, 'AccessDenied', message, details);

export const invalidAccessKeyId = (accessKeyId: string): AuthFailure =>
  fail(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
    OSSAccessKeyId: accessKeyId,
  });

export const signatureMismatch = (details: Record<string, string>): AuthFailure =>
  fail(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    details,
  );

export function expired(expiresAt: Date, now: Date): AuthFailure {
  return accessDenied('Request has expired.', { Expires: expiresAt.toISOString(), ServerTime: now.toISOString() });
}

export function tooSkewed(requestTime: Date, ctx: AuthContext): AuthFailure | undefined {
  if (Math.abs(ctx.now.getTime() - requestTime.getTime()) <= ctx.maxSkewMs) return undefined;
  return fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
    RequestTime: requestTime.toISOString(),
    ServerTime: ctx.now.toISOString(),
    MaxAllowedSkewMilliseconds: String(ctx.maxSkewMs),
  });
}

/**
 * Node decodes header bytes as latin1. When those bytes are valid UTF-8 (ali-oss with
 * headerEncoding 'latin1', or any V4 signer) recover the text the client signed;
 * otherwise keep the characters as they are (ali-oss default signs their UTF-8 form).
 */
function headerText(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** A header as a single string: repeated values (headersDistinct) are trimmed and joined with ','. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return headerText(Array.isArray(v) ? v.map((s) => s.trim()).join(',') : v);
}

/** Single-valued headers (Date, Authorization…): the first value counts. */
export function firstHeader(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return headerText(Array.isArray(v) ? (v[0] ?? '') : v);
}

/** Copy with lower-cased names; same-named entries are merged in order. */
export function lowerCaseHeaders(headers: Headers): Headers {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    (out[k.toLowerCase()] ??= []).push(...(Array.isArray(v) ? v : [v]));
  }
  const result: Headers = {};
  for (const [k, v] of Object.entries(out)) result[k] = v.length === 1 ? v[0] : v;
  return result;
}

/** Names of all x-oss-* headers present (names already lower-case), sorted by code point. */
export function ossHeaderNames(headers: Headers): string[] {
  return Object.keys(headers)
    .filter((k) => k.startsWith('x-oss-') && headers[k] !== undefined)
    .sort();
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * STS rules, following OSS's documented errors:
 * - STS key without a token → InvalidAccessKeyId (EC 0002-00000003: OSS cannot find the key);
 * - token that does not match → InvalidSecurityToken (EC 0002-00000008);
 * - token sent with a long-term key → InvalidAccessKeyId (EC 0002-00000002: judged an STS request).
 */
export function checkSecurityToken(cred: Credential, presented: string | undefined): AuthFailure | undefined {
  if (cred.securityToken !== undefined) {
    if (presented === undefined) return invalidAccessKeyId(cred.accessKeyId);
    if (!safeEqual(presented, cred.securityToken)) {
      return fail(403, 'InvalidSecurityToken', 'The security token you provided is invalid.');
    }
    return undefined;
  }
  return presented === undefined ? undefined : invalidAccessKeyId(cred.accessKeyId);
}
