// A file of random bytes for the benchmarks, written in 16 MiB chunks; returns its CRC-64.
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Crc64 } from '../shared/crc64';

const MiB = 1024 * 1024;

export async function makeRandomFile(path: string, bytes: number): Promise<bigint> {
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(16 * MiB);
  const hasher = new Crc64();
  try {
    for (let written = 0; written < bytes; ) {
      const n = Math.min(chunk.length, bytes - written);
      randomFillSync(chunk, 0, n);
      await fh.write(chunk, 0, n);
      hasher.update(chunk.subarray(0, n));
      written += n;
    }
  } finally {
    await fh.close();
  }
  return hasher.digest();
}
