// Manifests shaped as Argo's controller makes them, for the local cluster (tests, demo): a workflow's
// pod is controller-owned by its Workflow; an artifact-GC pod is controller-owned by a
// WorkflowArtifactGCTask, which is controller-owned by the Workflow (argo-workflows
// workflow/controller/artifact_gc.go: createWorkflowArtifactGCTask, createArtifactGCPod).
import type { KubeObject } from './types';

export const WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';
const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

export interface OwnerRef {
  name: string;
  uid: string;
}

/** metav1.NewControllerRef: the one ownerReference with controller: true. */
export function controllerRef(kind: 'Workflow' | 'WorkflowArtifactGCTask', owner: OwnerRef): KubeObject {
  return { apiVersion: ARGO_API_VERSION, kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

export interface PodSpec {
  namespace: string;
  name: string;
  uid: string;
  /** The Workflow (label) the pod says it belongs to; Argo sets it on every pod it makes. */
  workflowLabel?: string;
  /** ownerReferences as written; omit for a pod made by hand. */
  ownerReferences?: KubeObject[];
  serviceAccountName?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Set: the pod is being deleted. */
  deletionTimestamp?: string;
  labels?: Record<string, string>;
}

export function podManifest(p: PodSpec): KubeObject {
  const labels = { ...(p.workflowLabel !== undefined ? { [WORKFLOW_LABEL]: p.workflowLabel } : {}), ...p.labels };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(p.ownerReferences ? { ownerReferences: p.ownerReferences } : {}),
      ...(p.deletionTimestamp ? { deletionTimestamp: p.deletionTimestamp } : {}),
    },
    spec: { serviceAccountName: p.serviceAccountName ?? 'default', containers: [{ name: 'main', image: 'argo-oss' }] },
    status: { phase: p.phase ?? 'Running' },
  };
}

/** A running pod of `workflow` (namespace, name, uid), owned by it as Argo's controller owns its pods. */
export function workflowPodManifest(workflow: OwnerRef & { namespace: string }, pod: Omit<PodSpec, 'namespace' | 'ownerReferences'>): KubeObject {
  return podManifest({ workflowLabel: workflow.name, ...pod, namespace: workflow.namespace, ownerReferences: [controllerRef('Workflow', workflow)] });
}

/** A WorkflowArtifactGCTask of `workflow`, controller-owned by it. */
export function artifactGcTaskManifest(workflow: OwnerRef & { namespace: string }, task: OwnerRef): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'WorkflowArtifactGCTask',
    metadata: { name: task.name, namespace: workflow.namespace, uid: task.uid, ownerReferences: [controllerRef('Workflow', workflow)] },
    spec: { artifactsByNode: {} },
  };
}

/** An artifact-GC pod: labelled with the workflow, controller-owned by the GC task. */
export function artifactGcPodManifest(workflow: OwnerRef & { namespace: string }, task: OwnerRef, pod: Omit<PodSpec, 'namespace' | 'ownerReferences'>): KubeObject {
  return podManifest({
    workflowLabel: workflow.name,
    ...pod,
    labels: { 'workflows.argoproj.io/component': 'artifact-gc', ...pod.labels },
    namespace: workflow.namespace,
    ownerReferences: [controllerRef('WorkflowArtifactGCTask', task)],
  });
}

/** A minimal Workflow object (name, namespace, uid); tests write their own status over it. */
export function workflowManifest(workflow: OwnerRef & { namespace: string }, extra: KubeObject = {}): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'Workflow',
    ...extra,
    metadata: { ...((extra.metadata as KubeObject | undefined) ?? {}), name: workflow.name, namespace: workflow.namespace, uid: workflow.uid },
    spec: (extra.spec as KubeObject | undefined) ?? { entrypoint: 'main', templates: [{ name: 'main' }] },
    status: (extra.status as KubeObject | undefined) ?? { phase: 'Running' },
  };
}
