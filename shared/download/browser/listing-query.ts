// What a listing page is asked for: sort column and order, and where in the listing (a page number,
// or OSS's continuation token for the name order, which costs one List call wherever it points).
import { invalidArgument } from '../../http/errors';
import { contentTypeFor } from '../headers';

export const SORT_KEYS = ['name', 'size', 'modified', 'type'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = 'asc' | 'desc';

export const PAGE_SIZE = 500;
/** Past this many entries a non-name sort stops scanning (the page says so). */
export const MAX_SORT_SCAN = 1_000_000;
const MAX_PAGE = Math.floor(MAX_SORT_SCAN / PAGE_SIZE);

export interface ListingQuery {
  sort: SortKey;
  order: SortOrder;
  /** 1-based; used by in-memory and scanned listings. */
  page: number;
  /** OSS continuation token; only with the default name order. */
  cursor?: string;
}

export function parseListingQuery(query: URLSearchParams): ListingQuery {
  const sort = query.get('sort') ?? 'name';
  if (!(SORT_KEYS as readonly string[]).includes(sort)) throw invalidArgument('sort', `must be one of ${SORT_KEYS.join(', ')}`);
  const order = query.get('order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw invalidArgument('order', 'must be "asc" or "desc"');
  const rawPage = query.get('page') ?? '1';
  if (!/^\d{1,7}$/.test(rawPage) || Number(rawPage) < 1 || Number(rawPage) > MAX_PAGE) throw invalidArgument('page', `must be a whole number from 1 to ${MAX_PAGE}`);
  const cursor = query.get('cursor') ?? undefined;
  if (cursor !== undefined && (cursor === '' || cursor.length > 2048 || /[\u0000-\u001f]/.test(cursor))) throw invalidArgument('cursor', 'is not a listing position this page handed out');
  return { sort: sort as SortKey, order, page: Number(rawPage), ...(cursor !== undefined ? { cursor } : {}) };
}

/** The query parameters that reproduce `q` (defaults left out), for links. */
export function listingParams(q: Pick<ListingQuery, 'sort' | 'order'> & { page?: number; cursor?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (q.sort !== 'name') out.sort = q.sort;
  if (q.order !== 'asc') out.order = q.order;
  if (q.page !== undefined && q.page > 1) out.page = String(q.page);
  if (q.cursor !== undefined) out.cursor = q.cursor;
  return out;
}

/** True when the listing can be streamed in OSS's own order, one List call per page. */
export function isNativeOrder(q: Pick<ListingQuery, 'sort' | 'order'>): boolean {
  return q.sort === 'name' && q.order === 'asc';
}

export interface BrowserEntry {
  /** One path segment. */
  name: string;
  dir: boolean;
  size?: number;
  lastModified?: Date;
  /** Direct children of a folder, when known (archives). */
  count?: number;
}

const TYPE_LABELS: Record<string, string> = {
  txt: 'Text', log: 'Log', out: 'Log', err: 'Log', md: 'Markdown', csv: 'CSV', tsv: 'TSV', json: 'JSON', ndjson: 'JSON lines', jsonl: 'JSON lines',
  yaml: 'YAML', yml: 'YAML', xml: 'XML', html: 'HTML', htm: 'HTML', pdf: 'PDF', png: 'PNG image', jpg: 'JPEG image', jpeg: 'JPEG image',
  gif: 'GIF image', webp: 'WebP image', svg: 'SVG image', tgz: 'Archive (tar.gz)', gz: 'gzip', tar: 'tar archive', zip: 'ZIP archive',
  parquet: 'Parquet', py: 'Python', sh: 'Shell script', go: 'Go source', ts: 'TypeScript', js: 'JavaScript',
};

/** A short type label for the table: "Folder", "CSV", "PNG image", or the extension in capitals. */
export function typeLabel(e: Pick<BrowserEntry, 'name' | 'dir'>): string {
  if (e.dir) return 'Folder';
  const dot = e.name.lastIndexOf('.');
  if (dot <= 0 || dot === e.name.length - 1) return 'File';
  const ext = e.name.slice(dot + 1).toLowerCase();
  if (TYPE_LABELS[ext]) return TYPE_LABELS[ext];
  if (contentTypeFor(e.name).startsWith('image/')) return 'Image';
  return ext.length <= 8 ? `${ext.toUpperCase()} file` : 'File';
}

/** OSS's key order (code units; the same as UTF-8 byte order outside the astral planes), a folder sorting like its name with the '/'. */
export function byNameBytes(a: BrowserEntry, b: BrowserEntry): number {
  const x = a.dir ? `${a.name}/` : a.name;
  const y = b.dir ? `${b.name}/` : b.name;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Comparator for a sort column; folders first for size and type, ties broken by name. */
export function comparator(sort: SortKey, order: SortOrder): (a: BrowserEntry, b: BrowserEntry) => number {
  const sign = order === 'asc' ? 1 : -1;
  const key = (e: BrowserEntry): number | string => {
    switch (sort) {
      case 'size':
        return e.size ?? 0;
      case 'modified':
        return e.lastModified?.getTime() ?? 0;
      case 'type':
        return typeLabel(e).toLowerCase();
      default:
        return 0;
    }
  };
  return (a, b) => {
    if ((sort === 'size' || sort === 'type') && a.dir !== b.dir) return a.dir ? -1 : 1;
    if (sort !== 'name') {
      const x = key(a);
      const y = key(b);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return byNameBytes(a, b) * (sort === 'name' ? sign : 1);
  };
}

/**
 * Keeps the first `k` entries in comparator order out of any number pushed, in O(k) memory: the
 * buffer is sorted and cut back to `k` whenever it reaches 2k.
 */
export class TopK {
  private items: BrowserEntry[] = [];
  constructor(
    private readonly k: number,
    private readonly cmp: (a: BrowserEntry, b: BrowserEntry) => number,
  ) {}

  push(e: BrowserEntry): void {
    this.items.push(e);
    if (this.items.length >= 2 * this.k) this.compact();
  }

  private compact(): void {
    this.items.sort(this.cmp);
    this.items.length = Math.min(this.items.length, this.k);
  }

  /** The kept entries, sorted. */
  sorted(): BrowserEntry[] {
    this.compact();
    return this.items;
  }
}
