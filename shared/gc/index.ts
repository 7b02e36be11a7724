// Artifact GC with Argo's artifactGC semantics, success/failure-only and delayed reclaim, a ledger in
// OSS, an audit log and a reconcile. Pure policy: strategy.ts, policy.ts, targets.ts, events.ts.
export { createGcApp, type GcApp, type GcConfig, type GcDeps, type RunOptions } from './app';
export { workflowStrategy, artifactStrategy, gcCandidates, isLogArtifact, referencedKeys, type GcCandidate, type StrategyResolution } from './strategy';
export {
  planWorkflow,
  workflowPolicy,
  phaseSelected,
  isCompleted,
  workflowRef,
  GC_WHEN_ANNOTATION,
  GC_DELAY_ANNOTATION,
  BUILT_IN_DEFAULTS,
  MAX_GC_DELAY_SECONDS,
  type GcDefaults,
  type PlanOptions,
  type PolicyResult,
  type WorkflowGcPolicy,
  type WorkflowPlan,
} from './policy';
export { targetFor, targetPrefix, unsafeReason, prefixOverlaps, describeTarget, type SafetyOptions } from './targets';
export { ownershipRule, ownPrefixes, ownershipOf, authoriseTargets, type OwnershipRule, type Ownership, type Authorisation } from './ownership';
export {
  parseGcPayload,
  COMPLETION_REASONS,
  KUBE_EVENTER_SOURCE,
  WORKFLOW_EVENT_TYPE,
  WORKFLOW_COMPLETED_TYPE,
  WORKFLOW_UPDATED_TYPE,
  WORKFLOW_DELETED_TYPE,
  ARGO_EVENTS_RESOURCE_TYPE,
  type GcInput,
} from './events';
export { GC_PREFIX, LEDGER_PREFIX, HANDLED_PREFIX, REFUSED_PREFIX, readEntry, ledgerKey, handledKey, backoffMs, type LedgerEntry, type LedgerItem } from './ledger';
export { AuditLog, AUDIT_PREFIX, type AuditRecord, type AuditAction, type AuditResult } from './audit';
export { executeDeletes, type DeleteItem, type DeleteItemResult } from './execute';
export { markArtifactsDeleted, markDeletedPatch, type MarkResult } from './mark-deleted';
export { KubeWorkflows, iterateWorkflows, type WorkflowStore, type WorkflowPage } from './workflows';
export { abortStaleUploads, type StaleUploadResult } from './stale-uploads';
export type { ArtifactDecision, DeleteTarget, EffectiveStrategy, GcEventKind, GcSummary, GcWhen, PlanLine, WorkflowRef } from './types';
