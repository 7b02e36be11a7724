// Who may read, list and delete which keys through the object endpoints (docs/security.md):
//   admin (ARGO_OSS_ADMIN_GROUPS)      → any key (validateArtifactKey keeps .argo-oss/ out)
//   reader (ARGO_OSS_READERS)          → stat and list any key; never delete (argo-server's identity:
//                                        argo-server checks the user's RBAC before it calls the plugin)
//   a workflow's pod, or Argo's artifact-GC pod of that workflow (its owner Workflow, proven in the
//   cluster) → read: keys under its namespace's prefix (single-tenant layouts: anywhere under the
//                artifact root), or any object whose recorded owner is in its namespace;
//              delete: keys under its workflow's prefix, or objects whose recorded owner is its
//                workflow (same uid).
// A refusal is the same 403 whether or not the key exists: what lies outside a caller's prefixes is
// only ever shown after the object's recorded owner has proven the caller may see it.
import { HttpError } from '../http/errors';
import { isSameWorkflow, isUnder, namespacePrefix, type KeySpace, type WorkflowIdentity } from '../tenancy';
import { callerWorkflow, type Caller } from '../upload/auth';

/** allow: by the key alone; deny: never; owner: only if the object's recorded owner says so. */
export type Access = 'allow' | 'deny' | 'owner';

export function readAccess(caller: Caller, key: string, space: KeySpace): Access {
  if (caller.kind === 'admin' || caller.kind === 'reader') return 'allow';
  const prefix = namespacePrefix(space, caller.namespace) ?? space.artifactRoot;
  if (prefix === '' || isUnder(key, prefix)) return 'allow';
  return 'owner';
}

/** Listing: only prefixes that lie wholly inside what the caller may read (no owner check per object). */
export function listAccess(caller: Caller, prefix: string, space: KeySpace): boolean {
  if (caller.kind === 'admin' || caller.kind === 'reader') return true;
  const allowed = namespacePrefix(space, caller.namespace) ?? space.artifactRoot;
  // A raw prefix `team-a` would also list `team-ab/…`: only `team-a/…` counts.
  return allowed === '' || prefix.startsWith(allowed);
}

/** A recorded owner lets a workflow caller read an object of its own namespace. */
export function ownerAllowsRead(caller: Caller, owner: WorkflowIdentity | undefined): boolean {
  return caller.kind === 'workflow' && owner !== undefined && owner.namespace === caller.namespace;
}

export function deleteAccess(caller: Caller, key: string): Access {
  if (caller.kind === 'admin') return 'allow';
  if (caller.kind === 'reader') return 'deny';
  return isUnder(key, caller.prefix) ? 'allow' : 'owner';
}

/** A recorded owner lets a workflow caller delete what its own workflow (same uid) wrote. */
export function ownerAllowsDelete(caller: Caller, owner: WorkflowIdentity | undefined): boolean {
  return caller.kind === 'workflow' && owner !== undefined && isSameWorkflow(owner, callerWorkflow(caller));
}

/** 403 with the same body whether or not the key exists. */
export function forbidden(caller: Caller, what: 'read' | 'list' | 'delete', key: string): HttpError {
  const who = caller.kind === 'workflow' ? `workflow ${caller.namespace}/${caller.workflow}` : caller.username || caller.kind;
  return new HttpError(403, 'Forbidden', `${who} may not ${what} ${key}`, { field: what === 'list' ? 'prefix' : 'key' });
}
