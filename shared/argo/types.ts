// The parts of Argo's Workflow object (argoproj.io/v1alpha1) that artifact download and GC read.
// Only fields we use are typed; everything is optional because workflows come from users and clusters.

export type ArtifactGCStrategy = '' | 'OnWorkflowCompletion' | 'OnWorkflowDeletion' | 'Never';

export interface OssLifecycleRule {
  markInfrequentAccessAfterDays?: number;
  markDeletionAfterDays?: number;
}

/** Argo's OSSBucket (+ key when it is an OSSArtifact). Secrets are ignored: the functions use their own credentials. */
export interface OssLocation {
  endpoint?: string;
  bucket?: string;
  key?: string;
  keyFormat?: string;
  lifecycleRule?: OssLifecycleRule;
  [other: string]: unknown;
}

/**
 * Argo's PluginArtifact (+ keyFormat when it is a PluginArtifactRepository). A location only when name,
 * configuration and key are all non-empty (HasLocation); a key-only block takes the rest from the next level.
 */
export interface PluginLocation {
  name?: string;
  configuration?: string;
  key?: string;
  keyFormat?: string;
  connectionTimeoutSeconds?: number;
  [other: string]: unknown;
}

export interface Artifact {
  name: string;
  path?: string;
  optional?: boolean;
  deleted?: boolean;
  archive?: { none?: object; tar?: { compressionLevel?: number }; zip?: object };
  artifactGC?: { strategy?: ArtifactGCStrategy; [other: string]: unknown };
  oss?: OssLocation;
  plugin?: PluginLocation;
  s3?: unknown;
  gcs?: unknown;
  azure?: unknown;
  [other: string]: unknown;
}

export interface Outputs {
  artifacts?: Artifact[];
  [other: string]: unknown;
}

export interface ArtifactLocation {
  archiveLogs?: boolean;
  oss?: OssLocation;
  plugin?: PluginLocation;
  [other: string]: unknown;
}

export interface Template {
  name?: string;
  archiveLocation?: ArtifactLocation;
  outputs?: Outputs;
  [other: string]: unknown;
}

export interface TemplateRef {
  name?: string;
  template?: string;
  clusterScope?: boolean;
}

export type NodeType = 'Pod' | 'Steps' | 'DAG' | 'StepGroup' | 'Retry' | 'Skipped' | 'Suspend' | 'Container' | 'TaskGroup' | 'HTTP' | 'Plugin';

export interface NodeStatus {
  id?: string;
  name?: string;
  displayName?: string;
  type?: NodeType | string;
  phase?: string;
  templateName?: string;
  templateRef?: TemplateRef;
  templateScope?: string;
  inputs?: { artifacts?: Artifact[]; [other: string]: unknown };
  outputs?: Outputs;
  [other: string]: unknown;
}

export interface WorkflowSpec {
  templates?: Template[];
  artifactGC?: { strategy?: ArtifactGCStrategy; forceFinalizerRemoval?: boolean; [other: string]: unknown };
  workflowTemplateRef?: { name?: string; clusterScope?: boolean };
  archiveLogs?: boolean;
  [other: string]: unknown;
}

export interface Workflow {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
    finalizers?: string[];
    resourceVersion?: string;
    [other: string]: unknown;
  };
  spec?: WorkflowSpec;
  status?: {
    phase?: string;
    finishedAt?: string;
    nodes?: Record<string, NodeStatus>;
    compressedNodes?: string;
    offloadNodeStatusVersion?: string;
    storedTemplates?: Record<string, Template>;
    storedWorkflowTemplateSpec?: WorkflowSpec;
    artifactRepositoryRef?: { configMap?: string; key?: string; namespace?: string; default?: boolean; artifactRepository?: ArtifactLocation };
    [other: string]: unknown;
  };
}

/** Workflow phases after which nothing more is written (Argo's `Fulfilled`). */
export const COMPLETED_PHASES: readonly string[] = ['Succeeded', 'Failed', 'Error'];
export const COMPLETED_LABEL = 'workflows.argoproj.io/completed';
