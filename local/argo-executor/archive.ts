// The executor's archive steps (argoproj/argo-workflows workflow/executor/executor.go): staging an
// output for Save and unpacking an input after Load, with the same file names and the same
// decisions. Bytes stream between files; nothing is held whole.
//
// Outputs (stageArchiveFile):
//   - a path in the main container's own filesystem ("base image"): the emissary tar+gzips it at the
//     default level into <staging>/<name>.tgz; tar (the default) uploads that; `archive: none` untars
//     it again to <staging>/<name> and uploads the directory, or a single file renamed to
//     <staging>/<basename(path)>; the key's file name is basename(path).
//   - a path on a volume both containers mount: `archive: none` uploads it in place; tar packs it at
//     the artifact's compression level into <staging>/<name>.tgz.
// Inputs (loadArtifacts): Load into <path>.tmp; a gzip'd tar (or `archive: tar`) is unpacked into
// <path>.tmpdir and its single top-level entry renamed to <path> (several entries: the directory
// itself); anything else (and `archive: none`) is renamed to <path>.
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { createTgzStream } from '../../cli/upload/tgz';

/** Go's gzip.DefaultCompression, which the emissary always uses. */
const DEFAULT_LEVEL = 6;

export interface ArchiveStrategy {
  none?: object;
  tar?: { compressionLevel?: number };
  zip?: object;
}

export class ArtifactNotFoundError extends Error {
  override name = 'ArtifactNotFoundError';
}

export interface Staged {
  /** The last path segment of the key (`<name>.tgz`, or basename(path) for `archive: none`). */
  fileName: string;
  /** What Save receives: a file, or a directory for `archive: none`. */
  localPath: string;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function tgz(source: string, target: string, level: number): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await pipeline(createTgzStream(source, { level }), createWriteStream(target));
}

/**
 * Stages output `name` found at `source` (the path as the wait container sees it). `baseImage`: the
 * path is in the main container's own filesystem rather than on a shared volume.
 */
export async function stageOutput(name: string, artPath: string, source: string, strategy: ArchiveStrategy | undefined, stagingDir: string, baseImage: boolean): Promise<Staged> {
  const s = strategy ?? { tar: {} };
  if (s.zip) throw new Error(`output ${name}: archive: zip is not supported by this harness (Argo's executor zips; this harness only does tar and none)`);
  if (!(await exists(source))) throw new ArtifactNotFoundError(`${artPath} no such file or directory`);
  const tgzName = `${name}.tgz`;
  const tgzPath = join(stagingDir, tgzName);
  if (!baseImage) {
    if (s.none) return { fileName: basename(artPath), localPath: source };
    await tgz(source, tgzPath, s.tar?.compressionLevel ?? DEFAULT_LEVEL);
    return { fileName: tgzName, localPath: tgzPath };
  }
  // The emissary copies out of the main container as a .tgz at the default level, whatever the strategy.
  await tgz(source, tgzPath, DEFAULT_LEVEL);
  if (!s.none) return { fileName: tgzName, localPath: tgzPath };
  const unarchived = join(stagingDir, name);
  await untar(tgzPath, unarchived);
  await rm(tgzPath);
  const fileName = basename(artPath);
  if ((await stat(unarchived)).isDirectory()) return { fileName, localPath: unarchived };
  const file = join(stagingDir, fileName);
  await rename(unarchived, file);
  return { fileName, localPath: file };
}

/** Argo's isTarball: gunzip works and the first tar header parses. */
export async function isTarball(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return false;
    let plain: Buffer;
    try {
      plain = gunzipSync(head.subarray(0, bytesRead), { finishFlush: 2 /* Z_SYNC_FLUSH: a prefix is enough */ });
    } catch {
      return false;
    }
    return plain.length >= 512 && validTarHeader(plain.subarray(0, 512));
  } finally {
    await fh.close();
  }
}

/** A ustar/GNU/v7 header block: a name and a checksum that matches. */
function validTarHeader(block: Buffer): boolean {
  if (block[0] === 0) return false;
  const stored = parseInt(block.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === stored;
}

/** Extracts `tarPath` (gzip'd tar) under `dir`; entries leaving `dir` are refused, as Argo refuses them. */
async function extractTo(tarPath: string, dir: string): Promise<void> {
  const root = resolve(dir);
  const ex = extract();
  const done = new Promise<void>((resolveDone, reject) => {
    ex.on('entry', (header, body, next) => {
      const target = resolve(root, header.name);
      const fail = (err: Error) => {
        body.resume();
        reject(err);
      };
      if (!target.startsWith(root + sep)) return fail(new Error(`illegal file path: ${header.name}`));
      const mode = (header.mode ?? 0o644) & 0o7777;
      void (async () => {
        if (header.type === 'directory') {
          await mkdir(target, { recursive: true });
          body.resume();
        } else if (header.type === 'file' || header.type === 'contiguous-file') {
          await mkdir(dirname(target), { recursive: true });
          await pipeline(body, createWriteStream(target, { mode }));
        } else {
          body.resume(); // links and special files: the harness's archives have none to restore
        }
      })().then(() => next(), fail);
    });
    ex.on('finish', () => resolveDone());
    ex.on('error', reject);
  });
  await Promise.all([pipeline(createReadStream(tarPath), createGunzip(), ex as unknown as Writable), done]);
}

/** Argo's untar/unpack: into `<dest>.tmpdir`, then its single entry (or the directory) becomes `dest`. */
export async function untar(tarPath: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmpdir`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await extractTo(tarPath, tmp);
  const entries = await readdir(tmp);
  if (entries.length === 1) {
    await rename(join(tmp, entries[0]), dest);
    await rm(tmp, { recursive: true });
  } else {
    await rename(tmp, dest);
  }
}

/** After Load into `<dest>.tmp`: untar, or rename; then the mode Argo gives plugin artifacts (0666 unless set). */
export async function unpackInput(tmpPath: string, dest: string, strategy: ArchiveStrategy | undefined, mode?: number, recurse = false): Promise<void> {
  if (strategy?.zip) throw new Error('archive: zip inputs are not supported by this harness');
  const isTar = strategy?.none ? false : strategy?.tar ? true : (await stat(tmpPath)).isFile() && (await isTarball(tmpPath));
  await mkdir(dirname(dest), { recursive: true });
  if (isTar) {
    await untar(tmpPath, dest);
    await rm(tmpPath, { force: true });
  } else {
    await rename(tmpPath, dest);
  }
  await chmodTree(dest, mode ?? 0o666, recurse);
}

/**
 * Argo's chmod (recursive with recurseMode). One deviation: a directory also gets the search bit
 * wherever it gets the read bit, so that a non-root test run can still enter it (Argo applies 0666 to
 * directories too, which only root-run main containers tolerate).
 */
async function chmodTree(path: string, mode: number, recurse: boolean): Promise<void> {
  const isDir = (await stat(path)).isDirectory();
  await chmod(path, isDir ? mode | ((mode & 0o444) >> 2) : mode);
  if (!recurse || !isDir) return;
  for (const child of await readdir(path)) await chmodTree(join(path, child), mode, true);
}
