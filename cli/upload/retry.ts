// What to do after one PUT of a part: the retry / re-sign / re-send / stop policy.
//
//   network error, 5xx, 429, throttling        → retry the same URL after backoff (full jitter)
//   403 "Request has expired" (or any 403 once
//     the URL's expiresAt has passed), or an
//     expired STS token behind the URL          → ask the coordinator for a fresh URL, then retry
//   any other 403                               → one re-sign (the signer's credentials may have
//                                                 rotated), then stop
//   CRC-64 mismatch, InvalidDigest, short body  → re-send the part (bytes were damaged in flight)
//   404 NoSuchUpload                            → stop: the upload was aborted or completed elsewhere
//   any other 4xx                               → stop with the OSS code and message
// Each class has its own budget, so a long run of expiries cannot eat the transient-error budget.
import { networkReason, noAnswer } from '../network';

export interface RetryPolicy {
  /** Attempts per part for transient failures (network, 5xx, 429); default 10. */
  transientAttempts: number;
  /** Fresh URLs per part after expiry; default 8. */
  resigns: number;
  /** Re-sends per part after a checksum mismatch; default 4. */
  resends: number;
  /** Backoff: base and cap, ms (defaults 200 ms, 20 s). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { transientAttempts: 10, resigns: 8, resends: 4, baseDelayMs: 200, maxDelayMs: 20_000 };

export type Decision =
  | { action: 'retry'; reason: string; minDelayMs?: number }
  | { action: 'resign'; reason: string }
  | { action: 'resend'; reason: string }
  | { action: 'fatal'; reason: string };

/** An HTTP answer to a part PUT that was not a verified success. */
export interface PartFailure {
  /** 0 for a network error (no answer). */
  status: number;
  code?: string;
  message?: string;
  /** Throttling hint from OSS (x-oss-qos-delay-time, ms). */
  qosDelayMs?: number;
  /** The part's bytes did not verify (CRC-64 mismatch or a short body). */
  corrupted?: boolean;
  /** Where the part was sent (scheme://host), to name it when nothing answered. */
  origin?: string;
}

const EXPIRED = /expired/i;
const EXPIRED_CODES = new Set(['SecurityTokenExpired', 'InvalidSecurityToken', 'ExpiredToken', 'RequestExpired']);
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'UploadTrafficRateLimitExceeded', 'TotalQpsLimitExceeded', 'RequestTimeout']);

/**
 * Classifies a failed attempt. `expiresAt` is the URL's expiry; `otherResigns` counts re-signs made
 * for non-expiry 403s so far (one is allowed).
 */
export function decide(failure: PartFailure, expiresAt: Date, now: Date, otherResigns: number): Decision {
  const { status, code = '', message = '' } = failure;
  const what =
    status === 0 && !failure.corrupted
      ? noAnswer('OSS', failure.origin ?? 'the part URL', networkReason(code) ? code : message || code)
      : `${status || 'network error'}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  if (failure.corrupted || code === 'InvalidDigest' || code === 'BadDigest') return { action: 'resend', reason: what };
  if (status === 0 || status >= 500 || status === 429 || THROTTLING_CODES.has(code)) {
    return { action: 'retry', reason: what, minDelayMs: failure.qosDelayMs };
  }
  if (status === 403) {
    if ((code === 'AccessDenied' && EXPIRED.test(message)) || EXPIRED_CODES.has(code) || now.getTime() >= expiresAt.getTime()) {
      return { action: 'resign', reason: what };
    }
    if (otherResigns === 0 && code !== 'RequestTimeTooSkewed') return { action: 'resign', reason: what };
    const hint = code === 'RequestTimeTooSkewed' ? ' (this machine\'s clock is off by more than 15 minutes)' : '';
    return { action: 'fatal', reason: `${what}${hint}` };
  }
  if (status === 404 && code === 'NoSuchUpload') {
    return { action: 'fatal', reason: `${what} (the upload was aborted or completed by someone else; run again to start afresh)` };
  }
  return { action: 'fatal', reason: what };
}
