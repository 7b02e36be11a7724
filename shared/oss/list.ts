// ListObjectsV2: one page, or every page as an async iterator (bounded memory).
import type { CallOptions, OssClient } from './client';
import { OssError, ossCall } from './errors';
import { MAX_LIST_PAGE, validatePageSize } from './validate';

export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  storageClass?: string;
  /** Normal | Multipart | Appendable */
  type?: string;
}

export interface ListObjectsOptions extends CallOptions {
  prefix?: string;
  delimiter?: string;
  /** 1..1000, default 1000. */
  maxKeys?: number;
  continuationToken?: string;
  startAfter?: string;
}

export interface ListObjectsPage {
  objects: ObjectSummary[];
  /** CommonPrefixes when a delimiter was given. */
  prefixes: string[];
  isTruncated: boolean;
  nextContinuationToken?: string;
}

export async function listObjectsPage(client: OssClient, options: ListObjectsOptions = {}): Promise<ListObjectsPage> {
  const maxKeys = validatePageSize(options.maxKeys ?? MAX_LIST_PAGE, 'maxKeys');
  // ali-oss mutates the query and options objects it is given: always pass fresh ones.
  const query = {
    'max-keys': maxKeys,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    ...(options.continuationToken ? { 'continuation-token': options.continuationToken } : {}),
    ...(options.startAfter ? { 'start-after': options.startAfter } : {}),
  };
  const r = await ossCall({ operation: 'listObjects', bucket: client.bucket, key: options.prefix }, () =>
    client.sdk.listV2(query, { timeout: client.timeoutFor(options) }),
  );
  return {
    objects: r.objects.map((o) => ({
      key: o.name,
      size: Number(o.size),
      etag: o.etag,
      lastModified: new Date(o.lastModified),
      ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      ...(o.type ? { type: o.type } : {}),
    })),
    prefixes: r.prefixes ?? [],
    isTruncated: r.isTruncated,
    ...(r.isTruncated && r.nextContinuationToken ? { nextContinuationToken: r.nextContinuationToken } : {}),
  };
}

/** Yields every page under the options' prefix, following continuation tokens. */
export async function* iterateObjectPages(client: OssClient, options: Omit<ListObjectsOptions, 'continuationToken'> = {}): AsyncGenerator<ListObjectsPage> {
  let token: string | undefined;
  do {
    const page = await listObjectsPage(client, { ...options, ...(token ? { continuationToken: token } : {}) });
    yield page;
    if (page.isTruncated && !page.nextContinuationToken) {
      // Stopping here would silently under-report (a prefix delete would look complete).
      throw new OssError({ operation: 'listObjects', bucket: client.bucket, kind: 'Other', code: 'MissingContinuationToken', status: 200, message: 'truncated page without NextContinuationToken' });
    }
    token = page.nextContinuationToken;
  } while (token);
}
