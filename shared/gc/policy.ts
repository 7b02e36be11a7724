// What GC does with each artifact of a workflow, for an event (completed / deleted) at a time `now`.
// Pure: the same workflow, event and time always give the same plan.
//
// Beyond Argo, two workflow annotations (Argo's CRD forbids new spec fields):
//   argo-oss-artifacts/gc-when:  Always | Succeeded | Failed   which completed workflows are reclaimed
//   argo-oss-artifacts/gc-delay: 24h                            reclaim that long after completion
//                                                               (OnWorkflowCompletion) or deletion
//                                                               (OnWorkflowDeletion)
// Precedence: the annotation, else the function's configuration (ARGO_OSS_GC_WHEN /
// ARGO_OSS_GC_DELAY), else the built-in Always / 0s. A workflow whose phase gc-when filters out
// keeps all its artifacts, at completion and at deletion (Failed and Error both count as failure).
// A bad annotation value refuses the whole workflow with the reason: never a guess.
import { ArgoError, artifactKey, COMPLETED_PHASES, resolveArtifactLocation, type Workflow } from '../argo';
import { parseDurationSeconds } from '../duration';
import { gcCandidates, referencedKeys, type GcCandidate } from './strategy';
import { ownershipOf, type OwnershipRule } from './ownership';
import { prefixOverlaps, targetFor, targetPrefix, unsafeReason, type SafetyOptions } from './targets';
import type { ArtifactDecision, GcEventKind, GcWhen, WorkflowRef } from './types';

export const GC_WHEN_ANNOTATION = 'argo-oss-artifacts/gc-when';
export const GC_DELAY_ANNOTATION = 'argo-oss-artifacts/gc-delay';
const GC_WHEN_VALUES: readonly GcWhen[] = ['Always', 'Succeeded', 'Failed'];
/** Longest delay accepted (as for ARGO_OSS_GC_DELAY). */
export const MAX_GC_DELAY_SECONDS = 366 * 86400;

export interface GcDefaults {
  when: GcWhen;
  delaySeconds: number;
}

export const BUILT_IN_DEFAULTS: GcDefaults = { when: 'Always', delaySeconds: 0 };

export interface WorkflowGcPolicy {
  when: GcWhen;
  delaySeconds: number;
  whenSource: 'annotation' | 'config';
  delaySource: 'annotation' | 'config';
}

export type PolicyResult = { ok: true; policy: WorkflowGcPolicy } | { ok: false; reason: string };

/** The workflow's gc-when / gc-delay after precedence, or why its annotations are refused. */
export function workflowPolicy(wf: Workflow, defaults: GcDefaults = BUILT_IN_DEFAULTS): PolicyResult {
  const annotations = wf.metadata.annotations ?? {};
  const rawWhen = annotations[GC_WHEN_ANNOTATION];
  const rawDelay = annotations[GC_DELAY_ANNOTATION];
  let when = defaults.when;
  let delaySeconds = defaults.delaySeconds;
  if (rawWhen !== undefined) {
    const match = GC_WHEN_VALUES.find((w) => w.toLowerCase() === String(rawWhen).trim().toLowerCase());
    if (!match) return { ok: false, reason: `annotation ${GC_WHEN_ANNOTATION}=${JSON.stringify(rawWhen)} must be one of ${GC_WHEN_VALUES.join(', ')}` };
    when = match;
  }
  if (rawDelay !== undefined) {
    const s = parseDurationSeconds(String(rawDelay));
    if (s === undefined || s > MAX_GC_DELAY_SECONDS) {
      return { ok: false, reason: `annotation ${GC_DELAY_ANNOTATION}=${JSON.stringify(rawDelay)} must be a duration such as 90m, 24h or 7d (at most 366d)` };
    }
    delaySeconds = s;
  }
  return { ok: true, policy: { when, delaySeconds, whenSource: rawWhen !== undefined ? 'annotation' : 'config', delaySource: rawDelay !== undefined ? 'annotation' : 'config' } };
}

/** Does gc-when let a workflow in this phase be reclaimed? Failed and Error are failures. */
export function phaseSelected(when: GcWhen, phase: string | undefined): boolean {
  if (when === 'Always') return true;
  if (when === 'Succeeded') return phase === 'Succeeded';
  return phase === 'Failed' || phase === 'Error';
}

export function isCompleted(wf: Workflow): boolean {
  return COMPLETED_PHASES.includes(wf.status?.phase ?? '');
}

export function workflowRef(wf: Workflow): WorkflowRef {
  return { namespace: wf.metadata.namespace ?? 'default', name: wf.metadata.name ?? '', uid: wf.metadata.uid ?? '' };
}

export interface PlanOptions extends SafetyOptions {
  defaults: GcDefaults;
  /** When the deletion happened (default: metadata.deletionTimestamp, else now). */
  deletedAt?: Date;
  /** Whose keys the workflow may delete (ownership.ts): prefixes outside its own prefix are refused here. */
  ownership: OwnershipRule;
}

export interface WorkflowPlan {
  workflow: WorkflowRef;
  event: GcEventKind;
  phase: string;
  /** Set when nothing can be planned: offloaded nodes, bad annotations, not completed. */
  notPlannable?: { reason: string; refused: boolean };
  policy?: WorkflowGcPolicy;
  completedAt?: string;
  deletedAt?: string;
  decisions: ArtifactDecision[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Completion time: status.finishedAt when it parses, else `now` (the event is our evidence). */
function completionMs(wf: Workflow, now: Date): number {
  const t = Date.parse(wf.status?.finishedAt ?? '');
  return Number.isFinite(t) ? t : now.getTime();
}

/** Decisions before cross-artifact checks: strategy, phase filter, location, safety, timing. */
function decide(wf: Workflow, c: GcCandidate, event: GcEventKind, policy: WorkflowGcPolicy, times: { now: number; completed: number; deleted?: number }, opts: PlanOptions): ArtifactDecision {
  const base = { node: c.node, artifact: c.artifact.name, strategy: c.strategy.strategy, log: c.log };
  const recorded = artifactKey(c.artifact);
  const keyOf = recorded ? { key: recorded } : {};
  if (c.strategy.strategy === 'Never') {
    const why = c.strategy.unknown ? `unknown strategy ${JSON.stringify(c.strategy.unknown)} (treated as Never)` : `strategy Never (${c.strategy.source})`;
    return { ...base, ...keyOf, action: 'keep', reason: why };
  }
  if (c.artifact.deleted === true) return { ...base, ...keyOf, action: 'skip', reason: 'already deleted (status says deleted: true)' };
  const phase = wf.status?.phase ?? '';
  if (!phaseSelected(policy.when, phase)) {
    return { ...base, ...keyOf, action: 'keep', reason: `gc-when ${policy.when} (${policy.whenSource}): workflow phase is ${phase || 'unknown'}` };
  }
  // An empty key names the whole bucket to a prefix delete: refused, not mistaken for "never written".
  if (recorded === '') {
    return { ...base, key: '', action: 'refuse', reason: 'empty key: refusing what would be the whole bucket' };
  }
  let location;
  try {
    location = resolveArtifactLocation(wf, c.nodeStatus, c.artifact, opts.served);
  } catch (err) {
    if (!(err instanceof ArgoError)) throw err;
    if (err.code === 'NoLocation') return { ...base, ...keyOf, action: 'skip', reason: err.message };
    if (err.code === 'UnsupportedStorage') return { ...base, ...keyOf, action: 'keep', reason: err.message };
    return { ...base, ...keyOf, action: 'refuse', reason: err.message };
  }
  const target = targetFor(location, c.artifact);
  const unsafe = unsafeReason(location, target, opts);
  if (unsafe) return { ...base, key: location.key, location, target, action: 'refuse', reason: unsafe };
  // Objects outside the own prefix are proven (or refused) by their recorded owner when executed.
  const owned = ownershipOf(target, workflowRef(wf), opts.ownership);
  if (owned.kind === 'refuse') return { ...base, key: location.key, location, target, action: 'refuse', reason: owned.reason };
  const found = { ...base, key: location.key, location, target };
  const delay = policy.delaySeconds * 1000;
  if (c.strategy.strategy === 'OnWorkflowCompletion') {
    const due = times.completed + delay;
    if (due <= times.now) return { ...found, action: 'delete', reason: event === 'completed' ? 'OnWorkflowCompletion: workflow completed' : 'OnWorkflowCompletion: workflow deleted' };
    return { ...found, action: 'defer', dueAt: iso(due), reason: `OnWorkflowCompletion with gc-delay ${policy.delaySeconds}s (${policy.delaySource})` };
  }
  if (event === 'completed') return { ...found, action: 'defer', onDeletion: true, reason: 'OnWorkflowDeletion: owed when the workflow is deleted' };
  const due = (times.deleted ?? times.now) + delay;
  if (due <= times.now) return { ...found, action: 'delete', reason: 'OnWorkflowDeletion: workflow deleted' };
  return { ...found, action: 'defer', dueAt: iso(due), reason: `OnWorkflowDeletion with gc-delay ${policy.delaySeconds}s (${policy.delaySource})` };
}

/** Same timing: reclaimed together, so one may take the other's objects with it. */
function sameTiming(a: ArtifactDecision, b: ArtifactDecision): boolean {
  return a.action === b.action && (a.action === 'delete' || (a.dueAt === b.dueAt && a.onDeletion === b.onDeletion));
}

/**
 * A prefix target must not delete another artifact of the workflow that is still live: refused unless
 * every artifact it would touch is reclaimed at the same time. (Other workflows' keys are protected by
 * the ownership rule, not by what their statuses list.)
 */
function refuseOverlaps(wf: Workflow, decisions: ArtifactDecision[]): void {
  const keys = referencedKeys(wf);
  for (const d of decisions) {
    if ((d.action !== 'delete' && d.action !== 'defer') || !d.target) continue;
    const prefix = targetPrefix(d.target);
    if (!prefix) continue;
    for (const other of keys) {
      const same = other.replace(/\/+$/, '') === d.key!.replace(/\/+$/, '');
      if (!prefixOverlaps(prefix, other, same) || same) continue;
      // Covered only if a Pod output with that key is reclaimed together with this one.
      const together = decisions.some((o) => o !== d && o.key?.replace(/\/+$/, '') === other.replace(/\/+$/, '') && sameTiming(o, d));
      if (!together) {
        Object.assign(d, { action: 'refuse', reason: `prefix ${prefix} would also delete artifact key ${JSON.stringify(other)} of this workflow, which is not reclaimed with it` });
        delete d.dueAt;
        delete d.onDeletion;
        break;
      }
    }
  }
}

/** The plan for `wf` on `event` at `now`. */
export function planWorkflow(wf: Workflow, event: GcEventKind, now: Date, opts: PlanOptions): WorkflowPlan {
  const workflow = workflowRef(wf);
  const phase = wf.status?.phase ?? '';
  const plan: WorkflowPlan = { workflow, event, phase, decisions: [] };
  if (event === 'completed' && !isCompleted(wf)) {
    plan.notPlannable = { reason: `workflow is not completed (phase ${phase || 'unknown'})`, refused: false };
    return plan;
  }
  const policy = workflowPolicy(wf, opts.defaults);
  if (!policy.ok) {
    plan.notPlannable = { reason: policy.reason, refused: true };
    return plan;
  }
  plan.policy = policy.policy;
  let candidates: GcCandidate[];
  try {
    candidates = gcCandidates(wf);
  } catch (err) {
    if (!(err instanceof ArgoError)) throw err;
    plan.notPlannable = { reason: err.message, refused: true };
    return plan;
  }
  const completed = completionMs(wf, now);
  plan.completedAt = iso(completed);
  let deleted: number | undefined;
  if (event === 'deleted') {
    const ts = Date.parse(wf.metadata.deletionTimestamp ?? '');
    deleted = opts.deletedAt?.getTime() ?? (Number.isFinite(ts) ? ts : now.getTime());
    plan.deletedAt = iso(deleted);
  }
  plan.decisions = candidates.map((c) => decide(wf, c, event, policy.policy, { now: now.getTime(), completed, deleted }, opts));
  refuseOverlaps(wf, plan.decisions);
  return plan;
}
