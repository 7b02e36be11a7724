// The bytes to upload: a file's identity (fingerprint), its part ranges (by the coordinator's own
// geometry, shared/upload/plan.ts), each range as a read stream, and the CRC-64 of a range (used to
// re-verify parts already in OSS when resuming).
import { createReadStream, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { Crc64 } from '../../shared/crc64';
import { partCountFor, partRange } from '../../shared/upload/plan';
import type { UploadPlan } from '../../shared/upload/protocol';

/** Read buffer per stream: large enough that per-chunk overhead vanishes, small enough to bound memory. */
export const READ_CHUNK = 1024 * 1024;

export interface PartRange {
  partNumber: number;
  /** [start, end) in the source. */
  start: number;
  end: number;
}

/**
 * "size:mtimeMs:ino": changes when the file is replaced or rewritten, so a changed file starts afresh.
 * Whole milliseconds: sub-millisecond mtime does not survive every copy or utimes() round trip, and
 * resume re-verifies every part's bytes anyway, so the fingerprint only has to tell uploads apart.
 */
export function fileFingerprint(stat: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>): string {
  return `${stat.size}:${Math.trunc(stat.mtimeMs)}:${stat.ino}`;
}

/**
 * Checks that a plan is consistent with the local file and returns every part's range, by the
 * coordinator's own geometry (shared/upload/plan.ts). Throws when the coordinator's plan does not
 * describe this file (a bug or a foreign upload).
 */
export function planRanges(plan: UploadPlan, size: number): PartRange[] {
  if (plan.size !== size) throw new Error(`the coordinator's plan is for ${plan.size} bytes, the file has ${size}`);
  if (!Number.isSafeInteger(plan.partSize) || plan.partSize <= 0) throw new Error(`the coordinator's plan has a bad partSize ${plan.partSize}`);
  const expected = partCountFor(size, plan.partSize);
  if (plan.partCount !== expected) throw new Error(`the coordinator's plan has ${plan.partCount} parts, ${expected} expected for ${size} bytes in parts of ${plan.partSize}`);
  return Array.from({ length: expected }, (_, i) => ({ partNumber: i + 1, ...partRange(i + 1, plan.partSize, size) }));
}

/** A read stream over [start, end) of a file (an empty stream for an empty range). */
export function openRange(path: string, start: number, end: number, highWaterMark = READ_CHUNK): Readable {
  if (end <= start) return Readable.from([]);
  // createReadStream's `end` is inclusive. A part smaller than the chunk gets a buffer of its size.
  return createReadStream(path, { start, end: end - 1, highWaterMark: Math.max(16 * 1024, Math.min(highWaterMark, end - start)) });
}

/** CRC-64 of [start, end) of a file, streamed. */
export async function crc64OfRange(path: string, start: number, end: number, signal?: AbortSignal): Promise<{ crc64: bigint; bytes: number }> {
  const hasher = new Crc64();
  const stream = openRange(path, start, end);
  try {
    for await (const chunk of stream) {
      if (signal?.aborted) throw signal.reason;
      hasher.update(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  return { crc64: hasher.digest(), bytes: hasher.bytes };
}
