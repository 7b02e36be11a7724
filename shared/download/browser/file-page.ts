// The page of one file (an object of a directory artifact, a single-file artifact, or a member of a
// .tgz): breadcrumbs, what it is (size, last modified, type), a download button and the preview pane.
import type { ArtifactRoute } from '../routes';
import { escapeHtml, humanSize, count, renderPage, timeTag, type Crumb } from './html';
import { artifactCrumbs } from './listing-page';
import type { Links } from './links';
import { typeLabel } from './listing-query';
import type { PreviewResult } from './preview';

export interface FilePageInput {
  route: ArtifactRoute;
  links: Links;
  /** Folders between the artifact root and the file ([] for a file at the root). */
  dirs: readonly string[];
  name: string;
  /** The artifact is a listing (a directory or an archive); false for a single-file artifact. */
  rootIsListing: boolean;
  size?: number;
  lastModified?: Date;
  /** The file is a member of this archive (its name). */
  inArchive?: string;
  /** Canonical path of the file's bytes. */
  filePath: string;
  /** Canonical path of the archive's listing, for a .tgz artifact's own page. */
  browsePath?: string;
  preview: PreviewResult;
}

export function renderFilePage(p: FilePageInput): string {
  const crumbs: Crumb[] = p.rootIsListing
    ? [...artifactCrumbs(p.route, p.links, p.dirs, true), { label: p.name }]
    : artifactCrumbs(p.route, p.links, [], false);
  const meta: string[] = [];
  if (p.size !== undefined) meta.push(`<dt>Size</dt><dd>${humanSize(p.size)} <span class="muted">(${count(p.size)} bytes)</span></dd>`);
  if (p.lastModified) meta.push(`<dt>Last modified</dt><dd>${timeTag(p.lastModified)}</dd>`);
  meta.push(`<dt>Type</dt><dd>${escapeHtml(typeLabel({ name: p.name, dir: false }))}</dd>`);
  if (p.inArchive) meta.push(`<dt>In archive</dt><dd>${escapeHtml(p.inArchive)}</dd>`);
  const buttons: string[] = [];
  const download = p.links.to(p.filePath);
  if (download) buttons.push(`<a class="btn primary" href="${escapeHtml(download)}">Download</a>`);
  const browse = p.browsePath ? p.links.to(p.browsePath) : undefined;
  if (browse) buttons.push(`<a class="btn" href="${escapeHtml(browse)}">Browse archive</a>`);
  const shared = p.links.shared ? '<p class="note">Opened through a share link for this file.</p>' : '';
  const caption = p.preview.caption ? `<span>${escapeHtml(p.preview.caption)}</span>` : '';
  const body =
    `${shared}<div class="bar"><h1 style="margin:0;font-size:20px;overflow-wrap:anywhere">${escapeHtml(p.name)}</h1><div class="actions">${buttons.join('')}</div></div>` +
    `<dl class="meta">${meta.join('')}</dl>` +
    `<section class="preview" aria-label="preview"><h2>Preview ${caption}</h2><div class="pv">${p.preview.html}</div></section>`;
  return renderPage({ title: `${p.name} · ${p.route.workflow}`, crumbs, body });
}
