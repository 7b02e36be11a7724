// Streams byte ranges of segment files to a response. Two reusable 1 MiB buffers alternate:
// the next read runs while the previous chunk is being written, with no per-chunk allocation
// (a stream pipeline allocates a fresh buffer per read). Memory per download: 2 MiB.
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
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  let turn = 0;
  let writing: Promise<void> = Promise.resolve();
  for (const r of ranges) {
    const fh = await open(r.path, 'r');
    try {
      let pos = r.start;
      while (pos <= r.end) {
        const buf = buffers[turn];
        turn ^= 1;
        const want = Math.min(CHUNK, r.end - pos + 1);
        // `buf` was last handed to the write two turns ago; that write must be done first.
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
