// The listing page of the artifact browser: breadcrumbs back to the artifact root, a summary with
// folder and file counts, folder downloads (.zip / .tar.gz) or the raw archive, and a sortable table
// (name, size, last modified, type, download) of one page of entries, with paging links.
import type { ArtifactRoute } from '../routes';
import { count, escapeHtml, icon, plural, renderPage, sizeTag, timeTag, type Crumb } from './html';
import { artifactRootPath, pathBelow, type Links } from './links';
import { listingParams, PAGE_SIZE, typeLabel, type BrowserEntry, type ListingQuery, type SortKey } from './listing-query';
import type { ListingView } from './listing-source';

export type ListingKind = 'directory' | 'archive';

/**
 * Breadcrumbs for a place below an artifact: namespace, workflow and node as context, then the
 * artifact root and each folder down to `subPath`, linked only where a listing exists (never a 404)
 * and, on a shared page, only at or below the shared path.
 */
export function artifactCrumbs(route: ArtifactRoute, links: Links, subPath: readonly string[], rootIsListing: boolean): Crumb[] {
  const crumbs: Crumb[] = [
    { label: route.namespace, context: true },
    { label: route.workflow, context: true },
    { label: route.nodeId, context: true },
    { label: route.io, context: true },
  ];
  const root = rootIsListing ? links.to(artifactRootPath(route)) : undefined;
  crumbs.push({ label: route.artifactName, ...(root ? { href: root } : {}) });
  subPath.forEach((segment, i) => {
    const href = links.to(pathBelow(route, subPath.slice(0, i + 1), true));
    crumbs.push({ label: segment, ...(href ? { href } : {}) });
  });
  return crumbs;
}

const COLUMNS: { key: SortKey; label: string; num?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'size', label: 'Size', num: true },
  { key: 'modified', label: 'Last modified' },
  { key: 'type', label: 'Type' },
];

export interface ListingPageInput {
  route: ArtifactRoute;
  kind: ListingKind;
  /** The folder's path below the artifact ([] = the artifact root). */
  subPath: readonly string[];
  view: ListingView;
  query: ListingQuery;
  links: Links;
}

function header(input: ListingPageInput): string {
  const { links, query } = input;
  const cells = COLUMNS.map((c) => {
    const active = query.sort === c.key;
    const order = active && query.order === 'asc' ? 'desc' : 'asc';
    const href = links.to(links.current, listingParams({ sort: c.key, order }));
    const arrow = active ? (query.order === 'asc' ? ' ▲' : ' ▼') : '';
    const aria = active ? ` aria-sort="${query.order === 'asc' ? 'ascending' : 'descending'}"` : '';
    return `<th${c.num ? ' class="num"' : ''}${aria}>${href ? `<a href="${escapeHtml(href)}">${c.label}${arrow}</a>` : `${c.label}${arrow}`}</th>`;
  });
  return `<thead><tr>${cells.join('')}<th class="num"><span class="muted">Download</span></th></tr></thead>`;
}

function row(input: ListingPageInput, e: BrowserEntry): string {
  const { links, route, kind, query } = input;
  const childPath = pathBelow(route, [...input.subPath, e.name], e.dir);
  const sortParams = listingParams({ sort: query.sort, order: query.order });
  const open = e.dir ? links.to(childPath, sortParams) : links.to(childPath, { view: '1' });
  const label = escapeHtml(e.dir ? `${e.name}/` : e.name);
  const name = `${icon(e.dir)}${open ? `<a href="${escapeHtml(open)}">${label}</a>` : label}`;
  const size = e.dir ? (e.count !== undefined ? plural(e.count, 'item') : '—') : e.size !== undefined ? sizeTag(e.size) : '';
  let action = '';
  if (!e.dir) {
    const href = links.to(childPath);
    if (href) action = `<a class="btn small" href="${escapeHtml(href)}" download title="Download ${escapeHtml(e.name)}">Download</a>`;
  } else if (kind === 'directory') {
    const zip = links.to(childPath, { download: 'zip' });
    const tgz = links.to(childPath, { download: 'tgz' });
    if (zip && tgz) action = `<a class="btn small" href="${escapeHtml(zip)}" title="Download ${escapeHtml(e.name)}/ as .zip">.zip</a> <a class="btn small" href="${escapeHtml(tgz)}" title="Download ${escapeHtml(e.name)}/ as .tar.gz">.tar.gz</a>`;
  }
  return `<tr><td class="name">${name}</td><td class="num">${size}</td><td class="when">${timeTag(e.lastModified)}</td><td class="type">${escapeHtml(typeLabel(e))}</td><td class="act">${action}</td></tr>`;
}

function summary(view: ListingView): string {
  if (view.totals) {
    const t = view.totals;
    const parts = [plural(t.folders, 'folder'), plural(t.files, 'file')];
    if (t.files > 0) parts.push(`${sizeTag(t.bytes)} in files`);
    return `${parts.join(', ')}${t.truncated ? ` (the first ${count(t.folders + t.files)} entries)` : ''}`;
  }
  const folders = view.entries.filter((e) => e.dir).length;
  const files = view.entries.length - folders;
  const where = view.offset !== undefined ? `${count(view.offset + 1)}–${count(view.offset + view.entries.length)}` : `${count(view.entries.length)} more`;
  const more = view.nextCursor ? '; more on the next page' : '';
  return view.entries.length === 0
    ? 'empty'
    : `entries ${where}: ${plural(folders, 'folder')}, ${plural(files, 'file')}${more}`;
}

function actions(input: ListingPageInput): string {
  const { links, kind, route, subPath } = input;
  const out: string[] = [];
  if (kind === 'directory') {
    const zip = links.to(links.current, { download: 'zip' });
    const tgz = links.to(links.current, { download: 'tgz' });
    if (zip) out.push(`<a class="btn primary" href="${escapeHtml(zip)}">Download folder (.zip)</a>`);
    if (tgz) out.push(`<a class="btn" href="${escapeHtml(tgz)}">Download folder (.tar.gz)</a>`);
  } else {
    // The archive itself lives at the artifact root; a shared page below the root cannot link it.
    const raw = links.to(subPath.length === 0 ? links.current : artifactRootPath(route), { download: 'raw' });
    if (raw) out.push(`<a class="btn primary" href="${escapeHtml(raw)}">Download archive (.tgz)</a>`);
  }
  return `<div class="actions">${out.join('')}</div>`;
}

function pager(input: ListingPageInput): string {
  const { view, links, query } = input;
  const sort = { sort: query.sort, order: query.order };
  const parts: string[] = [];
  if (view.cursorMode) {
    if (!view.firstPage) {
      const first = links.to(links.current, listingParams(sort));
      if (first) parts.push(`<a class="btn" href="${escapeHtml(first)}">« First page</a>`);
    }
    if (view.nextCursor) {
      const next = links.to(links.current, listingParams({ ...sort, cursor: view.nextCursor }));
      if (next) parts.push(`<a class="btn" href="${escapeHtml(next)}" rel="next">Next ${count(PAGE_SIZE)} »</a>`);
    }
  } else if ((view.pageCount ?? 1) > 1) {
    const pages = view.pageCount ?? 1;
    if (view.page > 1) {
      const prev = links.to(links.current, listingParams({ ...sort, page: view.page - 1 }));
      if (prev) parts.push(`<a class="btn" href="${escapeHtml(prev)}" rel="prev">« Previous</a>`);
    }
    parts.push(`<span>page ${count(view.page)} of ${count(pages)}</span>`);
    if (view.page < pages) {
      const next = links.to(links.current, listingParams({ ...sort, page: view.page + 1 }));
      if (next) parts.push(`<a class="btn" href="${escapeHtml(next)}" rel="next">Next »</a>`);
    }
  }
  return parts.length ? `<div class="pager">${parts.join('')}</div>` : '';
}

export function renderListingPage(input: ListingPageInput): string {
  const { route, view, subPath } = input;
  const crumbs = artifactCrumbs(route, input.links, subPath, true);
  const title = `${[route.artifactName, ...subPath].join('/')}/ · ${route.workflow}`;
  const shared = input.links.shared ? '<p class="note">Opened through a share link: it covers this folder and everything in it, until it expires.</p>' : '';
  const truncated = view.totals?.truncated
    ? '<p class="note">This folder has too many entries to sort completely; sorted among the first ones read. Sort by name to page through all of them.</p>'
    : '';
  const rows = view.entries.map((e) => row(input, e)).join('\n');
  const table = `<table class="files">${header(input)}<tbody>\n${rows || '<tr><td class="empty" colspan="5">This folder is empty.</td></tr>'}\n</tbody></table>`;
  const body = `${shared}${truncated}<div class="bar"><div class="summary">${input.kind === 'archive' ? 'Archive folder · ' : ''}${summary(view)}</div>${actions(input)}</div>${table}${pager(input)}`;
  return renderPage({ title, crumbs, body });
}
