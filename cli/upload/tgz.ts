// A tar+gzip stream of a file or directory in Argo's own layout (argoproj/argo-workflows
// util/archive TarGzToWriter): a directory DIR becomes entries "DIR", "DIR/a", "DIR/sub/b", … —
// the directory's base name first, then its contents relative to it, depth first in lexical order
// (filepath.Walk); a single file becomes one entry named by its base name. Argo's loader expects
// exactly that one top-level entry. Symlinks are stored as links; sockets, FIFOs and devices are skipped.
// Files stream from disk into the tar packer with backpressure; nothing is read whole.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';

export interface TgzOptions {
  /** gzip level (default 6, Go's gzip.DefaultCompression as Argo uses). */
  level?: number;
  /** Called for entries that were skipped (special files). */
  onSkip?: (path: string, why: string) => void;
}

type Stat = import('node:fs').Stats;

function addEntry(pack: Pack, header: Partial<Header> & Pick<Header, 'name'>, body?: Readable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err?: Error | null) => (err ? reject(err) : resolve()));
    if (body) pipeline(body, entry as unknown as NodeJS.WritableStream).catch(reject);
    else (entry as unknown as NodeJS.WritableStream).end();
  });
}

async function addPath(pack: Pack, path: string, name: string, stat: Stat, opts: TgzOptions): Promise<void> {
  const common = { name, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: stat.uid, gid: stat.gid };
  if (stat.isDirectory()) {
    await addEntry(pack, { ...common, type: 'directory' });
    for (const child of (await readdir(path)).sort()) {
      const childPath = join(path, child);
      await addPath(pack, childPath, `${name}/${child}`, await lstat(childPath), opts);
    }
  } else if (stat.isSymbolicLink()) {
    await addEntry(pack, { ...common, type: 'symlink', linkname: await readlink(path) });
  } else if (stat.isFile()) {
    // Read exactly the size in the header: a file that grows meanwhile still yields a valid tar;
    // one that shrinks fails the entry (tar-stream reports the size mismatch).
    const body = stat.size > 0 ? createReadStream(path, { start: 0, end: stat.size - 1, highWaterMark: 1024 * 1024 }) : undefined;
    await addEntry(pack, { ...common, type: 'file', size: stat.size }, body);
  } else {
    opts.onSkip?.(path, 'not a regular file, directory or symlink');
  }
}

/** tar+gzip of `path` (a directory or a file) as a byte stream; errors surface on the stream. */
export function createTgzStream(path: string, opts: TgzOptions = {}): Readable {
  const pack = tarPack();
  const gzip = createGzip({ level: opts.level ?? 6, chunkSize: 64 * 1024, memLevel: zlibConstants.Z_DEFAULT_MEMLEVEL });
  (pack as unknown as Readable).pipe(gzip);
  (pack as unknown as Readable).on('error', (err: Error) => gzip.destroy(err));
  (async () => {
    const stat = await lstat(path);
    await addPath(pack, path, basename(path), stat, opts);
    pack.finalize();
  })().catch((err: Error) => {
    gzip.destroy(err);
    (pack as unknown as Readable).destroy(err);
  });
  return gzip;
}
