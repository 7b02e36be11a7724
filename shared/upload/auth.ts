// Who is calling, and which keys may they write?
//
//   Authorization: Bearer <token> → TokenReview →
//     member of an admin group (ARGO_OSS_ADMIN_GROUPS)          → any valid, non-reserved key
//     pod-bound service-account token (pod name + uid in extra) → Pod (uid must match, same service
//       account, still running) → its controller owner, read in the cluster with the coordinator's
//       own identity: a Workflow of the pod's namespace (name AND uid), or a WorkflowArtifactGCTask
//       controlled by one (shared/tenancy/pod-owner.ts) → keys under that Workflow's prefix.
//       The `workflows.argoproj.io/workflow` label is never trusted.
//     anything else                                             → 403
// Missing or malformed header, or a token the API server rejects → 401.
import { createHash } from 'node:crypto';
import { HttpError } from '../http/errors';
import { KubeError, type KubeClient } from '../k8s';
import { PodOwnerError, resolvePodOwner, workflowKeyPrefix, type PodRole, type WorkflowIdentity } from '../tenancy';
import type { UploadOwner } from './manifest';

export type Caller =
  | { kind: 'admin'; username: string; groups: string[] }
  | {
      kind: 'workflow';
      username: string;
      /** 'workflow': one of the workflow's own pods; 'artifact-gc': one of Argo's artifact-GC pods of it. */
      role: PodRole;
      namespace: string;
      /** The owner Workflow's name and uid, proven in the cluster. */
      workflow: string;
      workflowUid: string;
      pod: string;
      podUid: string;
      /** The key prefix the workflow owns (ARGO_OSS_ARTIFACT_ROOT + ARGO_OSS_WORKFLOW_KEY_PREFIX). */
      prefix: string;
    };

/** The Workflow a workflow caller acts for. */
export function callerWorkflow(caller: Extract<Caller, { kind: 'workflow' }>): WorkflowIdentity {
  return { namespace: caller.namespace, name: caller.workflow, uid: caller.workflowUid };
}

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
    return new HttpError(
      500,
      'AuthMisconfigured',
      `the coordinator may not ${e.operation} in the cluster (${e.status}): give its identity create tokenreviews and get pods, workflows and workflowartifactgctasks`,
    );
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
    let owner;
    try {
      owner = await resolvePodOwner(this.kube, namespace, pod);
    } catch (err) {
      if (err instanceof PodOwnerError) throw forbidden(err.message);
      throw kubeUnavailable(err);
    }
    const { workflow } = owner;
    const prefix = workflowKeyPrefix(this.settings.workflowKeyPrefix, workflow, this.settings.artifactRoot);
    return {
      kind: 'workflow',
      username,
      role: owner.role,
      namespace,
      workflow: workflow.name,
      workflowUid: workflow.uid,
      pod: review.pod.name,
      podUid: review.pod.uid,
      prefix,
    };
  }
}

/** 403 unless the caller may write `key` (already validated by validateArtifactKey). */
export function authorizeKey(caller: Caller, key: string, field = 'key'): void {
  if (caller.kind === 'admin') return;
  if (caller.role !== 'workflow') {
    throw new HttpError(403, 'Forbidden', `${field}: the artifact-GC pod ${caller.namespace}/${caller.pod} of workflow ${caller.namespace}/${caller.workflow} may not write`, { field });
  }
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
    : {
        username: caller.username,
        admin: false,
        workflow: caller.workflow,
        workflowUid: caller.workflowUid,
        namespace: caller.namespace,
        pod: caller.pod,
        podUid: caller.podUid,
      };
}
