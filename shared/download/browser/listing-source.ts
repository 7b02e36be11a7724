// One page of a listing, from OSS (a directory artifact) or from an archive's member list. The name
// order of an OSS directory is OSS's own: one List call per page wherever the page is (a
// continuation token is the cursor), so paging stays fast at any size. Other orders read the whole
// directory page by page and keep only the entries up to the asked page (TopK), so memory is bounded
// by the page, not by the directory.
import { HttpError, invalidArgument } from '../../http/errors';
import { iterateObjectPages, listObjectsPage, OssError, type OssClient } from '../../oss';
import { archiveEntries, pageEntries } from '../listing';
import type { TarMember } from '../tgz';
import { byNameBytes, comparator, isNativeOrder, MAX_SORT_SCAN, PAGE_SIZE, TopK, type BrowserEntry, type ListingQuery } from './listing-query';

export interface ListingTotals {
  folders: number;
  files: number;
  /** Bytes of the files directly in this folder. */
  bytes: number;
  /** The scan stopped at MAX_SORT_SCAN entries. */
  truncated: boolean;
}

export interface ListingView {
  /** This page's entries, in order. */
  entries: BrowserEntry[];
  /** 1-based page number (page mode). */
  page: number;
  /** Index of the first entry shown, when known. */
  offset?: number;
  /** Known when the whole listing was read (archives, sorts other than the name order). */
  totals?: ListingTotals;
  pageCount?: number;
  /** Name order: the cursor of the next page, and whether this page is not the first. */
  nextCursor?: string;
  cursorMode: boolean;
  firstPage: boolean;
}

function tally(entries: readonly BrowserEntry[], t: ListingTotals): void {
  for (const e of entries) {
    if (e.dir) t.folders++;
    else {
      t.files++;
      t.bytes += e.size ?? 0;
    }
  }
}

function pageOf(sorted: readonly BrowserEntry[], q: ListingQuery, totals: ListingTotals): ListingView {
  const total = totals.folders + totals.files;
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const start = (q.page - 1) * PAGE_SIZE;
  return { entries: sorted.slice(start, start + PAGE_SIZE), page: q.page, offset: start, totals, pageCount, cursorMode: false, firstPage: q.page === 1 };
}

/**
 * A page of the OSS "directory" `prefix` (ending in '/'); undefined when no object at all has that
 * prefix and the first page was asked for (the caller then looks for a file of that name).
 */
export async function ossDirectoryView(oss: OssClient, prefix: string, q: ListingQuery, signal: AbortSignal): Promise<ListingView | undefined> {
  if (isNativeOrder(q)) {
    let page;
    try {
      page = await listObjectsPage(oss, { prefix, delimiter: '/', maxKeys: PAGE_SIZE, ...(q.cursor ? { continuationToken: q.cursor } : {}) });
    } catch (err) {
      if (q.cursor && err instanceof OssError && err.status === 400) throw invalidArgument('cursor', 'is not a listing position this page handed out');
      throw err;
    }
    if (!q.cursor && page.objects.length === 0 && page.prefixes.length === 0) return undefined;
    const entries = pageEntries(page, prefix).sort(byNameBytes);
    const whole = !q.cursor && !page.isTruncated;
    const totals: ListingTotals = { folders: 0, files: 0, bytes: 0, truncated: false };
    if (whole) tally(entries, totals);
    return {
      entries,
      ...(whole ? { totals, pageCount: 1 } : {}),
      page: 1,
      ...(q.cursor ? {} : { offset: 0 }),
      ...(page.isTruncated && page.nextContinuationToken ? { nextCursor: page.nextContinuationToken } : {}),
      cursorMode: true,
      firstPage: !q.cursor,
    };
  }
  const totals: ListingTotals = { folders: 0, files: 0, bytes: 0, truncated: false };
  const top = new TopK(q.page * PAGE_SIZE, comparator(q.sort, q.order));
  let any = false;
  let seen = 0;
  for await (const page of iterateObjectPages(oss, { prefix, delimiter: '/' })) {
    if (signal.aborted) throw signal.reason;
    if (page.objects.length > 0 || page.prefixes.length > 0) any = true;
    const entries = pageEntries(page, prefix);
    tally(entries, totals);
    for (const e of entries) top.push(e);
    seen += entries.length;
    if (seen >= MAX_SORT_SCAN && page.isTruncated) {
      totals.truncated = true;
      break;
    }
  }
  if (!any) return undefined;
  return pageOf(top.sorted(), q, totals);
}

/**
 * The direct children of `dir` among an archive's members, each folder with its number of direct
 * children; undefined when the archive has nothing at `dir`.
 */
export function archiveChildren(members: readonly TarMember[], dir: string): BrowserEntry[] | undefined {
  const entries = archiveEntries(members, dir);
  if (!entries) return undefined;
  const prefix = dir === '' ? '' : `${dir}/`;
  const children = new Map<string, Set<string>>();
  for (const m of members) {
    if (!m.name.startsWith(prefix) || m.name === dir) continue;
    const rest = m.name.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    const child = rest.slice(slash + 1).split('/')[0];
    if (child === '') continue;
    const d = rest.slice(0, slash);
    let set = children.get(d);
    if (!set) children.set(d, (set = new Set()));
    set.add(child);
  }
  return entries.map((e) => (e.dir ? { ...e, count: children.get(e.name)?.size ?? 0 } : e));
}

/** A page of an archive folder's listing; undefined when the archive has no such folder. */
export function archiveView(members: readonly TarMember[], dir: string, q: ListingQuery): ListingView | undefined {
  const entries = archiveChildren(members, dir);
  if (!entries) return undefined;
  const totals: ListingTotals = { folders: 0, files: 0, bytes: 0, truncated: false };
  tally(entries, totals);
  const view = pageOf(entries.sort(comparator(q.sort, q.order)), q, totals);
  if (q.page > (view.pageCount ?? 1)) throw new HttpError(404, 'PageNotFound', `the listing has ${view.pageCount} page${view.pageCount === 1 ? '' : 's'}`);
  return view;
}
