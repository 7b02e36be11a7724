// Save and SaveStream: bytes into OSS through the coordinator's presigned multipart flow, with the
// pod uploader (cli/upload): parts in parallel straight from the file, CRC-64 per part and for the
// whole object, resumable. Argo never retries Save, so a failed upload is resumed here a few times
// before the call fails; a killed plugin's upload is resumed by the next Save of the same file.
import { lstat, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CoordinatorError } from '../../shared/upload/client';
import { validateArtifactKey } from '../../shared/tenancy';
import { HttpError } from '../../shared/http/errors';
import { createAgents, type Agents } from '../upload/part-upload';
import { backoffDelay, sleep } from '../../shared/backoff';
import { AsyncQueue, runPool } from '../upload/scheduler';
import { DEFAULT_CONCURRENCY, UploadError, uploadFile, uploadStream, type UploadSummary } from '../upload/upload';
import { Code, PluginError, type CallContext } from './context';

/** Whole-upload attempts per file (each resumes what the previous one left in OSS). */
export const SAVE_ATTEMPTS = 4;
/** Files of a directory artifact uploaded at once (each with its own parts in parallel). */
const DIRECTORY_FILES_IN_FLIGHT = 4;
const MiB = 1024 * 1024;
/** Part size of a SaveStream when the configuration names none: 10,000 × 16 MiB = 156 GiB at most. */
export const STREAM_PART_SIZE = 16 * MiB;

export interface SaveOptions {
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface SaveResult {
  directory: boolean;
  objects: number;
  bytes: number;
  resumedParts: number;
}

/** Worth another whole attempt: the upload may resume (or start afresh) and succeed. */
function worthRetrying(err: unknown): boolean {
  if (err instanceof UploadError) return err.resumable || ['VerificationFailed', 'SourceChanged', 'PartFailed', 'PartCorrupted'].includes(err.code) || /NoSuchUpload/.test(err.message);
  if (err instanceof CoordinatorError) return err.retryable;
  return false;
}

function asPluginError(err: unknown, key: string): unknown {
  if (err instanceof UploadError) {
    const code = err.code === 'BadSource' ? Code.NOT_FOUND : err.code === 'Forbidden' ? Code.PERMISSION_DENIED : err.code === 'Unauthorized' ? Code.UNAUTHENTICATED : err.code === 'InvalidArgument' ? Code.INVALID_ARGUMENT : Code.UNAVAILABLE;
    return new PluginError(`save ${key}: ${err.message}`, code, { cause: err });
  }
  return err;
}

async function uploadWithRetries(ctx: CallContext, path: string, key: string, options: SaveOptions, agents?: Agents): Promise<UploadSummary> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await uploadFile({
        coordinator: ctx.client,
        key,
        path,
        concurrency: ctx.config.concurrency ?? DEFAULT_CONCURRENCY,
        partSize: ctx.config.partSize,
        progress: 'none',
        log: (line) => options.log(`save ${key}: ${line}`),
        signal: options.signal,
        ...(agents ? { agents } : {}),
      });
    } catch (err) {
      if (options.signal.aborted || attempt >= SAVE_ATTEMPTS || !worthRetrying(err)) throw asPluginError(err, key);
      const delay = backoffDelay(attempt, 1000, 15_000);
      options.log(`save ${key}: ${(err as Error).message}; attempt ${attempt + 1} of ${SAVE_ATTEMPTS} in ${delay} ms (resumes the parts already in OSS)`);
      await sleep(delay, options.signal);
    }
  }
}

/** Every regular file under `dir` (symlinks to files followed), as [absolute path, '/'-separated relative path]. */
async function filesUnder(dir: string, log: (line: string) => void): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const walk = async (abs: string, rel: string) => {
    const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childAbs = join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(childAbs, childRel);
      else if (e.isFile()) out.push([childAbs, childRel]);
      else if (e.isSymbolicLink()) {
        const target = await stat(childAbs).catch(() => undefined);
        if (target?.isFile()) out.push([childAbs, childRel]);
        else log(`skipped ${childRel}: a symbolic link to ${target?.isDirectory() ? 'a directory' : 'nothing readable'}`);
      } else log(`skipped ${childRel}: not a regular file`);
    }
  };
  await walk(dir, '');
  return out;
}

/**
 * Save(path, key): a file becomes the object `key`; a directory (Argo's `archive: none`) becomes one
 * object per file under `key/` (relative paths with '/'; empty directories are not kept).
 */
export async function save(ctx: CallContext, path: string, options: SaveOptions): Promise<SaveResult> {
  if (!path) throw new PluginError('path is required (the file or directory to save)', Code.INVALID_ARGUMENT);
  const st = await lstat(path).then(
    (s) => (s.isSymbolicLink() ? stat(path) : s),
    (err: NodeJS.ErrnoException) => {
      throw new PluginError(`path ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, err.code === 'ENOENT' ? Code.NOT_FOUND : Code.INTERNAL);
    },
  );
  if (st.isFile()) {
    const s = await uploadWithRetries(ctx, path, ctx.key, options);
    return { directory: false, objects: 1, bytes: s.size, resumedParts: s.partsReused };
  }
  if (!st.isDirectory()) throw new PluginError(`path ${path} is neither a file nor a directory`, Code.INVALID_ARGUMENT);

  const files = await filesUnder(path, (line) => options.log(`save ${ctx.key}/: ${line}`));
  // Every key is checked before anything is sent: a name the coordinator would refuse fails the Save whole.
  const items = files.map(([abs, rel]) => {
    const key = `${ctx.key}/${rel}`;
    try {
      validateArtifactKey(key, '', 'key');
    } catch (err) {
      if (err instanceof HttpError) throw new PluginError(`cannot save ${abs} as ${JSON.stringify(key)}: ${err.message}`, Code.INVALID_ARGUMENT);
      throw err;
    }
    return { abs, key };
  });
  if (items.length === 0) options.log(`save ${ctx.key}/: the directory ${path} has no files; nothing to upload`);
  const agents = createAgents((ctx.config.concurrency ?? DEFAULT_CONCURRENCY) * DIRECTORY_FILES_IN_FLIGHT);
  const result: SaveResult = { directory: true, objects: 0, bytes: 0, resumedParts: 0 };
  try {
    const queue = new AsyncQueue<(typeof items)[number]>();
    for (const i of items) queue.push(i);
    queue.close();
    await runPool(
      queue,
      DIRECTORY_FILES_IN_FLIGHT,
      async (item) => {
        const s = await uploadWithRetries(ctx, item.abs, item.key, options, agents);
        result.objects++;
        result.bytes += s.size;
        result.resumedParts += s.partsReused;
      },
      options.signal,
    );
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
  return result;
}

/**
 * SaveStream: the bytes arrive as gRPC frames (`chunks`, after the metadata frame) and go into one
 * multipart upload as they come: cut into parts spooled to a bounded number of temp files
 * (concurrency + 1 parts; the stream is paused, and so the client by gRPC flow control, while they
 * are full), never the whole body. A stream cannot be produced again, so a failure aborts the upload.
 */
export async function saveStream(ctx: CallContext, chunks: AsyncIterable<Buffer>, options: SaveOptions): Promise<SaveResult> {
  const source = Readable.from(chunks, { objectMode: false, highWaterMark: 1 });
  try {
    const s = await uploadStream(source, {
      coordinator: ctx.client,
      key: ctx.key,
      concurrency: ctx.config.concurrency ?? 4,
      partSize: ctx.config.partSize ?? STREAM_PART_SIZE,
      spoolDir: tmpdir(),
      progress: 'none',
      log: (line) => options.log(`save-stream ${ctx.key}: ${line}`),
      signal: options.signal,
    });
    return { directory: false, objects: 1, bytes: s.size, resumedParts: 0 };
  } catch (err) {
    throw asPluginError(err, ctx.key);
  } finally {
    source.destroy();
  }
}
