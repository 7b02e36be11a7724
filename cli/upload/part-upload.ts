// One PUT of one part to a presigned URL, with node:http(s): the body streams from a fresh Readable
// (a byte range of the file, or a spooled part), the CRC-64 is computed on the chunks as they are
// written, and the answer's x-oss-hash-crc64ecma is compared with it. Nothing is buffered beyond
// the read stream's highWaterMark and the socket's send buffer.
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { open } from 'node:fs/promises';
import type { ClientRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { Crc64, parseCrc64 } from '../../shared/crc64';
import type { PartFailure } from './retry';

/** A byte range of a file, read through reused buffers (see BufferPool). */
export interface FileRangeBody {
  path: string;
  start: number;
  end: number;
  buffers: BufferPool;
}

export interface PutPartRequest {
  url: string;
  /** The signed headers, sent verbatim (plus Content-Length). */
  headers: Record<string, string>;
  /** Exact body length. */
  length: number;
  /** The body: a file range (the fast path), or a function opening a fresh Readable per attempt. */
  body: FileRangeBody | (() => Readable);
  agents?: Agents;
  signal?: AbortSignal;
  /** Abort when no byte moves for this long (default 120 s). */
  idleTimeoutMs?: number;
  /** Bytes written to the socket, as they go (for progress). */
  onBytes?: (n: number) => void;
}

/**
 * Fixed-size read buffers shared by the part uploads. A file range is read into two of them in
 * turn (one being read while the other is being written), and a buffer is reused only after the
 * socket has taken its bytes — so memory is 2 × chunk × concurrency, allocated once, with no
 * garbage per chunk (fs.ReadStream allocates a new buffer per read, which at hundreds of MB/s
 * keeps tens of MB of dead buffers waiting for the GC).
 */
export class BufferPool {
  private free: Buffer[] = [];
  constructor(readonly chunkSize: number) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.chunkSize);
  }

  release(buf: Buffer): void {
    this.free.push(buf);
  }
}

export type PutPartResult =
  | { ok: true; etag: string; crc64: bigint; bytes: number; serverCrc64?: bigint }
  | ({ ok: false; bytes: number; crc64?: bigint } & PartFailure);

export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Keep-alive agents sized to the concurrency: sockets are reused across parts (no handshake per part). */
export function createAgents(maxSockets: number): Agents {
  const options = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

const MAX_ERROR_BODY = 64 * 1024;

function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&') : undefined;
}

/** OSS error fields from the XML body, or from x-oss-err (base64 XML) when the body is empty. */
function ossError(res: IncomingMessage, body: string): { code?: string; message?: string } {
  let xml = body;
  const err = res.headers['x-oss-err'];
  if (!xml && typeof err === 'string') xml = Buffer.from(err, 'base64').toString('utf8');
  return { code: xmlField(xml, 'Code'), message: xmlField(xml, 'Message') };
}

/**
 * PUTs one part. Resolves with the verified ETag and CRC-64, or with a PartFailure describing an
 * HTTP error, a network error (status 0) or a CRC mismatch (corrupted); rejects only when aborted
 * through `signal` or when the body stream itself fails (e.g. the file became unreadable).
 */
export function putPart(req: PutPartRequest): Promise<PutPartResult> {
  return new Promise<PutPartResult>((resolve, reject) => {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const headers: OutgoingHttpHeaders = { ...req.headers, 'Content-Length': String(req.length) };
    const hasher = new Crc64();
    let settled = false;
    /** Set once an answer arrived or the request failed: the pump stops feeding the socket. */
    let stopped = false;
    let bodyError: Error | undefined;
    let source: Readable | undefined;
    /** The file-range pump; settles once its buffers are back in the pool. */
    let pumped: Promise<void> | undefined;
    const finish = (result: PutPartResult | Error) => {
      stopped = true;
      if (settled) return;
      settled = true;
      source?.destroy();
      const settle = () => (result instanceof Error ? reject(result) : resolve(result));
      // The caller hears the outcome only after the pump has given its buffers back: the next attempt
      // reuses them instead of growing the pool. A request that did not finish its body is closed,
      // which ends the pump (its socket is mid-request, never reusable anyway).
      if (!pumped) return settle();
      if (!request.writableFinished) request.destroy();
      void pumped.then(settle, settle);
    };
    const failBody = (err: Error) => {
      bodyError = err;
      stopped = true;
      request.destroy(err);
    };
    const shortBody = () =>
      failBody(new Error(`the source gave ${hasher.bytes} bytes for a part of ${req.length} (did the file change while uploading?)`));
    const doRequest = isHttps ? httpsRequest : httpRequest;
    let request: ReturnType<typeof httpRequest>;
    try {
      request = doRequest(url, { method: 'PUT', headers, agent: isHttps ? req.agents?.https : req.agents?.http, signal: req.signal });
    } catch (err) {
      return finish(err as Error); // e.g. an invalid signed header value
    }

    request.setTimeout(req.idleTimeoutMs ?? 120_000, () => request.destroy(new Error(`no progress for ${(req.idleTimeoutMs ?? 120_000) / 1000} s`)));
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (req.signal?.aborted) return finish(req.signal.reason instanceof Error ? req.signal.reason : new Error('aborted'));
      if (bodyError) return finish(bodyError);
      finish({ ok: false, status: 0, code: err.code ?? 'NetworkError', message: err.message, bytes: hasher.bytes });
    });

    // The hash is updated inline as bytes are handed to the socket (no Transform hop per chunk),
    // and an early answer (OSS may reject before reading the body) stops the pump.
    if (typeof req.body === 'function') {
      const stream = (source = req.body());
      stream.on('data', (chunk: Buffer) => {
        if (stopped) return;
        hasher.update(chunk);
        req.onBytes?.(chunk.length);
        if (!request.write(chunk)) stream.pause();
      });
      request.on('drain', () => stream.resume());
      stream.on('end', () => (hasher.bytes !== req.length ? shortBody() : request.end()));
      stream.on('error', failBody);
    } else {
      pumped = pumpFileRange(req.body, request, hasher, req.onBytes, () => stopped);
      pumped.then(
        () => {
          if (stopped) return;
          if (hasher.bytes !== req.length) shortBody();
          else request.end();
        },
        (err: Error) => {
          if (!stopped) failBody(err);
        },
      );
    }

    request.on('response', (res) => {
      stopped = true;
      source?.pause();
      const status = res.statusCode ?? 0;
      const etag = res.headers.etag;
      const crcHeader = res.headers['x-oss-hash-crc64ecma'];
      const qos = Number(res.headers['x-oss-qos-delay-time']);
      const qosDelayMs = Number.isFinite(qos) && qos > 0 ? qos : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (status !== 200 && size < MAX_ERROR_BODY) {
          chunks.push(c);
          size += c.length;
        }
      });
      res.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, status: 0, code: err.code ?? 'NetworkError', message: err.message, bytes: hasher.bytes }));
      res.on('end', () => {
        // An answer that arrived before the whole body was sent leaves the socket mid-request:
        // never hand it back to the pool.
        if (!request.writableFinished) request.destroy();
        if (status !== 200) {
          const { code, message } = ossError(res, Buffer.concat(chunks).toString('utf8'));
          return finish({ ok: false, status, code, message, qosDelayMs, bytes: hasher.bytes });
        }
        if (hasher.bytes !== req.length) {
          return finish({ ok: false, status, corrupted: true, message: `200 after only ${hasher.bytes} of ${req.length} bytes were sent`, bytes: hasher.bytes });
        }
        const crc64 = hasher.digest();
        if (typeof etag !== 'string' || !etag) return finish({ ok: false, status: 502, code: 'MissingETag', message: 'the part response carries no ETag', bytes: hasher.bytes });
        let serverCrc64: bigint | undefined;
        if (typeof crcHeader === 'string') {
          try {
            serverCrc64 = parseCrc64(crcHeader);
          } catch {
            return finish({ ok: false, status, corrupted: true, message: `unreadable x-oss-hash-crc64ecma ${JSON.stringify(crcHeader)}`, bytes: hasher.bytes, crc64 });
          }
          if (serverCrc64 !== crc64) {
            return finish({ ok: false, status, corrupted: true, code: 'Crc64Mismatch', message: `OSS stored CRC-64 ${serverCrc64}, the bytes sent have ${crc64}`, bytes: hasher.bytes, crc64 });
          }
        }
        finish({ ok: true, etag, crc64, bytes: hasher.bytes, serverCrc64 });
      });
    });
  });
}

/**
 * Writes [start, end) of a file to the request through two pooled buffers: chunk k+1 is read while
 * chunk k is being written, and a buffer is refilled only after its write callback (the socket has
 * copied the bytes). Stops early (without error) when `stopped()` turns true.
 */
async function pumpFileRange(
  body: FileRangeBody,
  request: ClientRequest,
  hasher: Crc64,
  onBytes: ((n: number) => void) | undefined,
  stopped: () => boolean,
): Promise<void> {
  // Once the request is closed its socket writes nothing more: the buffers are free whatever the
  // state of pending write callbacks.
  const closed = new Promise<void>((resolve) => request.once('close', resolve));
  const fh = await open(body.path, 'r');
  const buffers = [body.buffers.acquire(), body.buffers.acquire()];
  const inFlight: Array<Promise<void> | undefined> = [undefined, undefined];
  try {
    let offset = body.start;
    for (let i = 0; offset < body.end && !stopped(); i ^= 1) {
      await Promise.race([inFlight[i], closed]);
      if (stopped()) break;
      const { bytesRead } = await fh.read(buffers[i], 0, Math.min(buffers[i].length, body.end - offset), offset);
      if (bytesRead === 0 || stopped()) break; // EOF before the range ends: the caller reports it
      const chunk = buffers[i].subarray(0, bytesRead);
      hasher.update(chunk);
      onBytes?.(bytesRead);
      offset += bytesRead;
      // A destroyed request calls pending write callbacks with an error; either way the buffer is free.
      inFlight[i] = new Promise<void>((resolve) => request.write(chunk, () => resolve()));
    }
  } finally {
    await Promise.race([Promise.all(inFlight), closed]);
    for (const b of buffers) body.buffers.release(b);
    await fh.close();
  }
}
