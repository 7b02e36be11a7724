// Which keys one download may read (the tenancy model's download half, issue 10). A Workflow's status
// is its users' to write (Argo's CRD has no status subresource), so the key a status names proves
// nothing by itself. A key is served only when
//   - it lies under the namespace prefix of the workflow the URL names (the caller has just read that
//     workflow with its own token, so it may read the namespace's artifacts), or
//   - its object records an owner (shared/tenancy, written by the coordinator at upload) that is a
//     workflow of that namespace, or one the caller may get (a SelfSubjectAccessReview, see auth.ts).
// Directories (listings, and the probe that redirects to one) only inside the namespace prefix: a
// prefix has no recorded owner, and filtering a listing would still show another tenant's file names.
// Every refusal is one body per namespace: the same whether or not anything is stored at the key.
// In single-tenant layouts (no namespace in the key template) there is no boundary: anything under the
// artifact root is served, as before.
import { HttpError } from '../http/errors';
import type { ObjectInfo, OssClient } from '../oss';
import { namespacePrefix, recordedOwner, type KeySpace, type WorkflowIdentity } from '../tenancy';
import { headOrUndefined } from './object';

export interface KeyGuard {
  /**
   * The object at `key` (its HEAD, reused for serving) if this request may read it; undefined when
   * nothing is stored there and the key lies inside the boundary. Throws the refusal otherwise.
   */
  object(key: string): Promise<ObjectInfo | undefined>;
  /** Throws the refusal unless the "directory" `prefix` (ending in '/') may be listed or probed. */
  directory(prefix: string): void;
}

export interface KeyGuardOptions {
  oss: OssClient;
  /** Namespace of the workflow the URL names (which the caller may read). */
  namespace: string;
  /** That namespace's key prefix; undefined in single-tenant mode (no boundary). */
  boundary: string | undefined;
  /** May this request read artifacts recorded as written by `owner` (a workflow of another namespace)? */
  mayReadOwner(owner: WorkflowIdentity): Promise<boolean>;
}

/**
 * The namespace's key prefix, or undefined when the namespace boundary does not exist: single-tenant
 * mode, or a key template without {{workflow.namespace}} (then namespacePrefix is undefined).
 */
export function tenantBoundary(space: KeySpace, namespace: string, singleTenant = false): string | undefined {
  return singleTenant ? undefined : namespacePrefix(space, namespace);
}

/** The one refusal of a namespace: it names nothing but the namespace and its prefix. */
export function keyNotServed(namespace: string, boundary: string): HttpError {
  return new HttpError(
    403,
    'KeyNotServed',
    `not served: the artifact lies outside namespace ${namespace}'s artifacts (${boundary}) and is not recorded as written by a workflow ` +
      `you may read; directories are listed only inside ${boundary}`,
  );
}

export function keyGuard(o: KeyGuardOptions): KeyGuard {
  const { boundary } = o;
  const refuse = () => keyNotServed(o.namespace, boundary!);
  return {
    async object(key) {
      if (boundary === undefined || key.startsWith(boundary)) return headOrUndefined(o.oss, key);
      // One HEAD decides, and serves: the owner recorded at write time, or nothing.
      const info = await headOrUndefined(o.oss, key);
      const owner = recordedOwner(info?.meta);
      if (info && owner && (owner.namespace === o.namespace || (await o.mayReadOwner(owner)))) return info;
      throw refuse();
    },
    directory(prefix) {
      if (boundary !== undefined && !prefix.startsWith(boundary)) throw refuse();
    },
  };
}
