// Who is calling, and which keys may they write?
//
//   Authorization: Bearer <token> → TokenReview →
//     member of an admin group (ARGO_OSS_ADMIN_GROUPS)          → any valid, non-reserved key
//     pod-bound service-account token (pod name + uid in extra) → Pod (uid must match, same service
//       account) → label workflows.argoproj.io/workflow → keys under the workflow's prefix
//     anything else                                             → 403
// Missing or malformed header, or a token the API server rejects → 401.
import { createHash } from 'node:crypto';
import { HttpError } from '../http/errors';
import { KubeError, type KubeClient } from '../k8s';
import { workflowKeyPrefix } from '../tenancy';
import type { UploadOwner } from './manifest';

export const WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';

export type Caller =
  | { kind: 'admin'; username: string; groups: string[] }
  | { kind: 'workflow'; username: string; namespace: string; workflow: string; pod: string; podUid: string; prefix: string };

export interface AuthSettings {
  adminGroups: readonly string[];
  tokenAudiences: readonly string[];
  workflowKeyPrefix: string;
  artifactRoot: string;
  /** 0 disables the cache of successful checks. */
  cacheSeconds: number;
}

const unauthorized = (message: string) =>
  new HttpError(401, 'Unauthorized', message, { headers: { 'www-authenticate': 'Bearer realm="argo-oss"' } });
const forbidden = (message: string, details?: unknown) => new HttpError(403, 'Forbidden', message, details === undefined ? {} : { details });

function kubeUnavailable(err: unknown): HttpError {
  const e = err as KubeError;
  if (e instanceof KubeError && (e.status === 401 || e.status === 403)) {
    return new HttpError(500, 'AuthMisconfigured', `the coordinator may not ${e.operation} in the cluster (${e.status}): give its identity create tokenreviews and get pods`);
  }
  return new HttpError(503, 'AuthUnavailable', `the Kubernetes API could not be reached to check the token: ${(err as Error).message}`, { headers: { 'retry-after': '2' } });
}

export class Authenticator {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly kube: KubeClient,
    private readonly settings: AuthSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller behind the request's Authorization header; throws 401/403/503 HttpErrors. */
  async authenticate(headers: Record<string, string>): Promise<Caller> {
    const header = headers.authorization;
    if (header === undefined || header.trim() === '') throw unauthorized('an Authorization: Bearer <token> header is required');
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
    if (!m) throw unauthorized('the Authorization header must be "Bearer <token>"');
    const token = m[1];
    const cacheKey = createHash('sha256').update(token).digest('hex');
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > this.now()) return hit.caller;
    const caller = await this.resolve(token);
    if (this.settings.cacheSeconds > 0) {
      if (this.cache.size >= 1000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(cacheKey, { caller, until: this.now() + this.settings.cacheSeconds * 1000 });
    }
    return caller;
  }

  private async resolve(token: string): Promise<Caller> {
    let review;
    try {
      review = await this.kube.reviewToken(token, this.settings.tokenAudiences);
    } catch (err) {
      throw kubeUnavailable(err);
    }
    if (!review.authenticated) throw unauthorized(`the token was not accepted${review.error ? `: ${review.error}` : ''}`);
    const username = review.username ?? '';
    if (review.groups.some((g) => this.settings.adminGroups.includes(g))) return { kind: 'admin', username, groups: review.groups };
    if (!review.pod || !review.serviceAccount) {
      throw forbidden(`${username || 'this user'} is neither an admin nor a pod: only a pod-bound service-account token of a workflow pod may upload`);
    }
    const { namespace } = review.serviceAccount;
    let pod;
    try {
      pod = await this.kube.getPod(namespace, review.pod.name);
    } catch (err) {
      throw kubeUnavailable(err);
    }
    if (!pod) throw forbidden(`the token's pod ${namespace}/${review.pod.name} does not exist`);
    if (pod.metadata?.uid !== review.pod.uid) throw forbidden(`the token was issued to another pod named ${namespace}/${review.pod.name} (uid mismatch)`);
    const podSa = pod.spec?.serviceAccountName ?? 'default';
    if (podSa !== review.serviceAccount.name) throw forbidden(`the pod ${namespace}/${review.pod.name} runs as ${podSa}, not ${review.serviceAccount.name}`);
    const workflow = pod.metadata?.labels?.[WORKFLOW_LABEL];
    if (!workflow) throw forbidden(`the pod ${namespace}/${review.pod.name} has no ${WORKFLOW_LABEL} label: it is not part of an Argo workflow`);
    const prefix = workflowKeyPrefix(this.settings.workflowKeyPrefix, { name: workflow, namespace }, this.settings.artifactRoot);
    return { kind: 'workflow', username, namespace, workflow, pod: review.pod.name, podUid: review.pod.uid, prefix };
  }
}

/** 403 unless the caller may write `key` (already validated by validateArtifactKey). */
export function authorizeKey(caller: Caller, key: string, field = 'key'): void {
  if (caller.kind === 'admin') return;
  if (!key.startsWith(caller.prefix)) {
    throw new HttpError(403, 'Forbidden', `${field}: workflow ${caller.namespace}/${caller.workflow} may only write keys under ${caller.prefix}`, {
      field,
      details: { allowedPrefix: caller.prefix },
    });
  }
}

export function ownerOf(caller: Caller): UploadOwner {
  return caller.kind === 'admin'
    ? { username: caller.username, admin: true }
    : { username: caller.username, admin: false, workflow: caller.workflow, namespace: caller.namespace, pod: caller.pod, podUid: caller.podUid };
}
