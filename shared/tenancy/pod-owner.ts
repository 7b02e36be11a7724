// Who a pod is: the Workflow its controller ownerReference leads to, read in the cluster (name AND
// uid), never its `workflows.argoproj.io/workflow` label, which anyone who can create a pod can set.
//
//   workflow pod      pod ─controller→ Workflow (same namespace)
//   artifact-GC pod   pod ─controller→ WorkflowArtifactGCTask ─controller→ Workflow (same namespace)
//
// (argo-workflows workflow/controller: every pod it creates carries NewControllerRef(wf);
// artifact_gc.go createWorkflowArtifactGCTask owns the task by the Workflow and createArtifactGCPod
// owns the GC pod by its task.) The pod must still run: not Succeeded/Failed, not being deleted.
// Platform-free: the cluster reads come through the OwnerLookup port (shared/k8s implements it).
import { isObjectName, isUid } from './names';
import type { WorkflowIdentity } from './owner';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

/** The metadata of a Kubernetes object that identity depends on. */
export interface OwnedMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  deletionTimestamp?: unknown;
  ownerReferences?: OwnerReference[];
}

export interface PodLike {
  metadata?: OwnedMeta;
  status?: { phase?: string };
}

/** Reads of the owner chain, with the coordinator's own identity; undefined when the object does not exist. */
export interface OwnerLookup {
  getWorkflowMeta(namespace: string, name: string): Promise<OwnedMeta | undefined>;
  getArtifactGCTaskMeta(namespace: string, name: string): Promise<OwnedMeta | undefined>;
}

/** A workflow's own pod, or one of Argo's artifact-GC pods of the workflow. */
export type PodRole = 'workflow' | 'artifact-gc';

export interface PodOwner {
  workflow: WorkflowIdentity;
  role: PodRole;
}

/** Why a pod has no provable owner (the caller turns it into a 403). */
export class PodOwnerError extends Error {
  override name = 'PodOwnerError';
}

/** The single ownerReference with controller: true (Kubernetes allows at most one), or undefined. */
export function controllerRefOf(meta: OwnedMeta | undefined): OwnerReference | undefined {
  const refs = (meta?.ownerReferences ?? []).filter((r) => r?.controller === true);
  return refs.length === 1 ? refs[0] : undefined;
}

const isArgoRef = (ref: OwnerReference, kind: string) => ref.apiVersion === ARGO_API_VERSION && ref.kind === kind && isObjectName(ref.name) && isUid(ref.uid);

/** Why a pod may not act any more (finished or being deleted), or undefined while it runs. */
export function podNotRunning(pod: PodLike): string | undefined {
  if (pod.metadata?.deletionTimestamp) return 'is being deleted';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return `has finished (${phase})`;
  return undefined;
}

/**
 * The Workflow that owns `pod` (in `namespace`), proven by reading each owner in the cluster and
 * matching its uid. Throws PodOwnerError saying why not; cluster errors propagate unchanged.
 */
export async function resolvePodOwner(lookup: OwnerLookup, namespace: string, pod: PodLike): Promise<PodOwner> {
  const what = `the pod ${namespace}/${pod.metadata?.name ?? '?'}`;
  const notRunning = podNotRunning(pod);
  if (notRunning) throw new PodOwnerError(`${what} ${notRunning}`);
  const ref = controllerRefOf(pod.metadata);
  if (!ref) throw new PodOwnerError(`${what} has no controller ownerReference: it was not created by Argo for a workflow`);
  if (isArgoRef(ref, 'Workflow')) {
    return { workflow: await ownerWorkflow(lookup, namespace, ref, what), role: 'workflow' };
  }
  if (isArgoRef(ref, 'WorkflowArtifactGCTask')) {
    const task = await lookup.getArtifactGCTaskMeta(namespace, ref.name!);
    if (!task || task.uid !== ref.uid) throw new PodOwnerError(`${what} is owned by WorkflowArtifactGCTask ${namespace}/${ref.name}, which does not exist (uid ${ref.uid})`);
    const taskRef = controllerRefOf(task);
    const taskWhat = `WorkflowArtifactGCTask ${namespace}/${ref.name}`;
    if (!taskRef || !isArgoRef(taskRef, 'Workflow')) throw new PodOwnerError(`${taskWhat} (owner of ${what}) is not controlled by a Workflow`);
    return { workflow: await ownerWorkflow(lookup, namespace, taskRef, taskWhat), role: 'artifact-gc' };
  }
  throw new PodOwnerError(`${what} is controlled by ${ref.apiVersion ?? '?'} ${ref.kind ?? '?'} ${ref.name ?? '?'}, not by an Argo Workflow`);
}

async function ownerWorkflow(lookup: OwnerLookup, namespace: string, ref: OwnerReference, what: string): Promise<WorkflowIdentity> {
  const wf = await lookup.getWorkflowMeta(namespace, ref.name!);
  // Same answer for "no such workflow" and "another workflow of that name": the uid is the identity.
  if (!wf || wf.uid !== ref.uid) throw new PodOwnerError(`${what} is owned by Workflow ${namespace}/${ref.name} (uid ${ref.uid}), which does not exist in ${namespace}`);
  return { namespace, name: ref.name!, uid: ref.uid! };
}
