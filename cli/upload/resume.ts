// Resume without a state file: the coordinator returns the upload already in progress for this
// key+size+fingerprint, ListParts (through GET /uploads/{id}) says which parts OSS holds, and each
// of those is accepted only if its size and CRC-64 match the same byte range of the local file.
// Cost: one local read of the bytes already uploaded (CRC-64 runs at GB/s, so it is disk-bound),
// traded for never trusting a part whose bytes differ from the file.
import { parseCrc64 } from '../../shared/crc64';
import type { UploadedPart } from '../../shared/upload/protocol';
import { AsyncQueue, runPool } from './scheduler';
import { crc64OfRange, type PartRange } from './source';

export interface VerifiedPart {
  partNumber: number;
  size: number;
  etag: string;
  crc64: bigint;
}

export interface ResumeCheck {
  /** Parts in OSS whose bytes match the file: not uploaded again. */
  reused: VerifiedPart[];
  /** Parts in OSS that do not match (uploaded again, overwriting them), with the reason. */
  rejected: Array<{ partNumber: number; reason: string }>;
  /** Local bytes read to verify. */
  bytesRead: number;
}

/**
 * Verifies the parts OSS already holds against the file. Parts outside `ranges` (another writer's
 * shard, or beyond the plan) are ignored.
 */
export async function verifyUploadedParts(
  path: string,
  ranges: readonly PartRange[],
  uploaded: readonly UploadedPart[],
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<ResumeCheck> {
  const byNumber = new Map(ranges.map((r) => [r.partNumber, r]));
  const result: ResumeCheck = { reused: [], rejected: [], bytesRead: 0 };
  const queue = new AsyncQueue<{ part: UploadedPart; range: PartRange; expected: bigint }>();
  for (const part of uploaded) {
    const range = byNumber.get(part.partNumber);
    if (!range) continue;
    const length = range.end - range.start;
    if (part.size !== length) {
      result.rejected.push({ partNumber: part.partNumber, reason: `size ${part.size} in OSS, ${length} locally` });
      continue;
    }
    let expected: bigint;
    try {
      if (part.crc64 === undefined) throw new Error('no CRC-64');
      expected = parseCrc64(part.crc64);
    } catch {
      result.rejected.push({ partNumber: part.partNumber, reason: 'OSS reports no usable CRC-64 for it' });
      continue;
    }
    queue.push({ part, range, expected });
  }
  queue.close();
  await runPool(
    queue,
    options.concurrency ?? 4,
    async ({ part, range, expected }, signal) => {
      const { crc64, bytes } = await crc64OfRange(path, range.start, range.end, signal);
      result.bytesRead += bytes;
      if (bytes !== range.end - range.start) {
        result.rejected.push({ partNumber: part.partNumber, reason: `the file ended ${range.end - range.start - bytes} bytes early` });
      } else if (crc64 !== expected) {
        result.rejected.push({ partNumber: part.partNumber, reason: `CRC-64 ${expected} in OSS, ${crc64} locally (the bytes changed)` });
      } else {
        result.reused.push({ partNumber: part.partNumber, size: part.size, etag: part.etag, crc64 });
      }
    },
    options.signal,
  );
  result.reused.sort((a, b) => a.partNumber - b.partNumber);
  result.rejected.sort((a, b) => a.partNumber - b.partNumber);
  return result;
}
