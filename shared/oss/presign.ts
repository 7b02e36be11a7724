// V4 presigned URLs (OSS4-HMAC-SHA256 in the query string), signed on the public endpoint.
//
// A V4 URL signs the method, /bucket/key, every query parameter, and the request headers
// Content-Type, Content-MD5 and x-oss-* (plus any "additional" headers). Signed headers are not in
// the URL, so the caller must send exactly `headers` — and, when no Content-Type was signed, no
// Content-Type at all (beware HTTP clients that add one for string bodies).
// With STS credentials the URL also dies when the token expires, whatever `expiresSeconds` says.
import type { OssClient } from './client';
import { OssArgumentError, ossCall } from './errors';
import type { MultipartUploadRef } from './multipart';
import { validateContentMd5, validateExpires, validateKey, validatePartNumber, validateUploadId } from './validate';

export interface PresignedRequest {
  method: 'GET' | 'PUT' | 'HEAD';
  url: string;
  /** Headers the request must carry verbatim (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}

function headerValue(v: string, argument: string): string {
  if (/[\r\n]/.test(v) || v.trim() === '') throw new OssArgumentError(argument, 'must be a non-empty single-line header value');
  return v;
}

export interface PresignUploadPartOptions {
  /** URL lifetime, 1..604800 s. Keep it short (minutes) for pod uploads. */
  expiresSeconds: number;
  /** Binds the part's base64 MD5: OSS then rejects any other body with InvalidDigest. */
  contentMd5?: string;
  /** Binds a Content-Type (parts normally have none). */
  contentType?: string;
  /** Binds the exact body length (V4 additional header), so the URL cannot upload another size. */
  contentLength?: number;
}

/** Presigned UploadPart (PUT /key?partNumber=N&uploadId=ID). */
export async function presignUploadPart(
  client: OssClient,
  ref: MultipartUploadRef,
  partNumber: number,
  options: PresignUploadPartOptions,
): Promise<PresignedRequest> {
  validateKey(ref.key);
  validateUploadId(ref.uploadId);
  validatePartNumber(partNumber);
  const expires = validateExpires(options.expiresSeconds);
  const headers: Record<string, string> = {};
  if (options.contentMd5 !== undefined) headers['Content-MD5'] = validateContentMd5(options.contentMd5);
  if (options.contentType !== undefined) headers['Content-Type'] = headerValue(options.contentType, 'contentType');
  const additional: string[] = [];
  if (options.contentLength !== undefined) {
    if (!Number.isSafeInteger(options.contentLength) || options.contentLength < 0) throw new OssArgumentError('contentLength', 'must be a byte count');
    headers['Content-Length'] = String(options.contentLength);
    additional.push('content-length');
  }
  return sign(client, 'PUT', ref.key, expires, headers, { partNumber, uploadId: ref.uploadId }, additional);
}

/** response-* overrides OSS applies to the GET response (all signed). */
export interface ResponseOverrides {
  contentType?: string;
  /** e.g. an RFC 6266/5987 `attachment; filename="x"; filename*=UTF-8''x`. */
  contentDisposition?: string;
  contentLanguage?: string;
  contentEncoding?: string;
  cacheControl?: string;
  expires?: string;
}

const OVERRIDE_PARAMS: Record<keyof ResponseOverrides, string> = {
  contentType: 'response-content-type',
  contentDisposition: 'response-content-disposition',
  contentLanguage: 'response-content-language',
  contentEncoding: 'response-content-encoding',
  cacheControl: 'response-cache-control',
  expires: 'response-expires',
};

export interface PresignGetOptions {
  expiresSeconds: number;
  response?: ResponseOverrides;
  versionId?: string;
  /** HEAD instead of GET (same overrides). */
  method?: 'GET' | 'HEAD';
}

/** Presigned GetObject (or HeadObject) with optional response-* overrides. */
export async function presignGetObject(client: OssClient, key: string, options: PresignGetOptions): Promise<PresignedRequest> {
  validateKey(key);
  const expires = validateExpires(options.expiresSeconds);
  const queries: Record<string, string> = {};
  for (const [name, param] of Object.entries(OVERRIDE_PARAMS) as Array<[keyof ResponseOverrides, string]>) {
    const v = options.response?.[name];
    if (v !== undefined) queries[param] = headerValue(v, `response.${name}`);
  }
  if (options.versionId) queries.versionId = options.versionId;
  return sign(client, options.method ?? 'GET', key, expires, {}, queries, []);
}

async function sign(
  client: OssClient,
  method: PresignedRequest['method'],
  key: string,
  expires: number,
  headers: Record<string, string>,
  queries: Record<string, string | number>,
  additionalHeaders: string[],
): Promise<PresignedRequest> {
  // x-oss-date has second precision and is taken a moment later inside ali-oss: flooring now makes
  // expiresAt never later than the real expiry.
  const signedAt = Math.floor(Date.now() / 1000) * 1000;
  // ali-oss mutates neither argument here, but copies keep our return value independent.
  const url = await ossCall({ operation: 'presign', bucket: client.bucket, key }, () =>
    client.presignSdk.signatureUrlV4(method, expires, { headers: { ...headers }, queries: { ...queries } }, key, additionalHeaders.length ? additionalHeaders : undefined),
  );
  return { method, url, headers, expiresAt: new Date(signedAt + expires * 1000) };
}
