// The artifact download web function, platform-free: `handle(req, res)` on Node's own request and
// response (an FC web function is a Node http server, and so is the local gateway). Wiring from the
// configuration is in createDownloadAppFromConfig; tests and the local stack inject their clients.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { servedStorage, type ServedStorage } from '../argo';
import type { Config } from '../config';
import { payloadTooLarge, readJsonObject } from '../http/body';
import { BodyTooLarge, flattenHeaders, readBody } from '../http/node';
import { HttpError, invalidArgument } from '../http/errors';
import { MAX_JSON_BODY_BYTES } from '../http/types';
import { kubeConfigFromConfig, type KubeAccessConfig } from '../k8s';
import type { FcContext } from '../http/fc';
import { createOssClientFromConfig, getObjectStream, type ObjectInfo, type OssAccessConfig, type OssClient } from '../oss';
import { keyGuard, tenantBoundary, type KeyGuard } from './access';
import { callerWorkflowReaders, kubeWorkflowReader, readWorkflowAs, requestToken, type CallerAccess, type WorkflowReader } from './auth';
import { sendError, toHttpError } from './errors';
import { baseName } from './headers';
import { archiveEntries, ListingWriter, writeDirectoryListing, type ListingFormat } from './listing';
import { prefixExists, redirect, serveObject, serveTgzMember, type ServeContext } from './object';
import { childKey, isTgzKey, resolveArtifact } from './resolve';
import { canonicalPath, parseArtifactPath, routePrefix, splitTarget, type ArtifactRoute } from './routes';
import { parseShareRequest, shareGrant, shareParams, shareSignature, sharingDisabled, verifyShare, verifyShareGrant } from './share';
import { trackClient } from './stream';
import { listTgz } from './tgz';
import * as browser from './browser/serve';

export type DownloadConfig = Pick<
  Config,
  | 'ossBucket'
  | 'ossRegion'
  | 'ossEndpoint'
  | 'servedEndpoints'
  | 'artifactRoot'
  | 'workflowKeyPrefix'
  | 'singleTenant'
  | 'downloadMode'
  | 'downloadUrlTtlSeconds'
  | 'shareSecret'
  | 'shareMaxTtlSeconds'
  | 'contentSecurityPolicy'
  | 'xFrameOptions'
  | 'authCacheSeconds'
  | 'tgzMaxBytes'
  | 'tgzMaxEntries'
  | 'folderDownloadMaxEntries'
  | 'folderDownloadMaxBytes'
>;

export interface DownloadDeps {
  oss: OssClient;
  /** Reads workflows, and asks what it may read, with the caller's token (the cluster's RBAC decides). */
  workflowReader: (token: string) => CallerAccess;
  /** The function's own identity; only share links use it. Without it share links are refused. */
  serviceReader?: WorkflowReader;
  /** Default: servedStorage(config). */
  served?: ServedStorage;
  /** Leave Content-Length out of bodies (FC strips it and streams only chunked responses). */
  omitContentLength?: boolean;
  now?: () => number;
  log?: (line: string) => void;
  /** A sign-in page on the same host (the local stack's), linked from the 401 page browsers get. */
  signInPath?: string;
}

export interface DownloadApp {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): void;
}

const ARTIFACT_PREFIXES = new Set(['artifacts', 'input-artifacts', 'artifact-files', 'artifacts-by-uid', 'input-artifacts-by-uid']);
const SHARE_BODY_LIMIT = 16 * 1024;

interface QueryOptions {
  format: ListingFormat;
  raw: boolean;
  /** ?download=zip|tgz: a folder as an archive. */
  folder?: browser.FolderFormat;
  /** ?view: the file's page (preview) instead of its bytes. */
  view: boolean;
  redirect: boolean;
}

function queryOptions(query: URLSearchParams, config: DownloadConfig): QueryOptions {
  const format = query.get('format') ?? 'html';
  if (format !== 'html' && format !== 'json') throw invalidArgument('format', 'must be "html" or "json"');
  const download = query.get('download');
  if (download !== null && download !== 'raw' && !browser.folderFormat(query)) {
    throw invalidArgument('download', 'must be "raw" (the archive itself), or "zip" / "tgz" (a folder as an archive)');
  }
  const r = query.get('redirect');
  if (r !== null && !/^(true|false|1|0)$/.test(r)) throw invalidArgument('redirect', 'must be true or false');
  return { format, raw: download === 'raw', folder: browser.folderFormat(query), view: browser.wantsFilePage(query), redirect: r === null ? config.downloadMode === 'redirect' : r === 'true' || r === '1' };
}

async function readShareBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const max = Math.min(SHARE_BODY_LIMIT, MAX_JSON_BODY_BYTES);
  try {
    return await readBody(req, max);
  } catch (err) {
    throw err instanceof BodyTooLarge ? payloadTooLarge(max) : err;
  }
}

export function createDownloadApp(config: DownloadConfig, deps: DownloadDeps): DownloadApp {
  const served = deps.served ?? servedStorage(config);
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.error(line));
  const settings = { served, artifactRoot: config.artifactRoot };
  const space = { artifactRoot: config.artifactRoot, workflowKeyPrefix: config.workflowKeyPrefix };
  /** The namespace's key prefix; undefined in single-tenant mode, where no namespace boundary exists. */
  const boundaryOf = (namespace: string) => tenantBoundary(space, namespace, config.singleTenant);

  const unauthenticated = () =>
    new HttpError(401, 'Unauthorized', 'a token is required: Authorization: Bearer <token> or the authorization cookie', {
      headers: { 'www-authenticate': 'Bearer realm="argo-oss"' },
    });

  /** The keys a caller may read through a workflow of `namespace`: its prefix, or objects whose recorded owner the caller may get. */
  function callerGuard(caller: CallerAccess, namespace: string): KeyGuard {
    return keyGuard({
      oss: deps.oss,
      namespace,
      boundary: boundaryOf(namespace),
      mayReadOwner: (owner) => caller.mayGetWorkflow(owner.namespace, owner.name),
    });
  }

  /**
   * Whose eyes read the workflow, and which keys they may then read: a valid share link's (the
   * function's identity; the link's grant must name the artifact's key, which its maker was allowed to
   * read) or the caller's token (callerGuard).
   */
  function requesterFor(req: IncomingMessage, query: URLSearchParams, route: ArtifactRoute): { reader: WorkflowReader; guardFor(key: string): KeyGuard } {
    const share = shareParams(query);
    if (share) {
      verifyShare(share, route.canonicalPath, config.shareSecret, Math.floor(now() / 1000));
      if (!deps.serviceReader) throw new HttpError(501, 'ShareLinksUnavailable', 'share links need the function\'s own cluster identity, which is not configured');
      return {
        reader: deps.serviceReader,
        guardFor(key) {
          verifyShareGrant(share, route.canonicalPath, key, config.shareSecret!);
          // The grant stands for its maker's right to this key: no token here to ask the cluster with.
          return keyGuard({ oss: deps.oss, namespace: route.namespace, boundary: boundaryOf(route.namespace), mayReadOwner: async () => true });
        },
      };
    }
    const token = requestToken(req.headers);
    if (token === undefined) throw unauthenticated();
    const caller = deps.workflowReader(token);
    return { reader: caller, guardFor: () => callerGuard(caller, route.namespace) };
  }

  async function serveTgzListing(ctx: ServeContext, key: string, info: ObjectInfo, dir: string, route: ArtifactRoute, format: ListingFormat, page: browser.BrowserRequest): Promise<void> {
    if (format === 'html') return browser.serveArchivePage(page, key, info, dir, { maxBytes: config.tgzMaxBytes, maxEntries: config.tgzMaxEntries });
    const archive = await getObjectStream(ctx.oss, key, info.etag ? { ifMatch: info.etag } : {});
    const members = await listTgz(archive.stream, { signal: ctx.signal, maxBytes: config.tgzMaxBytes, maxEntries: config.tgzMaxEntries });
    const entries = archiveEntries(members, dir);
    if (!entries) throw new HttpError(404, 'MemberNotFound', `the archive has no directory ${JSON.stringify(dir)}`);
    const w = new ListingWriter(ctx.res, format, route.canonicalPath, ctx.head);
    await w.start(config);
    await w.entries(entries);
    await w.end();
  }

  /**
   * Authorises, resolves the artifact's key, then picks what the path names (every key through the guard):
   *   /artifacts, /input-artifacts, ?download=raw   the artifact's object (a directory → its listing URL)
   *   /artifact-files/…/{art}                       the object; a directory → redirect to {art}/
   *   /artifact-files/…/{art}/[dir/]                listing: of the .tgz's entries, or of the objects below the key
   *   /artifact-files/…/{art}/{path}                a .tgz member, or the object key/path
   */
  async function serveArtifact(req: IncomingMessage, res: ServerResponse, route: ArtifactRoute, query: URLSearchParams, signal: AbortSignal): Promise<void> {
    const opts = queryOptions(query, config);
    if (opts.raw && route.subPath.length > 0) throw invalidArgument('download', 'download=raw applies to the artifact itself, not to a path inside it');
    const requester = requesterFor(req, query, route);
    const wf = await readWorkflowAs(requester.reader, route.namespace, route.workflow);
    const { key } = resolveArtifact(wf, route, settings);
    const guard = requester.guardFor(key);
    const head = req.method === 'HEAD';
    const ctx: ServeContext = { req, res, head, signal, oss: deps.oss, config, omitContentLength: deps.omitContentLength ?? false, log };
    // Pages opened through a share link sign their own links (below the shared path) for this key.
    const grant = browser.linkGrant(query, config.shareSecret, key);
    const page: browser.BrowserRequest = { ctx, route, query, ...(grant ? { grant } : {}) };
    const search = (target: string) => browser.redirectSearch(query, route.canonicalPath, target, grant);
    const file = (k: string, listed = true) => (info: ObjectInfo) =>
      opts.view && !opts.raw && route.kind === 'artifact-files'
        ? browser.serveObjectPage(page, k, info, { rootIsListing: listed, ...(isTgzKey(k) && route.subPath.length === 0 ? { browsePath: `${route.canonicalPath}/` } : {}) })
        : serveObject(ctx, k, info, { fileName: baseName(k), redirect: opts.redirect });
    const redirectIfDirectory = (k: string, location: string) => async () => {
      if (!(await prefixExists(deps.oss, `${k}/`))) return false;
      redirect(res, location);
      return true;
    };

    /**
     * The ladder every path climbs: the object at `target`, or the directory below `target/`, in
     * `order`; 404 when neither is there. The guard sees the key before anything is looked up, so a
     * refusal never depends on what is stored.
     */
    async function climb(target: string, order: 'object-first' | 'directory-first', on: { object(info: ObjectInfo): Promise<void> | void; directory(): Promise<boolean> }): Promise<void> {
      const asObject = async () => {
        const info = await guard.object(target);
        if (info) await on.object(info);
        return info !== undefined;
      };
      const asDirectory = async () => {
        guard.directory(`${target}/`);
        return on.directory();
      };
      for (const step of order === 'object-first' ? [asObject, asDirectory] : [asDirectory, asObject]) if (await step()) return;
      throw new HttpError(404, 'ObjectNotFound', `artifact ${route.artifactName}: nothing is stored at ${route.subPath.length ? route.subPath.join('/') : 'its key'} (deleted, or never written)`);
    }

    if (route.kind !== 'artifact-files' || opts.raw) {
      // A directory artifact: its listing lives on the artifact-files route.
      const listing = canonicalPath({ ...route, kind: 'artifact-files', subPath: [], trailingSlash: true });
      return climb(key, 'object-first', { object: file(key), directory: redirectIfDirectory(key, listing) });
    }
    if (route.subPath.length === 0 && !route.trailingSlash) {
      // A .tgz too, as Argo Server serves it.
      return climb(key, 'object-first', { object: file(key, false), directory: redirectIfDirectory(key, `${route.canonicalPath}/${search(`${route.canonicalPath}/`)}`) });
    }
    if (isTgzKey(key)) {
      const info = await guard.object(key);
      if (info) {
        if (opts.folder) throw invalidArgument('download', 'a .tgz artifact is already an archive: use download=raw for it, or download its files one by one');
        const member = route.subPath.join('/');
        if (route.trailingSlash) return serveTgzListing(ctx, key, info, member, route, opts.format, page);
        return opts.view ? browser.serveMemberPage(page, key, info, member) : serveTgzMember(ctx, key, info, member);
      }
    }
    const target = childKey(key, route.subPath, config.artifactRoot);
    if (route.trailingSlash) {
      const folderLimits = { maxEntries: config.folderDownloadMaxEntries, maxBytes: config.folderDownloadMaxBytes };
      return climb(target, 'directory-first', {
        directory: () =>
          opts.folder
            ? browser.serveFolderDownload(page, `${target}/`, opts.folder, folderLimits)
            : opts.format === 'html'
              ? browser.serveDirectoryPage(page, `${target}/`)
              : writeDirectoryListing(deps.oss, `${target}/`, { res, format: opts.format, title: route.canonicalPath, head, config, signal }),
        object: () => redirect(res, `${route.canonicalPath.slice(0, -1)}${search(route.canonicalPath.slice(0, -1))}`),
      });
    }
    return climb(target, 'object-first', { object: file(target), directory: redirectIfDirectory(target, `${route.canonicalPath}/${search(`${route.canonicalPath}/`)}`) });
  }

  /**
   * What serving `route` would read, put to the guard without reading it: the same keys, in the same
   * order, as serveArtifact. A share link is made only for what its maker may read.
   */
  async function authorizeTarget(route: ArtifactRoute, key: string, guard: KeyGuard): Promise<void> {
    if (route.kind !== 'artifact-files' || (route.subPath.length === 0 && !route.trailingSlash)) {
      await guard.object(key);
      return;
    }
    if (isTgzKey(key) && (await guard.object(key))) return;
    const target = childKey(key, route.subPath, config.artifactRoot);
    if (route.trailingSlash) guard.directory(`${target}/`);
    else await guard.object(target);
  }

  async function share(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const secret = config.shareSecret;
    if (!secret) throw sharingDisabled();
    const token = requestToken(req.headers);
    if (token === undefined) throw unauthenticated();
    const shareBody = await readShareBody(req);
    const body = await readJsonObject(
      { method: 'POST', path: '/share', query: new URLSearchParams(), headers: flattenHeaders(req.headers), body: async () => shareBody },
      { maxBytes: SHARE_BODY_LIMIT },
    );
    const request = parseShareRequest(body, config.shareMaxTtlSeconds);
    let route: ArtifactRoute;
    try {
      route = parseArtifactPath(request.path);
    } catch (err) {
      if (err instanceof HttpError && err.status < 500) throw invalidArgument('path', `is not an artifact path: ${err.message}`);
      throw err;
    }
    // The caller must be able to read the artifact now; a link never grants more than its maker had,
    // and it stays bound to the key it was made for (the grant).
    const caller = deps.workflowReader(token);
    const wf = await readWorkflowAs(caller, route.namespace, route.workflow);
    const { key } = resolveArtifact(wf, route, settings);
    await authorizeTarget(route, key, callerGuard(caller, route.namespace));
    const expires = Math.floor(now() / 1000) + request.ttlSeconds;
    const qs = new URLSearchParams({
      expires: String(expires),
      signature: shareSignature(secret, route.canonicalPath, expires),
      grant: shareGrant(secret, route.canonicalPath, expires, key),
    });
    const path = `${route.canonicalPath}?${qs}`;
    const host = req.headers['x-forwarded-host'] ?? req.headers.host;
    const proto = (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0].trim() || 'http';
    const text = JSON.stringify({ path, ...(host ? { url: `${proto}://${host}${path}` } : {}), expiresAt: new Date(expires * 1000).toISOString() });
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  async function route(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const { rawPath, query } = splitTarget(req.url ?? '/');
    const prefix = routePrefix(rawPath);
    const method = (req.method ?? 'GET').toUpperCase();
    if (prefix === 'share' && /^\/share\/?$/.test(rawPath)) {
      if (method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on /share (allowed: POST)`, { headers: { allow: 'POST' } });
      return share(req, res);
    }
    if (!ARTIFACT_PREFIXES.has(prefix)) throw new HttpError(404, 'NotFound', `no route for ${rawPath}`);
    if (method !== 'GET' && method !== 'HEAD') {
      throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on artifacts (allowed: GET, HEAD)`, { headers: { allow: 'GET, HEAD' } });
    }
    return serveArtifact(req, res, parseArtifactPath(rawPath), query, signal);
  }

  return {
    async handle(req, res) {
      const signal = trackClient(res);
      try {
        await route(req, res, signal);
      } catch (err) {
        if (signal.aborted) return; // the client left; nobody to tell
        const httpErr = toHttpError(err);
        if (!httpErr || httpErr.status >= 500) log(`artifact-download: ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
        const e = httpErr ?? new HttpError(500, 'InternalError', 'internal error');
        if (browser.wantsHtml(req)) browser.sendErrorPage(res, e, req.method === 'HEAD', config, { path: req.url ?? '/', ...(deps.signInPath ? { signInPath: deps.signInPath } : {}) });
        else sendError(res, e, req.method === 'HEAD');
      }
    },
    close() {},
  };
}

export interface DownloadAppFromConfigOptions {
  /** Use this OSS client (closed by the caller) instead of one from the configuration. */
  oss?: OssClient;
  /** The cluster to read workflows from; default kubeConfigFromConfig(config). Its own identity serves share links. */
  kubeConfig?: KubeConfig;
  fcContext?: FcContext | null;
  omitContentLength?: boolean;
  log?: (line: string) => void;
  /** A sign-in page on the same host (the local stack's /sign-in). */
  signInPath?: string;
}

export type DownloadFullConfig = DownloadConfig & OssAccessConfig & KubeAccessConfig;

/** The app with clients built from the configuration (OSS client and cluster access). No I/O. */
export function createDownloadAppFromConfig(config: DownloadFullConfig, options: DownloadAppFromConfigOptions = {}): DownloadApp & { oss: OssClient } {
  const oss = options.oss ?? createOssClientFromConfig(config, { fcContext: options.fcContext ?? null, maxSockets: 256 });
  const kubeConfig = options.kubeConfig ?? kubeConfigFromConfig(config).kubeConfig;
  // Successful reads are reused only briefly: long enough for a burst of range requests, short enough
  // that a changed workflow (or a revoked permission) shows within seconds.
  const resultTtlMs = Math.min(config.authCacheSeconds, 5) * 1000;
  const app = createDownloadApp(config, {
    oss,
    workflowReader: callerWorkflowReaders(kubeConfig, { resultTtlMs }),
    serviceReader: kubeWorkflowReader(kubeConfig),
    ...(options.omitContentLength !== undefined ? { omitContentLength: options.omitContentLength } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.signInPath ? { signInPath: options.signInPath } : {}),
  });
  return {
    ...app,
    oss,
    close: () => {
      app.close();
      if (!options.oss) oss.close();
    },
  };
}
