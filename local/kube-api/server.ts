// The HTTP side: health endpoints without auth, bearer authentication for everything else, routing,
// and turning every failure into a Kubernetes Status response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from './router';
import { failureStatus, internalError, KubeStatusError, requestTooLarge, unauthorized } from './status';
import { authenticate, TokensFileError, type TokenRegistry } from './tokens';

/** kube-apiserver's default request body limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

export interface ServerDeps {
  router: Router;
  tokens: TokenRegistry;
  log: (line: string) => void;
}

export function createRequestListener(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.log(`failed to answer ${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) send(res, 500, internalError(String(err)).toStatus());
      else res.destroy();
    });
  };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://kube-api.local');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;

  // Health checks are open, like kube-apiserver's (and /readyz/ping etc.).
  if ((method === 'GET' || method === 'HEAD') && [...HEALTH].some((h) => path === h || path.startsWith(`${h}/`))) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
    res.end('ok');
    return;
  }

  try {
    const token = bearerToken(req);
    if (!token) throw unauthorized();
    const tokens = await deps.tokens.current();
    const who = authenticate(tokens, token);
    if (!who.authenticated) {
      deps.log(`401 ${method} ${path}: ${who.error}`);
      throw unauthorized();
    }
    const { handler, params } = deps.router.resolve(method, path);
    let body: Promise<string> | undefined;
    const reply = await handler({
      method,
      url,
      params,
      headers: req.headers,
      contentType: (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(),
      user: who.user,
      tokens,
      body: () => (body ??= readBody(req, MAX_BODY_BYTES)),
    });
    send(res, reply.code, reply.body);
  } catch (err) {
    const status =
      err instanceof KubeStatusError
        ? err.toStatus()
        : err instanceof TokensFileError
          ? failureStatus(500, 'InternalError', `the local kube-api cannot authenticate: ${err.message}`)
          : undefined;
    if (!status) throw err;
    if (status.code !== 401) deps.log(`${status.code} ${method} ${path}: ${status.message}`);
    send(res, status.code, status);
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(requestTooLarge(limit));
        req.resume(); // drain the rest so the 413 can still be written
        req.removeAllListeners('data');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}
