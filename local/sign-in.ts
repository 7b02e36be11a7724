// The local stack's sign-in page: a form that takes a bearer token from tokens.yaml, checks it with
// the local Kubernetes API (TokenReview), and sets Argo's `authorization` cookie on this host
// (`Bearer <token>`, SameSite=Strict, HttpOnly), then returns to the page that asked. In the cloud the
// Argo UI sets that cookie; this page only exists on `argo-oss local`. GET /sign-in/out clears it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, renderPage } from '../shared/download/browser/html';
import { BodyTooLarge, readBody } from '../shared/http/node';
import type { Mount } from './gateway';

export const SIGN_IN_PATH = '/sign-in';

const MAX_BODY = 16 * 1024;
const TOKEN = /^[\x21-\x7e]{1,16384}$/;

/** Checks a token against the cluster: true when it authenticates. */
export type TokenCheck = (token: string) => Promise<boolean>;

/** Where to go after signing in: a path on this host only (never `//host` or a URL). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f\u007f]/.test(next)) return '/';
  return next;
}

function page(next: string, error?: string): string {
  const body =
    '<div class="card"><h1>Sign in</h1>' +
    '<p class="muted">argo-oss local: artifacts are read with your Kubernetes token, as the Argo UI does. Use a token from ' +
    '<code>tokens.yaml</code> in the cluster directory, or the admin token <code>argo-oss local</code> printed (<code>ARGO_OSS_TOKEN</code> in <code>local.env</code>).</p>' +
    (error ? `<p class="note" role="alert">${escapeHtml(error)}</p>` : '') +
    `<form method="post" action="${SIGN_IN_PATH}">` +
    `<input type="hidden" name="next" value="${escapeHtml(next)}">` +
    '<label for="token">Bearer token</label><input id="token" name="token" type="password" autocomplete="off" required autofocus>' +
    '<button type="submit">Sign in</button></form>' +
    `<p class="muted">Sets the <code>authorization</code> cookie for this host. <a href="${SIGN_IN_PATH}/out">Sign out</a></p></div>`;
  return renderPage({ title: 'Sign in · argo-oss local', body });
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, html: string, extra: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: with it, browsers send `Origin: null` on the form post.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string, cookie: string): void {
  res.writeHead(303, { location, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': '0' });
  res.end();
}

/** A form post from another site must not sign this browser in (login CSRF). */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function signInMount(check: TokenCheck): Mount {
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === `${SIGN_IN_PATH}/out`) {
      return redirect(res, SIGN_IN_PATH, 'authorization=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly');
    }
    if (url.pathname !== SIGN_IN_PATH) return send(res, 404, page('/', `No page at ${url.pathname}.`));
    if (req.method === 'GET' || req.method === 'HEAD') return send(res, 200, page(safeNext(url.searchParams.get('next'))));
    if (req.method !== 'POST') return send(res, 405, page('/', `${req.method} is not allowed here.`), { allow: 'GET, POST' });
    if (!sameOrigin(req)) return send(res, 403, page('/', 'This sign-in form was sent from another site.'));
    let raw: Buffer | undefined;
    try {
      raw = await readBody(req, MAX_BODY);
    } catch (err) {
      if (err instanceof BodyTooLarge) return send(res, 413, page('/', 'The form is too large.'));
      throw err;
    }
    const form = new URLSearchParams(raw?.toString('utf8') ?? '');
    const next = safeNext(form.get('next'));
    const token = (form.get('token') ?? '').trim().replace(/^Bearer\s+/i, '');
    if (!TOKEN.test(token)) return send(res, 400, page(next, 'Enter a token (printable characters, no spaces).'));
    if (!(await check(token))) return send(res, 401, page(next, 'The cluster does not know this token.'));
    redirect(res, next, `authorization=${encodeURIComponent(`Bearer ${token}`)}; Path=/; SameSite=Strict; HttpOnly`);
  };
  return { name: 'sign-in', prefix: SIGN_IN_PATH, description: 'local sign-in: sets the authorization cookie from a token', handler };
}
