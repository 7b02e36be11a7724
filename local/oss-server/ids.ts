// Identifier formats OSS uses: 24 upper-case hex request ids, 32 upper-case hex upload ids.
import { randomBytes } from 'node:crypto';

let counter = 0;

/** x-oss-request-id: 24 upper-case hex characters. */
export function newRequestId(): string {
  // Time prefix keeps ids roughly ordered in logs; random suffix keeps them unique across restarts.
  const t = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0').slice(-8);
  counter = (counter + 1) & 0xffff;
  return (t + counter.toString(16).padStart(4, '0') + randomBytes(6).toString('hex')).toUpperCase();
}

/** Upload ids sort by creation time, so ListMultipartUploads can page by (key, uploadId). */
export function newUploadId(): string {
  const t = Date.now().toString(16).padStart(12, '0').slice(-12);
  counter = (counter + 1) & 0xffff;
  return (t + counter.toString(16).padStart(4, '0') + randomBytes(8).toString('hex')).toUpperCase();
}

/** Names for data files (blobs, temp files). */
export function newFileId(): string {
  return Date.now().toString(36) + '-' + randomBytes(8).toString('hex');
}
