// The artifact browser's answers, called by the download app once the caller is authorised and the
// artifact resolved: a listing page (OSS folder or .tgz folder), a file page with its preview, and
// "Download folder". Pages are one bounded page of entries, written with the listing CSP.
import type { ServerResponse } from 'node:http';
import { HttpError } from '../../http/errors';
import { getObjectStream, type ObjectInfo, type OssClient } from '../../oss';
import { listingSecurityPolicy, securityHeaders, type SecurityConfig } from '../headers';
import type { ServeContext } from '../object';
import type { ArtifactRoute } from '../routes';
import { listTgz, openTgzMember } from '../tgz';
import { renderFilePage } from './file-page';
import { serveFolderArchive, type FolderFormat, type FolderLimits } from './folder-archive';
import { Links, pathBelow, type ShareGrant } from './links';
import { renderListingPage } from './listing-page';
import { parseListingQuery } from './listing-query';
import { archiveView, ossDirectoryView } from './listing-source';
import { needsHead, noPreview, previewKind, PREVIEW_TEXT_BYTES, readHead, renderPreview, type PreviewResult } from './preview';

export { linkGrant, redirectSearch, type ShareGrant } from './links';
export type { FolderFormat, FolderLimits } from './folder-archive';
export { sendErrorPage, wantsHtml } from './error-page';

/** `?view` asks for the file page instead of the bytes. */
export function wantsFilePage(query: URLSearchParams): boolean {
  const v = query.get('view');
  return v !== null && /^(|1|true|page)$/.test(v);
}

/** `?download=zip|tgz`: the folder as an archive. */
export function folderFormat(query: URLSearchParams): FolderFormat | undefined {
  const d = query.get('download');
  return d === 'zip' ? 'zip' : d === 'tgz' || d === 'tar.gz' ? 'tgz' : undefined;
}

export interface BrowserRequest {
  ctx: ServeContext;
  route: ArtifactRoute;
  query: URLSearchParams;
  grant?: ShareGrant;
}

function sendHtml(res: ServerResponse, html: string, config: SecurityConfig, head: boolean, omitContentLength: boolean): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(200, {
    ...securityHeaders(config),
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': listingSecurityPolicy(config.contentSecurityPolicy),
    ...(omitContentLength ? {} : { 'content-length': String(body.length) }),
  });
  res.end(head ? undefined : body);
}

const links = (b: BrowserRequest) => new Links(b.route.canonicalPath, b.grant);

/** The listing page of the OSS folder `prefix`; false when nothing is there. */
export async function serveDirectoryPage(b: BrowserRequest, prefix: string): Promise<boolean> {
  const q = parseListingQuery(b.query);
  const view = await ossDirectoryView(b.ctx.oss, prefix, q, b.ctx.signal);
  if (!view) return false;
  sendHtml(b.ctx.res, renderListingPage({ route: b.route, kind: 'directory', subPath: b.route.subPath, view, query: q, links: links(b) }), b.ctx.config, b.ctx.head, b.ctx.omitContentLength);
  return true;
}

/** The listing page of folder `dir` ('' = the root) inside the .tgz `key`. */
export async function serveArchivePage(b: BrowserRequest, key: string, info: ObjectInfo, dir: string, limits: { maxBytes?: number; maxEntries?: number } = {}): Promise<void> {
  const q = parseListingQuery(b.query);
  const archive = await getObjectStream(b.ctx.oss, key, info.etag ? { ifMatch: info.etag } : {});
  const view = archiveView(await listTgz(archive.stream, { signal: b.ctx.signal, ...limits }), dir, q);
  if (!view) throw new HttpError(404, 'MemberNotFound', `the archive has no directory ${JSON.stringify(dir)}`);
  sendHtml(b.ctx.res, renderListingPage({ route: b.route, kind: 'archive', subPath: b.route.subPath, view, query: q, links: links(b) }), b.ctx.config, b.ctx.head, b.ctx.omitContentLength);
}

interface FileFacts {
  name: string;
  size?: number;
  lastModified?: Date;
  inArchive?: string;
  browsePath?: string;
  /** The artifact itself is a listing (directory or archive). */
  rootIsListing: boolean;
}

function filePage(b: BrowserRequest, facts: FileFacts, preview: PreviewResult): void {
  const dirs = b.route.subPath.slice(0, -1);
  const filePath = pathBelow(b.route, b.route.subPath, false);
  const html = renderFilePage({ route: b.route, links: links(b), dirs, filePath, preview, ...facts });
  sendHtml(b.ctx.res, html, b.ctx.config, b.ctx.head, b.ctx.omitContentLength);
}

function imageHref(b: BrowserRequest): string | undefined {
  return links(b).to(pathBelow(b.route, b.route.subPath, false));
}

/** The page of one OSS object: a file of a directory artifact, or a single-file artifact. */
export async function serveObjectPage(b: BrowserRequest, key: string, info: ObjectInfo, opts: { rootIsListing: boolean; browsePath?: string }): Promise<void> {
  const name = b.route.subPath.length ? b.route.subPath[b.route.subPath.length - 1] : key.slice(key.lastIndexOf('/') + 1);
  const kind = opts.browsePath ? 'none' : previewKind(name);
  const input = { name, size: info.size, ...(kind === 'image' ? { imageHref: imageHref(b) } : {}) };
  let preview = noPreview(input, kind);
  if (!preview && needsHead(kind)) {
    if (info.size === 0 || b.ctx.head) preview = renderPreview(input, kind, { bytes: Buffer.alloc(0), truncated: false });
    else {
      const end = Math.min(info.size, PREVIEW_TEXT_BYTES) - 1;
      const got = await getObjectStream(b.ctx.oss, key, { range: { start: 0, end }, ...(info.etag ? { ifMatch: info.etag } : {}) });
      preview = renderPreview(input, kind, await readHead(got.stream, PREVIEW_TEXT_BYTES, info.size));
    }
  }
  const facts: FileFacts = { name, size: info.size, rootIsListing: opts.rootIsListing, ...(info.lastModified ? { lastModified: info.lastModified } : {}), ...(opts.browsePath ? { browsePath: opts.browsePath } : {}) };
  filePage(b, facts, preview!);
}

/** The page of one member of the .tgz `key`. */
export async function serveMemberPage(b: BrowserRequest, key: string, info: ObjectInfo, memberPath: string): Promise<void> {
  const archive = await getObjectStream(b.ctx.oss, key, info.etag ? { ifMatch: info.etag } : {});
  const found = await openTgzMember(archive.stream, memberPath, { signal: b.ctx.signal });
  if (!found) throw new HttpError(404, 'MemberNotFound', `the archive has no file ${JSON.stringify(memberPath)} (for a directory, end the path with '/')`);
  const { member, stream } = found;
  const name = memberPath.slice(memberPath.lastIndexOf('/') + 1);
  const kind = previewKind(name);
  const input = { name, size: member.size, ...(kind === 'image' ? { imageHref: imageHref(b) } : {}) };
  let preview = noPreview(input, kind);
  if (preview || b.ctx.head) stream.destroy();
  if (!preview) preview = b.ctx.head ? renderPreview(input, kind, { bytes: Buffer.alloc(0), truncated: false }) : renderPreview(input, kind, await readHead(stream, PREVIEW_TEXT_BYTES, member.size));
  filePage(b, { name, size: member.size, inArchive: key.slice(key.lastIndexOf('/') + 1), rootIsListing: true, ...(member.mtime ? { lastModified: member.mtime } : {}) }, preview);
}

/** "Download folder" of the OSS folder `prefix`; false when nothing is there. */
export function serveFolderDownload(b: BrowserRequest, prefix: string, format: FolderFormat, limits: FolderLimits, oss: OssClient = b.ctx.oss): Promise<boolean> {
  const folder = b.route.subPath.length ? b.route.subPath[b.route.subPath.length - 1] : b.route.artifactName;
  return serveFolderArchive({ res: b.ctx.res, head: b.ctx.head, signal: b.ctx.signal, oss, config: b.ctx.config, log: b.ctx.log, limits }, prefix, folder, format);
}
