// The coordinator's errors, in one place: every 4xx/5xx it answers besides field validation (400,
// validate.ts / requests.ts), authentication (401/403, auth.ts) and the HTTP layer's own.
import { HttpError } from '../http/errors';
import { OssArgumentError, OssError } from '../oss';

/**
 * 404 for an upload that does not exist, belongs to another key, or belongs to another owner: the
 * same answer in every case, so a caller learns nothing about uploads that are not its own.
 */
export const noSuchUpload = (uploadId: string, key: string) => new HttpError(404, 'NoSuchUpload', `no upload ${uploadId} of key ${key}`);

export const uploadCompleted = (uploadId: string, hint = '') => new HttpError(409, 'UploadCompleted', `upload ${uploadId} is already completed${hint}`);

/** The failure recorded in a failed upload's manifest, answered again on every later call. */
export const uploadFailed = (uploadId: string, failure: { code: string; message: string; details?: unknown } | undefined) =>
  new HttpError(409, failure?.code ?? 'UploadFailed', `upload ${uploadId} failed: ${failure?.message ?? 'unknown'}`, failure?.details !== undefined ? { details: failure.details } : {});

export const checksumMismatch = (message: string, details: unknown) => new HttpError(409, 'ChecksumMismatch', message, { details });

export const sizeMismatch = (expected: number, actual: number) =>
  new HttpError(409, 'SizeMismatch', `the parts add up to ${actual} bytes, the upload was planned for ${expected}`, { details: { expected, actual } });

export const invalidPart = (message: string, details?: unknown, cause?: unknown) =>
  new HttpError(409, 'InvalidPart', message, { ...(details !== undefined ? { details } : {}), ...(cause !== undefined ? { cause } : {}) });

export const missingParts = (missing: number[]) =>
  new HttpError(409, 'MissingParts', `${missing.length} part(s) are missing: ${summarize(missing)}`, { details: { missing: missing.slice(0, 1000), missingCount: missing.length } });

export const partSizeMismatch = (wrong: Array<{ partNumber: number; expected: number; actual: number }>) =>
  new HttpError(409, 'PartSizeMismatch', `${wrong.length} part(s) do not have their planned size: ${summarize(wrong.map((w) => w.partNumber))}`, { details: { parts: wrong.slice(0, 1000) } });

export const objectChanged = (message: string, details?: unknown) => new HttpError(409, 'ObjectChanged', message, details !== undefined ? { details } : {});

export const startConflict = () => new HttpError(503, 'StartConflict', 'concurrent starts of this upload kept colliding; retry', { headers: { 'retry-after': '1' } });

/** 429: a per-workflow limit (F13) is reached; `variable` names the setting, Retry-After says when to try again. */
export const quotaExceeded = (code: 'TooManyOpenUploads' | 'TooManyBytesInFlight', variable: string, message: string, retryAfterSeconds: number) =>
  new HttpError(429, code, `${message} (${variable}); complete or abort uploads, or retry later`, {
    details: { limit: variable },
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

export function summarize(ns: number[]): string {
  const shown = ns.slice(0, 20).join(', ');
  return ns.length > 20 ? `${shown}, … (${ns.length} in all)` : shown;
}

/** Upstream failures as HTTP errors: OSS trouble is never reported as the client's fault. */
export function mapUpstreamError(err: unknown): HttpError | undefined {
  if (err instanceof OssArgumentError) return new HttpError(400, 'InvalidArgument', err.message, { field: err.argument });
  if (!(err instanceof OssError)) return undefined;
  const where = `OSS ${err.operation} failed: ${err.code}${err.requestId ? ` (request ${err.requestId})` : ''}`;
  switch (err.kind) {
    case 'NoSuchUpload':
      return new HttpError(404, 'NoSuchUpload', `${where}: the multipart upload does not exist (aborted or completed)`);
    case 'InvalidPart':
      return new HttpError(409, 'InvalidPart', `${where}: ${err.message}`);
    case 'Throttled':
    case 'ServerError':
    case 'Network':
    case 'Timeout':
      return new HttpError(503, 'UpstreamUnavailable', `${where}: ${err.message}; retry`, { headers: { 'retry-after': '2' } });
    case 'AccessDenied':
      return new HttpError(502, 'UpstreamAccessDenied', `${where}: the coordinator's OSS credentials were refused`);
    default:
      return new HttpError(502, 'UpstreamError', `${where}: ${err.message}`);
  }
}
