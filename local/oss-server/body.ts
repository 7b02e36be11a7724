// Request bodies. Uploads stream to a temp file through one Transform that feeds MD5 and CRC-64
// in the same pass (no second read); small XML/JSON bodies are read into memory with a cap.
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../shared/crc64';
import { OssError, errors } from './errors';
import { createMd5Sink, type Md5Sink } from './md5-offload';

export const FILE_HIGH_WATER_MARK = 1 << 20;

export interface ReceivedBody {
  size: number;
  md5: Buffer;
  crc64: string;
}

class HashingTransform extends Transform {
  readonly crc = new Crc64();
  size = 0;

  constructor(
    private readonly maxBytes: number,
    readonly md5: Md5Sink,
  ) {
    super({ highWaterMark: FILE_HIGH_WATER_MARK });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new OssError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: this.maxBytes }));
      return;
    }
    let wait: Promise<void> | undefined;
    try {
      wait = this.md5.update(chunk);
      this.crc.update(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (wait) wait.then(() => done(null, chunk), done);
    else done(null, chunk);
  }
}

/**
 * Decodes a Content-MD5 header: undefined when absent; InvalidDigest (EC 0017-00000502) when it
 * is not base64 of 16 bytes.
 */
export function parseContentMd5(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const buf = Buffer.from(trimmed, 'base64');
  if (buf.length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(trimmed)) {
    throw errors.invalidDigest('The Content-MD5 you specified is not valid.', '0017-00000502');
  }
  return buf;
}

/**
 * Streams `source` into `path`, hashing on the way. On any failure (client abort, size limit,
 * digest mismatch) the file is removed and the error rethrown; nothing partial stays on disk.
 */
export async function receiveToFile(
  source: Readable,
  path: string,
  opts: { maxBytes: number; expectedMd5?: Buffer; expectedLength?: number },
): Promise<ReceivedBody> {
  const hasher = new HashingTransform(opts.maxBytes, createMd5Sink(opts.expectedLength));
  try {
    await pipeline(source, hasher, createWriteStream(path, { highWaterMark: FILE_HIGH_WATER_MARK }));
    if (opts.expectedLength !== undefined && hasher.size !== opts.expectedLength) {
      throw new OssError('IncompleteBody', 'The request body is shorter than Content-Length.', {}, 400);
    }
    const md5 = await hasher.md5.digest();
    if (opts.expectedMd5 && !md5.equals(opts.expectedMd5)) {
      throw errors.invalidDigest('The Content-MD5 you specified did not match what we received.', '0017-00000503');
    }
    return { size: hasher.size, md5, crc64: hasher.crc.toString() };
  } catch (err) {
    hasher.md5.discard();
    await fsp.rm(path, { force: true });
    throw err;
  }
}

/** Reads a small body (XML/JSON) fully; bounded so a hostile client cannot exhaust memory. */
export async function readSmallBody(source: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new OssError('EntityTooLarge', 'Your proposed request body exceeds the maximum allowed size.', { MaxSizeAllowed: maxBytes });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** base64 MD5 of a buffer, compared with an optional Content-MD5 header. */
export function checkBufferMd5(body: Buffer, header: string | undefined): void {
  const expected = parseContentMd5(header);
  if (!expected) return;
  if (!createHash('md5').update(body).digest().equals(expected)) {
    throw errors.invalidDigest('The Content-MD5 you specified did not match what we received.', '0017-00000503');
  }
}
