// Pass-through stream that CRC-64s the bytes flowing through it, without buffering them.

import { Transform, type TransformCallback } from 'node:stream';
import { Crc64 } from './hash';

export class Crc64Stream extends Transform {
  private readonly hasher = new Crc64();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hasher.update(chunk);
    callback(null, chunk);
  }

  /** Bytes that have passed through so far. */
  get bytes(): number {
    return this.hasher.bytes;
  }

  /** CRC-64 of the bytes so far (final once the stream has ended). */
  digest(): bigint {
    return this.hasher.digest();
  }
}

/**
 * A Transform that passes bytes through unchanged while hashing them, e.g.
 *   const crc = createCrc64Stream();
 *   await pipeline(source, crc, destination);
 *   crc.digest(); crc.bytes;
 */
export function createCrc64Stream(): Crc64Stream {
  return new Crc64Stream();
}
