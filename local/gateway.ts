import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { REQUEST_TIMEOUTS } from '../shared/http/node';
import type { AddressInfo } from 'node:net';
import type { Env } from '../shared/config';
import type { LocalCredential } from './env';

/** A function mounted on the local gateway: the same core the FC adapters call, behind a path prefix. */
export interface Mount {
  name: string;
  /** Path prefix such as `/uploads`; the longest matching prefix wins. */
  prefix: string;
  description: string;
  /**
   * 'admin': an operator's route (GC events, the reconcile): the gateway answers 401 unless the request
   * carries `Authorization: Bearer <the stack's admin token>`, before the handler sees it or its body.
   * Functions that authenticate callers themselves (uploads, downloads) leave it unset.
   */
  auth?: 'admin';
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

/**
 * How the local stack hands a mounted function its OSS and cluster access: always from these
 * arguments, never from the environment, so stray cloud credentials or ARGO_OSS_KUBE_* variables
 * cannot point the local stack elsewhere.
 */
export interface LocalFunctionAccess {
  /** The local OSS server (`http://localhost:<port>`: ali-oss cannot presign on an IP). */
  ossEndpoint: string;
  credential: LocalCredential;
  region: string;
  bucket: string;
  /** Kubeconfig of the local cluster; its current context is the stack's admin. */
  kubeconfigPath: string;
  /** The function's own settings (ARGO_OSS_*); default process.env. */
  env?: Env;
  log?: (line: string) => void;
}

export interface GatewayOptions {
  host?: string;
  port: number;
  mounts: Mount[];
  /** The admin bearer token admin mounts require (the local cluster's admin token); required when any mount is admin. */
  adminToken?: string;
  /** Shown by `GET /` so a user can see what the local stack serves. */
  info?: Record<string, unknown>;
  log?: (line: string) => void;
  /** Deadlines for receiving a request's headers and whole request (ms); default REQUEST_TIMEOUTS. */
  timeouts?: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval?: number };
}

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function matches(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Does the request carry `Authorization: Bearer <token>`? Compared in constant time. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

/** The local stand-in for FC's HTTP triggers: routes requests to mounted functions by path prefix. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const mounts = [...opts.mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const adminToken = opts.adminToken;
  if (mounts.some((m) => m.auth === 'admin') && !adminToken) throw new Error('the gateway serves admin routes but has no admin token');
  const server = createServer({ ...REQUEST_TIMEOUTS, ...opts.timeouts }, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const started = Date.now();
    res.on('finish', () => opts.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    const mount = mounts.find((m) => matches(m.prefix, path));
    if (mount) {
      if (mount.auth === 'admin' && !hasBearer(req, adminToken!)) {
        // Before the body is read; the connection closes, so an unread body cannot linger on it.
        res.setHeader('www-authenticate', 'Bearer realm="argo-oss local admin"');
        res.setHeader('connection', 'close');
        return sendJson(res, 401, { error: { code: 'Unauthorized', message: `${mount.prefix} is an admin route: send Authorization: Bearer <the admin token> (ARGO_OSS_TOKEN in local.env)` } });
      }
      Promise.resolve(mount.handler(req, res)).catch((err: Error) => {
        opts.log?.(`${mount.name}: unhandled error: ${err.stack ?? err}`);
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalError', message: err.message } });
        else res.destroy(err);
      });
      return;
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, {
        ...opts.info,
        functions: mounts.map((m) => ({ name: m.name, prefix: m.prefix, description: m.description })),
      });
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `no function is mounted at ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
