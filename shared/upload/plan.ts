// Pure planning of a multipart upload: request validation, part size, part ranges, writer shards.
// The one home of the upload geometry and its limits: the coordinator and the pod uploader (cli/) both
// import them, so a client can never split a file differently from the plan it was given.
import { invalidArgument } from '../http/errors';
import { MAX_PART_NUMBER } from '../oss/validate';
import type { WriterShard } from './protocol';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** OSS limits, exactly: parts are 100 KB (102,400 B) … 5 GiB (the last one may be smaller), ≤ 10,000 of them. */
export const MIN_PART_SIZE = 100 * KiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = MAX_PART_NUMBER;
/** 10,000 × 5 GiB = 53,687,091,200,000 B ("48.8 TB"): the largest multipart object OSS accepts. */
export const MAX_OBJECT_SIZE = MAX_PARTS * MAX_PART_SIZE;
/** Floor of the automatic part size for known sizes. */
export const DEFAULT_MIN_PART_SIZE = 16 * MiB;
/** Part size of a stream of unknown length: 10,000 × 64 MiB = 625 GiB at most; pass partSize for more. */
export const DEFAULT_STREAM_PART_SIZE = 64 * MiB;
/** Writers (fan-out shards) of one upload: the coordinator's limit, and the CLI's --writers range. */
export const MAX_WRITERS = 100;

/**
 * The automatic part size for `size` bytes:
 *   max(16 MiB, ceil(size / 10,000) rounded up to a whole MiB)
 * 16 MiB parts amortise the per-request cost (a TLS round trip, a signature, OSS's per-part commit)
 * to a few percent even at 100+ MB/s per connection, while a 1 GiB file still splits into 64 parts —
 * enough for 8–16 parallel connections to stay busy and to retry cheaply. Memory stays bounded either
 * way: the uploader streams each part from its byte range and never buffers one whole. Past
 * 156 GiB the 10,000-part limit takes over and parts grow just enough (whole MiB, so ranges stay
 * aligned and readable) — 5 GiB at OSS's 48.8 TB maximum.
 */
export function choosePartSize(size: number): number {
  const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(DEFAULT_MIN_PART_SIZE, needed));
}

/** Number of parts; a zero-byte object is one empty part (Complete needs at least one). */
export function partCountFor(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** Byte range [start, end) of part n (1-based) of a known-size upload. */
export function partRange(n: number, partSize: number, size: number): { start: number; end: number } {
  const start = (n - 1) * partSize;
  return { start, end: Math.min(start + partSize, size) };
}

/** Expected size of part n of a known-size upload. */
export function partSizeOf(n: number, partSize: number, size: number): number {
  const { start, end } = partRange(n, partSize, size);
  return end - start;
}

/**
 * Splits parts 1..partCount into `writers` contiguous shards, balanced to within one part (the first
 * partCount % writers shards get the extra one); every part is owned exactly once.
 */
export function assignWriters(partCount: number, writers: number, partSize: number, size: number): WriterShard[] {
  const base = Math.floor(partCount / writers);
  const extra = partCount % writers;
  const shards: WriterShard[] = [];
  let next = 1;
  for (let w = 1; w <= writers; w++) {
    const count = base + (w <= extra ? 1 : 0);
    const firstPart = next;
    const lastPart = next + count - 1;
    next = lastPart + 1;
    shards.push({ writer: w, firstPart, lastPart, start: (firstPart - 1) * partSize, end: Math.min(lastPart * partSize, size) });
  }
  return shards;
}

export interface PlanInput {
  size: number | null;
  partSize?: number;
  writers?: number;
}

export interface Plan {
  size: number | null;
  partSize: number;
  /** null for a stream of unknown size. */
  partCount: number | null;
  writers: WriterShard[];
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Validates size / partSize / writers and returns the plan; each error is a 400 InvalidArgument naming
 * its field. A stream (size null) gets one writer owning parts 1..10,000 (range up to 10,000 × partSize).
 */
export function planUpload(input: PlanInput): Plan {
  const { size } = input;
  if (size !== null) {
    if (!isInt(size) || size < 0) throw invalidArgument('size', `must be a whole number of bytes ≥ 0 (or null for a stream of unknown size), got ${JSON.stringify(size)}`);
    if (size > MAX_OBJECT_SIZE) throw invalidArgument('size', `${fmt(size)} bytes exceeds OSS's largest object, ${fmt(MAX_OBJECT_SIZE)} bytes (10,000 parts × 5 GiB)`);
  }
  let partSize: number;
  if (input.partSize !== undefined) {
    partSize = input.partSize;
    if (!isInt(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw invalidArgument('partSize', `must be a whole number of bytes in ${fmt(MIN_PART_SIZE)} (100 KB) … ${fmt(MAX_PART_SIZE)} (5 GiB), got ${JSON.stringify(input.partSize)}`);
    }
    if (size !== null && Math.ceil(size / partSize) > MAX_PARTS) {
      throw invalidArgument('partSize', `${fmt(size)} bytes in parts of ${fmt(partSize)} would need ${fmt(Math.ceil(size / partSize))} parts, more than OSS's 10,000; use at least ${fmt(Math.ceil(size / MAX_PARTS))}`);
    }
  } else {
    partSize = size === null ? DEFAULT_STREAM_PART_SIZE : choosePartSize(size);
  }
  const writers = input.writers ?? 1;
  if (!isInt(writers) || writers < 1 || writers > MAX_WRITERS) throw invalidArgument('writers', `must be a whole number in 1..${MAX_WRITERS}, got ${JSON.stringify(input.writers)}`);
  if (size === null) {
    if (writers !== 1) throw invalidArgument('writers', 'a stream of unknown size has a single writer; give size to split it into shards');
    return { size, partSize, partCount: null, writers: [{ writer: 1, firstPart: 1, lastPart: MAX_PARTS, start: 0, end: MAX_PARTS * partSize }] };
  }
  const partCount = partCountFor(size, partSize);
  if (writers > partCount) throw invalidArgument('writers', `${writers} writers for ${partCount} part${partCount === 1 ? '' : 's'}: each writer needs at least one part (lower writers or partSize)`);
  return { size, partSize, partCount, writers: assignWriters(partCount, writers, partSize, size) };
}
