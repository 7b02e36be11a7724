// Who is asking, and may they read the workflow? Like Argo Server's client auth mode: the caller's own
// bearer token (Authorization header, else the `authorization` cookie) reads the Workflow from the
// Kubernetes API, so the cluster's RBAC decides. The function's own identity is used only for share
// links, whose HMAC already proved the right to one artifact.
import { createHash } from 'node:crypto';
import { AuthorizationV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { Workflow } from '../argo';
import { HttpError } from '../http/errors';
import { KubeError, toKubeError } from '../k8s';

/** Reads one Workflow; throws KubeError with the API server's status (401, 403, 404, 0 = network). */
export interface WorkflowReader {
  getWorkflow(namespace: string, name: string): Promise<Workflow>;
}

/** A caller's own view of the cluster: the workflows it reads, and what RBAC lets it read. */
export interface CallerAccess extends WorkflowReader {
  /**
   * May the caller get this workflow? A SelfSubjectAccessReview with the caller's token: RBAC alone
   * decides, so the answer is the same whether the workflow exists, was deleted or never existed.
   * Throws KubeError when the API server cannot answer.
   */
  mayGetWorkflow(namespace: string, name: string): Promise<boolean>;
}

const unauthorized = (message: string) => new HttpError(401, 'Unauthorized', message, { headers: { 'www-authenticate': 'Bearer realm="argo-oss"' } });

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

const TOKEN = /^[\x21-\x7e]{1,16384}$/;

/**
 * The bearer token of a request: `Authorization: Bearer <t>`, else the `authorization` cookie, whose
 * value is `Bearer <t>` (Argo UI) or the bare token. undefined when neither is present; 401 when one
 * is present but malformed.
 */
export function requestToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  const header = Array.isArray(auth) ? auth[0] : auth;
  const cookieHeader = headers.cookie;
  const raw = header !== undefined && header.trim() !== '' ? header : cookie(Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader, 'authorization');
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*Bearer\s*$/i.test(raw)) throw unauthorized('the bearer token is empty');
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(raw);
  const token = m ? m[1] : raw.trim();
  if (!m && /\s/.test(token)) throw unauthorized('the token must be "Bearer <token>"');
  if (!TOKEN.test(token)) throw unauthorized('the bearer token is malformed');
  return token;
}

/** The caller's view of a workflow, as an HttpError when the cluster says no. */
export async function readWorkflowAs(reader: WorkflowReader, namespace: string, name: string): Promise<Workflow> {
  try {
    return await reader.getWorkflow(namespace, name);
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    // Only the request's own names appear: a 403 reads the same whether the workflow exists or not.
    if (err.status === 401) throw unauthorized('the Kubernetes API did not accept the token');
    if (err.status === 403) throw new HttpError(403, 'Forbidden', `not allowed to get workflow ${namespace}/${name}`);
    if (err.status === 404) throw new HttpError(404, 'WorkflowNotFound', `workflow ${namespace}/${name} not found`);
    throw err;
  }
}

/** A WorkflowReader over client-node with the kubeconfig's own identity. */
export function kubeWorkflowReader(kubeConfig: KubeConfig): WorkflowReader {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async getWorkflow(namespace, name) {
      try {
        return (await api.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace, plural: 'workflows', name })) as Workflow;
      } catch (err) {
        throw toKubeError('get workflow', err);
      }
    },
  };
}

/** A CallerAccess over client-node with the kubeconfig's identity (a caller's token, see kubeConfigForToken). */
export function kubeCallerAccess(kubeConfig: KubeConfig): CallerAccess {
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  return {
    ...kubeWorkflowReader(kubeConfig),
    async mayGetWorkflow(namespace, name) {
      try {
        const review = await authz.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { verb: 'get', group: 'argoproj.io', resource: 'workflows', namespace, name } },
          },
        });
        return review.status?.allowed === true && review.status.denied !== true;
      } catch (err) {
        const e = toKubeError('SelfSubjectAccessReview', err);
        // A caller who may not even ask is a caller who may not read.
        if (e.status === 403) return false;
        throw e;
      }
    },
  };
}

/** The cluster of `base` (server URL, CA, TLS settings) with `token` as the only credential. */
export function kubeConfigForToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'caller', token }],
    contexts: [{ name: 'caller', cluster: cluster.name, user: 'caller' }],
    currentContext: 'caller',
  });
  return kc;
}

export interface CallerReadersOptions {
  /** How long a caller's client is kept (ms); default 5 minutes. */
  clientTtlMs?: number;
  /** How long a successful workflow read is reused for the same token (ms); 0 = never. */
  resultTtlMs?: number;
  maxClients?: number;
  /** Workflows kept for reuse across all callers (they can be large). Default 32. */
  maxResults?: number;
  now?: () => number;
}

/** A map that drops its oldest entry when full. */
function bounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * `(token) => CallerAccess` for the cluster of `base`, with each caller's client cached briefly
 * (keyed by a hash of the token, never the token itself) and, optionally, successful reads and access
 * decisions reused for a few seconds so a burst of range requests or listing clicks costs one API call.
 */
export function callerWorkflowReaders(base: KubeConfig, options: CallerReadersOptions = {}): (token: string) => CallerAccess {
  const clientTtl = options.clientTtlMs ?? 300_000;
  const resultTtl = options.resultTtlMs ?? 0;
  const now = options.now ?? Date.now;
  const clients = new Map<string, { reader: CallerAccess; until: number }>();
  const results = new Map<string, { wf: Workflow; until: number }>();
  const decisions = new Map<string, { allowed: boolean; until: number }>();
  return (token) => {
    const id = createHash('sha256').update(token).digest('hex');
    let entry = clients.get(id);
    if (!entry || entry.until <= now()) {
      entry = { reader: kubeCallerAccess(kubeConfigForToken(base, token)), until: now() + clientTtl };
      bounded(clients, options.maxClients ?? 256, id, entry);
    }
    const { reader } = entry;
    return {
      async getWorkflow(namespace, name) {
        const key = `${id} ${namespace}/${name}`;
        const hit = results.get(key);
        if (hit && hit.until > now()) return hit.wf;
        const wf = await reader.getWorkflow(namespace, name);
        if (resultTtl > 0) bounded(results, options.maxResults ?? 32, key, { wf, until: now() + resultTtl });
        return wf;
      },
      async mayGetWorkflow(namespace, name) {
        const key = `${id} ${namespace}/${name}`;
        const hit = decisions.get(key);
        if (hit && hit.until > now()) return hit.allowed;
        const allowed = await reader.mayGetWorkflow(namespace, name);
        if (resultTtl > 0) bounded(decisions, options.maxClients ?? 256, key, { allowed, until: now() + resultTtl });
        return allowed;
      },
    };
  };
}
