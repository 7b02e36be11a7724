// Reading Argo's tar+gzip artifacts as a stream: list the entries, or stream one member's bytes.
// Nothing is staged: gunzip (node:zlib) feeds tar-stream's parser, member data is drained or handed
// on with backpressure all the way to the source, and once the wanted member has ended the rest of
// the archive is never fetched (the source is destroyed, which aborts an OSS GET).
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { extract, type Extract, type Header } from 'tar-stream';
import { TGZ_MAX_BYTES_DEFAULT, TGZ_MAX_ENTRIES_DEFAULT } from '../config';

export interface TarMember {
  /** Entry path, normalized: no leading './' or '/', no trailing '/' (directories have type 'directory'). */
  name: string;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'other';
  mtime?: Date;
  mode?: number;
  linkname?: string;
}

export type TgzErrorCode = 'InvalidArchive' | 'TooManyEntries' | 'TooLarge';

/** A bad archive (gzip/tar damage, truncation) or one over a limit; source errors pass unchanged. */
export class TgzError extends Error {
  constructor(
    readonly code: TgzErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TgzError';
  }
}

// The defaults of ARGO_OSS_TGZ_MAX_ENTRIES / ARGO_OSS_TGZ_MAX_BYTES: without a byte limit a gzip bomb of a
// few MiB costs CPU-minutes.
export const DEFAULT_MAX_ENTRIES = TGZ_MAX_ENTRIES_DEFAULT;
export const DEFAULT_MAX_BYTES = TGZ_MAX_BYTES_DEFAULT;

/** What one read of an archive may cost: entries scanned and decompressed bytes, and when to stop. */
export interface TgzLimits {
  /** Entries scanned (listing: listed; member: passed over before it). Default DEFAULT_MAX_ENTRIES. */
  maxEntries?: number;
  /** Decompressed bytes (tar headers and data alike). Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Canonical form of an entry name or a requested path: Argo writes `message` and `out/`, `out/a.txt`;
 * `tar czf x.tgz -C dir .` writes `./a.txt`. Both sides go through this before an exact comparison.
 */
export function normalizeTarPath(name: string): string {
  let n = name;
  for (;;) {
    const before = n;
    n = n.replace(/^\/+/, '');
    if (n.startsWith('./')) n = n.slice(2);
    if (n === before) break;
  }
  if (n === '.') n = '';
  return n.replace(/\/+$/, '');
}

function memberOf(h: Header): TarMember {
  const type: TarMember['type'] =
    h.type === 'file' || h.type === 'contiguous-file'
      ? 'file'
      : h.type === 'directory'
        ? 'directory'
        : h.type === 'symlink'
          ? 'symlink'
          : 'other';
  const m: TarMember = { name: normalizeTarPath(h.name), size: type === 'directory' ? 0 : h.size ?? 0, type };
  if (h.mtime instanceof Date && !Number.isNaN(h.mtime.getTime())) m.mtime = h.mtime;
  if (typeof h.mode === 'number') m.mode = h.mode;
  if (h.linkname) m.linkname = h.linkname;
  return m;
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/** Counts the decompressed bytes on their way to the tar parser and fails once past `limit`. */
class ByteBudget extends Transform {
  seen = 0;
  constructor(public limit: number) {
    super({ highWaterMark: 64 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) cb(new TgzError('TooLarge', `the archive decompresses to more than ${this.limit} bytes`));
    else cb(null, chunk);
  }
}

interface Parser {
  gunzip: Gunzip;
  budget: ByteBudget;
  ex: Extract;
  /** Destroys source, gunzip and parser (idempotent). */
  teardown(): void;
}

/**
 * Wires source → gunzip → tar parser and funnels every failure into `onError` once: source errors as
 * they are, gzip/tar errors as TgzError('InvalidArchive'), an abort as the signal's reason.
 */
function startParser(source: Readable, onError: (err: Error) => void, opts: TgzLimits): Parser {
  const { signal } = opts;
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const budget = new ByteBudget(opts.maxBytes ?? DEFAULT_MAX_BYTES);
  const ex = extract();
  let failed = false;
  let torn = false;
  const teardown = (): void => {
    if (torn) return;
    torn = true;
    signal?.removeEventListener('abort', onAbort);
    source.unpipe(gunzip);
    source.destroy();
    gunzip.destroy();
    budget.destroy();
    ex.destroy();
  };
  const fail = (err: Error): void => {
    if (failed || torn) return;
    failed = true;
    onError(err);
    teardown();
  };
  const onAbort = (): void => fail(abortReason(signal!));
  source.on('error', (err: Error) => fail(err));
  gunzip.on('error', (err: Error) => fail(new TgzError('InvalidArchive', `not a valid gzip stream: ${err.message}`, { cause: err })));
  budget.on('error', (err: Error) => fail(err));
  ex.on('error', (err: Error) => fail(new TgzError('InvalidArchive', `not a valid tar archive: ${err.message}`, { cause: err })));
  // A source that ends early is caught by gunzip ("unexpected end of file"); one that is destroyed
  // without an error emits neither 'end' nor 'error', only 'close'.
  source.on('close', () => {
    if (!source.readableEnded) fail(new TgzError('InvalidArchive', 'the archive stream closed before its end'));
  });
  if (signal) {
    if (signal.aborted) queueMicrotask(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  source.pipe(gunzip);
  gunzip.pipe(budget);
  budget.pipe(ex as unknown as NodeJS.WritableStream);
  return { gunzip, budget, ex, teardown };
}

/**
 * Every entry of a tar+gzip, in archive order; member data is read and dropped, never kept. Past
 * `maxEntries` entries or `maxBytes` decompressed bytes it rejects (TooManyEntries / TooLarge).
 */
export function listTgz(source: Readable, opts: TgzLimits = {}): Promise<TarMember[]> {
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  return new Promise<TarMember[]>((resolve, reject) => {
    const members: TarMember[] = [];
    let settled = false;
    const p = startParser(
      source,
      (err) => {
        if (settled) return;
        settled = true;
        reject(err);
      },
      opts,
    );
    p.ex.on('entry', (header, stream, next) => {
      if (settled) return;
      if (members.length >= maxEntries) {
        settled = true;
        reject(new TgzError('TooManyEntries', `the archive has more than ${maxEntries} entries`));
        p.teardown();
        return;
      }
      // The parser reports its own failures on 'error'; the entry's copy would otherwise go unhandled.
      stream.on('error', () => {});
      const member = memberOf(header);
      // `tar czf x.tgz -C dir .` starts with the archive root './': nothing to list.
      if (member.name !== '') members.push(member);
      stream.on('end', () => next());
      stream.resume();
    });
    p.ex.on('finish', () => {
      if (settled) return;
      settled = true;
      p.teardown();
      resolve(members);
    });
  });
}

/**
 * Finds `path` (a file, symlink or other non-directory entry; first match wins) and resolves as soon
 * as its header is parsed, with a Readable of exactly that member's bytes. When the member ends, or
 * the returned stream is destroyed, the source is destroyed: the rest of the archive is not read.
 * undefined when the archive has no such entry (the source is then destroyed too). Failures before
 * the header reject; later ones (source, gzip, tar, abort) destroy the returned stream with the error.
 * Limits: more than `maxEntries` entries passed over rejects with TooManyEntries; when the bytes
 * decompressed before the member plus the member's size exceed `maxBytes` it rejects with TooLarge
 * before any of the member is handed out (so a served member is never cut by the limit).
 */
export function openTgzMember(source: Readable, path: string, opts: TgzLimits = {}): Promise<{ member: TarMember; stream: Readable } | undefined> {
  const wanted = normalizeTarPath(path);
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  return new Promise((resolve, reject) => {
    let scanned = 0;
    let found = false;
    let settled = false;
    let out: Readable | undefined;
    const p = startParser(
      source,
      (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        } else if (out && !out.readableEnded) out.destroy(err);
      },
      opts,
    );
    if (wanted === '') {
      settled = true;
      p.teardown();
      resolve(undefined);
      return;
    }
    p.ex.on('entry', (header, entry, next) => {
      if (found) return;
      entry.on('error', () => {}); // reported through the parser's 'error' (see startParser)
      const member = memberOf(header);
      if (member.name !== wanted || member.type === 'directory') {
        if (++scanned > maxEntries) {
          settled = true;
          reject(new TgzError('TooManyEntries', `the archive has more than ${maxEntries} entries before ${JSON.stringify(wanted)}`));
          p.teardown();
          return;
        }
        entry.on('end', () => next());
        entry.resume();
        return;
      }
      // Everything inflated so far (at most one chunk past this header) plus the member itself.
      if (p.budget.seen + member.size > p.budget.limit) {
        settled = true;
        reject(new TgzError('TooLarge', `the archive decompresses to more than ${p.budget.limit} bytes up to the end of ${JSON.stringify(wanted)}`));
        p.teardown();
        return;
      }
      // The member's bytes are paid for: the read-ahead past its end must not cut it.
      p.budget.limit = Number.POSITIVE_INFINITY;
      found = true;
      let done = false;
      const o = new Readable({
        highWaterMark: 64 * 1024,
        read() {
          entry.resume();
        },
        destroy(err, cb) {
          // The consumer went away (or a failure): stop fetching the archive at once.
          p.teardown();
          cb(err);
        },
      });
      out = o;
      entry.on('data', (chunk: unknown) => {
        if (!o.push(chunk as Buffer)) entry.pause();
      });
      entry.on('end', () => {
        if (done) return;
        done = true;
        o.push(null);
        p.teardown();
      });
      entry.pause();
      settled = true;
      resolve({ member, stream: o });
    });
    p.ex.on('finish', () => {
      if (settled) return;
      settled = true;
      p.teardown();
      resolve(undefined);
    });
  });
}
