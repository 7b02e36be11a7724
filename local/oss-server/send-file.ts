// Streams byte ranges of segment files to a response. Two reusable 1 MiB buffers alternate:
// the next read runs while the previous chunk is being written, with no per-chunk allocation
// (a stream pipeline allocates a fresh buffer per read). Memory per download: at most 2 MiB.
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const CHUNK = 1 << 20;

export interface FileRange {
  path: string;
  /** Inclusive byte offsets within the file. */
  start: number;
  end: number;
}

function write(out: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) {
      reject(new Error('response closed'));
      return;
    }
    const onClose = () => reject(new Error('response closed'));
    out.once('close', onClose);
    out.write(data, (err) => {
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Writes the ranges in order to `out` (does not end it). Rejects if the client goes away. */
export async function sendRanges(out: Writable, ranges: FileRange[]): Promise<void> {
  const total = ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
  const size = Math.max(1, Math.min(CHUNK, total)); // small objects get small buffers
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let turn = 0;
  let writing: Promise<void> = Promise.resolve();
  for (const r of ranges) {
    const fh = await open(r.path, 'r');
    try {
      let pos = r.start;
      while (pos <= r.end) {
        const buf = buffers[turn];
        turn ^= 1;
        const want = Math.min(size, r.end - pos + 1);
        // Read into `buf` while the previous chunk (the other buffer) is written. `buf`'s own
        // write, two turns back, finished before that one was issued.
        const [{ bytesRead }] = await Promise.all([fh.read(buf, 0, want, pos), writing]);
        if (bytesRead === 0) throw new Error(`segment ${r.path} is shorter than recorded`);
        pos += bytesRead;
        writing = write(out, buf.subarray(0, bytesRead));
        writing.catch(() => undefined); // observed by the next await; avoids an unhandled rejection
      }
    } finally {
      await fh.close();
    }
  }
  await writing;
}
