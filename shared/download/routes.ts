// The three Argo Server artifact routes, parsed from the raw request target and validated segment by
// segment. The path is split BEFORE percent-decoding (so `%2F` cannot become a separator) and never
// goes through WHATWG URL parsing (which would silently resolve `..` and `%2e%2e`).
import { HttpError, invalidArgument } from '../http/errors';
import { hasControlChars, isArtifactName, isNamespaceName, isObjectName } from '../tenancy';

export type RouteKind = 'artifacts' | 'input-artifacts' | 'artifact-files';
export type ArtifactIo = 'inputs' | 'outputs';

export interface ArtifactRoute {
  kind: RouteKind;
  namespace: string;
  workflow: string;
  nodeId: string;
  io: ArtifactIo;
  artifactName: string;
  /** Decoded path segments below the artifact (artifact-files only); [] for the artifact itself. */
  subPath: string[];
  /** The path ended in '/': a directory (or archive) listing is asked for. */
  trailingSlash: boolean;
  /** The path with every segment re-encoded the same way: what share links sign and redirects use. */
  canonicalPath: string;
}

export interface RequestTarget {
  /** Percent-encoded path as sent. */
  rawPath: string;
  query: URLSearchParams;
}

/** Splits `req.url` (origin-form, or absolute-form from a proxy) into raw path and query. */
export function splitTarget(url: string): RequestTarget {
  let target = url;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (abs) target = target.slice(abs[0].length) || '/';
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  return { rawPath: rawPath === '' ? '/' : rawPath, query: new URLSearchParams(q >= 0 ? target.slice(q + 1) : '') };
}


/** One decoded path segment, refused when it could escape or alias a key. */
export function decodeSegment(raw: string, field: string): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw invalidArgument(field, `malformed percent-encoding in ${JSON.stringify(raw)}`);
  }
  if (s === '') throw invalidArgument(field, 'must not be empty (no "//" in the path)');
  if (s === '.' || s === '..') throw invalidArgument(field, "must not be '.' or '..'");
  if (s.includes('/') || s.includes('\\')) throw invalidArgument(field, "must not contain an encoded '/' or '\\'");
  if (hasControlChars(s)) throw invalidArgument(field, 'must not contain control characters');
  if (Buffer.byteLength(s, 'utf8') > 1023) throw invalidArgument(field, 'is too long');
  return s;
}

function checked(value: string, field: string, rule: (s: string) => boolean, what: string): string {
  if (!rule(value)) throw invalidArgument(field, `${JSON.stringify(value)} is not ${what}`);
  return value;
}

const notFound = (rawPath: string) => new HttpError(404, 'NotFound', `no route for ${rawPath}`);

/** Raw (still encoded) segments after the leading '/', and whether the path ended in '/'. */
function segments(rawPath: string): { raw: string[]; trailingSlash: boolean } {
  if (!rawPath.startsWith('/')) throw invalidArgument('path', "must start with '/'");
  const raw = rawPath.slice(1).split('/');
  const trailingSlash = raw.length > 1 && raw[raw.length - 1] === '';
  if (trailingSlash) raw.pop();
  // Dot segments are refused wherever they are, before the shape is even looked at.
  if (raw.some((s) => /^(\.|%2e){1,2}$/i.test(s))) throw invalidArgument('path', "must not contain '.' or '..' segments");
  return { raw, trailingSlash };
}

/** The first path segment (decoded), used to pick the handler before full validation. */
export function routePrefix(rawPath: string): string {
  const first = rawPath.replace(/^\/+/, '').split('/')[0] ?? '';
  try {
    return decodeURIComponent(first);
  } catch {
    return first;
  }
}

export function canonicalPath(r: Omit<ArtifactRoute, 'canonicalPath'>): string {
  const head =
    r.kind === 'artifact-files'
      ? ['artifact-files', r.namespace, 'workflows', r.workflow, r.nodeId, r.io, r.artifactName]
      : [r.kind, r.namespace, r.workflow, r.nodeId, r.artifactName];
  return `/${[...head, ...r.subPath].map(encodeURIComponent).join('/')}${r.trailingSlash ? '/' : ''}`;
}

/**
 * Parses one of
 *   /artifacts/{ns}/{wf}/{nodeId}/{artifact}
 *   /input-artifacts/{ns}/{wf}/{nodeId}/{artifact}
 *   /artifact-files/{ns}/workflows/{wf}/{nodeId}/{inputs|outputs}/{artifact}[/{path…}][/]
 * Throws 404 for other shapes, 400 naming the field for a bad segment, 501 for archived workflows.
 */
export function parseArtifactPath(rawPath: string): ArtifactRoute {
  const { raw, trailingSlash } = segments(rawPath);
  const kind = raw[0];
  if (kind === 'artifacts-by-uid' || kind === 'input-artifacts-by-uid') {
    throw new HttpError(501, 'ArchivedWorkflowsUnsupported', 'archived workflows live in Argo Server\'s database, which this function cannot read; use the live workflow\'s /artifacts/... path');
  }
  if (kind === 'artifacts' || kind === 'input-artifacts') {
    if (raw.length !== 5 || trailingSlash) throw notFound(rawPath);
    const [namespace, workflow, nodeId, artifactName] = [
      decodeSegment(raw[1], 'namespace'),
      decodeSegment(raw[2], 'workflow'),
      decodeSegment(raw[3], 'nodeId'),
      decodeSegment(raw[4], 'artifactName'),
    ];
    const route = {
      kind,
      namespace: checked(namespace, 'namespace', isNamespaceName, 'a Kubernetes namespace name'),
      workflow: checked(workflow, 'workflow', isObjectName, 'a Kubernetes object name'),
      nodeId,
      io: kind === 'artifacts' ? 'outputs' : 'inputs',
      artifactName: checked(artifactName, 'artifactName', isArtifactName, 'an Argo artifact name'),
      subPath: [],
      trailingSlash: false,
    } as const;
    return { ...route, subPath: [], canonicalPath: canonicalPath({ ...route, subPath: [] }) };
  }
  if (kind === 'artifact-files') {
    if (raw.length < 7) throw notFound(rawPath);
    const namespace = checked(decodeSegment(raw[1], 'namespace'), 'namespace', isNamespaceName, 'a Kubernetes namespace name');
    const source = decodeSegment(raw[2], 'path');
    if (source === 'archived-workflows') {
      throw new HttpError(501, 'ArchivedWorkflowsUnsupported', "archived workflows live in Argo Server's database, which this function cannot read");
    }
    if (source !== 'workflows') throw notFound(rawPath);
    const workflow = checked(decodeSegment(raw[3], 'workflow'), 'workflow', isObjectName, 'a Kubernetes object name');
    const nodeId = decodeSegment(raw[4], 'nodeId');
    const io = decodeSegment(raw[5], 'io');
    if (io !== 'inputs' && io !== 'outputs') throw invalidArgument('io', `must be "inputs" or "outputs", not ${JSON.stringify(io)}`);
    const artifactName = checked(decodeSegment(raw[6], 'artifactName'), 'artifactName', isArtifactName, 'an Argo artifact name');
    const subPath = raw.slice(7).map((s) => decodeSegment(s, 'path'));
    const route = { kind, namespace, workflow, nodeId, io, artifactName, subPath, trailingSlash } as const;
    return { ...route, subPath, canonicalPath: canonicalPath(route) };
  }
  throw notFound(rawPath);
}
