// Errors as a page for people: a browser navigating to an artifact (Accept: text/html) gets an HTML
// page saying what happened and what to do — for a 401 how to sign in (the local stack's sign-in
// page when there is one) — while API clients (curl, argo cp, fetch: */* or JSON) keep the JSON
// error. Same status, same headers, same information; nothing about whether a refused thing exists.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpError } from '../../http/errors';
import { listingSecurityPolicy, securityHeaders, type SecurityConfig } from '../headers';
import { escapeHtml, renderPage } from './html';

/** True for a browser navigation: the request prefers HTML (JSON-asking clients are left alone). */
export function wantsHtml(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  if (!/\btext\/html\b/i.test(accept)) return false;
  const q = (type: RegExp): number => {
    for (const part of accept.split(',')) {
      const [t, ...params] = part.trim().split(';');
      if (!type.test(t.trim())) continue;
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return qp ? Number(qp.slice(2)) || 0 : 1;
    }
    return -1;
  };
  return q(/^text\/html$/i) > 0 && q(/^text\/html$/i) >= q(/^application\/json$/i);
}

const TITLES: Record<number, string> = {
  400: 'This address is not valid',
  401: 'Sign in to see this artifact',
  403: 'You cannot open this artifact',
  404: 'Not found',
  405: 'Not allowed',
  410: 'This artifact was deleted',
  413: 'Too large',
  416: 'Range not satisfiable',
  422: 'This artifact cannot be shown',
  501: 'Not supported here',
};

export interface ErrorPageOptions {
  /** The local stack's sign-in page (e.g. /sign-in); absent in the cloud, where the Argo UI signs people in. */
  signInPath?: string;
  /** The path that was asked for, to come back to after signing in. */
  path: string;
}

export function renderErrorPage(err: HttpError, o: ErrorPageOptions): string {
  const title = TITLES[err.status] ?? (err.status >= 500 ? 'Something went wrong' : 'This request cannot be served');
  const parts = [`<div class="card" style="max-width:640px"><h1>${escapeHtml(title)}</h1>`, `<p>${escapeHtml(err.message)}</p>`];
  if (err.status === 401) {
    if (o.signInPath) {
      const href = `${o.signInPath}?${new URLSearchParams({ next: o.path })}`;
      parts.push(`<p><a class="btn primary" href="${escapeHtml(href)}">Sign in with a token</a></p>`);
    }
    parts.push(
      '<p class="muted">Artifacts are read with your own Kubernetes token: sign in to the Argo UI on this host (its <code>authorization</code> cookie is used), ' +
        'send <code>Authorization: Bearer &lt;token&gt;</code>, or open a share link someone made for you.</p>',
    );
  } else if (err.status === 403) {
    parts.push('<p class="muted">Your token does not allow reading this workflow, or the link is not valid for this path. Ask for access, or for a share link.</p>');
  } else if (err.status >= 500) {
    parts.push('<p class="muted">Try again in a moment.</p>');
  }
  parts.push(`<p class="muted">HTTP ${err.status} · <code>${escapeHtml(err.code)}</code></p></div>`);
  return renderPage({ title, body: parts.join('') });
}

/** Writes `err` as an HTML page (the caller checked wantsHtml); cuts the connection if something was already sent. */
export function sendErrorPage(res: ServerResponse, err: HttpError, head: boolean, config: SecurityConfig, o: ErrorPageOptions): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = Buffer.from(renderErrorPage(err, o), 'utf8');
  res.writeHead(err.status, {
    ...securityHeaders(config),
    'content-security-policy': listingSecurityPolicy(config.contentSecurityPolicy),
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(body.length),
    ...err.headers,
  });
  res.end(head ? undefined : body);
}
