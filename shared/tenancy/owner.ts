// Ownership recorded at write time: the coordinator stamps every object it writes with the Workflow
// that wrote it (OSS user metadata, set at InitiateMultipartUpload), so download and GC can prove with
// one HEAD who owns a key, also outside the usual prefix. Callers may never set these keys themselves.
import { isNamespaceName, isObjectName, isUid } from './names';

/** A Workflow as the cluster knows it: name, namespace and uid (a re-created namespace/name has a new uid). */
export interface WorkflowIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** User-metadata names (ali-oss `meta` keys; on the wire x-oss-meta-<name>). */
export const OWNER_META = {
  namespace: 'argo-oss-namespace',
  workflow: 'argo-oss-workflow',
  uid: 'argo-oss-workflow-uid',
} as const;

const RESERVED_META = /^argo-oss-/i;

/** True for metadata names that only the coordinator may set. */
export const isReservedMetaKey = (name: string): boolean => RESERVED_META.test(name);

/** The metadata that records `owner` on an object. */
export function ownerMetadata(owner: WorkflowIdentity): Record<string, string> {
  return { [OWNER_META.namespace]: owner.namespace, [OWNER_META.workflow]: owner.name, [OWNER_META.uid]: owner.uid };
}

/** The owner recorded in an object's user metadata (names in any case), or undefined if none or malformed. */
export function recordedOwner(meta: Readonly<Record<string, string | undefined>> | undefined): WorkflowIdentity | undefined {
  if (!meta) return undefined;
  const get = (name: string) => Object.entries(meta).find(([k]) => k.toLowerCase() === name)?.[1];
  const namespace = get(OWNER_META.namespace);
  const name = get(OWNER_META.workflow);
  const uid = get(OWNER_META.uid);
  if (!isNamespaceName(namespace) || !isObjectName(name) || !isUid(uid)) return undefined;
  return { namespace, name, uid };
}

/** The same Workflow: same namespace, name and uid. */
export function isSameWorkflow(a: WorkflowIdentity, b: WorkflowIdentity): boolean {
  return a.uid === b.uid && a.namespace === b.namespace && a.name === b.name;
}
