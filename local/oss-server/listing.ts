// ListObjects (V1) and ListObjectsV2 over the bucket's sorted key index, plus the delimiter walk
// shared with ListMultipartUploads. Common prefixes count toward max-keys, like OSS.
import { isoSeconds, sendXml, urlEncodeKey, type Ctx } from './context';
import { errors } from './errors';
import { quoteEtag } from './attributes';
import { compareKeys } from './sorted-keys';
import type { ObjectRecord } from './store';
import { xmlDocument, type XmlChild } from './xml';

export interface Walkable<T> {
  size: number;
  at(i: number): T;
  keyOf(item: T): string;
  /** Index of the first entry after every key that starts with `prefix`, searching from `from`. */
  afterPrefix(prefix: string, from: number): number;
}

export interface WalkResult<T> {
  items: T[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: the resume point for the next page. */
  last?: string;
}

/**
 * Walks entries from `start` in key order: keys under `prefix`, rolled up at `delimiter`, at most
 * `max` results. A common prefix that contains `resumeAfter` was returned by the previous page and
 * is skipped as a whole.
 */
export function walk<T>(src: Walkable<T>, start: number, prefix: string, delimiter: string, max: number, resumeAfter?: string): WalkResult<T> {
  const items: T[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  let i = start;
  while (i < src.size) {
    const item = src.at(i);
    const key = src.keyOf(item);
    if (!key.startsWith(prefix)) {
      if (compareKeys(key, prefix) > 0) break;
      i++;
      continue;
    }
    if (delimiter) {
      const d = key.indexOf(delimiter, prefix.length);
      if (d >= 0) {
        const cp = key.slice(0, d + delimiter.length);
        const next = src.afterPrefix(cp, i);
        if (!(resumeAfter !== undefined && resumeAfter.startsWith(cp))) {
          if (items.length + prefixes.length >= max) {
            truncated = true;
            break;
          }
          prefixes.push(cp);
          last = cp;
        }
        i = next;
        continue;
      }
    }
    if (items.length + prefixes.length >= max) {
      truncated = true;
      break;
    }
    items.push(item);
    last = key;
    i++;
  }
  return { items, prefixes, truncated, last };
}

/** Integer query parameter within [min, max], default when absent; InvalidArgument otherwise. */
export function intParam(ctx: Ctx, name: string, dflt: number, min: number, max: number): number {
  const raw = ctx.route.query.get(name);
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw errors.invalidArgument(`Argument ${name} must be an integer between ${min} and ${max}.`, name, raw);
  }
  return n;
}

function encodingType(ctx: Ctx): boolean {
  const v = ctx.route.query.get('encoding-type');
  if (v === undefined || v === '') return false;
  if (v !== 'url') throw errors.invalidArgument('The encoding-type is invalid; only url is supported.', 'encoding-type', v);
  return true;
}

function objectWalkable(ctx: Ctx): Walkable<ObjectRecord> & { index: ReturnType<Ctx['store']['requireBucket']>['index'] } {
  const b = ctx.store.requireBucket(ctx.route.bucket!);
  return {
    index: b.index,
    size: b.index.size,
    at: (i) => b.objects.get(b.index.at(i))!,
    keyOf: (o) => o.key,
    afterPrefix: (p) => b.index.afterPrefix(p),
  };
}

function contents(o: ObjectRecord, enc: (s: string) => string, owner: string | undefined): XmlChild {
  return [
    'Contents',
    [
      ['Key', enc(o.key)],
      ['LastModified', isoSeconds(o.lastModified)],
      ['ETag', quoteEtag(o.etag)],
      ['Type', o.type],
      ['Size', o.size],
      ['StorageClass', o.storageClass],
      owner !== undefined && ['Owner', [['ID', owner], ['DisplayName', owner]]],
    ],
  ];
}

/** GET /?prefix&marker&delimiter&max-keys (V1). */
export function listObjects(ctx: Ctx): void {
  const q = ctx.route.query;
  const url = encodingType(ctx);
  const prefix = q.get('prefix') ?? '';
  const marker = q.get('marker') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const max = intParam(ctx, 'max-keys', 100, 0, 1000);
  const src = objectWalkable(ctx);
  const start = Math.max(src.index.lowerBound(prefix), marker ? src.index.upperBound(marker) : 0);
  const page = walk(src, start, prefix, delimiter, max, marker || undefined);
  const enc = (s: string) => (url ? urlEncodeKey(s) : s);
  const owner = ctx.accessKeyId ?? 'anonymous';
  sendXml(
    ctx,
    200,
    xmlDocument([
      'ListBucketResult',
      [
        ['Name', ctx.route.bucket!],
        ['Prefix', enc(prefix)],
        ['Marker', enc(marker)],
        ['MaxKeys', max],
        ['Delimiter', enc(delimiter)],
        url && ['EncodingType', 'url'],
        ['IsTruncated', page.truncated],
        page.truncated && page.last !== undefined && ['NextMarker', enc(page.last)],
        ...page.items.map((o) => contents(o, enc, owner)),
        ...page.prefixes.map((p) => ['CommonPrefixes', [['Prefix', enc(p)]]] as const),
      ],
    ]),
  );
}

const encodeToken = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key || encodeToken(key) !== token) throw errors.invalidArgument('The continuation token is not valid.', 'continuation-token', token);
  return key;
}

/** GET /?list-type=2 (ListObjectsV2). */
export function listObjectsV2(ctx: Ctx): void {
  const q = ctx.route.query;
  const url = encodingType(ctx);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startAfter = q.get('start-after');
  const token = q.get('continuation-token');
  const fetchOwner = q.get('fetch-owner') === 'true';
  const max = intParam(ctx, 'max-keys', 100, 0, 1000);
  const resume = token ? decodeToken(token) : startAfter || undefined;
  const src = objectWalkable(ctx);
  const start = Math.max(src.index.lowerBound(prefix), resume !== undefined ? src.index.upperBound(resume) : 0);
  const page = walk(src, start, prefix, delimiter, max, resume);
  const enc = (s: string) => (url ? urlEncodeKey(s) : s);
  const owner = fetchOwner ? (ctx.accessKeyId ?? 'anonymous') : undefined;
  sendXml(
    ctx,
    200,
    xmlDocument([
      'ListBucketResult',
      [
        ['Name', ctx.route.bucket!],
        ['Prefix', enc(prefix)],
        startAfter !== undefined && ['StartAfter', enc(startAfter)],
        token !== undefined && ['ContinuationToken', token],
        ['MaxKeys', max],
        ['Delimiter', enc(delimiter)],
        url && ['EncodingType', 'url'],
        ['IsTruncated', page.truncated],
        ['KeyCount', page.items.length + page.prefixes.length],
        page.truncated && page.last !== undefined && ['NextContinuationToken', encodeToken(page.last)],
        ...page.items.map((o) => contents(o, enc, owner)),
        ...page.prefixes.map((p) => ['CommonPrefixes', [['Prefix', enc(p)]]] as const),
      ],
    ]),
  );
}
