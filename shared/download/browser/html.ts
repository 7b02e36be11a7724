// The artifact browser's HTML shell: one self-contained page (inline CSS, inline SVG icons, no
// script, no external asset, so the strict CSP holds), light and dark by prefers-color-scheme, and
// the small formatting helpers every page uses. Every text that comes from a name, a key or a file
// goes through escapeHtml.
import { escapeHtml, humanSize } from '../listing';

export { escapeHtml, humanSize };
import { count } from '../../numbers';
export { count, plural } from '../../numbers';

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--head:#f6f8fa;--hover:#f3f6f9;--link:#0969da;--btn:#f6f8fa;--btn-border:#d1d9e0;--accent:#0969da;--accent-fg:#fff;--code:#f6f8fa;--err:#cf222e;--warn:#9a6700;--note:#ddf4ff;--note-border:#54aeff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--border:#3d444d;--head:#151b23;--hover:#1c232c;--link:#4493f8;--btn:#212830;--btn-border:#3d444d;--accent:#1f6feb;--accent-fg:#fff;--code:#151b23;--err:#ff7b72;--warn:#d29922;--note:#121d2f;--note-border:#1f6feb}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
header{padding:14px 24px 10px;border-bottom:1px solid var(--border);background:var(--head)}
.product{font-size:12px;color:var(--muted);letter-spacing:.02em}
nav.crumbs{font-size:16px;margin-top:2px;overflow-wrap:anywhere}
nav.crumbs .sep{color:var(--muted);margin:0 6px}
nav.crumbs .here{font-weight:600}
nav.crumbs .ctx{color:var(--muted)}
main{padding:16px 24px 32px;max-width:1280px}
.bar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between;margin-bottom:12px}
.summary{color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:8px}
.btn{display:inline-block;padding:4px 12px;border:1px solid var(--btn-border);border-radius:6px;background:var(--btn);color:var(--fg);font-size:13px;font-weight:500;white-space:nowrap}
.btn:hover{text-decoration:none;border-color:var(--muted)}
.btn.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
.btn.small{padding:1px 8px;font-size:12px;font-weight:400}
table.files{width:100%;border-collapse:collapse;border:1px solid var(--border);border-radius:6px}
table.files th{background:var(--head);font-weight:600;text-align:left;padding:7px 12px;border-bottom:1px solid var(--border);white-space:nowrap}
table.files th a{color:var(--fg)}
table.files td{padding:6px 12px;border-bottom:1px solid var(--border);vertical-align:middle}
table.files tr:last-child td{border-bottom:0}
table.files tbody tr:hover td{background:var(--hover)}
td.name{overflow-wrap:anywhere}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.when,td.type{color:var(--muted);white-space:nowrap}
td.act{text-align:right;white-space:nowrap}
svg.icon{width:16px;height:16px;vertical-align:-3px;margin-right:8px;fill:var(--muted)}
svg.icon.dir{fill:#54aeff}
.pager{display:flex;gap:8px;align-items:center;margin-top:12px;color:var(--muted)}
.note{border:1px solid var(--note-border);background:var(--note);border-radius:6px;padding:8px 12px;margin:0 0 12px}
.empty{padding:24px;text-align:center;color:var(--muted)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 16px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
section.preview{border:1px solid var(--border);border-radius:6px;overflow:hidden}
section.preview>h2{margin:0;padding:8px 12px;font-size:13px;font-weight:600;background:var(--head);border-bottom:1px solid var(--border);display:flex;justify-content:space-between;gap:12px}
section.preview>h2 span{font-weight:400;color:var(--muted)}
.pv{padding:12px;overflow:auto;max-height:75vh}
pre{margin:0;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
pre.log .err{color:var(--err)}pre.log .warn{color:var(--warn)}
table.csv{border-collapse:collapse;font-size:13px}
table.csv th,table.csv td{border:1px solid var(--border);padding:3px 8px;text-align:left;vertical-align:top;white-space:pre-wrap}
table.csv th{background:var(--head);position:sticky;top:-12px}
.md{max-width:900px}.md code{background:var(--code);padding:1px 4px;border-radius:4px;font-size:85%}
.md pre{background:var(--code);padding:12px;border-radius:6px}.md pre code{background:none;padding:0}
.md blockquote{margin:0;padding:0 12px;border-left:3px solid var(--border);color:var(--muted)}
.md table{border-collapse:collapse}.md th,.md td{border:1px solid var(--border);padding:4px 10px}
img.pv-img{max-width:100%;height:auto;display:block;margin:0 auto;background:repeating-conic-gradient(#8882 0 25%,#0000 0 50%) 0 0/16px 16px}
.card{max-width:420px;margin:48px auto;border:1px solid var(--border);border-radius:8px;padding:20px 24px}
.card h1{font-size:20px;margin:0 0 8px}
.card label{display:block;font-weight:600;margin:12px 0 4px}
.card input{width:100%;padding:6px 8px;border:1px solid var(--border);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
.card button{margin-top:14px;padding:6px 16px;border:1px solid var(--accent);border-radius:6px;background:var(--accent);color:var(--accent-fg);font:inherit;font-weight:600;cursor:pointer}
.muted{color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
`.replace(/\n/g, '');

const FOLDER_SVG = '<svg class="icon dir" viewBox="0 0 16 16" aria-hidden="true"><path d="M1.75 1A1.75 1.75 0 0 0 0 2.75v10.5C0 14.22.78 15 1.75 15h12.5A1.75 1.75 0 0 0 16 13.25v-8.5A1.75 1.75 0 0 0 14.25 3H7.5a.25.25 0 0 1-.2-.1l-.9-1.2C6.07 1.26 5.55 1 5 1H1.75Z"/></svg>';
const FILE_SVG = '<svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M2 1.75C2 .78 2.78 0 3.75 0h6.59c.46 0 .9.18 1.23.51l2.92 2.92c.33.33.51.77.51 1.23v9.59A1.75 1.75 0 0 1 13.25 16h-9.5A1.75 1.75 0 0 1 2 14.25Zm1.75-.25a.25.25 0 0 0-.25.25v12.5c0 .14.11.25.25.25h9.5a.25.25 0 0 0 .25-.25V6h-2.75A1.75 1.75 0 0 1 9 4.25V1.5Zm6.75.06V4.25c0 .14.11.25.25.25h2.69Z"/></svg>';

export const icon = (dir: boolean): string => (dir ? FOLDER_SVG : FILE_SVG);

/** One breadcrumb: a link when `href` is given, plain text otherwise (the current page, or a place the reader may not open). */
export interface Crumb {
  label: string;
  href?: string;
  /** Context only (namespace, workflow, node): shown muted, never a link. */
  context?: boolean;
}

export function renderCrumbs(crumbs: readonly Crumb[]): string {
  const parts = crumbs.map((c, i) => {
    const label = escapeHtml(c.label);
    if (c.context) return `<span class="ctx">${label}</span>`;
    if (c.href && i < crumbs.length - 1) return `<a href="${escapeHtml(c.href)}">${label}</a>`;
    return i === crumbs.length - 1 ? `<span class="here">${label}</span>` : `<span>${label}</span>`;
  });
  return `<nav class="crumbs" aria-label="breadcrumbs">${parts.join('<span class="sep">/</span>')}</nav>`;
}

export interface PageParts {
  title: string;
  crumbs?: readonly Crumb[];
  /** Already-escaped HTML. */
  body: string;
}

/** A whole HTML document. */
export function renderPage(p: PageParts): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="color-scheme" content="light dark">' +
    `<title>${escapeHtml(p.title)}</title><style>${CSS}</style></head><body>` +
    `<header><div class="product">argo-oss-artifacts</div>${p.crumbs ? renderCrumbs(p.crumbs) : `<nav class="crumbs"><span class="here">${escapeHtml(p.title)}</span></nav>`}</header>` +
    `<main>${p.body}</main></body></html>\n`
  );
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2024-05-01 13:07 UTC`: unambiguous and sortable, whatever the reader's locale. */
export function humanTime(d: Date | undefined): string {
  if (!d || Number.isNaN(d.getTime())) return '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `<time>` with the exact instant in the attribute. */
export function timeTag(d: Date | undefined): string {
  if (!d || Number.isNaN(d.getTime())) return '';
  return `<time datetime="${d.toISOString()}">${humanTime(d)}</time>`;
}


/** A human size with the exact byte count as a tooltip. */
export function sizeTag(bytes: number): string {
  return `<span title="${count(bytes)} bytes">${humanSize(bytes)}</span>`;
}
