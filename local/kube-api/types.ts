// Shapes shared by the modules of the local Kubernetes API.
import type { JsonObject } from './json';

export type KubeObject = JsonObject;

/** Authenticated identity, as TokenReview reports it and as authorization sees it. */
export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** A resource type served from a manifest directory. */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural, as in URLs and RBAC rules
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  verbs: string[];
  /** Directory under the cluster dir that holds one manifest per object. */
  dir: string;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export const WORKFLOWS: ResourceType = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  resource: 'workflows',
  singular: 'workflow',
  kind: 'Workflow',
  listKind: 'WorkflowList',
  shortNames: ['wf'],
  verbs: ['delete', 'get', 'list', 'patch'],
  dir: 'workflows',
};

export const PODS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'pods',
  singular: 'pod',
  kind: 'Pod',
  listKind: 'PodList',
  shortNames: ['po'],
  verbs: ['get', 'list'],
  dir: 'pods',
};

/** Argo's artifact-GC tasks: the controller owner of its GC pods, themselves controller-owned by the Workflow. */
export const WORKFLOW_ARTIFACT_GC_TASKS: ResourceType = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  resource: 'workflowartifactgctasks',
  singular: 'workflowartifactgctask',
  kind: 'WorkflowArtifactGCTask',
  listKind: 'WorkflowArtifactGCTaskList',
  shortNames: ['wfat'],
  verbs: ['get', 'list'],
  dir: 'workflowartifactgctasks',
};
