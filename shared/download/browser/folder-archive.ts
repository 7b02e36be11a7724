// "Download folder": a directory artifact (or a folder in it) streamed as a .zip or a .tar.gz built
// on the fly from OSS. The folder is listed first — up to the entry and byte caps, which answer a
// clear 413 before a single byte is sent — then each object is fetched only when its turn comes
// (pinned to the listed ETag), so memory holds one listing entry per file and a few stream buffers,
// never an object, and nothing is staged. A failure after the headers cuts the connection, so a
// broken archive can never look complete. Zip: yazl (streaming, ZIP64 past 4 GiB); tar: tar-stream.
import type { ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ZipFile } from 'yazl';
import { HttpError } from '../../http/errors';
import { getObjectStream, iterateObjectPages, type OssClient } from '../../oss';
import { contentDisposition, securityHeaders, type SecurityConfig } from '../headers';
import { pipeToResponse } from '../stream';
import { count, humanSize } from './html';

export type FolderFormat = 'zip' | 'tgz';

export interface FolderLimits {
  maxEntries: number;
  maxBytes: number;
}

export interface FolderEntry {
  /** Path inside the archive, relative to the folder ('a/b.txt'; a folder marker ends in '/'). */
  path: string;
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

// Already compressed: deflating them again costs CPU for nothing.
const STORED = /\.(gz|tgz|zip|bz2|xz|zst|7z|png|jpe?g|gif|webp|mp4|webm|mp3|parquet|whl|jar)$/i;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A relative path an archive can hold: no empty, '.' or '..' segment, no backslash or control character. */
function archivable(path: string): boolean {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  return p !== '' && !CONTROL.test(p) && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export const folderTooLarge = (what: string, limits: FolderLimits) =>
  new HttpError(
    413,
    'FolderTooLarge',
    `the folder is too large to download as one archive: ${what} (limits: ${count(limits.maxEntries)} files and ${humanSize(limits.maxBytes)}; ` +
      'ARGO_OSS_FOLDER_DOWNLOAD_MAX_ENTRIES / ARGO_OSS_FOLDER_DOWNLOAD_MAX_BYTES). Download a sub-folder, or the files one by one',
  );

/**
 * Every object under `prefix` (ending in '/'), checked against the caps and the archive's path
 * rules; undefined when nothing is there. The folder's own marker object is left out.
 */
export async function listFolder(oss: OssClient, prefix: string, limits: FolderLimits, signal: AbortSignal): Promise<FolderEntry[] | undefined> {
  const out: FolderEntry[] = [];
  let bytes = 0;
  let any = false;
  for await (const page of iterateObjectPages(oss, { prefix })) {
    if (signal.aborted) throw signal.reason;
    for (const o of page.objects) {
      any = true;
      const path = o.key.slice(prefix.length);
      if (path === '') continue;
      if (!archivable(path)) {
        throw new HttpError(422, 'UnarchivableKey', `the object ${JSON.stringify(o.key)} has a name no archive can hold (empty, '.' or '..' segments, '\\' or control characters); download the files one by one`);
      }
      if (out.length >= limits.maxEntries) throw folderTooLarge(`more than ${count(limits.maxEntries)} files`, limits);
      bytes += o.size;
      if (bytes > limits.maxBytes) throw folderTooLarge(`more than ${humanSize(limits.maxBytes)}`, limits);
      out.push({ path, key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified });
    }
  }
  return any ? out : undefined;
}

/** Opens one entry's bytes, when its turn comes. */
export type OpenEntry = (e: FolderEntry) => Promise<Readable>;

/** The bytes of `entries` as a zip, under the top folder `root`; errors (an entry's included) surface on the stream. */
export function zipStream(entries: readonly FolderEntry[], root: string, open: OpenEntry): Readable {
  const zip = new ZipFile();
  const out = zip.outputStream as PassThrough;
  const fail = (err: Error) => {
    if (!out.destroyed) out.destroy(err);
  };
  zip.on('error', fail);
  const current = stopOnClose(out);
  for (const e of entries) {
    const name = `${root}/${e.path}`;
    if (e.path.endsWith('/')) {
      zip.addEmptyDirectory(name, { mtime: e.lastModified });
      continue;
    }
    zip.addReadStreamLazy(name, { size: e.size, mtime: e.lastModified, compress: !STORED.test(e.path) && e.size > 0 }, (cb) => {
      if (out.destroyed) return;
      open(e).then(
        (stream) => {
          stream.on('error', fail);
          if (out.destroyed) return void stream.destroy();
          current.set(stream);
          cb(null, stream);
        },
        (err: Error) => fail(err),
      );
    });
  }
  zip.end();
  return out;
}

/**
 * The entry being read right now; destroyed when the archive stream closes early (the client left, or
 * a failure), so the OSS request of that entry is aborted instead of waiting on backpressure forever.
 */
function stopOnClose(out: Readable): { set(s: Readable): void } {
  let current: Readable | undefined;
  out.once('close', () => {
    if (!out.readableEnded) current?.destroy();
  });
  return { set: (s) => (current = s) };
}

function addTarEntry(pack: Pack, e: FolderEntry, name: string, open: OpenEntry, current: { set(s: Readable): void }): Promise<void> {
  if (e.path.endsWith('/')) {
    return new Promise((resolve, reject) => pack.entry({ name, type: 'directory', mtime: e.lastModified, mode: 0o755 }, (err) => (err ? reject(err) : resolve())));
  }
  return open(e).then(
    (body) =>
      new Promise<void>((resolve, reject) => {
        current.set(body);
        const sink = pack.entry({ name, type: 'file', size: e.size, mtime: e.lastModified, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
        pipeline(body, sink as unknown as NodeJS.WritableStream).catch(reject);
      }),
  );
}

/** The bytes of `entries` as a .tar.gz, under the top folder `root`; errors surface on the stream. */
export function tgzStream(entries: readonly FolderEntry[], root: string, open: OpenEntry): Readable {
  const pack = tarPack();
  const gzip = createGzip({ chunkSize: 64 * 1024 });
  const packStream = pack as unknown as Readable;
  packStream.pipe(gzip);
  packStream.on('error', (err: Error) => gzip.destroy(err));
  const current = stopOnClose(gzip);
  gzip.once('close', () => {
    if (!gzip.readableEnded) packStream.destroy();
  });
  (async () => {
    for (const e of entries) {
      if (gzip.destroyed) return;
      await addTarEntry(pack, e, `${root}/${e.path}`, open, current);
    }
    pack.finalize();
  })().catch((err: Error) => {
    gzip.destroy(err);
    packStream.destroy(err);
  });
  return gzip;
}

export function folderArchiveName(folder: string, format: FolderFormat): string {
  return `${folder}.${format === 'zip' ? 'zip' : 'tar.gz'}`;
}

export interface FolderDownload {
  res: ServerResponse;
  head: boolean;
  signal: AbortSignal;
  oss: OssClient;
  config: SecurityConfig;
  log: (line: string) => void;
  limits: FolderLimits;
}

/**
 * Answers with the folder `prefix` as an archive named after `folder`; false (nothing written) when
 * no object has that prefix.
 */
export async function serveFolderArchive(d: FolderDownload, prefix: string, folder: string, format: FolderFormat): Promise<boolean> {
  const entries = await listFolder(d.oss, prefix, d.limits, d.signal);
  if (!entries) return false;
  const fileName = folderArchiveName(folder, format);
  d.res.writeHead(200, {
    ...securityHeaders(d.config),
    'content-type': format === 'zip' ? 'application/zip' : 'application/gzip',
    'content-disposition': contentDisposition(fileName),
    // Built on the fly: no length, no ranges, no validators.
    'cache-control': 'no-store',
  });
  if (d.head) {
    d.res.end();
    return true;
  }
  const open: OpenEntry = async (e) => {
    if (d.signal.aborted) throw d.signal.reason;
    const got = await getObjectStream(d.oss, e.key, e.etag ? { ifMatch: e.etag } : {});
    return got.stream;
  };
  const body = format === 'zip' ? zipStream(entries, folder, open) : tgzStream(entries, folder, open);
  const r = await pipeToResponse(body, [], d.res);
  if (r.outcome === 'upstream-failed') d.log(`download folder ${prefix} as ${format}: failed mid-stream, connection cut: ${r.error?.message}`);
  return true;
}
