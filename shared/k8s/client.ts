// The cluster reads the functions need, over @kubernetes/client-node 1.x: TokenReview (who is calling,
// from which pod), Pods, and the owners a pod's identity is proven by (Workflows, Argo's
// WorkflowArtifactGCTasks). Errors become KubeError with the HTTP status.
import { AuthenticationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { OwnedMeta, OwnerLookup } from '../tenancy/pod-owner';

export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';

export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
  /** The pod a bound service-account token belongs to (from user.extra). */
  pod?: { name: string; uid: string };
  /** For a service account: its namespace and name (from the username). */
  serviceAccount?: { namespace: string; name: string };
  audiences?: string[];
  /** Why the API server rejected the token. */
  error?: string;
}

export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly operation: string,
    /** HTTP status; 0 when no response (network). */
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${message}`, options);
  }
}

/** An ApiException (or network error) from client-node as a KubeError with the API server's reason. */
export function toKubeError(operation: string, err: unknown): KubeError {
  const e = err as { code?: unknown; body?: unknown; message?: string };
  const status = typeof e?.code === 'number' ? e.code : 0;
  let reason = e?.message ?? String(err);
  if (typeof e?.body === 'string') {
    try {
      const parsed = JSON.parse(e.body) as { message?: string };
      if (parsed.message) reason = parsed.message;
    } catch {
      /* keep the message */
    }
  }
  return new KubeError(operation, status, reason.split('\n')[0], { cause: err });
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

export class KubeClient implements OwnerLookup {
  private readonly auth: AuthenticationV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(readonly kubeConfig: KubeConfig) {
    this.auth = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** TokenReview; `audiences` empty means the API server's own audience. */
  async reviewToken(token: string, audiences: readonly string[] = []): Promise<TokenReviewResult> {
    let review;
    try {
      review = await this.auth.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length ? { audiences: [...audiences] } : {}) } },
      });
    } catch (err) {
      throw toKubeError('TokenReview', err);
    }
    const status = review.status ?? {};
    if (!status.authenticated) return { authenticated: false, groups: [], extra: {}, ...(status.error ? { error: status.error } : {}) };
    const user = status.user ?? {};
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(user.extra ?? {})) extra[k] = Array.isArray(v) ? v.map(String) : [String(v)];
    const podName = extra[POD_NAME_EXTRA]?.[0];
    const podUid = extra[POD_UID_EXTRA]?.[0];
    const sa = user.username ? SA_USER.exec(user.username) : null;
    return {
      authenticated: true,
      ...(user.username ? { username: user.username } : {}),
      ...(user.uid ? { uid: user.uid } : {}),
      groups: user.groups ?? [],
      extra,
      ...(podName && podUid ? { pod: { name: podName, uid: podUid } } : {}),
      ...(sa ? { serviceAccount: { namespace: sa[1], name: sa[2] } } : {}),
      ...(status.audiences ? { audiences: status.audiences } : {}),
    };
  }

  /** The pod, or undefined when it does not exist. */
  async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (err) {
      const e = toKubeError('get pod', err);
      if (e.status === 404) return undefined;
      throw e;
    }
  }

  /** A Workflow's metadata (uid, ownerReferences, …), or undefined when it does not exist. */
  getWorkflowMeta(namespace: string, name: string): Promise<OwnedMeta | undefined> {
    return this.argoMeta('workflows', namespace, name);
  }

  /** An Argo WorkflowArtifactGCTask's metadata, or undefined when it does not exist. */
  getArtifactGCTaskMeta(namespace: string, name: string): Promise<OwnedMeta | undefined> {
    return this.argoMeta('workflowartifactgctasks', namespace, name);
  }

  private async argoMeta(plural: string, namespace: string, name: string): Promise<OwnedMeta | undefined> {
    try {
      const obj = (await this.custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural, namespace, name })) as { metadata?: OwnedMeta };
      return obj?.metadata ?? {};
    } catch (err) {
      const e = toKubeError(`get ${plural}`, err);
      if (e.status === 404) return undefined;
      throw e;
    }
  }
}
