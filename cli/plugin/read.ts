// Load, OpenStream, ListObjects, IsDirectory and Delete, through the coordinator's object endpoints
// (/objects/stat, /objects/list, /objects/delete): the plugin holds no OSS keys, only its token.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ObjectStatResponse, ListedObject } from '../../shared/objects/protocol';
import { CoordinatorError } from '../../shared/upload/client';
import { createAgents } from '../upload/part-upload';
import { AsyncQueue, runPool } from '../upload/scheduler';
import { DEFAULT_CONCURRENCY } from '../upload/upload';
import { Code, fromCoordinator, PluginError, type CallContext } from './context';
import { downloadToFile, openObjectStream, type ObjectTarget } from './download';

/** Files of a directory artifact loaded at once (each with its own ranges in parallel). */
const DIRECTORY_FILES_IN_FLIGHT = 4;

export interface ReadOptions {
  signal: AbortSignal;
  log: (line: string) => void;
}

type Found = { kind: 'object'; stat: ObjectStatResponse } | { kind: 'directory' } | { kind: 'missing' };

/** What is at `key`: an object, a directory (objects under key/), or nothing. */
export async function lookup(ctx: CallContext, key: string): Promise<Found> {
  try {
    return { kind: 'object', stat: await ctx.client.stat(key) };
  } catch (err) {
    if (err instanceof CoordinatorError && err.status === 404 && err.code === 'NoSuchKey') {
      return (err.details as { directory?: unknown } | undefined)?.directory === true ? { kind: 'directory' } : { kind: 'missing' };
    }
    throw fromCoordinator(err, `stat ${key}`);
  }
}

/** Every object under `prefix` (recursive), page by page. */
export async function* listAll(ctx: CallContext, prefix: string): AsyncGenerator<ListedObject> {
  let marker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await ctx.client.listObjects({ prefix, ...(marker !== undefined ? { marker } : {}) });
    } catch (err) {
      throw fromCoordinator(err, `list ${prefix}`);
    }
    yield* page.objects;
    if (!page.truncated || page.nextMarker === undefined) return;
    marker = page.nextMarker;
  }
}

const target = (s: ObjectStatResponse): ObjectTarget => ({ key: s.key, url: s.url, etag: s.etag, size: s.size, ...(s.crc64 !== undefined ? { crc64: s.crc64 } : {}) });

/** A fresh stat of an object being read; fails if it is no longer an object. */
async function restat(ctx: CallContext, key: string): Promise<ObjectTarget> {
  const found = await lookup(ctx, key);
  if (found.kind !== 'object') throw new PluginError(`${key} disappeared while it was being loaded`, Code.ABORTED);
  return target(found.stat);
}

/** A relative path from a key suffix, refused if it could land outside the destination. */
function safeRelative(rel: string, key: string): string {
  const segments = rel.split('/');
  if (rel === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new PluginError(`refusing to load ${JSON.stringify(key)}: its name would not stay inside the destination directory`, Code.FAILED_PRECONDITION);
  }
  return segments.join('/');
}

/**
 * Load(key, path): an object → the file `path` (ranged GETs in parallel, CRC-64 checked, temp name
 * then rename); a directory artifact → the tree under `path` (built in a temp directory, renamed
 * into place once complete). A missing key fails and leaves nothing behind.
 */
export async function load(ctx: CallContext, path: string, options: ReadOptions): Promise<{ objects: number; bytes: number }> {
  if (!path) throw new PluginError('path is required (where to write the artifact)', Code.INVALID_ARGUMENT);
  const concurrency = ctx.config.concurrency ?? DEFAULT_CONCURRENCY;
  const found: Found = ctx.directoryHint ? { kind: 'directory' } : await lookup(ctx, ctx.key);
  if (found.kind === 'object') {
    const r = await downloadToFile(target(found.stat), path, {
      concurrency,
      ...(ctx.config.partSize ? { rangeSize: ctx.config.partSize } : {}),
      refresh: () => restat(ctx, ctx.key),
      signal: options.signal,
      log: options.log,
    });
    return { objects: 1, bytes: r.size };
  }
  if (found.kind === 'missing') throw new PluginError(`no artifact at ${ctx.key}: no object ${ctx.key} and nothing under ${ctx.key}/`, Code.NOT_FOUND);

  const prefix = `${ctx.key}/`;
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.argo-oss-${randomBytes(4).toString('hex')}.partial`);
  await mkdir(temp);
  const agents = createAgents(concurrency * DIRECTORY_FILES_IN_FLIGHT);
  let objects = 0;
  let bytes = 0;
  try {
    const queue = new AsyncQueue<{ key: string; rel: string }>();
    const listing = (async () => {
      try {
        for await (const o of listAll(ctx, prefix)) {
          const rel = o.key.slice(prefix.length);
          // Argo's own OSS driver writes a `dir/` marker object per directory (`key/` itself included).
          if (rel === '') continue;
          if (rel.endsWith('/')) await mkdir(join(temp, safeRelative(rel.slice(0, -1), o.key)), { recursive: true });
          else queue.push({ key: o.key, rel: safeRelative(rel, o.key) });
        }
      } finally {
        queue.close();
      }
    })();
    const work = runPool(
      queue,
      DIRECTORY_FILES_IN_FLIGHT,
      async (item, signal) => {
        const first = await restat(ctx, item.key);
        const r = await downloadToFile(first, join(temp, item.rel), {
          concurrency,
          ...(ctx.config.partSize ? { rangeSize: ctx.config.partSize } : {}),
          agents,
          refresh: () => restat(ctx, item.key),
          signal,
          log: options.log,
        });
        objects++;
        bytes += r.size;
      },
      options.signal,
    );
    const [listed, worked] = await Promise.allSettled([listing, work]);
    if (worked.status === 'rejected') throw worked.reason;
    if (listed.status === 'rejected') throw listed.reason;
    if (objects === 0 && ctx.directoryHint) throw new PluginError(`no artifact at ${ctx.key}: nothing under ${prefix}`, Code.NOT_FOUND);
    await rename(temp, path);
    return { objects, bytes };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
}

/** The object to stream, or a PluginError before any data (missing key, directory). */
export async function openStreamTarget(ctx: CallContext): Promise<ObjectTarget> {
  const found: Found = ctx.directoryHint ? { kind: 'directory' } : await lookup(ctx, ctx.key);
  if (found.kind === 'object') return target(found.stat);
  if (found.kind === 'directory') throw new PluginError(`${ctx.key} is a directory artifact: list it (ListObjects) and open its files`, Code.FAILED_PRECONDITION);
  throw new PluginError(`no artifact at ${ctx.key}`, Code.NOT_FOUND);
}

export { openObjectStream };

/** ListObjects: the full keys under a directory artifact (recursive), or [key] for an object. */
export async function listObjects(ctx: CallContext): Promise<string[]> {
  const [found, children] = await Promise.all([
    ctx.directoryHint ? Promise.resolve<Found>({ kind: 'directory' }) : lookup(ctx, ctx.key),
    (async () => {
      const keys: string[] = [];
      for await (const o of listAll(ctx, `${ctx.key}/`)) keys.push(o.key);
      return keys;
    })(),
  ]);
  return found.kind === 'object' ? [ctx.key, ...children] : children;
}

/** IsDirectory: true when key/ has objects and key itself is not an object; false for a missing key. */
export async function isDirectory(ctx: CallContext): Promise<boolean> {
  if (ctx.directoryHint) {
    for await (const _ of listAll(ctx, `${ctx.key}/`)) return true;
    return false;
  }
  return (await lookup(ctx, ctx.key)).kind === 'directory';
}

/** Delete: the object and everything under key/; already gone is success. */
export async function deleteArtifact(ctx: CallContext): Promise<number> {
  try {
    return (await ctx.client.deleteObject(ctx.key)).deleted;
  } catch (err) {
    throw fromCoordinator(err, `delete ${ctx.key}`);
  }
}
