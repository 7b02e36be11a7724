// The object endpoints' operations over the OSS layer: stat (with a presigned GET), recursive list,
// delete of an object and its directory. Platform-free: callers are authenticated (upload/auth.ts) and
// every key is checked against what the caller may read or delete (access.ts) before OSS is asked
// anything that could tell whether it exists.
import { HttpError, invalidArgument } from '../http/errors';
import { deleteObject, deletePrefix, headObject, isOssError, listObjectsPage, presignGetObject, type ObjectInfo, type OssClient } from '../oss';
import { MAX_LIST_PAGE } from '../oss/validate';
import type { Caller } from '../upload/auth';
import { isReserved, validateArtifactKey } from '../tenancy';
import { mayDelete, mayRead, forbidden } from './access';
import type { ListedObject, ObjectDeleteResponse, ObjectListResponse, ObjectStatResponse } from './protocol';

export interface ObjectServiceSettings {
  /** ARGO_OSS_ARTIFACT_ROOT ('' or ending in '/'). */
  artifactRoot: string;
  /** Lifetime of the presigned GET URLs (ARGO_OSS_PART_URL_TTL). */
  urlTtlSeconds: number;
}

export interface Result<T> {
  status: number;
  body: T;
}

const noSuchKey = (key: string, directory: boolean) =>
  new HttpError(404, 'NoSuchKey', directory ? `${key} is not an object: it is a directory (${key}/ has objects)` : `no object ${key}`, { details: { directory } });

/** A listing prefix: a key, or a key followed by one '/'. */
function prefixField(raw: string | null): { prefix: string; asKey: string } {
  if (raw === null || raw === '') throw invalidArgument('prefix', 'is required: the key of a directory artifact, e.g. ns/wf/pod/out/');
  const asKey = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  return { prefix: raw, asKey };
}

function maxKeysField(raw: string | null): number {
  if (raw === null || raw === '') return MAX_LIST_PAGE;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIST_PAGE) throw invalidArgument('maxKeys', `must be an integer from 1 to ${MAX_LIST_PAGE}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export class ObjectService {
  constructor(
    private readonly oss: OssClient,
    private readonly settings: ObjectServiceSettings,
  ) {}

  private async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      return await headObject(this.oss, key);
    } catch (err) {
      if (isOssError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private async hasChildren(prefix: string): Promise<boolean> {
    const page = await listObjectsPage(this.oss, { prefix, maxKeys: 2 });
    return page.objects.some((o) => !isReserved(o.key));
  }

  // ---------------------------------------------------------------------------------------------
  // GET /objects/stat?key=

  async stat(caller: Caller, rawKey: string | null): Promise<Result<ObjectStatResponse>> {
    const key = validateArtifactKey(rawKey ?? undefined, this.settings.artifactRoot, 'key');
    if (!mayRead(caller, key)) throw forbidden(caller, 'read', key);
    const head = await this.head(key);
    if (!head) throw noSuchKey(key, await this.hasChildren(`${key}/`));
    const signed = await presignGetObject(this.oss, key, { expiresSeconds: this.settings.urlTtlSeconds });
    return {
      status: 200,
      body: {
        key,
        size: head.size,
        etag: head.etag,
        lastModified: (head.lastModified ?? new Date(0)).toISOString(),
        ...(head.crc64 !== undefined ? { crc64: head.crc64.toString() } : {}),
        url: signed.url,
        urlExpiresAt: signed.expiresAt.toISOString(),
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // GET /objects/list?prefix=&marker=&maxKeys=

  async list(caller: Caller, query: URLSearchParams): Promise<Result<ObjectListResponse>> {
    const { prefix, asKey } = prefixField(query.get('prefix'));
    validateArtifactKey(asKey, this.settings.artifactRoot, 'prefix');
    const maxKeys = maxKeysField(query.get('maxKeys'));
    const marker = query.get('marker') ?? undefined;
    if (marker !== undefined && (marker === '' || Buffer.byteLength(marker, 'utf8') > 1024)) throw invalidArgument('marker', 'must be the nextMarker of the previous page');
    if (!mayRead(caller, prefix)) throw forbidden(caller, 'list', prefix);
    // A marker outside the prefix would only list nothing (or, before it, everything): refuse it.
    if (marker !== undefined && !marker.startsWith(prefix)) throw invalidArgument('marker', `must lie under the prefix ${prefix}`);
    const page = await listObjectsPage(this.oss, { prefix, maxKeys, ...(marker !== undefined ? { startAfter: marker } : {}) });
    const objects: ListedObject[] = page.objects
      // A raw prefix such as ".argo-os" would also match the bookkeeping: never show it.
      .filter((o) => !isReserved(o.key))
      .map((o) => ({ key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified.toISOString() }));
    const last = page.objects.at(-1)?.key;
    return { status: 200, body: { objects, truncated: page.isTruncated, ...(page.isTruncated && last !== undefined ? { nextMarker: last } : {}) } };
  }

  // ---------------------------------------------------------------------------------------------
  // POST /objects/delete { key }

  async delete(caller: Caller, body: Record<string, unknown>): Promise<Result<ObjectDeleteResponse>> {
    // The GC target-safety rules: no empty key, bucket root, artifact root, '..', '//' or .argo-oss/.
    const key = validateArtifactKey(body.key, this.settings.artifactRoot, 'key');
    if (!mayDelete(caller, key)) throw forbidden(caller, 'delete', key);
    let deleted = 0;
    if (await this.head(key)) {
      await deleteObject(this.oss, key);
      deleted++;
    }
    // A directory artifact: every object under key/ (never a bare `key` prefix, which would take `keyfoo`).
    const r = await deletePrefix(this.oss, `${key}/`, { abortUploads: true });
    deleted += r.count;
    if (r.failed.length > 0 || !r.complete) {
      const first = r.failed[0];
      throw new HttpError(503, 'DeleteIncomplete', `deleted ${deleted} object(s) of ${key}, but ${r.failed.length || 'some'} could not be deleted${first ? ` (${first.key}: ${first.error.code})` : ''}; retry`, {
        headers: { 'retry-after': '2' },
        details: { deleted, failed: r.failed.length },
      });
    }
    return { status: 200, body: { deleted } };
  }
}
