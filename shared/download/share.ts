// Share links: `?expires=<unix seconds>&signature=<base64url HMAC-SHA256(secret, "GET\n<path>\n<expires>")>`
// `&grant=<base64url HMAC-SHA256(secret, "KEY\n<path>\n<expires>\n<artifact key>")>` on one canonical
// artifact path. Whoever holds the link may GET/HEAD exactly that path until it expires, without a
// cluster token; any other path, a changed expiry or another secret fails. The grant binds the link to
// the object key the artifact had when the link was made (and its maker was allowed to read): a later
// edit of the workflow's status that points the artifact elsewhere voids the link.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError, invalidArgument } from '../http/errors';

export const SHARE_METHOD = 'GET';

export function shareSignature(secret: string, path: string, expires: number): string {
  return createHmac('sha256', secret).update(`${SHARE_METHOD}\n${path}\n${expires}`).digest('base64url');
}

/** Binds a link to the artifact's key, without putting the key in the URL. */
export function shareGrant(secret: string, path: string, expires: number, key: string): string {
  return createHmac('sha256', secret).update(`KEY\n${path}\n${expires}\n${key}`).digest('base64url');
}

export interface ShareParams {
  expires: number;
  signature: string;
  /** Absent only in links made before grants existed; such links are refused (after the signature check). */
  grant?: string;
}

/** The share parameters of a query, validated; undefined when the request is not a share link. */
export function shareParams(query: URLSearchParams): ShareParams | undefined {
  const expires = query.get('expires');
  const signature = query.get('signature');
  const grant = query.get('grant');
  if (expires === null && signature === null) {
    if (grant !== null) throw invalidArgument('grant', 'belongs to a share link: expires and signature are required with it');
    return undefined;
  }
  if (expires === null) throw invalidArgument('expires', 'is required with signature');
  if (signature === null) throw invalidArgument('signature', 'is required with expires');
  if (!/^\d{1,12}$/.test(expires)) throw invalidArgument('expires', 'must be a Unix time in seconds');
  if (!/^[A-Za-z0-9_-]{43}$/.test(signature)) throw invalidArgument('signature', 'must be 43 base64url characters');
  if (grant !== null && !/^[A-Za-z0-9_-]{43}$/.test(grant)) throw invalidArgument('grant', 'must be 43 base64url characters');
  return { expires: Number(expires), signature, ...(grant !== null ? { grant } : {}) };
}

export const sharingDisabled = () =>
  new HttpError(501, 'ShareLinksDisabled', 'share links are disabled on this deployment (ARGO_OSS_SHARE_SECRET is not set)');

/** Constant-time string comparison. */
function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws 403 unless the link is valid for `path` at `nowSeconds`; 501 when sharing is off. */
export function verifyShare(params: ShareParams, path: string, secret: string | undefined, nowSeconds: number): void {
  if (!secret) throw sharingDisabled();
  // Checked before the expiry, so an expired link is only reported as such when it is genuine.
  if (!equal(shareSignature(secret, path, params.expires), params.signature)) {
    throw new HttpError(403, 'InvalidShareLink', 'the share link is not valid for this path');
  }
  if (params.expires <= nowSeconds) throw new HttpError(403, 'ShareLinkExpired', `the share link expired at ${new Date(params.expires * 1000).toISOString()}`);
}

/** Throws 403 unless the (already verified) link was made for the artifact now stored at `key`. */
export function verifyShareGrant(params: ShareParams, path: string, key: string, secret: string): void {
  if (!equal(shareGrant(secret, path, params.expires, key), params.grant ?? '')) {
    throw new HttpError(403, 'InvalidShareLink', 'the share link was made for another object than the one this artifact names now; ask for a new link');
  }
}

export interface ShareRequest {
  /** The artifact path as a user would open it (absolute path, optionally a full URL). */
  path: string;
  ttlSeconds: number;
}

/** `POST /share` body: `{ path, ttlSeconds? }` (ttl 1..max, default min(3600, max)). */
export function parseShareRequest(body: Record<string, unknown>, maxTtlSeconds: number): ShareRequest {
  for (const k of Object.keys(body)) if (k !== 'path' && k !== 'ttlSeconds') throw invalidArgument(k, 'is not a field of a share request (path, ttlSeconds)');
  let path = body.path;
  if (typeof path !== 'string' || path.trim() === '') throw invalidArgument('path', 'is required: the artifact path to share, e.g. /artifacts/argo/my-wf/my-wf-123/main-logs');
  if (/^https?:\/\//i.test(path)) {
    const rest = path.replace(/^https?:\/\/[^/?#]*/i, '');
    path = rest === '' ? '/' : rest;
  }
  if (/[?#]/.test(path as string)) throw invalidArgument('path', 'must not carry a query or fragment');
  const ttl = body.ttlSeconds ?? Math.min(3600, maxTtlSeconds);
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > maxTtlSeconds) {
    throw invalidArgument('ttlSeconds', `must be an integer from 1 to ${maxTtlSeconds}`);
  }
  return { path: path as string, ttlSeconds: ttl };
}
