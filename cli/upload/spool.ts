// Cuts a stream of unknown length (the tgz being made) into fixed-size parts for a multipart upload.
//
// UploadPart needs a Content-Length, and a part that fails must be re-sent, so each part's bytes have
// to sit somewhere until OSS has acknowledged them. They go to a temp file on disk, not memory: a
// part is 8 MiB … 5 GiB, and `maxSpooled` parts (default concurrency + 1) bound the disk in use, while
// memory stays at a small constant (one chunk in flight to the file). A part's file is deleted as soon
// as OSS has verified it. The CRC-64 of each part is computed while spooling, and compared again with
// what is sent, so a disk that corrupts the spool is caught too.
import { open, rm, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { Crc64 } from '../../shared/crc64';
import { MAX_PARTS } from '../../shared/upload/plan';
import { AsyncQueue, Semaphore } from './scheduler';

export interface SpooledPart {
  partNumber: number;
  path: string;
  size: number;
  crc64: bigint;
  /** Deletes the file and frees its slot (call once the part is in OSS, or on failure). */
  release(): Promise<void>;
}

export interface SpoolOptions {
  partSize: number;
  /** Parts on disk at once (being written, waiting, or uploading). */
  maxSpooled: number;
  /** Parent of the spool directory (default os.tmpdir()). */
  dir?: string;
  /** At most this many parts (default MAX_PARTS, OSS's 10,000). */
  maxParts?: number;
  signal?: AbortSignal;
}

export interface Spooler {
  /** Spooled parts in order; closed when the source has ended. */
  parts: AsyncQueue<SpooledPart>;
  /** Resolves with the totals when the source is fully spooled; rejects on a source or disk error. */
  done: Promise<{ bytes: number; parts: number }>;
  /** Removes the spool directory and whatever is left in it. */
  cleanup(): Promise<void>;
  /** Parts handed to `parts` so far (the next one to come is spooled() + 1). */
  spooled(): number;
}

export async function startSpooler(source: Readable, opts: SpoolOptions): Promise<Spooler> {
  const dir = await mkdtemp(join(opts.dir ?? tmpdir(), 'argo-oss-spool-'));
  const parts = new AsyncQueue<SpooledPart>();
  const slots = new Semaphore(Math.max(1, opts.maxSpooled));
  const maxParts = opts.maxParts ?? MAX_PARTS;
  let pushed = 0;

  const done = (async () => {
    let total = 0;
    let partNumber = 0;
    let file: Awaited<ReturnType<typeof open>> | undefined;
    let filePath = '';
    let hasher = new Crc64();
    let written = 0;

    const finishPart = async () => {
      await file!.close();
      file = undefined;
      const path = filePath;
      let released = false;
      pushed = partNumber;
      parts.push({
        partNumber,
        path,
        size: written,
        crc64: hasher.digest(),
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
          slots.release();
        },
      });
    };
    const startPart = async () => {
      if (partNumber >= maxParts) {
        throw new Error(`the stream is larger than ${maxParts} parts of ${opts.partSize} bytes: use a larger --part-size`);
      }
      await slots.acquire(opts.signal);
      partNumber++;
      filePath = join(dir, `part-${partNumber}`);
      file = await open(filePath, 'w', 0o600);
      hasher = new Crc64();
      written = 0;
    };

    try {
      for await (const data of source) {
        let chunk = data as Buffer;
        while (chunk.length > 0) {
          if (opts.signal?.aborted) throw opts.signal.reason;
          if (!file) await startPart();
          const take = Math.min(chunk.length, opts.partSize - written);
          const piece = take === chunk.length ? chunk : chunk.subarray(0, take);
          await file!.write(piece);
          hasher.update(piece);
          written += take;
          total += take;
          chunk = chunk.subarray(take);
          if (written === opts.partSize) await finishPart();
        }
      }
      // An empty source still makes one (empty) part: a multipart upload needs at least one.
      if (!file && partNumber === 0) await startPart();
      if (file) await finishPart();
      parts.close();
      return { bytes: total, parts: partNumber };
    } catch (err) {
      if (file) await file.close().catch(() => undefined);
      source.destroy();
      parts.close();
      throw err;
    }
  })();
  // The consumer observes failures through `done`; keep an early rejection from being "unhandled".
  done.catch(() => undefined);

  return {
    parts,
    done,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    spooled: () => pushed,
  };
}
