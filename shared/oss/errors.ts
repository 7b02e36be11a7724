// OSS / ali-oss failures as one typed error.
//
// ali-oss errors carry `name` (= Code + 'Error'), `code`, `status`, `requestId`, `hostId`, `ecCode`.
// Bodiless responses (HEAD, streams) are synthesized: 404 -> NoSuchKey, 412 -> PreconditionFailed,
// otherwise UnknownError unless an x-oss-err header carried the XML. Network errors have status -1,
// timeouts -2; a ResponseTimeoutError may have no status at all (lib/client.js requestError).
import { retryOnReusedSocketReset } from './reused-socket';

export type OssErrorKind =
  | 'NotFound'
  | 'NoSuchUpload'
  | 'NoSuchBucket'
  | 'AccessDenied'
  | 'PreconditionFailed'
  | 'InvalidPart'
  | 'InvalidRange'
  | 'InvalidDigest'
  | 'Integrity'
  | 'TooLarge'
  | 'Throttled'
  | 'ServerError'
  | 'Network'
  | 'Timeout'
  | 'Other';

export interface OssErrorContext {
  /** Our operation name, e.g. 'headObject'. */
  operation: string;
  bucket?: string;
  key?: string;
  uploadId?: string;
}

export interface OssErrorInit extends OssErrorContext {
  kind: OssErrorKind;
  code: string;
  message: string;
  /** HTTP status; -1 network error, -2 timeout, 0 when no response was involved. */
  status: number;
  requestId?: string;
  hostId?: string;
  ecCode?: string;
  cause?: unknown;
}

const RETRYABLE: ReadonlySet<OssErrorKind> = new Set(['Network', 'Timeout', 'Throttled', 'ServerError']);

export class OssError extends Error {
  override name = 'OssError';
  readonly kind: OssErrorKind;
  readonly code: string;
  readonly status: number;
  readonly requestId?: string;
  readonly hostId?: string;
  readonly ecCode?: string;
  readonly operation: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly uploadId?: string;

  constructor(init: OssErrorInit) {
    const where = init.bucket ? ` ${init.bucket}${init.key !== undefined ? `/${init.key}` : ''}` : '';
    const rid = init.requestId ? ` [request ${init.requestId}]` : '';
    super(`${init.operation}${where}: ${init.code} (${init.status}): ${init.message}${rid}`, { cause: init.cause });
    this.kind = init.kind;
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.hostId = init.hostId;
    this.ecCode = init.ecCode;
    this.operation = init.operation;
    this.bucket = init.bucket;
    this.key = init.key;
    this.uploadId = init.uploadId;
  }

  /** Worth retrying with the same request (network, timeout, throttling, 5xx). */
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** A caller passed an invalid argument; nothing was sent. Maps to 400 at the HTTP layer. */
export class OssArgumentError extends TypeError {
  override name = 'OssArgumentError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}

export function isOssError(err: unknown, kind?: OssErrorKind): err is OssError {
  return err instanceof OssError && (kind === undefined || err.kind === kind);
}

const CODE_KINDS: Readonly<Record<string, OssErrorKind>> = {
  NoSuchKey: 'NotFound',
  NoSuchLifecycle: 'NotFound',
  NoSuchTagSet: 'NotFound',
  NoSuchUpload: 'NoSuchUpload',
  NoSuchBucket: 'NoSuchBucket',
  AccessDenied: 'AccessDenied',
  SignatureDoesNotMatch: 'AccessDenied',
  InvalidAccessKeyId: 'AccessDenied',
  SecurityTokenExpired: 'AccessDenied',
  InvalidSecurityToken: 'AccessDenied',
  RequestTimeTooSkewed: 'AccessDenied',
  PreconditionFailed: 'PreconditionFailed',
  FileAlreadyExists: 'PreconditionFailed',
  InvalidPart: 'InvalidPart',
  InvalidPartOrder: 'InvalidPart',
  EntityTooSmall: 'InvalidPart',
  InvalidRange: 'InvalidRange',
  InvalidDigest: 'InvalidDigest',
  BadDigest: 'InvalidDigest',
  Throttling: 'Throttled',
  SlowDown: 'Throttled',
  TooManyRequests: 'Throttled',
  InternalError: 'ServerError',
  ServiceUnavailable: 'ServerError',
  RequestTimeout: 'Timeout',
  ConnectionTimeoutError: 'Timeout',
  ResponseTimeoutError: 'Timeout',
  SocketAssignTimeoutError: 'Timeout',
};

const TIMEOUT_NAMES = new Set(['ConnectionTimeoutError', 'ResponseTimeoutError', 'SocketAssignTimeoutError']);

function kindFor(code: string, status: number, name: string): OssErrorKind {
  if (status === -2 || TIMEOUT_NAMES.has(name)) return 'Timeout';
  if (status === -1) return 'Network';
  const byCode = CODE_KINDS[code];
  if (byCode) return byCode;
  if (status === 404) return 'NotFound';
  if (status === 403) return 'AccessDenied';
  if (status === 412) return 'PreconditionFailed';
  if (status === 416) return 'InvalidRange';
  if (status === 429) return 'Throttled';
  if (status >= 500) return 'ServerError';
  return 'Other';
}

function field(err: Record<string, unknown>, name: string): string | undefined {
  const v = err[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const NETWORK_ERRNO = /^(ECONNRESET|ECONNREFUSED|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/;

/** Maps anything thrown by ali-oss (or node) to an OssError; OssErrors pass through unchanged. */
export function toOssError(err: unknown, ctx: OssErrorContext): OssError {
  if (err instanceof OssError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Record<string, unknown>;
  const name = field(e, 'name') ?? 'Error';
  let status = typeof e.status === 'number' ? e.status : 0;
  let code = field(e, 'code') ?? (name.endsWith('Error') && name !== 'Error' ? name.slice(0, -'Error'.length) : name);
  // Raw node/urllib errors (no HTTP status): classify by errno or name.
  if (status === 0) {
    if (TIMEOUT_NAMES.has(name)) status = -2;
    else if (NETWORK_ERRNO.test(code) || /^(ResponseError|RequestError|SocketError)$/.test(name)) status = -1;
  }
  if (TIMEOUT_NAMES.has(name)) code = name;
  const message = field(e, 'message') ?? 'unknown error';
  return new OssError({
    ...ctx,
    kind: kindFor(code, status, name),
    code,
    status,
    message: message.split('\n')[0],
    requestId: field(e, 'requestId'),
    hostId: field(e, 'hostId'),
    ecCode: field(e, 'ecCode'),
    cause: err,
  });
}

/** Requests whose repetition is not harmless: a second initiate opens another upload; a second complete can see NoSuchUpload. */
const NOT_IDEMPOTENT = new Set(['initiateMultipartUpload', 'completeMultipartUpload']);

/**
 * Runs one SDK call and rethrows its failure as an OssError with context. An idempotent request that
 * failed on a reset of a reused keep-alive socket (an FC instance thawed after a long idle) is sent once
 * more, on a new socket.
 */
export async function ossCall<T>(ctx: OssErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await retryOnReusedSocketReset(fn, !NOT_IDEMPOTENT.has(ctx.operation));
  } catch (err) {
    if (err instanceof OssArgumentError) throw err;
    throw toOssError(err, ctx);
  }
}
